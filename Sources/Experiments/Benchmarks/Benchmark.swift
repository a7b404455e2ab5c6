import Datasets
import Foundation
import Models
import Numerics

/// Throughput of SGD training and inference for one ConvNet config, measured the way the
/// peer benchmark (benchmarks/peer_keras.py) measures Keras: a warm-up epoch excluded, then
/// `repeats` timed epochs over the same images, median reported.
public struct ThroughputResult: Codable, Sendable {
    var tool = "repro"
    public var config: String
    public var input: String
    var batch: Int
    public var images: Int
    public var threads: Int
    var blasCore = OpenBLASCore.current
    /// The instruction set of the direct conv and density kernels (the same bits in each).
    var vectorISA = VectorISA.best.name
    public var trainImagesPerSecond: Double
    public var inferImagesPerSecond: Double

    enum CodingKeys: String, CodingKey {
        case tool, config, input, batch, images, threads
        case blasCore = "blas_core", vectorISA = "vector_isa"
        case trainImagesPerSecond = "train_images_per_s", inferImagesPerSecond = "infer_images_per_s"
    }
}

public struct DMNBuildResult: Codable, Sendable {
    var tool = "repro"
    var task = "dmn-build-layer1"
    public var dataset: String
    var tfrac: Double
    public var images: Int
    public var seconds: Double
    public var filters: Int
    var threads: Int
    /// For per-layer builds of a stacked config: which config ("4,15") and layer (1-based).
    var config: String?
    public var layer: Int?
}

