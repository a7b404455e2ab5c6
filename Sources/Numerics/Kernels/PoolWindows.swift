// The GEMM form of the fused conv → ReLU → 2×2 max-pool block (see ConvBlock.swift for the
// direct form and the layouts of x, w, y and winners).
//
// Why a second form: the direct kernel's vectors hold neighbouring pooling windows, which is
// right for a first layer's wide maps (13 or 15 windows a row), but a deeper layer's map is
// 5 or 6 windows wide and its 144-long patches against 32 filters are a real matrix product
// that sgemm runs far closer to peak. The backward is the direct kernels' for both forms. Only the conv outputs inside pooling windows are formed: the rows of
// `cols` are the patches at the four positions of each window, so the pooled max is taken
// over four consecutive rows of z = cols · W and no conv-sized map is written.
//
// Row order of cols[B·PH·PW·4, k·k·C] and z[B·PH·PW·4, F]: (b, py, px, q), with q = 2·dy + dx
// the position inside the window, the same numbering as `winners`.

@inline(__always) func load4(_ p: UnsafePointer<Float>) -> SIMD4<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD4<Float>.self)
}

@inline(__always) func store4(_ v: SIMD4<Float>, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD4<Float>.self)
}

/// dst[0..<n] ← src[0..<n] for the short runs of a patch row (k·C floats, often 3 or 9),
/// where a memmove call per run costs more than the copy.
@inline(__always) func copyRun(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, _ n: Int) {
    var i = 0
    while i + 8 <= n {
        UnsafeMutableRawPointer(dst + i).storeBytes(of: UnsafeRawPointer(src + i).loadUnaligned(as: SIMD8<Float>.self),
                                                    as: SIMD8<Float>.self)
        i += 8
    }
    if i + 4 <= n { store4(load4(src + i), dst + i); i += 4 }
    if i < n { dst[i] = src[i] }
    if i + 1 < n { dst[i + 1] = src[i + 1] }
    if i + 2 < n { dst[i + 2] = src[i + 2] }
}

/// Calls `body` with the offset of each patch's top-left pixel in x[B, H, W, C], in the
/// row order of cols: (b, py, px, q).
@inline(__always) func forEachPoolWindowPatch(batch: Int, height: Int, width: Int, channels: Int, kernel k: Int,
                                              _ body: (Int) -> Void) {
    let ph = (height - k + 1) / 2, pw = (width - k + 1) / 2
    let rowStride = width * channels
    for b in 0..<batch {
        for py in 0..<ph {
            for px in 0..<pw {
                for q in 0..<4 { body((b * height + 2 * py + q / 2) * rowStride + (2 * px + q % 2) * channels) }
            }
        }
    }
}

/// cols ← the k×k patches at the four conv positions of every pooling window of x[B, H, W, C].
public func im2colPoolWindows(_ x: UnsafePointer<Float>, batch: Int, height: Int, width: Int, channels: Int,
                              kernel k: Int, _ cols: UnsafeMutablePointer<Float>) {
    let run = k * channels            // one kernel row of a patch is contiguous in NHWC
    let rowStride = width * channels
    var dst = cols
    forEachPoolWindowPatch(batch: batch, height: height, width: width, channels: channels, kernel: k) { corner in
        for dy in 0..<k { copyRun(x + corner + dy * rowStride, dst + dy * run, run) }
        dst += k * run
    }
}

/// y[windows, F] = max(0, max_q z[4·window + q, F] + bias) and the winning q, or `noGradient`
/// where the ReLU clipped. The bias is added after the max (max(z + b) = max(z) + b); the
/// first position wins ties, as in the direct kernel.
public func maxOfFourRelu(_ z: UnsafePointer<Float>, windows: Int, filters f: Int, bias: UnsafePointer<Float>,
                          _ y: UnsafeMutablePointer<Float>, winners: UnsafeMutablePointer<UInt8>) {
    for wi in 0..<windows {
        let z0 = z + 4 * wi * f, out = wi * f
        for o in 0..<f {
            var best = z0[o], at: UInt8 = 0
            if z0[f + o] > best { best = z0[f + o]; at = 1 }
            if z0[2 * f + o] > best { best = z0[2 * f + o]; at = 2 }
            if z0[3 * f + o] > best { best = z0[3 * f + o]; at = 3 }
            let v = best + bias[o]
            y[out + o] = v > 0 ? v : 0
            winners[out + o] = v > 0 ? at : noGradient
        }
    }
}
