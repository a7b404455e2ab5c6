import Numerics

/// Batch normalisation's constants (spec keys `training.batchNorm`, `training.batchNormMomentum`).
public struct BatchNormSettings: Sendable, Hashable {
    /// Running averages move as running = momentum·running + (1 − momentum)·batch, once per
    /// optimiser step (Keras's rule and default, 0.99).
    public var momentum = 0.99
    /// Added to the variance before its square root (Keras's default, 1e-3).
    public var epsilon = 1e-3
    public init(momentum: Double = 0.99, epsilon: Double = 1e-3) { self.momentum = momentum; self.epsilon = epsilon }
}

// MARK: Kernels (flat NHWC; rows = batch·height·width, the channel varies fastest)

/// Per-channel mean and biased variance (divided by `rows`, as Keras's moving variance uses)
/// of x[rows, channels], in Double: the mean first, then the squared deviations from it.
func channelMoments(_ x: UnsafePointer<Float>, rows: Int, channels c: Int,
                    mean: UnsafeMutablePointer<Double>, variance: UnsafeMutablePointer<Double>) {
    mean.update(repeating: 0, count: c)
    variance.update(repeating: 0, count: c)
    let n = rows * c
    var i = 0
    while i < n {
        for ch in 0..<c { mean[ch] += Double(x[i &+ ch]) }
        i &+= c
    }
    for ch in 0..<c { mean[ch] /= Double(max(1, rows)) }
    i = 0
    while i < n {
        for ch in 0..<c { let d = Double(x[i &+ ch]) - mean[ch]; variance[ch] += d * d }
        i &+= c
    }
    for ch in 0..<c { variance[ch] /= Double(max(1, rows)) }
}

/// y = γ·x̂ + β with x̂ = (x − mean)·invStd per channel, x and y [rows, channels]; x̂ is also
/// written to `xhat` when given (training: the backward needs it). Float operations in this
/// order: d = x − mean, x̂ = d·invStd, y = γ·x̂ + β (no FMA requested).
func batchNormForward(_ x: UnsafePointer<Float>, rows: Int, channels c: Int, mean: UnsafePointer<Float>,
                      invStd: UnsafePointer<Float>, gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>,
                      xhat: UnsafeMutablePointer<Float>?, _ y: UnsafeMutablePointer<Float>) {
    let n = rows * c
    var i = 0
    while i < n {
        for ch in 0..<c {
            let h = (x[i &+ ch] - mean[ch]) * invStd[ch]
            xhat?[i &+ ch] = h
            y[i &+ ch] = gamma[ch] * h + beta[ch]
        }
        i &+= c
    }
}

/// Backward of `batchNormForward` with the batch's own statistics (training mode), dy, x̂ and
/// dx [rows, channels], M = rows: dβ += Σ dy and dγ += Σ dy·x̂ (summed in Double, added once),
/// and when `dx` is given dx = γ·invStd·(dy − a − x̂·b) with a = Σdy/M, b = Σ dy·x̂/M (the mean
/// and variance depend on x, hence the two correction terms). `dGamma`/`dBeta` nil: frozen.
func batchNormBackward(dy: UnsafePointer<Float>, xhat: UnsafePointer<Float>, rows: Int, channels c: Int,
                       gamma: UnsafePointer<Float>, invStd: UnsafePointer<Float>,
                       dGamma: UnsafeMutablePointer<Float>?, dBeta: UnsafeMutablePointer<Float>?,
                       dx: UnsafeMutablePointer<Float>?) {
    var sumDy = [Double](repeating: 0, count: c), sumDyXhat = [Double](repeating: 0, count: c)
    let n = rows * c
    var i = 0
    while i < n {
        for ch in 0..<c {
            let g = Double(dy[i &+ ch])
            sumDy[ch] += g
            sumDyXhat[ch] += g * Double(xhat[i &+ ch])
        }
        i &+= c
    }
    for ch in 0..<c {
        dBeta?[ch] += Float(sumDy[ch])
        dGamma?[ch] += Float(sumDyXhat[ch])
    }
    guard let dx else { return }
    let m = Double(max(1, rows))
    let a = (0..<c).map { Float(sumDy[$0] / m) }, b = (0..<c).map { Float(sumDyXhat[$0] / m) }
    let k = (0..<c).map { Float(Double(gamma[$0]) * Double(invStd[$0])) }
    i = 0
    while i < n {
        for ch in 0..<c { dx[i &+ ch] = k[ch] * ((dy[i &+ ch] - a[ch]) - xhat[i &+ ch] * b[ch]) }
        i &+= c
    }
}

