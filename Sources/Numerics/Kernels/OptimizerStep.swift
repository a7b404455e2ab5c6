import CNumerics

// The optimisers' per-parameter updates over flat buffers (w, its gradient g and the
// optimiser's state, all of n floats). In C (Sources/CNumerics/optimizer_step_body.inc)
// because Swift keeps this loop scalar: it cannot prove the buffers distinct. Every `isa`
// gives the bits of the scalar formula.

/// Adam's update with bias-corrected rate `lrT`: m ← b1·m + (1−b1)·g; v ← b2·v + (1−b2)·g·g;
/// w ← w − lrT·m / (√v + eps), element by element, in Float.
public func adamStep(_ w: UnsafeMutableBufferPointer<Float>, m: UnsafeMutableBufferPointer<Float>,
                     v: UnsafeMutableBufferPointer<Float>, g: UnsafeBufferPointer<Float>,
                     b1: Float, b2: Float, lrT: Float, eps: Float, isa: VectorISA = .best) {
    let n = w.count
    precondition(m.count == n && v.count == n && g.count == n, "adamStep: buffers of different lengths")
    guard n > 0 else { return }
    repro_adam_step(isa.rawValue, w.baseAddress, m.baseAddress, v.baseAddress, g.baseAddress, n, b1, b2, lrT, eps)
}

/// SGD with heavy-ball momentum: v ← mu·v − lr·g; w ← w + v, element by element, in Float.
public func momentumStep(_ w: UnsafeMutableBufferPointer<Float>, v: UnsafeMutableBufferPointer<Float>,
                         g: UnsafeBufferPointer<Float>, mu: Float, lr: Float, isa: VectorISA = .best) {
    let n = w.count
    precondition(v.count == n && g.count == n, "momentumStep: buffers of different lengths")
    guard n > 0 else { return }
    repro_momentum_step(isa.rawValue, w.baseAddress, v.baseAddress, g.baseAddress, n, mu, lr)
}