func median(_ xs: [Double]) -> Double {
    let s = xs.sorted()
    return s.isEmpty ? .nan : s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

func elapsed(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

/// SGD (lr 0.01, momentum 0.9, batch 64, the peer's settings) on the first `images` images.
/// `algorithm` forces one ConvBlock algorithm on every layer; nil keeps each layer's preferred one.
/// `threads` is the layout a run would have (`ThreadPlan`); `threads` in the result is its workers.
public func measureThroughput(config: [Int], data: ImageDataset, images: Int, repeats: Int,
                              batch: Int = 64, algorithm: ConvBlockAlgorithm? = nil, threads: ThreadLayout) throws -> ThroughputResult {
    let train = data.subset(indices: Array(0..<min(images, data.count)))
    let arch = try Architecture(input: Shape3(data.height, data.width, data.channels), classes: data.numClasses,
                                convFilters: config)
    var rng = SeededRandom(seed: 1, stream: "bench")
    let features = arch.randomFeatureLayers(rng: &rng)
    if let algorithm { for case let block as ConvBlock in features { block.algorithm = algorithm } }
    let net = arch.network(features: features, rng: &rng)
    var c = TrainingConfig()
    c.optimizer = .sgd; c.learningRate = 0.01; c.momentum = 0.9; c.batchSize = batch; c.epochs = 1
    c.evaluationBatch = 1000
    let trainer = Trainer(network: net, config: c, preprocessing: .scale01, threads: threads)
    _ = try trainer.fit(train: train, test: nil)  // warm-up
    var trainTimes: [Double] = [], inferTimes: [Double] = []
    for _ in 0..<max(1, repeats) {
        trainTimes.append(try elapsed { _ = try trainer.fit(train: train, test: nil) })
    }
    _ = trainer.evaluate(train)
    for _ in 0..<max(1, repeats) { inferTimes.append(elapsed { _ = trainer.evaluate(train) }) }
    return ThroughputResult(config: config.map(String.init).joined(separator: ","),
                            input: "\(data.height)x\(data.width)x\(data.channels)", batch: batch, images: train.count,
                            threads: threads.workers, trainImagesPerSecond: Double(train.count) / median(trainTimes),
                            inferImagesPerSecond: Double(train.count) / median(inferTimes))
}

/// Layer-1 DMN build as the numpy peer does it: a stratified T_frac subset, density matrices
/// of all 3×3 patches per class, eigen-solves, T_v = 0.98 cut, round-robin merge at T_PC 0.9.
public func measureDMNBuild(data: ImageDataset, tfrac: Double, repeats: Int, threads: ThreadLayout) throws -> DMNBuildResult {
    let subset = data.stratifiedSubset(fraction: tfrac, seed: 0)
    let arch = try Architecture(input: Shape3(data.height, data.width, data.channels), classes: data.numClasses,
                                convFilters: [1])
    var o = DMNOptions()
    o.tfrac = .fraction(tfrac); o.tv = [0.98]; o.tpc = 0.9; o.filterCount = .thresholds
    var filters = 0
    var times: [Double] = []
    for _ in 0..<max(1, repeats) {
        times.append(try elapsed {
            let built = try buildFeatureLayers(arch: arch, data: subset, preprocessing: .scale01, filters: .dmn, options: o, seed: 0,
                                               threads: threads)
            filters = built.reports[0].filters
        })
    }
    return DMNBuildResult(dataset: "", tfrac: tfrac, images: subset.count, seconds: median(times), filters: filters,
                          threads: threads.workers)
}

/// Each layer's build time when a whole stacked DMN is built (the paper's fixed filter counts,
/// T_v 0.98 / 0.99, T_PC 0.9): layer l's patches come from layers 1…l−1's outputs, so its
/// time includes propagating the subset through them. Median of `repeats` per layer.
public func measureDMNBuildPerLayer(config: [Int], data: ImageDataset, tfrac: Double,
                                    repeats: Int, threads: ThreadLayout) throws -> [DMNBuildResult] {
    let subset = data.stratifiedSubset(fraction: tfrac, seed: 0)
    let arch = try Architecture(input: Shape3(data.height, data.width, data.channels), classes: data.numClasses,
                                convFilters: config)
    var o = DMNOptions()
    o.tfrac = .fraction(tfrac); o.tv = config.indices.map { $0 == 0 ? 0.98 : 0.99 }; o.tpc = 0.9; o.filterCount = .fixed
    var times = [[Double]](repeating: [], count: config.count)
    var filters = [Int](repeating: 0, count: config.count)
    for _ in 0..<max(1, repeats) {
        let built = try buildFeatureLayers(arch: arch, data: subset, preprocessing: .scale01, filters: .dmn, options: o, seed: 0,
                                           threads: threads)
        for r in built.reports { times[r.layer - 1].append(r.seconds); filters[r.layer - 1] = r.filters }
    }
    let name = config.map(String.init).joined(separator: ",")
    return config.indices.map { l in
        DMNBuildResult(task: "dmn-build-\(name)-layer\(l + 1)", dataset: "", tfrac: tfrac, images: subset.count,
                       seconds: median(times[l]), filters: filters[l], threads: threads.workers, config: name, layer: l + 1)
    }
}

/// A DMN run end to end against the ConvNet of the same shape, timed the way an experiment
/// runs them (`ModelRunExecutor`): the DMN's build (layer by layer on a stratified T_frac
/// subset), then its training, which computes the frozen features once (`FeatureCache`) and
/// trains the softmax on them; the ConvNet's training from He initialisation. Both train with
/// the experiments' budget (Adam, lr 0.001, batch 64, `epochs` epochs) on the same images;
/// test evaluation is left out of both.
public struct EndToEndResult: Codable, Sendable {
    var tool = "repro"
    var task = "dmn-vs-convnet-end-to-end"
    public var dataset: String
    public var config: String
    public var images: Int
    public var epochs: Int
    var tfrac: Double
    var threads: Int
    /// Nil when the DMN cannot be built with this many filters (the reason is in `dmnError`).
    public var dmnBuildSeconds: Double?
    public var dmnFeatureSeconds: Double?
    public var dmnTrainSeconds: Double?
    public var dmnTotalSeconds: Double?
    public var dmnError: String?
    var dmnTrainAccuracy: Double?
    public var convnetSeconds: Double
    var convnetTrainAccuracy: Double
    /// ConvNet seconds / DMN total seconds.
    public var speedup: Double?
    public var featureCacheMiB: Double?

    enum CodingKeys: String, CodingKey {
        case tool, task, dataset, config, images, epochs, tfrac, threads, speedup
        case dmnBuildSeconds = "dmn_build_s", dmnFeatureSeconds = "dmn_features_s", dmnTrainSeconds = "dmn_train_s"
        case dmnTotalSeconds = "dmn_total_s", dmnError = "dmn_error", dmnTrainAccuracy = "dmn_train_accuracy"
        case convnetSeconds = "convnet_s", convnetTrainAccuracy = "convnet_train_accuracy"
        case featureCacheMiB = "feature_cache_mib"
    }
}

/// T_frac of the fig3 spec per dataset (0.3 (Fashion-)MNIST, 0.7 CIFAR-10, 1.0 CIFAR-100).
func fig3Tfrac(_ dataset: DatasetName) -> Double {
    switch dataset.builtin {
    case .mnist, .fashionMNIST: return 0.3
    case .cifar10: return 0.7
    case .cifar100, nil: return 1.0
    }
}

/// One DMN run and one ConvNet run of `config` on the first `images` training images (all
/// when nil), median over `repeats` of each (alternating DMN, ConvNet). DMN options as fig3:
/// fixed filter counts, T_v 0.98 then 0.99, T_PC 0.9.
public func measureEndToEnd(config: [Int], data: ImageDataset, dataset: DatasetName, images: Int?, epochs: Int,
                            repeats: Int, threads: ThreadLayout) throws -> EndToEndResult {
    let train = images.map { data.subset(indices: Array(0..<min($0, data.count))) } ?? data
    let arch = try Architecture(input: Shape3(data.height, data.width, data.channels), classes: data.numClasses,
                                convFilters: config)
    var c = TrainingConfig()
    c.optimizer = .adam; c.learningRate = 0.001; c.batchSize = 64; c.epochs = epochs; c.seed = 1
    var o = DMNOptions()
    let tfrac = fig3Tfrac(dataset)
    o.tfrac = .fraction(tfrac); o.tv = config.indices.map { $0 == 0 ? 0.98 : 0.99 }; o.tpc = 0.9; o.filterCount = .fixed
    var build: [Double] = [], feats: [Double] = [], dmnTrain: [Double] = [], dmnTotal: [Double] = [], conv: [Double] = []
    var dmnError: String?, dmnAccuracy: Double?, convAccuracy = 0.0, cacheMiB: Double?
    for _ in 0..<max(1, repeats) {
        if dmnError == nil {
            do {
                var rng = SeededRandom(seed: 1, stream: "init")
                var net: Sequential?
                let b = try elapsed {
                    let subset = train.stratifiedSubset(fraction: tfrac, seed: 1)
                    let built = try buildFeatureLayers(arch: arch, data: subset, preprocessing: .scale01, filters: .dmn,
                                                       options: o, seed: 1, threads: threads)
                    net = arch.network(features: built.layers, rng: &rng)
                }
                let trainer = Trainer(network: net!, config: c, preprocessing: .scale01, threads: threads)
                var history: [EpochStats] = []
                let t = try elapsed { history = try trainer.fit(train: train, test: nil) }
                build.append(b); feats.append(trainer.featureSeconds); dmnTrain.append(t); dmnTotal.append(b + t)
                dmnAccuracy = history.last?.trainAccuracy
                cacheMiB = Double(trainer.featureCacheBytes) / Double(1 << 20)
            } catch {
                dmnError = "\(error)"
            }
        }
        var rng = SeededRandom(seed: 1, stream: "init")
        let net = arch.network(features: arch.randomFeatureLayers(rng: &rng), rng: &rng)
        let trainer = Trainer(network: net, config: c, preprocessing: .scale01, threads: threads)
        var history: [EpochStats] = []
        conv.append(try elapsed { history = try trainer.fit(train: train, test: nil) })
        convAccuracy = history.last?.trainAccuracy ?? .nan
    }
    let total = dmnTotal.isEmpty ? nil : median(dmnTotal)
    return EndToEndResult(dataset: dataset.rawValue, config: config.map(String.init).joined(separator: ","),
                          images: train.count, epochs: epochs, tfrac: tfrac, threads: threads.workers,
                          dmnBuildSeconds: build.isEmpty ? nil : median(build),
                          dmnFeatureSeconds: feats.isEmpty ? nil : median(feats),
                          dmnTrainSeconds: dmnTrain.isEmpty ? nil : median(dmnTrain), dmnTotalSeconds: total,
                          dmnError: dmnError, dmnTrainAccuracy: dmnAccuracy, convnetSeconds: median(conv),
                          convnetTrainAccuracy: convAccuracy, speedup: total.map { median(conv) / $0 },
                          featureCacheMiB: cacheMiB)
}

/// Peak resident memory of this process so far, in MiB.
public func peakResidentMiB() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024  // kilobytes on Linux
}
