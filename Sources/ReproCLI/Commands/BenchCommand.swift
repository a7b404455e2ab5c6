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
        "4,15" DMN (fixed filter counts, T_v 0.98 / 0.99), median of 5; and the peak resident \
        memory.
        Build in release for numbers that mean anything: swift build -c release.
        benchmarks/compare.sh runs this and the Keras/numpy peers and prints the ratios.

        Examples:
          repro bench
          repro bench --configs 4 --inputs 28x28x1 --images 6400 --repeats 1
          OPENBLAS_NUM_THREADS=1 repro bench --json
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
            help: ArgumentHelp("ConvBlock algorithm for every layer: auto (each layer's preferred: direct for small patch × filters, gemm above), direct, gemm.",
                               valueName: "algorithm"))
    var convAlgorithm: String = "auto"

    @Flag(name: .customLong("skip-dmn"), help: "Skip the DMN build measurement.")
    var skipDMN = false

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
        guard convAlgorithm == "auto" || ConvBlockAlgorithm(rawValue: convAlgorithm) != nil else {
            throw ValidationError("--conv-algorithm: '\(convAlgorithm)' is not one of auto, direct, gemm")
        }
        guard images >= 64 else { throw ValidationError("--images must be at least 64") }
        guard repeats >= 1 else { throw ValidationError("--repeats must be at least 1") }
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
        if !json { print("repro bench: OpenBLAS threads \(BLAS.threads), kernels \(OpenBLASCore.current), \(ProcessInfo.processInfo.activeProcessorCount) cores") }
        let fashion = try loadDataset(.fashionMNIST, from: dir)
        for input in inputs.split(whereSeparator: { $0 == ";" || $0 == " " }) {
            let data = input == "28x28x1" ? fashion.train : try loadDataset(.cifar10, from: dir).train
            for config in try parsedConfigs() {
                let r = try measureThroughput(config: config, data: data, images: images, repeats: repeats,
                                              algorithm: ConvBlockAlgorithm(rawValue: convAlgorithm))
                emit(r, String(format: "%-8@ %@  train %9.0f img/s   infer %9.0f img/s   (%d images, %d threads)",
                               r.config, r.input, r.trainImagesPerSecond, r.inferImagesPerSecond, r.images, r.threads))
            }
        }
        if !skipDMN {
            var r = try measureDMNBuild(data: fashion.train, tfrac: 0.3, repeats: 5)
            r.dataset = "fashion-mnist"
            emit(r, String(format: "DMN layer-1 build, Fashion-MNIST, T_frac 0.3 (%d images): %.4f s, %d filters",
                           r.images, r.seconds, r.filters))
            for var layer in try measureDMNBuildPerLayer(config: [4, 15], data: fashion.train, tfrac: 0.3, repeats: 5) {
                layer.dataset = "fashion-mnist"
                emit(layer, String(format: "DMN \"4,15\" build, layer %d (%d filters), Fashion-MNIST, T_frac 0.3: %.4f s",
                                   layer.layer ?? 0, layer.filters, layer.seconds))
            }
        }
        struct Memory: Encodable { var tool = "repro"; var task = "peak-rss"; var mib: Double }
        let m = peakResidentMiB()
        emit(Memory(mib: m), String(format: "peak resident memory: %.0f MiB", m))
    }
}
