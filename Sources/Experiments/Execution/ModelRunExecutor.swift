import Datasets
import Foundation
import Models
import Numerics

struct RunError: Error, CustomStringConvertible {
    let description: String
}

/// Executes one resolved run with the real models: loads the data, builds the model the run
/// names, trains what is trainable, and reports accuracies, filter counts, timings, the
/// per-epoch history and the λ records.
struct ModelRunExecutor: WeightSavingExecutor {
    /// Where the DMN layers' spectra are kept between runs (`--pca-cache`); nil computes them
    /// in every run.
    var spectraCache: SpectraCache?

    init(spectraCache: SpectraCache? = nil) { self.spectraCache = spectraCache }

    func execute(_ run: ResolvedRun, dataDirectory: URL, threads: ThreadLayout,
                        progress: @escaping @Sendable (RunProgress) -> Void) throws -> RunOutcome {
        try execute(run, dataDirectory: dataDirectory, threads: threads, saveWeights: false, progress: progress).outcome
    }

    /// As `execute`, also handing back the trained network's weights when `saveWeights`.
    func execute(_ run: ResolvedRun, dataDirectory: URL, threads: ThreadLayout, saveWeights: Bool,
                        progress: @escaping @Sendable (RunProgress) -> Void) throws -> (outcome: RunOutcome, weights: RunWeights?) {
        let splits = try DatasetCache.shared.splits(run.dataset, dataDirectory: dataDirectory, labels: run.data.cifar100Labels,
                                                    resize: run.dataset.isBuiltin ? .keep : run.data.resize)
        if run.data.selection == .bestValidation && run.data.validation == 0 && splits.validation == nil {
            throw RunError(description: "data.selection \"best-validation\" needs a validation split: set data.validation (a fraction in (0, 0.5])")
        }
        if run.data.validation > 0 && splits.validation != nil {
            throw RunError(description: "data.validation \(run.data.validation) with \(run.dataset.rawValue), which has its own validation split (x_val, y_val): set data.validation to 0 to validate on x_val")
        }
        // Limits pick a fixed stratified subset (seed 0), the same for every model and seed,
        // so that runs differ only by what the run's own seed drives.
        var train = run.data.trainLimit.map { min($0, splits.train.count) }.map { splits.train.stratifiedSubset(count: $0, seed: 0) } ?? splits.train
        // The validation images leave the training set before anything (preprocessing
        // statistics, DMN densities, SGD) sees it.
        // An archive's own validation split (x_val, y_val) is used whole; else data.validation
        // holds out a fraction.
        var validation: ImageDataset? = splits.validation
        if run.data.validation > 0 { (train, validation) = train.stratifiedSplit(heldOutFraction: run.data.validation, seed: run.seed) }
        let test = run.data.testLimit.map { min($0, splits.test.count) }.map { splits.test.stratifiedSubset(count: $0, seed: 0) } ?? splits.test
        var reuse: SpectraReuse? = nil
        if let spectraCache, ([.dmn, .pca, .hybrid] as [ModelKind]).contains(run.model) {
            let resize: ImageResize = run.dataset.isBuiltin ? .keep : run.data.resize
            let fingerprint = TrainingSetFingerprint.of(splits.train, cacheKey: DatasetCache.key(run.dataset, dataDirectory: dataDirectory,
                                                                                                labels: run.data.cifar100Labels, resize: resize))
            reuse = SpectraReuse(store: spectraCache, dataKey: Self.buildImagesKey(run, trainingSet: fingerprint))
        }
        switch run.kind {
        case .classify, .convergence:
            var weights: RunWeights? = nil
            let outcome = try trainModel(run, train: train, test: test, validation: validation, threads: threads, reuse: reuse,
                                         progress: progress,
                                         trained: saveWeights ? { weights = RunWeights(network: $0, built: $1, preprocessing: $2) } : nil)
            return (outcome, weights)
        case .fluctuation:
            return (try densityFluctuations(run, train: train), nil)
        }
    }

    /// What determines the images a DMN build sees and their preprocessing, for
    /// `layerSpectraKey`: the loaded training set (by content, after any resize), then exactly
    /// the steps above and in `trainModel` that derive the build images from it, with their seeds.
    static func buildImagesKey(_ run: ResolvedRun, trainingSet fingerprint: String) -> String {
        "training set sha256 \(fingerprint) (\(run.dataset.rawValue), CIFAR-100 labels \(run.data.cifar100Labels.rawValue)); "
            + "train limit \(run.data.trainLimit.map(String.init) ?? "none") (seed 0); "
            + "validation \(run.data.validation) (seed \(run.seed)); "
            + "preprocessing \(run.data.preprocessing.rawValue) (seed \(run.seed)); "
            + "T_frac \(run.dmn.tfrac) (seed \(run.seed))"
    }

    private func seconds(since start: UInt64) -> Double { Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }

