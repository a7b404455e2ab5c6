import Datasets
import Foundation
import Numerics

/// How a network is trained: the spec's `training` section (optimizer … epochs), plus the
/// seed and execution settings the run sets. Defaults are the spec's defaults.
public struct TrainingConfig: Sendable, Hashable {
    public var optimizer: OptimizerKind = .adam
    public var learningRate = 0.001
    /// SGD's momentum (Adam's β1 is fixed at 0.9).
    public var momentum = 0.9
    public var batchSize = 64
    public var epochs = 3
    /// A fixed number of SGD steps instead of `epochs` whole passes: the passes go on (each
    /// reshuffled as usual) until `steps` steps are done, the last one cut short, and the test
    /// accuracy is taken `epochs` times at equal step intervals (`TrainingSchedule`); nil
    /// trains `epochs` whole passes.
    public var steps: Int? = nil
    /// How the conv and hidden dense layers that SGD trains start (the softmax is always
    /// Glorot-uniform).
    public var initialization: WeightInitialization = .he
    /// The softmax cross-entropy: from the logits, or clipped as Keras's on softmax outputs.
    public var loss: ClassificationLoss = .logits
    /// Batch normalisation after each conv layer, before its ReLU (Keras's Conv2D →
    /// BatchNormalization → ReLU), for every model with conv layers; γ and β train with the
    /// rest, also in a DMN whose filters stay frozen (`BatchNorm`).
    public var batchNorm = false
    /// The running averages' momentum when `batchNorm` (Keras's 0.99); ε is Keras's 1e-3.
    public var batchNormMomentum = 0.99
    /// The BN constants when `batchNorm`, nil otherwise: what the network builders take.
    public var batchNormSettings: BatchNormSettings? { batchNorm ? BatchNormSettings(momentum: batchNormMomentum) : nil }
    /// Drives the per-epoch shuffle; a run sets it to its own seed.
    public var seed: UInt64 = 1
    /// Test-set evaluation batch: large for throughput, bounded for memory.
    public var evaluationBatch = 500
    /// Each batch is split into this many equal shards whose gradients are summed (data
    /// parallelism). Fixed, not tied to the thread count, so that results do not depend on
    /// how many cores ran them. Batch normalisation normalises each shard with its own
    /// statistics (and updates its running averages from the whole batch's), so with BN the
    /// shard count is part of the model, as the device count is for Keras without sync BN.
    var gradientShards = 2
    public init() {}
}

/// One epoch of one run: what training records after each epoch, what run files keep (the
/// outcome's `history`) and history.csv lays out, and what the report reads back from it
/// (`Report`'s `EpochStats.histories`).
/// When training stops and when the test accuracy is taken. A checkpoint ends a block of
/// steps that is one history row: with whole passes (`steps` nil) every pass is a block, so
/// the blocks are the epochs; with fixed steps, block k ends after ⌊k·steps/epochs⌋ steps
/// (the last after exactly `steps`), wherever that falls in a pass.
struct TrainingSchedule: Equatable, Sendable {
    /// Total SGD steps.
    var steps: Int
    /// The step counts (1-based, increasing, the last = `steps`) after which a history row is taken.
    var checkpoints: [Int]

    init(steps: Int, checkpoints: [Int]) { self.steps = steps; self.checkpoints = checkpoints }

    /// The schedule of `config` on `trainCount` images: a pass is ⌈trainCount/batchSize⌉ steps
    /// (the last batch of a pass holds the remainder).
    init(_ config: TrainingConfig, trainCount: Int) {
        let blocks = max(1, config.epochs)
        if let fixed = config.steps {
            let total = max(1, fixed)
            // Fewer steps than blocks would give empty blocks: one row per step then.
            let rows = min(blocks, total)
            steps = total
            checkpoints = (1...rows).map { k in k * total / rows }
        } else {
            let perPass = max(1, (trainCount + max(1, config.batchSize) - 1) / max(1, config.batchSize))
            steps = blocks * perPass
            checkpoints = (1...blocks).map { $0 * perPass }
        }
    }
}

