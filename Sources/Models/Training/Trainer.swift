import Datasets
import Foundation
import Numerics

public struct TrainingConfig: Sendable {
    public var optimizer: OptimizerKind = .adam
    public var learningRate = 0.001
    public var momentum = 0.9
    public var batchSize = 64
    public var epochs = 3
    public var seed: UInt64 = 1
    /// Test-set evaluation batch: large for throughput, bounded for memory.
    public var evaluationBatch = 500
    public init() {}
}

public struct EpochStats: Sendable, Equatable {
    public var epoch: Int
    public var loss: Double
    public var trainAccuracy: Double
    public var testAccuracy: Double
    public var seconds: Double
}

/// What the step hook sees after every optimiser step.
public struct StepInfo {
    public let step: Int          // 1-based, counted over all epochs
    public let imagesSeen: Int
    public let epoch: Int
    public let network: Sequential
}

public struct TrainingError: Error, CustomStringConvertible {
    public let description: String
}

/// Mini-batch training of a `Sequential` on an `ImageDataset`: seeded shuffle per epoch,
/// floats made per batch from the UInt8 images, test accuracy after every epoch.
public final class Trainer {
    public let network: Sequential
    public let config: TrainingConfig
    public let preprocessing: Preprocessing
    public let optimizer: Optimizer
    /// Called after every optimiser step (the Fig. 1 convergence recorder hangs here).
    public var onStep: ((StepInfo) -> Void)?
    /// Called after every epoch, with the fraction of training done.
    public var onEpoch: ((EpochStats) -> Void)?
    /// Called every few batches with (epoch, fraction of that epoch done).
    public var onBatch: ((Int, Double) -> Void)?

    private let input = Scratch<Float>()
    private let labels = Scratch<Int32>()

    public init(network: Sequential, config: TrainingConfig, preprocessing: Preprocessing) {
        self.network = network
        self.config = config
        self.preprocessing = preprocessing
        self.optimizer = makeOptimizer(config.optimizer, learningRate: config.learningRate, momentum: config.momentum)
    }

    public func fit(train: ImageDataset, test: ImageDataset?) throws -> [EpochStats] {
        precondition(train.imageSize == network.inputShape.count, "dataset images do not match the network input")
        var history: [EpochStats] = []
        var order = Array(0..<train.count)
        let params = network.trainableParameters
        var step = 0
        var seen = 0
        for epoch in 1...max(1, config.epochs) {
            let start = DispatchTime.now().uptimeNanoseconds
            var rng = SeededRandom(seed: config.seed, stream: "shuffle-epoch-\(epoch)")
            rng.shuffle(&order)
            var lossSum = 0.0, correct = 0
            var b = 0
            while b < order.count {
                let n = min(config.batchSize, order.count - b)
                let batch = order[b..<(b + n)]
                let (x, y) = fill(train, batch)
                for p in params { p.zeroGrad() }
                let r = network.lossAndGradients(x, labels: y, batch: n)
                guard r.loss.isFinite else {
                    throw TrainingError(description: "loss became \(r.loss) at epoch \(epoch), step \(step + 1): lower the learning rate")
                }
                optimizer.step(params)
                lossSum += r.loss
                correct += r.correct
                step += 1
                seen += n
                b += n
                onStep?(StepInfo(step: step, imagesSeen: seen, epoch: epoch, network: network))
                if step % 50 == 0 { onBatch?(epoch, Double(b) / Double(order.count)) }
            }
            let testAccuracy = test.map { evaluate($0).accuracy } ?? .nan
            let stats = EpochStats(epoch: epoch, loss: lossSum / Double(train.count),
                                   trainAccuracy: Double(correct) / Double(train.count), testAccuracy: testAccuracy,
                                   seconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            history.append(stats)
            onEpoch?(stats)
        }
        return history
    }

    /// Accuracy and mean loss over a whole dataset, in large batches.
    public func evaluate(_ data: ImageDataset) -> (accuracy: Double, loss: Double) {
        var lossSum = 0.0, correct = 0
        var b = 0
        while b < data.count {
            let n = min(config.evaluationBatch, data.count - b)
            let (x, y) = fill(data, b..<(b + n))
            let logits = network.forward(x, batch: n)
            let r = softmaxCrossEntropy(logits, labels: y, batch: n, classes: network.classes, dlogits: nil)
            lossSum += r.loss
            correct += r.correct
            b += n
        }
        return (Double(correct) / Double(max(1, data.count)), lossSum / Double(max(1, data.count)))
    }

    private func fill<C: Collection>(_ data: ImageDataset, _ idx: C) -> (UnsafePointer<Float>, UnsafePointer<Int32>) where C.Element == Int {
        let x = input.ensure(idx.count * data.imageSize)
        data.fillBatch(indices: idx, preprocessing: preprocessing, into: x)
        let y = labels.ensure(idx.count)
        for (i, j) in idx.enumerated() { y[i] = data.labels[j] }
        return (UnsafePointer(x), UnsafePointer(y))
    }
}
