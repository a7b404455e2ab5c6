import CNumerics

// The optimisers' per-parameter updates over flat buffers (w, its gradient g and the
// optimiser's state, all of n floats). In C (Sources/CNumerics/optimizer_step_body.inc)
// because Swift keeps this loop scalar: it cannot prove the buffers distinct. Every `isa`
// gives the bits of the scalar formula.

/// The gradient a step applies, over `count` floats: one shard's gradient as it is, or two
/// data-parallel shards' gradients (each its shard's mean) weighted by their shares of the
/// batch, g[i] = s0·g0[i] + s1·g1[i] (each product rounded to Float, then the sum). The step
/// merges the two as it reads them: one pass over memory where scaling, adding and stepping
/// took three.
public struct StepGradient {
    let g0: UnsafePointer<Float>, s0: Float
    let g1: UnsafePointer<Float>?, s1: Float
    public let count: Int

    public init(_ g: UnsafeBufferPointer<Float>) {
        g0 = g.baseAddress!; s0 = 1; g1 = nil; s1 = 0; count = g.count
    }

    public init(_ g0: UnsafeBufferPointer<Float>, share s0: Float, _ g1: UnsafeBufferPointer<Float>, share s1: Float) {
        precondition(g0.count == g1.count, "StepGradient: shards of \(g0.count) and \(g1.count) floats")
        self.g0 = g0.baseAddress!; self.s0 = s0; self.g1 = g1.baseAddress!; self.s1 = s1; count = g0.count
    }

    /// g[i], as the C steps compute it.
    public subscript(i: Int) -> Float {
        guard let g1 else { return g0[i] }
        return g0[i] * s0 + s1 * g1[i]
    }
}

/// Adam's update with bias-corrected rate `lrT`: m ← b1·m + (1−b1)·g; v ← b2·v + (1−b2)·g·g;
/// w ← w − lrT·m / (√v + eps), element by element, in Float.
public func adamStep(_ w: UnsafeMutableBufferPointer<Float>, m: UnsafeMutableBufferPointer<Float>,
                     v: UnsafeMutableBufferPointer<Float>, g: StepGradient,
                     b1: Float, b2: Float, lrT: Float, eps: Float, isa: VectorISA = .best) {
    let n = w.count
    precondition(m.count == n && v.count == n && g.count == n, "adamStep: buffers of different lengths")
    guard n > 0 else { return }
    repro_adam_step(isa.rawValue, w.baseAddress, m.baseAddress, v.baseAddress, g.g0, g.s0, g.g1, g.s1, n, b1, b2,
                    lrT, eps)
}

/// SGD with heavy-ball momentum: v ← mu·v − lr·g; w ← w + v, element by element, in Float.
public func momentumStep(_ w: UnsafeMutableBufferPointer<Float>, v: UnsafeMutableBufferPointer<Float>,
                         g: StepGradient, mu: Float, lr: Float, isa: VectorISA = .best) {
    let n = w.count
    precondition(v.count == n && g.count == n, "momentumStep: buffers of different lengths")
    guard n > 0 else { return }
    repro_momentum_step(isa.rawValue, w.baseAddress, v.baseAddress, g.g0, g.s0, g.g1, g.s1, n, mu, lr)
}