public struct EpochStats: Codable, Hashable, Sendable {
    /// 1-based.
    public var epoch: Int
    /// Mean training loss over the epoch; NaN when a table read back does not have it.
    public var loss: Double
    public var trainAccuracy: Double
    /// Accuracy on the test images after this epoch (0…1).
    public var testAccuracy: Double
    /// Wall seconds the epoch took (training and evaluating); NaN when a table read back does
    /// not have it.
    public var seconds: Double
    /// Accuracy on the held-out validation images after this epoch; nil without a validation
    /// split (and in run files written before it existed, which still decode).
    public var validationAccuracy: Double?
    public init(epoch: Int, loss: Double, trainAccuracy: Double, testAccuracy: Double, seconds: Double,
                validationAccuracy: Double? = nil) {
        self.epoch = epoch; self.loss = loss; self.trainAccuracy = trainAccuracy
        self.testAccuracy = testAccuracy; self.seconds = seconds; self.validationAccuracy = validationAccuracy
    }
}

/// What the step hook sees after every optimiser step.
public struct StepInfo {
    public let step: Int          // 1-based, counted over all epochs
    public let imagesSeen: Int
    let epoch: Int
    public let network: Sequential
}

struct TrainingError: Error, CustomStringConvertible {
    let description: String
}

/// Mini-batch training of a `Sequential` on an `ImageDataset`: seeded shuffle per epoch,
/// floats made per batch from the UInt8 images, test accuracy after every epoch. When the
/// network starts with frozen layers (DMN, PCA, random features), their outputs are computed
/// once per dataset and the trainable layers train on those (`FeatureCache`), within
/// `featureCacheBudget`.
public final class Trainer {
    let network: Sequential
    let config: TrainingConfig
    let preprocessing: Preprocessing
    let optimizer: Optimizer
    /// How many threads work the gradient shards. The trainer never changes OpenBLAS's
    /// (process-wide) thread count: the layout already says 1 whenever it has several workers.
    let threads: ThreadLayout
    /// Called after every optimiser step (the Fig. 1 convergence recorder hangs here).
    public var onStep: ((StepInfo) -> Void)?
    /// Called after every epoch.
    public var onEpoch: ((EpochStats) -> Void)?
    /// Called every 50 steps with (epoch, fraction of that epoch done).
    public var onBatch: ((Int, Double) -> Void)?

    /// One data-parallel worker: a network (the trained one, or a replica sharing its weight
    /// values) and its own batch buffers.
    final class Worker {
        let network: Sequential
        let parameters: [Parameter]
        let input = Scratch<Float>()
        let labels = Scratch<Int32>()
        var result: (loss: Double, correct: Int) = (0, 0)
        init(_ network: Sequential) { self.network = network; parameters = network.trainableParameters }
    }
    private let workers: [Worker]
    /// Memory for the frozen layers' cached outputs (`FeatureCache`); 0 recomputes them at
    /// every step. Caching gives bit-identical results, so this is a speed/memory knob only
    /// (an execution setting, not part of what a run is).
    let featureCacheBudget: Int
    private var caches: [FeatureCache] = []
    /// Seconds spent computing cached features so far (part of `fit`/`evaluate` time).
    public private(set) var featureSeconds = 0.0
    /// Bytes of cached features held.
    public var featureCacheBytes: Int { caches.reduce(0) { $0 + $1.bytes } }

    /// `threads` is the run's layout (`repro run` plans it from the cores, OPENBLAS_NUM_THREADS
    /// and `--jobs`); it never changes the result (the shard count does not depend on it).
    public init(network: Sequential, config: TrainingConfig, preprocessing: Preprocessing, threads: ThreadLayout = .serial,
                featureCacheBudget: Int = FeatureCacheBudget.defaultBytes) {
        network.loss = config.loss
        self.network = network
        self.threads = threads
        self.featureCacheBudget = featureCacheBudget
        self.config = config
        self.preprocessing = preprocessing
        self.optimizer = makeOptimizer(config.optimizer, learningRate: config.learningRate, momentum: config.momentum)
        let shards = max(1, config.gradientShards)
        workers = [Worker(network)] + (1..<shards).map { _ in Worker(network.dataParallelWorker()) }
    }

