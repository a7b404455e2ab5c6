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

/// The backward processes filters four at a time as SIMD4 lanes, against the four conv
/// outputs of a pooling window at once; F is padded to a multiple of 4 with zero filters in
/// scratch copies of the weights. (Generic SIMD code scalarises its mask operations, so the lanes
/// are concrete SIMD4; SSE2 is the baseline every x86-64 machine has.)
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
public func convBlockScratchCount(patchSize: Int, filters: Int) -> Int { 2 * patchSize * padded(filters) }

/// Instruction sets of the C forward kernel (Sources/CNumerics/conv_block.c), widest last.
public enum VectorISA: Int32, CaseIterable, Comparable, Sendable {
    case baseline = 0, avx2 = 1, avx512 = 2

    /// The widest this CPU runs that the kernel has a version for.
    public static let best = VectorISA(rawValue: repro_best_isa()) ?? .baseline

    public var name: String { ["sse2/neon", "avx2", "avx512f"][Int(rawValue)] }
    public static func < (a: VectorISA, b: VectorISA) -> Bool { a.rawValue < b.rawValue }
}

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

/// dW += Σ dy·patch at each winner, dBias += Σ dy, and dx (zeroed here) when given.
public func convReluPool2Backward(_ x: UnsafePointer<Float>, dy: UnsafePointer<Float>, winners: UnsafePointer<UInt8>,
                                  batch: Int, height: Int, width: Int, channels: Int, kernel k: Int,
                                  weights w: UnsafePointer<Float>, filters f: Int,
                                  dWeights: UnsafeMutablePointer<Float>?, dBias: UnsafeMutablePointer<Float>?,
                                  dx: UnsafeMutablePointer<Float>?, scratch: UnsafeMutablePointer<Float>) {
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
    let dwp = scratch, wp = scratch + rows * fp
    dwp.update(repeating: 0, count: rows * fp)
    padColumns(w, rows: rows, f: f, fp: fp, into: wp)
    // Per window, filled in scalar code (generic-free, mask-free): each filter's gradient and
    // the input offset of its winner, and the gradient split by winning position.
    let grad = UnsafeMutablePointer<Float>.allocate(capacity: fp)
    let inputOffset = UnsafeMutablePointer<Int>.allocate(capacity: fp)
    let gradAt = UnsafeMutablePointer<Float>.allocate(capacity: 4 * fp)
    let dBiasP = UnsafeMutablePointer<Float>.allocate(capacity: fp)
    dBiasP.initialize(repeating: 0, count: fp)
    defer { grad.deallocate(); inputOffset.deallocate(); gradAt.deallocate(); dBiasP.deallocate() }
    if let dx { dx.update(repeating: 0, count: batch * imageSize) }
    for b in 0..<batch {
        let img = x + b * imageSize
        for py in 0..<ph {
            for px in 0..<pw {
                let corner = 2 * py * rowStride + 2 * px * channels
                let base = img + corner
                let out = ((b * ph + py) * pw + px) * f
                grad.update(repeating: 0, count: fp)
                inputOffset.update(repeating: 0, count: fp)
                var usedPositions: UInt8 = 0
                for o in 0..<f {
                    let q = winners[out + o]
                    if q == noGradient { continue }
                    grad[o] = dy[out + o]
                    dBiasP[o] += grad[o]
                    inputOffset[o] = offset(Int(q))
                    usedPositions |= 1 << q
                }
                if usedPositions == 0 { continue }
                if dWeights != nil {
                    // dW[j, group] += x(winner of each lane)_j · g: four gathered inputs per row.
                    for g in stride(from: 0, to: fp, by: 4) {
                        let gv = load4(grad + g)
                        if gv == .zero { continue }
                        let (i0, i1, i2, i3) = (inputOffset[g], inputOffset[g + 1], inputOffset[g + 2], inputOffset[g + 3])
                        for ky in 0..<k {
                            let row = base + ky * rowStride
                            let dwr = dwp + ky * run * fp + g
                            for j in 0..<run {
                                let xv = SIMD4<Float>(row[i0 + j], row[i1 + j], row[i2 + j], row[i3 + j])
                                store4(load4(dwr + j * fp) + xv * gv, dwr + j * fp)
                            }
                        }
                    }
                }
                if let dx {
                    // dx at window position q: Σ over filters that won at q of g·W[:, filter],
                    // accumulated across groups in lanes and summed once per input element.
                    gradAt.update(repeating: 0, count: 4 * fp)
                    for o in 0..<f where winners[out + o] != noGradient { gradAt[Int(winners[out + o]) * fp + o] = grad[o] }
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
    if let dWeights { for r in 0..<rows { for o in 0..<f { dWeights[r * f + o] += dwp[r * fp + o] } } }
    if let dBias { for o in 0..<f { dBias[o] += dBiasP[o] } }
}