/// Backward with fixed statistics (evaluation mode: a frozen `BatchNorm`): dx = γ·invStd·dy.
func batchNormBackwardFixed(dy: UnsafePointer<Float>, rows: Int, channels c: Int, gamma: UnsafePointer<Float>,
                            invStd: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>) {
    let k = (0..<c).map { Float(Double(gamma[$0]) * Double(invStd[$0])) }
    let n = rows * c
    var i = 0
    while i < n {
        for ch in 0..<c { dx[i &+ ch] = k[ch] * dy[i &+ ch] }
        i &+= c
    }
}

// MARK: The layer

/// Batch normalisation of each channel of an NHWC activation over the batch and every
/// position: y = γ·(x − μ)/√(σ² + ε) + β, γ (init 1) and β (init 0) trained.
///
/// - Where it sits (`training.batchNorm`): after each conv layer, before its ReLU, as Keras's
///   usual Conv2D → BatchNormalization → ReLU → MaxPooling2D. A network with BN therefore uses
///   separate `Conv2D`, `BatchNorm`, `ReLU` and `MaxPool2` layers instead of the fused
///   `ConvBlock` (`Architecture.randomFeatureLayers`, `buildFeatureLayers`).
/// - Training (`Sequential.lossAndGradients` sets `training`): μ and σ² are the batch's own
///   mean and biased variance per channel. The trainer's data-parallel shards each normalise
///   with their own shard's statistics, as Keras does on several devices without synchronised
///   BN (the shard count is fixed, `TrainingConfig.gradientShards`, so results do not depend on
///   the thread count).
/// - Evaluation (every other forward): μ and σ² are the running averages. After each optimiser
///   step the trainer folds the whole batch's moments, combined exactly from the shards'
///   (`updateRunningStatistics`), into them once: running = m·running + (1 − m)·batch,
///   m = `BatchNormSettings.momentum` (0.99), the biased variance as Keras. They start at mean
///   0, variance 1 (Keras) unless the builder sets them (a DMN's BN starts from its build
///   images' statistics, see `buildFeatureLayers`).
/// - Frozen (`trainable == false`): always evaluation mode, as Keras's frozen BN.
public final class BatchNorm: Layer {
    public let name: String
    public let inputShape: Shape3
    public var outputShape: Shape3 { inputShape }
    public let gamma: Parameter
    public let beta: Parameter
    public var parameters: [Parameter] { [gamma, beta] }
    public var trainable = true
    public let settings: BatchNormSettings
    /// True for the duration of a training step's forward and backward (set by `Sequential`).
    var training = false

    /// The running averages, in a box a data-parallel worker's copy shares (`shareRunningStatistics`).
    final class Running {
        var mean: [Float], variance: [Float]
        init(mean: [Float], variance: [Float]) { self.mean = mean; self.variance = variance }
    }
    private var running: Running
    public var runningMean: [Float] {
        get { running.mean }
        set { precondition(newValue.count == channels); running.mean = newValue }
    }
    public var runningVariance: [Float] {
        get { running.variance }
        set { precondition(newValue.count == channels && newValue.allSatisfy { $0 >= 0 }); running.variance = newValue }
    }
    public var channels: Int { inputShape.channels }

    /// The last training forward's per-channel moments and how many values each covered.
    private(set) var batchMean: [Double]
    private(set) var batchVariance: [Double]
    private(set) var batchRows = 0

    private var mean: [Float]
    private var invStd: [Float]
    private var lastUsedBatchStatistics = false
    private let out = Scratch<Float>()
    private let xhat = Scratch<Float>()
    private let dIn = Scratch<Float>()

    public init(name: String = "bn", shape: Shape3, settings: BatchNormSettings = BatchNormSettings(),
                gamma: [Float]? = nil, beta: [Float]? = nil, runningMean: [Float]? = nil, runningVariance: [Float]? = nil) {
        let c = shape.channels
        self.name = name
        self.inputShape = shape
        self.settings = settings
        self.gamma = Parameter(name: "\(name).gamma", shape: [c], value: gamma ?? [Float](repeating: 1, count: c))
        self.beta = Parameter(name: "\(name).beta", shape: [c], value: beta ?? [Float](repeating: 0, count: c))
        running = Running(mean: runningMean ?? [Float](repeating: 0, count: c),
                          variance: runningVariance ?? [Float](repeating: 1, count: c))
        precondition(running.mean.count == c && running.variance.count == c, "\(name): running statistics for \(c) channels")
        batchMean = [Double](repeating: 0, count: c)
        batchVariance = [Double](repeating: 0, count: c)
        mean = [Float](repeating: 0, count: c)
        invStd = [Float](repeating: 1, count: c)
    }