    /// Runs `body` for every worker, on up to `threads.workers` threads.
    private func parallel(_ count: Int, _ body: (Int) -> Void) {
        if threads.workers > 1 && count > 1 {
            // GCD's pool threads were not started by this thread, so they need not have inherited it.
            DispatchQueue.concurrentPerform(iterations: count) { i in FloatEnvironment.withSubnormalsFlushed { body(i) } }
        } else {
            for i in 0..<count { body(i) }
        }
    }

    /// Splits n items into the workers' contiguous shards.
    private func shards(_ n: Int) -> [Range<Int>] {
        let k = min(workers.count, n)
        return (0..<k).map { i in (i * n / k)..<((i + 1) * n / k) }
    }

    /// The cached frozen-layer outputs of `data`, computed now if the network has frozen
    /// leading layers and they fit in what is left of the budget; nil means recompute.
    private func features(_ data: ImageDataset) -> FeatureCache? {
        let prefix = network.frozenPrefix
        // A layer unfrozen since (or frozen anew) makes the cached values the wrong layer's.
        caches.removeAll { $0.prefix != prefix }
        if let c = caches.first(where: { $0.holds(data) }) { return c }
        guard prefix > 0, prefix < network.layers.count, data.count > 0 else { return nil }
        let size = network.layers[prefix - 1].outputShape.count
        guard (featureCacheBytes + data.count * size * MemoryLayout<Float>.size) <= featureCacheBudget else { return nil }
        let start = DispatchTime.now().uptimeNanoseconds
        let cache = FeatureCache(dataset: data, prefix: prefix, featureSize: size)
        var b = 0
        while b < data.count {
            let n = min(config.evaluationBatch, data.count - b)
            let parts = shards(n)
            parallel(parts.count) { i in
                let w = workers[i]
                let (x, _) = fill(data, (b + parts[i].lowerBound)..<(b + parts[i].upperBound), w)
                let h = w.network.forward(x, batch: parts[i].count, layers: 0..<prefix)
                (cache.values + (b + parts[i].lowerBound) * size).update(from: h, count: parts[i].count * size)
            }
            b += n
        }
        caches.append(cache)
        featureSeconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return cache
    }

    /// Trains for `config.epochs` epochs, or `config.steps` steps (`TrainingSchedule`); at each
    /// checkpoint, accuracy on `test` and on `validation` (when given) goes into that block's
    /// stats (its loss and train accuracy are the running ones over the block's batches).
    public func fit(train: ImageDataset, test: ImageDataset?, validation: ImageDataset? = nil) throws -> [EpochStats] {
        precondition(train.imageSize == network.inputShape.count, "dataset images do not match the network input")
        // The workers must train from the same layer as `network`: `lossAndGradients` checks it.
        for w in workers.dropFirst() { network.copyTrainability(to: w.network) }
        let cached = features(train)
        if let test { _ = features(test) }
        let start0 = cached?.prefix ?? 0
        let hasBatchNorm = network.hasBatchNorm
        // Fixed steps would otherwise pass over an empty set for ever.
        guard train.count > 0 else { throw TrainingError(description: "no training images to train on") }
        let schedule = TrainingSchedule(config, trainCount: train.count)
        var history: [EpochStats] = []
        var order = Array(0..<train.count)
        var step = 0
        var seen = 0
        // The current block: its start time, running loss, correct count and images.
        var blockStart = DispatchTime.now().uptimeNanoseconds
        var lossSum = 0.0, correct = 0, blockImages = 0
        var pass = 0
        while step < schedule.steps {
            pass += 1
            var rng = SeededRandom(seed: config.seed, stream: "shuffle-epoch-\(pass)")
            rng.shuffle(&order)
            var b = 0
            while b < order.count && step < schedule.steps {
                let n = min(config.batchSize, order.count - b)
                let parts = shards(n)
                order.withUnsafeBufferPointer { o in
                    parallel(parts.count) { i in
                        let w = workers[i]
                        let idx = o[(b + parts[i].lowerBound)..<(b + parts[i].upperBound)]
                        let (x, y) = cached.map { fill($0, UnsafeBufferPointer(rebasing: idx), w) } ?? fill(train, idx, w)
                        for p in w.parameters { p.zeroGrad() }
                        w.result = w.network.lossAndGradients(x, labels: y, batch: idx.count, from: start0)
                    }
                }
                let batchLoss = parts.indices.reduce(0.0) { $0 + workers[$1].result.loss }
                guard batchLoss.isFinite else {
                    throw TrainingError(description: "loss became \(batchLoss) at epoch \(pass), step \(step + 1): lower the learning rate")
                }
                // Each shard's gradient is its own mean; weight by its share of the batch. Worker 0
                // trains `network` itself, so its parameters are the ones stepped.
                optimizer.step(parts.indices.map { workers[$0].parameters }, shares: parts.map { Float($0.count) / Float(n) })
                // BN's running averages move once per step, from the whole batch's moments.
                if hasBatchNorm { network.updateBatchNormStatistics(shards: parts.indices.map { workers[$0].network }) }
                lossSum += batchLoss
                correct += parts.indices.reduce(0) { $0 + workers[$1].result.correct }
                step += 1
                seen += n
                blockImages += n
                b += n
                onStep?(StepInfo(step: step, imagesSeen: seen, epoch: pass, network: network))
                if step % 50 == 0 { onBatch?(pass, Double(b) / Double(order.count)) }
                if step == schedule.checkpoints[history.count] {
                    let testAccuracy = test.map { evaluate($0).accuracy } ?? .nan
                    let validationAccuracy = validation.map { evaluate($0).accuracy }
                    let stats = EpochStats(epoch: history.count + 1, loss: lossSum / Double(blockImages),
                                           trainAccuracy: Double(correct) / Double(blockImages), testAccuracy: testAccuracy,
                                           seconds: Double(DispatchTime.now().uptimeNanoseconds - blockStart) / 1e9,
                                           validationAccuracy: validationAccuracy)
                    history.append(stats)
                    onEpoch?(stats)
                    blockStart = DispatchTime.now().uptimeNanoseconds
                    lossSum = 0; correct = 0; blockImages = 0
                }
            }
        }
        return history
    }

