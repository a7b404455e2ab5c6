import Numerics

/// Batch normalisation's constants (spec keys `training.batchNorm`, `training.batchNormMomentum`).
public struct BatchNormSettings: Sendable, Hashable {
    /// Running averages move as running = momentum·running + (1 − momentum)·batch, once per
    /// optimiser step (Keras's rule and default, 0.99).
    var momentum = 0.99
    /// Added to the variance before its square root (Keras's default, 1e-3).
    var epsilon = 1e-3
    init(momentum: Double = 0.99, epsilon: Double = 1e-3) { self.momentum = momentum; self.epsilon = epsilon }
}

// MARK: Kernels (flat NHWC; rows = batch·height·width, the channel varies fastest)
//
// Each kernel walks the buffer in spans of `spanPixels(c)` whole pixels against per-channel
// constants repeated along the span, so the inner loops run over contiguous memory without a
// channel index (and vectorise); every element sees the same operations, in the same order,
// as a loop over (row, channel) would do.

/// Pixels per span: at least 256 floats, whole pixels.
@inline(__always) func spanPixels(_ c: Int) -> Int { max(1, 256 / max(1, c)) }

/// `v[c]` repeated `pixels` times.
@inline(__always) func repeated<T>(_ v: [T], pixels: Int) -> [T] {
    var r: [T] = []
    r.reserveCapacity(v.count * pixels)
    for _ in 0..<pixels { r += v }
    return r
}

/// Calls `body(offset, length)` for each span of whole pixels of a [rows, c] buffer.
@inline(__always) func forEachSpan(rows: Int, channels c: Int, _ body: (Int, Int) -> Void) {
    let p = spanPixels(c)
    var row = 0
    while row < rows {
        let n = min(p, rows - row)
        body(row * c, n * c)
        row += n
    }
}

/// Folds span-long Double accumulators into per-channel totals.
@inline(__always) func foldSpan(_ acc: [Double], channels c: Int, into out: UnsafeMutablePointer<Double>) {
    for ch in 0..<c { out[ch] = 0 }
    for (j, v) in acc.enumerated() { out[j % c] += v }
}

/// Per-channel mean and biased variance (divided by `rows`, as Keras's moving variance uses)
/// of x[rows, channels], in Double: the mean first, then the squared deviations from it.
func channelMoments(_ x: UnsafePointer<Float>, rows: Int, channels c: Int,
                    mean: UnsafeMutablePointer<Double>, variance: UnsafeMutablePointer<Double>) {
    let span = spanPixels(c) * c, count = Double(max(1, rows))
    var acc = [Double](repeating: 0, count: span)
    acc.withUnsafeMutableBufferPointer { a in
        forEachSpan(rows: rows, channels: c) { o, n in for j in 0..<n { a[j] += Double(x[o &+ j]) } }
    }
    foldSpan(acc, channels: c, into: mean)
    for ch in 0..<c { mean[ch] /= count }
    let m = repeated(Array(UnsafeBufferPointer(start: mean, count: c)), pixels: spanPixels(c))
    acc = [Double](repeating: 0, count: span)
    acc.withUnsafeMutableBufferPointer { a in
        m.withUnsafeBufferPointer { mp in
            forEachSpan(rows: rows, channels: c) { o, n in
                for j in 0..<n { let d = Double(x[o &+ j]) - mp[j]; a[j] += d * d }
            }
        }
    }
    foldSpan(acc, channels: c, into: variance)
    for ch in 0..<c { variance[ch] /= count }
}

/// y = γ·x̂ + β with x̂ = (x − mean)·invStd per channel, x and y [rows, channels]; x̂ is also
/// written to `xhat` when given (training: the backward needs it). Float operations in this
/// order: d = x − mean, x̂ = d·invStd, y = γ·x̂ + β (no FMA requested).
func batchNormForward(_ x: UnsafePointer<Float>, rows: Int, channels c: Int, mean: UnsafePointer<Float>,
                      invStd: UnsafePointer<Float>, gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>,
                      xhat: UnsafeMutablePointer<Float>?, _ y: UnsafeMutablePointer<Float>) {
    let p = spanPixels(c)
    func rep(_ v: UnsafePointer<Float>) -> [Float] { repeated(Array(UnsafeBufferPointer(start: v, count: c)), pixels: p) }
    let mr = rep(mean), sr = rep(invStd), gr = rep(gamma), br = rep(beta)
    mr.withUnsafeBufferPointer { m in sr.withUnsafeBufferPointer { s in gr.withUnsafeBufferPointer { g in br.withUnsafeBufferPointer { b in
        forEachSpan(rows: rows, channels: c) { o, n in
            if let xhat {
                for j in 0..<n {
                    let h = (x[o &+ j] - m[j]) * s[j]
                    xhat[o &+ j] = h
                    y[o &+ j] = g[j] * h + b[j]
                }
            } else {
                for j in 0..<n { y[o &+ j] = g[j] * ((x[o &+ j] - m[j]) * s[j]) + b[j] }
            }
        }
    } } } }
}

