import Numerics

/// How the softmax cross-entropy is computed (spec key `training.loss`).
public enum ClassificationLoss: String, CaseIterable, Sendable {
    /// From the logits, by log-sum-exp: every sample keeps a gradient.
    case logits
    /// Keras's `categorical_crossentropy` on softmax outputs (the authors' code): the label's
    /// probability clipped to [1e-7, 1 − 1e-7], so a sample whose probability falls outside
    /// contributes a constant loss and no gradient.
    case kerasClipped = "keras-clipped"

    /// The clip ε of `softmaxCrossEntropy`; 0 = none. Keras's `backend.epsilon()` is 1e-7.
    var probabilityClip: Float { self == .kerasClipped ? 1e-7 : 0 }
}

/// A stack of layers ending in logits, trained with softmax cross-entropy.
public final class Sequential {
    public let layers: [Layer]
    /// The loss `lossAndGradients` trains with; replicas and workers take it along.
    var loss: ClassificationLoss = .logits
    let inputShape: Shape3
    var classes: Int { layers.last!.outputShape.count }
    private let dLogits = Scratch<Float>()

    init(_ layers: [Layer]) {
        precondition(!layers.isEmpty, "a network needs at least one layer")
        for (a, b) in zip(layers, layers.dropFirst()) {
            precondition(a.outputShape.count == b.inputShape.count,
                         "\(a.name) outputs \(a.outputShape) but \(b.name) expects \(b.inputShape)")
        }
        self.layers = layers
        self.inputShape = layers[0].inputShape
    }

    var trainableParameters: [Parameter] { layers.filter(\.trainable).flatMap(\.parameters) }

    /// A copy with its own buffers and parameters.
    func replica() -> Sequential {
        let copy = Sequential(layers.map { $0.replica() })
        copy.loss = loss
        return copy
    }

    /// A copy for a data-parallel worker: its own buffers and gradients, this network's weight
    /// values (shared, not copied: the worker always computes with the current weights).
    func dataParallelWorker() -> Sequential {
        let worker = replica()
        for (mine, theirs) in zip(layers, worker.layers) {
            for (p, q) in zip(mine.parameters, theirs.parameters) { q.shareValues(with: p) }
            if let a = mine as? BatchNorm, let b = theirs as? BatchNorm { b.shareRunningStatistics(with: a) }
        }
        return worker
    }

    /// Makes a data-parallel worker freeze the same layers as this network, which may have
    /// changed since the worker was made (a layer frozen or unfrozen between two `fit`s).
    func copyTrainability(to worker: Sequential) {
        for (mine, theirs) in zip(layers, worker.layers) { theirs.trainable = mine.trainable }
    }

    /// Whether any layer is a `BatchNorm` (whose running averages the trainer updates).
    var hasBatchNorm: Bool { layers.contains { $0 is BatchNorm } }

    /// After an optimiser step: folds the batch moments that each `BatchNorm` of `shards` (this
    /// network and its data-parallel workers that took part in the step, in shard order)
    /// measured into their shared running averages, once per layer.
    func updateBatchNormStatistics(shards: [Sequential]) {
        for (i, layer) in layers.enumerated() {
            guard let bn = layer as? BatchNorm else { continue }
            bn.updateRunningStatistics(shards: shards.map { $0.layers[i] as! BatchNorm })
        }
    }

    /// How many leading layers receive no gradient: the layers below the lowest trainable
    /// layer with parameters. Their output is a fixed function of the input image, which is
    /// what lets `Trainer` compute it once per run (`FeatureCache`).
    var frozenPrefix: Int {
        layers.firstIndex(where: { $0.trainable && !$0.parameters.isEmpty }) ?? layers.count
    }

    /// Output of `layers[range]` for a batch whose input is that of `range.lowerBound`; the
    /// pointer is the last layer's buffer (the input itself for an empty range).
    func forward(_ x: UnsafePointer<Float>, batch: Int, layers range: Range<Int>) -> UnsafeMutablePointer<Float> {
        var h = x
        for i in range { h = UnsafePointer(layers[i].forward(h, batch: batch)) }
        return UnsafeMutablePointer(mutating: h)
    }

    /// Logits for a batch whose `x` is the input of layer `start` (0: the image); the pointer
    /// is the last layer's buffer.
    func forward(_ x: UnsafePointer<Float>, batch: Int, from start: Int = 0) -> UnsafeMutablePointer<Float> {
        precondition(start < layers.count, "forward from layer \(start) of \(layers.count)")
        return forward(x, batch: batch, layers: start..<layers.count)
    }

    /// Forward, loss and backward for one batch; gradients accumulate into the trainable
    /// parameters (zero them first). Returns summed loss and number correct. `x` is the input
    /// of layer `start`, which may be at most `frozenPrefix` (the layers below get no gradient).
    @discardableResult
    func lossAndGradients(_ x: UnsafePointer<Float>, labels: UnsafePointer<Int32>, batch: Int,
                                 from start: Int = 0) -> (loss: Double, correct: Int) {
        precondition(start <= frozenPrefix, "layer \(start) and below would need gradients")
        // Batch normalisation uses the batch's statistics during a training step only.
        let norms = layers.compactMap { $0 as? BatchNorm }
        for bn in norms { bn.training = true }
        defer { for bn in norms { bn.training = false } }
        let logits = forward(x, batch: batch, from: start)
        let d = dLogits.ensure(batch * classes)
        let result = softmaxCrossEntropy(logits, labels: labels, batch: batch, classes: classes, dlogits: d,
                                         probabilityClip: loss.probabilityClip)
        // Below the lowest trainable layer no gradient is needed at all.
        guard let lowest = layers.firstIndex(where: { $0.trainable && !$0.parameters.isEmpty }) else { return result }
        var g = UnsafePointer(d)
        for i in stride(from: layers.count - 1, through: lowest, by: -1) {
            guard let dx = layers[i].backward(g, batch: batch, needInputGrad: i > lowest) else { break }
            g = UnsafePointer(dx)
        }
        return result
    }

    /// Flat copies of each weight-carrying layer's weight matrix (biases excluded), for the
    /// Fig. 1 convergence recorder.
    func weightSnapshots() -> [[Float]] {
        layers.compactMap { ($0 as? WeightLayer)?.weights.value }
    }
}
