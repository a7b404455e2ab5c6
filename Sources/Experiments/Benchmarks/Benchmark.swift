import Datasets
import Foundation
import Models
import Numerics

/// Throughput of SGD training and inference for one ConvNet config, measured the way the
/// peer benchmark (benchmarks/peer_keras.py) measures Keras: a warm-up epoch excluded, then
/// `repeats` timed epochs over the same images, median reported.
public struct ThroughputResult: Codable, Sendable {
    public var tool = "repro"
    public var config: String
    public var input: String
    public var batch: Int
    public var images: Int
    public var threads: Int
    var blasCore = OpenBLASCore.current
    public var trainImagesPerSecond: Double
    public var inferImagesPerSecond: Double

    enum CodingKeys: String, CodingKey {
        case tool, config, input, batch, images, threads
        case blasCore = "blas_core"
        case trainImagesPerSecond = "train_images_per_s", inferImagesPerSecond = "infer_images_per_s"
    }
}

public struct DMNBuildResult: Codable, Sendable {
    public var tool = "repro"
    public var task = "dmn-build-layer1"
    public var dataset: String
    public var tfrac: Double
    public var images: Int
    public var seconds: Double
    public var filters: Int
    public var threads: Int
    /// For per-layer builds of a stacked config: which config ("4,15") and layer (1-based).
    public var config: String?
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
public func measureThroughput(config: [Int], data: ImageDataset, images: Int, repeats: Int,
                              batch: Int = 64, algorithm: ConvBlockAlgorithm? = nil) throws -> ThroughputResult {
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
    let trainer = Trainer(network: net, config: c, preprocessing: .scale01)
    _ = try trainer.fit(train: train, test: nil)  // warm-up
    var trainTimes: [Double] = [], inferTimes: [Double] = []
    for _ in 0..<max(1, repeats) {
        trainTimes.append(try elapsed { _ = try trainer.fit(train: train, test: nil) })
    }
    _ = trainer.evaluate(train)
    for _ in 0..<max(1, repeats) { inferTimes.append(elapsed { _ = trainer.evaluate(train) }) }
    return ThroughputResult(config: config.map(String.init).joined(separator: ","),
                            input: "\(data.height)x\(data.width)x\(data.channels)", batch: batch, images: train.count,
                            threads: trainer.threads, trainImagesPerSecond: Double(train.count) / median(trainTimes),
                            inferImagesPerSecond: Double(train.count) / median(inferTimes))
}

/// Layer-1 DMN build as the numpy peer does it: a stratified T_frac subset, density matrices
/// of all 3×3 patches per class, eigen-solves, T_v = 0.98 cut, round-robin merge at T_PC 0.9.
public func measureDMNBuild(data: ImageDataset, tfrac: Double, repeats: Int) throws -> DMNBuildResult {
    let subset = data.stratifiedSubset(fraction: tfrac, seed: 0)
    let arch = try Architecture(input: Shape3(data.height, data.width, data.channels), classes: data.numClasses,
                                convFilters: [1])
    var o = DMNOptions()
    o.tfrac = tfrac; o.tv = [0.98]; o.tpc = 0.9; o.filterCount = .thresholds
    var filters = 0
    var times: [Double] = []
    for _ in 0..<max(1, repeats) {
        times.append(try elapsed {
            let built = try buildFeatureLayers(arch: arch, data: subset, preprocessing: .scale01, filters: .dmn, options: o, seed: 0)
            filters = built.reports[0].filters
        })
    }
    return DMNBuildResult(dataset: "", tfrac: tfrac, images: subset.count, seconds: median(times), filters: filters,
                          threads: BLAS.threads)
}

/// Each layer's build time when a whole stacked DMN is built (the paper's fixed filter counts,
/// T_v 0.98 / 0.99, T_PC 0.9): layer l's patches come from layers 1…l−1's outputs, so its
/// time includes propagating the subset through them. Median of `repeats` per layer.
public func measureDMNBuildPerLayer(config: [Int], data: ImageDataset, tfrac: Double,
                                    repeats: Int) throws -> [DMNBuildResult] {
    let subset = data.stratifiedSubset(fraction: tfrac, seed: 0)
    let arch = try Architecture(input: Shape3(data.height, data.width, data.channels), classes: data.numClasses,
                                convFilters: config)
    var o = DMNOptions()
    o.tfrac = tfrac; o.tv = config.indices.map { $0 == 0 ? 0.98 : 0.99 }; o.tpc = 0.9; o.filterCount = .fixed
    var times = [[Double]](repeating: [], count: config.count)
    var filters = [Int](repeating: 0, count: config.count)
    for _ in 0..<max(1, repeats) {
        let built = try buildFeatureLayers(arch: arch, data: subset, preprocessing: .scale01, filters: .dmn, options: o, seed: 0)
        for r in built.reports { times[r.layer - 1].append(r.seconds); filters[r.layer - 1] = r.filters }
    }
    let name = config.map(String.init).joined(separator: ",")
    return config.indices.map { l in
        DMNBuildResult(task: "dmn-build-\(name)-layer\(l + 1)", dataset: "", tfrac: tfrac, images: subset.count,
                       seconds: median(times[l]), filters: filters[l], threads: BLAS.threads, config: name, layer: l + 1)
    }
}

/// Peak resident memory of this process so far, in MiB.
public func peakResidentMiB() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024  // kilobytes on Linux
}