    /// Accuracy and mean loss over a whole dataset, in large batches split across the workers.
    public func evaluate(_ data: ImageDataset) -> (accuracy: Double, loss: Double) {
        let cached = features(data)
        let start0 = cached?.prefix ?? 0
        var lossSum = 0.0, correct = 0
        var b = 0
        while b < data.count {
            let n = min(config.evaluationBatch, data.count - b)
            let parts = shards(n)
            parallel(parts.count) { i in
                let w = workers[i]
                let idx = (b + parts[i].lowerBound)..<(b + parts[i].upperBound)
                // Cached rows in order are read where they are, not copied.
                let (x, y) = cached.map { (UnsafePointer($0.values + idx.lowerBound * $0.featureSize), labels(data, idx, w)) }
                    ?? fill(data, idx, w)
                let logits = w.network.forward(x, batch: parts[i].count, from: start0)
                w.result = softmaxCrossEntropy(logits, labels: y, batch: parts[i].count, classes: network.classes, dlogits: nil,
                                               probabilityClip: network.loss.probabilityClip)
            }
            for i in parts.indices { lossSum += workers[i].result.loss; correct += workers[i].result.correct }
            b += n
        }
        return (Double(correct) / Double(max(1, data.count)), lossSum / Double(max(1, data.count)))
    }

    private func fill<C: Collection>(_ data: ImageDataset, _ idx: C, _ w: Worker) -> (UnsafePointer<Float>, UnsafePointer<Int32>) where C.Element == Int {
        let x = w.input.ensure(idx.count * data.imageSize)
        data.fillBatch(indices: idx, preprocessing: preprocessing, into: x)
        return (UnsafePointer(x), labels(data, idx, w))
    }

    private func fill(_ cache: FeatureCache, _ idx: UnsafeBufferPointer<Int>, _ w: Worker) -> (UnsafePointer<Float>, UnsafePointer<Int32>) {
        let x = w.input.ensure(idx.count * cache.featureSize)
        cache.gather(idx, into: x)
        return (UnsafePointer(x), labels(cache.dataset, idx, w))
    }

    private func labels<C: Collection>(_ data: ImageDataset, _ idx: C, _ w: Worker) -> UnsafePointer<Int32> where C.Element == Int {
        let y = w.labels.ensure(idx.count)
        for (i, j) in idx.enumerated() { y[i] = data.labels[j] }
        return UnsafePointer(y)
    }
}