    /// `trained`, when given, sees the network after training, the built layers' reports and the
    /// input preprocessing fitted to the training images.
    func trainModel(_ run: ResolvedRun, train: ImageDataset, test: ImageDataset, validation: ImageDataset? = nil,
                    threads: ThreadLayout, reuse: SpectraReuse? = nil,
                    progress: @escaping @Sendable (RunProgress) -> Void,
                    trained: ((Sequential, [BuiltLayerReport], Preprocessing) -> Void)? = nil) throws -> RunOutcome {
        let preprocessing = train.preprocessing(run.data.preprocessing, seed: run.seed)
        let input = Shape3(train.height, train.width, train.channels)
        var rng = SeededRandom(seed: run.seed, stream: "init")
        var outcome = RunOutcome()
        let epochs = max(1, run.training.epochs)
        progress(RunProgress(phase: "build", epoch: 0, epochs: epochs, fraction: 0))
        let buildStart = DispatchTime.now().uptimeNanoseconds
        let network: Sequential
        var builtReports: [BuiltLayerReport] = []
        switch run.model {
        case .mlp:
            network = multilayerPerceptron(input: input, hidden: run.filters, classes: train.numClasses,
                                           initialization: run.training.initialization, rng: &rng)
            outcome.filterCounts = run.filters
        case .baseline:
            network = try Architecture(input: input, classes: train.numClasses, convFilters: []).network(features: [], rng: &rng)
        case .convnet:
            let arch = try Architecture(input: input, classes: train.numClasses, convFilters: run.filters)
            network = arch.network(features: arch.randomFeatureLayers(initialization: run.training.initialization,
                                                                      batchNorm: run.training.batchNormSettings, rng: &rng),
                                   rng: &rng)
            outcome.filterCounts = run.filters
        case .dmn, .pca, .random, .hybrid:
            let arch = try Architecture(input: input, classes: train.numClasses, convFilters: run.filters)
            let opts = run.dmn
            let kind: FeatureFilters = run.model == .pca ? .pca : run.model == .random ? .random : .dmn
            // A numeric T_frac picks the build images here; "auto" lets each layer pick its own.
            // The subset is formed only if the build needs the images (not when every layer's
            // spectra are reused and no statistics are taken).
            func buildImages() -> ImageDataset {
                if case .fraction(let f) = opts.tfrac, kind != .random { return train.stratifiedSubset(fraction: f, seed: run.seed) }
                return train
            }
            let built = try buildFeatureLayers(arch: arch, data: buildImages(), preprocessing: preprocessing,
                                               filters: kind, options: opts, seed: run.seed,
                                               batchNorm: run.training.batchNormSettings, threads: threads,
                                               reuse: kind == .random ? nil : reuse)
            if run.model == .hybrid { for layer in built.layers { layer.trainable = true } }
            network = arch.network(features: built.layers, rng: &rng)
            outcome.filterCounts = built.reports.map(\.filters)
            outcome.relaxedTv = built.reports.map(\.relaxedTv)
            if opts.tfrac == .auto && kind != .random { outcome.tfracChosen = built.reports.compactMap { $0.fractionChoice?.fraction } }
            if reuse != nil && kind != .random && opts.tfrac != .auto { outcome.spectraReused = built.reports.map(\.spectraReused) }
            builtReports = built.reports
        }
        outcome.buildSeconds = seconds(since: buildStart)

        var config = run.training
        config.seed = run.seed
        let trainer = Trainer(network: network, config: config, preprocessing: preprocessing, threads: threads)
        let recorder = ConvergenceRecorder(every: run.convergence.lambdaEvery, window: run.convergence.smoothingWindow,
                                           layers: ConvergenceRecorder.trackedLayers(of: network))
        recorder.start(network)
        trainer.onStep = { recorder.observe(step: $0.step, imagesSeen: $0.imagesSeen, network: $0.network) }
        trainer.onBatch = { epoch, f in
            progress(RunProgress(phase: "train", epoch: epoch, epochs: epochs, fraction: (Double(epoch - 1) + f) / Double(epochs)))
        }
        trainer.onEpoch = { s in
            progress(RunProgress(phase: "train", epoch: s.epoch, epochs: epochs, fraction: Double(s.epoch) / Double(epochs)))
        }
        let sgdStart = DispatchTime.now().uptimeNanoseconds
        let history = try trainer.fit(train: train, test: test, validation: validation)
        outcome.sgdSeconds = seconds(since: sgdStart)
        outcome.history = history
        // Train accuracy at the end of training, measured like the test accuracy (not the
        // running average over the last epoch, which mixes in earlier weights).
        outcome.trainAccuracy = trainer.evaluate(train).accuracy
        outcome.testAccuracy = run.data.selection.select(history)?.testAccuracy ?? trainer.evaluate(test).accuracy
        outcome.lambdas = recorder.records
        trained?(network, builtReports, preprocessing)
        return outcome
    }
}