    public func replica() -> Layer {
        let r = BatchNorm(name: name, shape: inputShape, settings: settings, gamma: gamma.value, beta: beta.value,
                          runningMean: running.mean, runningVariance: running.variance)
        r.trainable = trainable
        return r
    }

    /// From now on reads and writes `other`'s running averages (a data-parallel worker).
    func shareRunningStatistics(with other: BatchNorm) {
        precondition(other.channels == channels, "\(name): cannot share \(other.name)'s statistics")
        running = other.running
    }

    private func inverseStd(variance v: Double) -> Float { Float(1 / (v + settings.epsilon).squareRoot()) }

    public func forward(_ x: UnsafePointer<Float>, batch: Int) -> UnsafeMutablePointer<Float> {
        let c = channels, rows = batch * inputShape.height * inputShape.width
        let y = out.ensure(rows * c)
        lastUsedBatchStatistics = training && trainable
        if lastUsedBatchStatistics {
            batchMean.withUnsafeMutableBufferPointer { m in
                batchVariance.withUnsafeMutableBufferPointer { v in
                    channelMoments(x, rows: rows, channels: c, mean: m.baseAddress!, variance: v.baseAddress!)
                }
            }
            batchRows = rows
            for ch in 0..<c { mean[ch] = Float(batchMean[ch]); invStd[ch] = inverseStd(variance: batchVariance[ch]) }
        } else {
            for ch in 0..<c { mean[ch] = running.mean[ch]; invStd[ch] = inverseStd(variance: Double(running.variance[ch])) }
        }
        let h = lastUsedBatchStatistics ? xhat.ensure(rows * c) : nil
        gamma.value.withUnsafeBufferPointer { g in
            beta.value.withUnsafeBufferPointer { b in
                batchNormForward(x, rows: rows, channels: c, mean: mean, invStd: invStd, gamma: g.baseAddress!,
                                 beta: b.baseAddress!, xhat: h, y)
            }
        }
        return y
    }

    public func backward(_ dy: UnsafePointer<Float>, batch: Int, needInputGrad: Bool) -> UnsafeMutablePointer<Float>? {
        let c = channels, rows = batch * inputShape.height * inputShape.width
        let dx = needInputGrad ? dIn.ensure(rows * c) : nil
        guard lastUsedBatchStatistics else {
            // Frozen (evaluation-mode) BN: a fixed affine map per channel, no parameter gradient.
            if let dx { gamma.value.withUnsafeBufferPointer { g in
                batchNormBackwardFixed(dy: dy, rows: rows, channels: c, gamma: g.baseAddress!, invStd: invStd, dx)
            } }
            return dx
        }
        gamma.value.withUnsafeBufferPointer { g in
            gamma.grad.withUnsafeMutableBufferPointer { dg in
                beta.grad.withUnsafeMutableBufferPointer { db in
                    batchNormBackward(dy: dy, xhat: xhat.pointer, rows: rows, channels: c, gamma: g.baseAddress!,
                                      invStd: invStd, dGamma: dg.baseAddress!, dBeta: db.baseAddress!, dx: dx)
                }
            }
        }
        return dx
    }

    /// Folds the moments that `shards` (this layer's data-parallel copies in shard order, this
    /// one among them, all sharing these running averages) measured in their last training
    /// forward into the running averages, once. The whole batch's mean and biased variance are
    /// combined exactly from the shards' in Double (μ = Σ nᵢμᵢ / n, σ² = Σ nᵢ(σᵢ² + (μᵢ − μ)²) / n),
    /// so the running averages do not depend on how the batch was split; then
    /// running = m·running + (1 − m)·batch, rounded to Float once.
    func updateRunningStatistics(shards: [BatchNorm]) {
        let total = shards.reduce(0) { $0 + $1.batchRows }
        guard total > 0 else { return }
        let m = settings.momentum
        for ch in 0..<channels {
            var mu = 0.0
            for s in shards { mu += Double(s.batchRows) * s.batchMean[ch] }
            mu /= Double(total)
            var v = 0.0
            for s in shards {
                let d = s.batchMean[ch] - mu
                v += Double(s.batchRows) * (s.batchVariance[ch] + d * d)
            }
            v /= Double(total)
            running.mean[ch] = Float(m * Double(running.mean[ch]) + (1 - m) * mu)
            running.variance[ch] = Float(m * Double(running.variance[ch]) + (1 - m) * v)
        }
        for s in shards { s.batchRows = 0 }
    }
}