/// Backward of `batchNormForward` with the batch's own statistics (training mode), dy, x̂ and
/// dx [rows, channels], M = rows: dβ += Σ dy and dγ += Σ dy·x̂ (summed in Double, added once),
/// and when `dx` is given dx = γ·invStd·(dy − a − x̂·b) with a = Σdy/M, b = Σ dy·x̂/M (the mean
/// and variance depend on x, hence the two correction terms). `dGamma`/`dBeta` nil: frozen.
func batchNormBackward(dy: UnsafePointer<Float>, xhat: UnsafePointer<Float>, rows: Int, channels c: Int,
                       gamma: UnsafePointer<Float>, invStd: UnsafePointer<Float>,
                       dGamma: UnsafeMutablePointer<Float>?, dBeta: UnsafeMutablePointer<Float>?,
                       dx: UnsafeMutablePointer<Float>?) {
    let p = spanPixels(c), span = p * c
    var accDy = [Double](repeating: 0, count: span), accDyXhat = [Double](repeating: 0, count: span)
    accDy.withUnsafeMutableBufferPointer { a in
        accDyXhat.withUnsafeMutableBufferPointer { b in
            forEachSpan(rows: rows, channels: c) { o, n in
                for j in 0..<n {
                    let g = Double(dy[o &+ j])
                    a[j] += g
                    b[j] += g * Double(xhat[o &+ j])
                }
            }
        }
    }
    var sumDy = [Double](repeating: 0, count: c), sumDyXhat = [Double](repeating: 0, count: c)
    foldSpan(accDy, channels: c, into: &sumDy)
    foldSpan(accDyXhat, channels: c, into: &sumDyXhat)
    for ch in 0..<c {
        dBeta?[ch] += Float(sumDy[ch])
        dGamma?[ch] += Float(sumDyXhat[ch])
    }
    guard let dx else { return }
    let m = Double(max(1, rows))
    let ar = repeated((0..<c).map { Float(sumDy[$0] / m) }, pixels: p)
    let br = repeated((0..<c).map { Float(sumDyXhat[$0] / m) }, pixels: p)
    let kr = repeated((0..<c).map { Float(Double(gamma[$0]) * Double(invStd[$0])) }, pixels: p)
    ar.withUnsafeBufferPointer { a in br.withUnsafeBufferPointer { b in kr.withUnsafeBufferPointer { k in
        forEachSpan(rows: rows, channels: c) { o, n in
            for j in 0..<n { dx[o &+ j] = k[j] * ((dy[o &+ j] - a[j]) - xhat[o &+ j] * b[j]) }
        }
    } } }
}

/// Backward with fixed statistics (evaluation mode: a frozen `BatchNorm`): dx = γ·invStd·dy.
func batchNormBackwardFixed(dy: UnsafePointer<Float>, rows: Int, channels c: Int, gamma: UnsafePointer<Float>,
                            invStd: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>) {
    let kr = repeated((0..<c).map { Float(Double(gamma[$0]) * Double(invStd[$0])) }, pixels: spanPixels(c))
    kr.withUnsafeBufferPointer { k in
        forEachSpan(rows: rows, channels: c) { o, n in for j in 0..<n { dx[o &+ j] = k[j] * dy[o &+ j] } }
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
    let gamma: Parameter
    let beta: Parameter
    public var parameters: [Parameter] { [gamma, beta] }
    public var trainable = true
    let settings: BatchNormSettings
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

    init(name: String = "bn", shape: Shape3, settings: BatchNormSettings = BatchNormSettings(),
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
