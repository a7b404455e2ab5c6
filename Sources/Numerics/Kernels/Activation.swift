// Element-wise and pooling kernels over flat NHWC buffers.

/// y = max(x, 0), in place allowed.
public func reluForward(_ x: UnsafePointer<Float>, count: Int, _ y: UnsafeMutablePointer<Float>) {
    for i in 0..<count { y[i] = max(x[i], 0) }
}

/// dx = dy where the ReLU's output y > 0, else 0 (in place allowed: dx may alias dy).
public func reluBackward(output y: UnsafePointer<Float>, dy: UnsafePointer<Float>, count: Int,
                         _ dx: UnsafeMutablePointer<Float>) {
    for i in 0..<count { dx[i] = y[i] > 0 ? dy[i] : 0 }
}

/// 2×2 max-pool, stride 2: x[B, H, W, C] → y[B, H/2, W/2, C] (floor; a last odd row or
/// column is dropped, as in Keras's "valid" pooling). argmax[i] is the flat index into x of
/// the element y[i] came from; on ties the first in row-major window order wins, so the
/// gradient goes to one element (a valid subgradient) rather than being split.
public func maxPool2Forward(_ x: UnsafePointer<Float>, batch: Int, height: Int, width: Int, channels: Int,
                            _ y: UnsafeMutablePointer<Float>, argmax: UnsafeMutablePointer<Int32>) {
    let oh = height / 2, ow = width / 2
    var o = 0
    for b in 0..<batch {
        let base = b * height * width * channels
        for py in 0..<oh {
            for px in 0..<ow {
                let i00 = base + ((2 * py) * width + 2 * px) * channels
                let i01 = i00 + channels
                let i10 = i00 + width * channels
                let i11 = i10 + channels
                for c in 0..<channels {
                    var best = x[i00 + c], at = i00 + c
                    if x[i01 + c] > best { best = x[i01 + c]; at = i01 + c }
                    if x[i10 + c] > best { best = x[i10 + c]; at = i10 + c }
                    if x[i11 + c] > best { best = x[i11 + c]; at = i11 + c }
                    y[o] = best
                    argmax[o] = Int32(at)
                    o += 1
                }
            }
        }
    }
}

/// dx (zeroed here, size inputCount) gets dy routed to each window's argmax.
public func maxPool2Backward(dy: UnsafePointer<Float>, argmax: UnsafePointer<Int32>, outputCount: Int,
                             inputCount: Int, _ dx: UnsafeMutablePointer<Float>) {
    dx.update(repeating: 0, count: inputCount)
    for i in 0..<outputCount { dx[Int(argmax[i])] += dy[i] }
}
