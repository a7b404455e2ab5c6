import CNumerics

// The paper's block, conv k×k (valid, stride 1) → ReLU → 2×2 max-pool (stride 2), fused.
//
// Why fused: pool(relu(y)) = relu(pool(y)), so only the conv outputs inside pooling windows
// are computed, nothing of conv size is written to memory, and the backward pass touches
// only the one conv output per window and filter that won (at most a quarter of them).
// The unfused layers (Conv2D, ReLU, MaxPool2) stay as the reference these are tested against.
//
// Layouts: x[B, H, W, C] NHWC; w[k·k·C, F] (the im2col row order); y[B, PH, PW, F] with
// PH = (H−k+1)/2, PW = (W−k+1)/2; win[B, PH, PW, F] is the winning position in the 2×2
// window (0…3, row-major) or `noGradient` where the output was clipped to 0 by the ReLU.

public let noGradient: UInt8 = 255

/// The input gradient of the backward processes filters four at a time as SIMD4 lanes; F is
/// padded to a multiple of 4 with zero filters in a scratch copy of the weights. (Generic
/// SIMD code scalarises its mask operations, so the lanes are concrete SIMD4; SSE2 is the
/// baseline every x86-64 machine has.)
@inline(__always) func padded(_ f: Int) -> Int { (f + 3) & ~3 }

@inline(__always) func load4(_ p: UnsafePointer<Float>) -> SIMD4<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD4<Float>.self)
}

@inline(__always) func store4(_ v: SIMD4<Float>, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD4<Float>.self)
}

/// Copies w[rows, f] into wp[rows, fp] with zero columns.
@inline(__always) func padColumns(_ w: UnsafePointer<Float>, rows: Int, f: Int, fp: Int, into wp: UnsafeMutablePointer<Float>) {
    wp.update(repeating: 0, count: rows * fp)
    for r in 0..<rows { (wp + r * fp).update(from: w + r * f, count: f) }
}

/// Scratch floats `convReluPool2Backward` needs.
public func convBlockScratchCount(patchSize: Int, filters: Int) -> Int { patchSize * padded(filters) }

/// The fused forward, in C so that it runs in the CPU's widest vectors (Swift's SIMD types
/// compile to the build's baseline, SSE2 on x86-64). Each output is bias + Σ x·w over the
/// patch in im2col order (ky, kx, c), one multiply and one add at a time: the order of the
/// SIMD4 Swift kernel it replaces, so results are unchanged, and every `isa` gives the same bits.
public func convReluPool2Forward(_ x: UnsafePointer<Float>, batch: Int, height: Int, width: Int, channels: Int,
                                 kernel k: Int, weights w: UnsafePointer<Float>, bias: UnsafePointer<Float>, filters f: Int,
                                 _ y: UnsafeMutablePointer<Float>, winners: UnsafeMutablePointer<UInt8>,
                                 isa: VectorISA = .best) {
    let status = repro_conv_relu_pool2_forward(isa.rawValue, x, Int32(batch), Int32(height), Int32(width),
                                               Int32(channels), Int32(k), w, bias, Int32(f), y, winners)
    precondition(status == 0, "convReluPool2Forward: out of memory for its scratch buffers")
}

/// dW += Σ dy·patch at each winner and dBias += Σ dy when given (both or neither; in C, like
/// the forward: the same Float operations as the Swift kernel it replaces, in every
/// instruction set), and dx (zeroed here) when given.
public func convReluPool2Backward(_ x: UnsafePointer<Float>, dy: UnsafePointer<Float>, winners: UnsafePointer<UInt8>,
                                  batch: Int, height: Int, width: Int, channels: Int, kernel k: Int,
                                  weights w: UnsafePointer<Float>, filters f: Int,
                                  dWeights: UnsafeMutablePointer<Float>?, dBias: UnsafeMutablePointer<Float>?,
                                  dx: UnsafeMutablePointer<Float>?, scratch: UnsafeMutablePointer<Float>,
                                  isa: VectorISA = .best) {
    precondition((dWeights == nil) == (dBias == nil), "convReluPool2Backward: dWeights and dBias go together")
    if let dWeights, let dBias {
        let status = repro_conv_relu_pool2_backward_weights(isa.rawValue, x, dy, winners, Int32(batch), Int32(height),
                                                            Int32(width), Int32(channels), Int32(k), Int32(f),
                                                            dWeights, dBias)
        precondition(status == 0, "convReluPool2Backward: out of memory for its scratch buffers")
    }
    guard let dx else { return }
    let fp = padded(f)
    let ph = (height - k + 1) / 2, pw = (width - k + 1) / 2
    let run = k * channels
    let rows = k * run
    let rowStride = width * channels
    let imageSize = height * rowStride
    let offsets = (0, channels, rowStride, rowStride + channels)
    @inline(__always) func offset(_ q: Int) -> Int {
        switch q { case 0: return offsets.0; case 1: return offsets.1; case 2: return offsets.2; default: return offsets.3 }
    }
    let wp = scratch
    padColumns(w, rows: rows, f: f, fp: fp, into: wp)
    // dx at window position q: Σ over filters that won at q of g·W[:, filter], accumulated
    // across groups in lanes and summed once per input element.
    let gradAt = UnsafeMutablePointer<Float>.allocate(capacity: 4 * fp)
    defer { gradAt.deallocate() }
    dx.update(repeating: 0, count: batch * imageSize)
    for b in 0..<batch {
        for py in 0..<ph {
            for px in 0..<pw {
                let corner = 2 * py * rowStride + 2 * px * channels
                let out = ((b * ph + py) * pw + px) * f
                gradAt.update(repeating: 0, count: 4 * fp)
                var usedPositions: UInt8 = 0
                for o in 0..<f where winners[out + o] != noGradient {
                    let q = winners[out + o]
                    gradAt[Int(q) * fp + o] = dy[out + o]
                    usedPositions |= 1 << q
                }
                if usedPositions == 0 { continue }
                let dImg = dx + b * imageSize + corner
                for q in 0..<4 where usedPositions & (1 << q) != 0 {
                    let gq = gradAt + q * fp
                    for ky in 0..<k {
                        let d = dImg + offset(q) + ky * rowStride
                        let wr = wp + ky * run * fp
                        for j in 0..<run {
                            var acc = SIMD4<Float>.zero
                            var g = 0
                            while g < fp { acc += load4(wr + j * fp + g) * load4(gq + g); g += 4 }
                            d[j] += acc.sum()
                        }
                    }
                }
            }
        }
    }
}
