import Foundation

/// y[B, out] = x[B, in] · w[in, out] + bias[out].
public func denseForward(_ x: UnsafePointer<Float>, batch: Int, inputs: Int, outputs: Int,
                         weights w: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                         _ y: UnsafeMutablePointer<Float>) {
    for r in 0..<batch { (y + r * outputs).update(from: bias, count: outputs) }
    sgemm(false, false, m: batch, n: outputs, k: inputs, x, w, beta: 1, y)
}

/// dW[in, out] += xᵀ · dy; dbias += Σ_B dy; dx[B, in] = dy · Wᵀ when requested.
public func denseBackward(_ x: UnsafePointer<Float>, dy: UnsafePointer<Float>, batch: Int, inputs: Int,
                          outputs: Int, weights w: UnsafePointer<Float>,
                          dWeights: UnsafeMutablePointer<Float>, dBias: UnsafeMutablePointer<Float>,
                          dx: UnsafeMutablePointer<Float>?) {
    sgemm(true, false, m: inputs, n: outputs, k: batch, x, dy, beta: 1, dWeights)
    columnSumsAdd(dy, rows: batch, cols: outputs, dBias)
    if let dx { sgemm(false, true, m: batch, n: inputs, k: outputs, dy, w, beta: 0, dx) }
}

/// Mean softmax cross-entropy of logits[B, K] against labels, and its gradient
/// dlogits = (softmax − onehot) / B. Returns (summed loss, number correct); the caller divides.
/// Log-sum-exp is taken in Double so a large logit neither overflows nor loses the small ones.
///
/// `probabilityClip` ε > 0 computes the loss as Keras's cross-entropy on softmax outputs does:
/// the label's probability p (rounded to Float, as a Float32 framework holds it) is clipped to
/// [ε, 1 − ε] and the loss is −log(clip(p)); where p lies outside, the clip's derivative is 0,
/// so that sample's whole gradient is 0 (a saturated wrong prediction never recovers). Inside,
/// the gradient is the usual softmax − onehot, the same bits as with ε = 0.
@discardableResult
public func softmaxCrossEntropy(_ logits: UnsafePointer<Float>, labels: UnsafePointer<Int32>, batch: Int,
                                classes: Int, dlogits: UnsafeMutablePointer<Float>?,
                                probabilityClip: Float = 0) -> (loss: Double, correct: Int) {
    var loss = 0.0
    var correct = 0
    let scale = 1 / Float(batch)
    // Each exponential is taken once and kept for the gradient (it was 5–9% of a CIFAR-100
    // run's time to take it twice).
    return withUnsafeTemporaryAllocation(of: Double.self, capacity: classes) { e in
        for b in 0..<batch {
            let z = logits + b * classes
            var mx = z[0], arg = 0
            for k in 1..<classes where z[k] > mx { mx = z[k]; arg = k }
            var sum = 0.0
            for k in 0..<classes {
                e[k] = exp(Double(z[k] - mx))
                sum += e[k]
            }
            let label = Int(labels[b])
            var clipped = false
            if probabilityClip > 0 {
                let p = Float(e[label] / sum)
                let kept = min(max(p, probabilityClip), 1 - probabilityClip)
                clipped = kept != p
                loss -= log(Double(kept))
            } else {
                loss += log(sum) - Double(z[label] - mx)
            }
            if arg == label { correct += 1 }
            if let dlogits {
                let d = dlogits + b * classes
                if clipped {
                    for k in 0..<classes { d[k] = 0 }
                } else {
                    let inv = 1 / sum
                    for k in 0..<classes { d[k] = Float(e[k] * inv) * scale }
                    d[label] -= scale
                }
            }
        }
        return (loss, correct)
    }
}
