/// ρ[n×n] (Double, upper triangle) += Σ_rows h hᵀ for the rows h of block[rows, n] (Float).
/// The block's Gram matrix is formed by ssyrk in Float into `scratch` (n×n) — each entry a sum
/// of at most `rows` products — and added to the Double accumulator, so the long sum over a
/// whole data set never runs in Float.
public func accumulateDensity(block: UnsafePointer<Float>, rows: Int, n: Int,
                              scratch: UnsafeMutablePointer<Float>, into rho: UnsafeMutablePointer<Double>) {
    guard rows > 0 else { return }
    ssyrkGram(rows: rows, n: n, block, beta: 0, scratch)
    for i in 0..<n { for j in i..<n { rho[i * n + j] += Double(scratch[i * n + j]) } }
}

/// Σ h hᵀ (upper triangle) and Σ h over every stride-1 k×k patch h of each image of
/// x[B, H, W, C], added into Double accumulators rho[n×n] and sum[n], n = k·k·C, with h in
/// im2col order (dy·k + dx)·C + c — without forming the patches: four horizontally adjacent
/// patches are taken at once as SIMD4 lanes and their n(n+1)/2 products accumulated in
/// Float for one image, then flushed to Double. For small n (a first layer's 9 or 27)
/// this reads each pixel a few times instead of writing and re-reading k² copies of it.
public func accumulatePatchDensity(_ x: UnsafePointer<Float>, batch: Int, height: Int, width: Int, channels: Int,
                                   kernel k: Int, rho: UnsafeMutablePointer<Double>, sum: UnsafeMutablePointer<Double>) {
    // Constant k and C for the common first layers let the compiler unroll the n(n+1)/2
    // products completely; anything else runs the same code with runtime bounds.
    switch (k, channels) {
    case (3, 1): patchDensityKernel(x, batch, height, width, 1, 3, rho, sum)
    case (3, 3): patchDensityKernel(x, batch, height, width, 3, 3, rho, sum)
    default: patchDensityKernel(x, batch, height, width, channels, k, rho, sum)
    }
}

@inline(__always)
func patchDensityKernel(_ x: UnsafePointer<Float>, _ batch: Int, _ height: Int, _ width: Int, _ c: Int,
                        _ k: Int, _ rho: UnsafeMutablePointer<Double>, _ sum: UnsafeMutablePointer<Double>) {
    let n = k * k * c
    let oh = height - k + 1, ow = width - k + 1
    let pairs = n * (n + 1) / 2
    let acc = UnsafeMutablePointer<SIMD4<Float>>.allocate(capacity: pairs)
    let sums = UnsafeMutablePointer<SIMD4<Float>>.allocate(capacity: n)
    let v = UnsafeMutablePointer<SIMD4<Float>>.allocate(capacity: n)
    defer { acc.deallocate(); sums.deallocate(); v.deallocate() }
    // Lane starts of each row: 0, 4, 8, …; the last group is moved back to end at ow − 1 and
    // its lanes already covered are masked out.
    let groups = (ow + 3) / 4
    for b in 0..<batch {
        let img = x + b * height * width * c
        acc.update(repeating: .zero, count: pairs)
        sums.update(repeating: .zero, count: n)
        for oy in 0..<oh {
            for g in 0..<groups {
                var ox = 4 * g
                var mask = SIMD4<Float>(repeating: 1)
                if ow < 4 {
                    for l in ow..<4 { mask[l] = 0 }
                } else if ox + 4 > ow {
                    for l in 0..<(ox + 4 - ow) { mask[l] = 0 }
                    ox = ow - 4
                }
                var e = 0
                for dy in 0..<k {
                    let row = img + ((oy + dy) * width + ox) * c
                    for dx in 0..<k {
                        for ch in 0..<c {
                            let p = row + dx * c + ch
                            if c == 1 && ow >= 4 {
                                v[e] = UnsafeRawPointer(p).loadUnaligned(as: SIMD4<Float>.self) * mask
                            } else {
                                // Lanes past the image edge (only when ow < 4) stay 0.
                                var lanes = SIMD4<Float>.zero
                                for l in 0..<4 where mask[l] != 0 { lanes[l] = p[l * c] }
                                v[e] = lanes
                            }
                            e += 1
                        }
                    }
                }
                var i = 0
                for e1 in 0..<n {
                    let a = v[e1]
                    sums[e1] += a
                    for e2 in e1..<n {
                        acc[i] += a * v[e2]
                        i += 1
                    }
                }
            }
        }
        // One image's worth of lanes (≤ OH·OW/4 products each) is summed in Float; the
        // running total over the data set is kept in Double.
        do {
            var i = 0
            for e1 in 0..<n {
                sum[e1] += Double(sums[e1].sum())
                for e2 in e1..<n {
                    rho[e1 * n + e2] += Double(acc[i].sum())
                    i += 1
                }
            }
        }
    }
}
