import ArgumentParser
import Datasets
import Experiments
import Foundation
import Models
import Numerics

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure training and inference throughput and the DMN layer build time.",
        discussion: """
        For each ConvNet config and input: SGD training images/s (batch 64, lr 0.01, momentum \
        0.9) over the first --images training images, one warm-up epoch excluded, median of \
        --repeats epochs; inference images/s (batches of 1000) likewise. 28x28x1 is Fashion-MNIST, \
        32x32x3 is CIFAR-10 (from the data folder). Then the layer-1 DMN build on Fashion-MNIST \
        (T_frac 0.3, T_v 0.98, T_PC 0.9), median of 5; the time of each layer of a two-layer \
        "4,15" DMN (fixed filter counts, T_v 0.98 / 0.99), median of 5; then, per dataset of \
        --e2e-datasets and config, a DMN run end to end (build on the fig3 T_frac subset + \
        frozen features computed once + softmax training) against the ConvNet of the same \
        shape (training), both with Adam lr 0.001, batch 64, --e2e-epochs epochs on the same \
        --e2e-images images, median of --e2e-repeats alternating runs; and the peak resident \
        memory.
        Build in release for numbers that mean anything: swift build -c release.
        benchmarks/compare.sh runs this and the Keras/numpy peers and prints the ratios.

        Examples:
          repro bench
          repro bench --configs 4 --inputs 28x28x1 --images 6400 --repeats 1
          OPENBLAS_NUM_THREADS=1 repro bench --json
          repro bench --skip-throughput --skip-dmn --e2e-datasets "mnist cifar10 cifar100" --e2e-images 0
        """)

    @Option(name: .customLong("data-dir"), help: ArgumentHelp("Folder holding the datasets.", valueName: "dir"))
    var dataDir: String?

    @Option(help: ArgumentHelp("ConvNet configs, space- or ';'-separated (\"4,15\" is two layers).", valueName: "configs"))
    var configs: String = "4;4,15;16,32"

    @Option(help: ArgumentHelp("Inputs: 28x28x1 (Fashion-MNIST), 32x32x3 (CIFAR-10).", valueName: "inputs"))
    var inputs: String = "28x28x1;32x32x3"

    @Option(help: "Training images per epoch.")
    var images: Int = 12_800

    @Option(help: "Timed epochs (the median is reported).")
    var repeats: Int = 3

    @Flag(help: "Print one JSON object per line (for benchmarks/ratios.py) instead of a table.")
    var json = false

    @Option(name: .customLong("conv-algorithm"),
            help: ArgumentHelp("ConvBlock forward algorithm for every layer: auto is each layer's preferred (direct on wide maps or small layers, gemm on the deeper layers' narrow maps).",
                               valueName: "algorithm"))
    var convAlgorithm: ConvAlgorithmChoice = .auto

    @Flag(name: .customLong("skip-dmn"), help: "Skip the DMN build measurement.")
    var skipDMN = false

    @Flag(name: .customLong("skip-throughput"), help: "Skip the training/inference throughput measurement.")
    var skipThroughput = false

    @Option(name: .customLong("e2e-datasets"),
            help: ArgumentHelp("Datasets for the DMN vs ConvNet end-to-end comparison (fashion-mnist, mnist, cifar10, cifar100; empty to skip).",
                               valueName: "datasets"))
    var e2eDatasets: String = "fashion-mnist;cifar10"

    @Option(name: .customLong("e2e-images"), help: "Training images for the end-to-end comparison (default: --images; 0: the whole training split).")
    var e2eImages: Int?

    @Option(name: .customLong("e2e-epochs"), help: "Epochs of the end-to-end comparison (fig3 uses 3).")
    var e2eEpochs: Int = 3

    @Option(name: .customLong("e2e-repeats"), help: "Alternating DMN/ConvNet repeats of the end-to-end comparison (median reported).")
    var e2eRepeats: Int = 1

    func parsedE2EDatasets() throws -> [DatasetName] {
        try e2eDatasets.split(whereSeparator: { $0 == ";" || $0 == " " }).map {
            guard let d = DatasetName(rawValue: String($0)) else {
                throw ValidationError("--e2e-datasets: '\($0)' is not one of \(DatasetName.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return d
        }
    }

    func parsedConfigs() throws -> [[Int]] {
        try configs.split(whereSeparator: { $0 == ";" || $0 == " " }).map { c in
            let parts = c.split(separator: ",", omittingEmptySubsequences: false).map { Int($0) }
            guard !parts.isEmpty, parts.allSatisfy({ ($0 ?? 0) > 0 }) else {
                throw ValidationError("--configs: '\(c)' is not a list of positive filter counts like 4 or 4,15")
            }
            return parts.map { $0! }
        }
    }

    func validate() throws {
        _ = try parsedConfigs()
        for i in inputs.split(whereSeparator: { $0 == ";" || $0 == " " }) where i != "28x28x1" && i != "32x32x3" {
            throw ValidationError("--inputs: '\(i)' is not one of 28x28x1, 32x32x3")
        }
        guard images >= 64 else { throw ValidationError("--images must be at least 64") }
        guard repeats >= 1 else { throw ValidationError("--repeats must be at least 1") }
        _ = try parsedE2EDatasets()
        guard (e2eImages ?? 64) >= 0 else { throw ValidationError("--e2e-images must be 0 (all) or more") }
        guard e2eEpochs >= 1, e2eRepeats >= 1 else { throw ValidationError("--e2e-epochs and --e2e-repeats must be at least 1") }
    }

    func emit<T: Encodable>(_ value: T, _ line: String) {
        if json {
            let e = JSONEncoder()
            e.outputFormatting = [.sortedKeys]
            print(String(decoding: try! e.encode(value), as: UTF8.self))
        } else {
            print(line)
        }
        fflush(stdout)
    }

    func run() throws {
        let dir = DataDirectory.resolve(flag: dataDir)
        // The layout of one run of `repro run` (--jobs 1), set once as there.
        let planned = ThreadPlan.configure(jobs: 1)
        if let w = planned.warning { FileHandle.standardError.write(Data("warning: \(w)\n".utf8)) }
        let threads = planned.layout
        if !json { print("repro bench: \(threads), kernels \(OpenBLASCore.current), direct kernels \(VectorISA.best.name), \(ProcessInfo.processInfo.activeProcessorCount) cores") }
        let fashion = try loadDataset(.fashionMNIST, from: dir)
        for input in inputs.split(whereSeparator: { $0 == ";" || $0 == " " }) where !skipThroughput {
            let data = input == "28x28x1" ? fashion.train : try loadDataset(.cifar10, from: dir).train
            for config in try parsedConfigs() {
                let r = try measureThroughput(config: config, data: data, images: images, repeats: repeats,
                                              algorithm: convAlgorithm.algorithm, threads: threads)
                emit(r, String(format: "%-8@ %@  train %9.0f img/s   infer %9.0f img/s   (%d images, %d threads)",
                               r.config, r.input, r.trainImagesPerSecond, r.inferImagesPerSecond, r.images, r.threads))
            }
        }
        if !skipDMN {
            var r = try measureDMNBuild(data: fashion.train, tfrac: 0.3, repeats: 5, threads: threads)
            r.dataset = "fashion-mnist"
            emit(r, String(format: "DMN layer-1 build, Fashion-MNIST, T_frac 0.3 (%d images): %.4f s, %d filters",
                           r.images, r.seconds, r.filters))
            for var layer in try measureDMNBuildPerLayer(config: [4, 15], data: fashion.train, tfrac: 0.3, repeats: 5, threads: threads) {
                layer.dataset = "fashion-mnist"
                emit(layer, String(format: "DMN \"4,15\" build, layer %d (%d filters), Fashion-MNIST, T_frac 0.3: %.4f s",
                                   layer.layer ?? 0, layer.filters, layer.seconds))
            }
        }
        for name in try parsedE2EDatasets() {
            let data = name == .fashionMNIST ? fashion.train : try loadDataset(name, from: dir).train
            let n = e2eImages ?? images
            for config in try parsedConfigs() {
                let r = try measureEndToEnd(config: config, data: data, dataset: name, images: n == 0 ? nil : n,
                                            epochs: e2eEpochs, repeats: e2eRepeats, threads: threads)
                let dmn = r.dmnTotalSeconds.map {
                    String(format: "DMN %.2f s (build %.2f + features %.2f + softmax %.2f, cache %.0f MiB)", $0,
                           r.dmnBuildSeconds ?? 0, r.dmnFeatureSeconds ?? 0, (r.dmnTrainSeconds ?? 0) - (r.dmnFeatureSeconds ?? 0),
                           r.featureCacheMiB ?? 0)
                } ?? "DMN failed: \(r.dmnError ?? "?")"
                emit(r, String(format: "end to end %-13@ %-6@ %d images × %d epochs: %@ vs ConvNet %.2f s%@",
                               r.dataset, r.config, r.images, r.epochs, dmn, r.convnetSeconds,
                               r.speedup.map { String(format: " → %.1f× faster", $0) } ?? ""))
            }
        }
        struct Memory: Encodable { var tool = "repro"; var task = "peak-rss"; var mib: Double }
        let m = peakResidentMiB()
        emit(Memory(mib: m), String(format: "peak resident memory: %.0f MiB", m))
    }
}
