import CNumerics

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
/// im2col order (dy·k + dx)·C + c. Entries below rho's diagonal are not touched.
///
/// No patches are formed. Entry ((dy1, dx1, c1), (dy2, dx2, c2)) is the sum, over a
/// rectangle of OH×OW pixels, of the product image x[q, c1]·x[q + r, c2] for the lag
/// r = (dy2 − dy1, dx2 − dx1); in an NHWC row that partner sits at the flat offset
/// s = rx·C + c2 − c1, so each (ry, s) needs one elementwise product of a row with a
/// shifted row, summed over images. The upper triangle needs ry = 0 with s ∈ [0, kC) and
/// ry ∈ [1, k) with s ∈ (−kC, kC): 13 products per pixel for 3×3×1 instead of 45 per patch.
/// Those product images, summed over a chunk of images in Float and then into Double, are
/// reduced to rho by rectangle sums at the end of the call.
public func accumulatePatchDensity(_ x: UnsafePointer<Float>, batch: Int, height: Int, width: Int, channels: Int,
                                   kernel k: Int, rho: UnsafeMutablePointer<Double>, sum: UnsafeMutablePointer<Double>,
                                   isa: VectorISA = .best) {
    precondition(k >= 1 && channels >= 1 && height >= k && width >= k, "accumulatePatchDensity: bad shape")
    guard batch > 0 else { return }
    let g = PatchDensityLayout(height: height, width: width, channels: channels, kernel: k)
    let runs = g.lagRuns()
    let lags = runs.last.map { $0.lag + $0.count } ?? 0
    // Lags 0..<lags, then the plain pixel sums for Σ h.
    let acc = UnsafeMutablePointer<Double>.allocate(capacity: (lags + 1) * g.lagStride)
    acc.initialize(repeating: 0, count: (lags + 1) * g.lagStride)
    defer { acc.deallocate() }
    let pixelAcc = acc + lags * g.lagStride
    accumulateLagProducts(x, batch: batch, g, runs, acc: acc, pixelAcc: pixelAcc, isa: isa)
    addRectangleSums(g, runs, acc: acc, pixelAcc: pixelAcc, rho: rho, sum: sum)
}

/// The geometry `accumulatePatchDensity`'s phases share: rows of W·C floats padded to a
/// multiple of 16 (the widest vector of the C pass), and per product image (2k − 1) row
/// slots instead of H rows.
struct PatchDensityLayout {
    let k: Int, c: Int, n: Int, kc: Int, height: Int, oh: Int, ow: Int
    let rowLen: Int, imageLen: Int
    /// Floats per row slot; the ones past rowLen hold garbage that is never read.
    let paddedRow: Int
    /// Every window of OH rows contains rows [k − 1, H − k + 1), so each product image is kept
    /// as that band's sum (slot 0) plus the first and last k − 1 rows one by one (slots 1…):
    /// rows no window reads (y + ry ≥ H) never enter a sum.
    let bandEnd: Int, lagStride: Int

    init(height: Int, width: Int, channels: Int, kernel k: Int) {
        self.k = k; c = channels; kc = k * channels; n = k * k * channels; self.height = height
        oh = height - k + 1; ow = width - k + 1
        rowLen = width * channels; imageLen = height * rowLen
        paddedRow = (rowLen + 15) / 16 * 16
        bandEnd = height - k + 1
        lagStride = (2 * k - 1) * paddedRow
    }

    func slot(_ y: Int) -> Int { y < k - 1 ? 1 + y : (y >= bandEnd ? k + y - bandEnd : 0) }

    /// Lags (ry, s) in runs of consecutive s at one ry: a run shares one base pointer, so a
    /// pass over the images has only compile-time displacements and keeps its accumulators in
    /// registers. Long runs are split evenly into passes of at most `maxLagRun`; `lag` is the
    /// index of a run's first lag.
    func lagRuns() -> [(ry: Int, s0: Int, count: Int, lag: Int)] {
        var runs: [(ry: Int, s0: Int, count: Int, lag: Int)] = []
        var lags = 0
        for ry in 0..<k {
            let lo = ry == 0 ? 0 : 1 - kc
            let len = kc - lo
            let pieces = (len + maxLagRun - 1) / maxLagRun
            var s = lo
            for p in 0..<pieces {
                let count = len / pieces + (p < len % pieces ? 1 : 0)
                runs.append((ry, s, count, lags))
                s += count
                lags += count
            }
        }
        return runs
    }
}

/// Phase 1: for each lag, Σ over images of row ⊙ shifted row into its product image (kept in
/// row slots), and the plain pixel sums into `pixelAcc`, chunk by chunk.
private func accumulateLagProducts(_ x: UnsafePointer<Float>, batch: Int, _ g: PatchDensityLayout,
                                   _ runs: [(ry: Int, s0: Int, count: Int, lag: Int)],
                                   acc: UnsafeMutablePointer<Double>, pixelAcc: UnsafeMutablePointer<Double>,
                                   isa: VectorISA) {
    // A shifted row of the chunk's last image reads up to (k − 1) rows + kC + 15 floats past
    // its end: the chunk is copied into a buffer with that much (zeroed) slack, so no read
    // leaves memory of our own.
    let chunkCap = min(batch, densityChunkImages)
    let slack = (g.k - 1) * g.rowLen + g.kc + 16
    let cRuns = runs.map { repro_lag_run(ry: Int32($0.ry), s0: Int32($0.s0), count: Int32($0.count), lag: Int32($0.lag)) }
    let buf = UnsafeMutablePointer<Float>.allocate(capacity: chunkCap * g.imageLen + slack)
    (buf + chunkCap * g.imageLen).initialize(repeating: 0, count: slack)
    let pixelSum = UnsafeMutablePointer<Float>.allocate(capacity: g.imageLen)
    defer { buf.deallocate(); pixelSum.deallocate() }

    var start = 0
    while start < batch {
        let nb = min(chunkCap, batch - start)
        let src = x + start * g.imageLen
        buf.update(from: src, count: nb * g.imageLen)
        pixelSum.update(from: src, count: g.imageLen)
        for b in 1..<max(1, nb) {
            let img = src + b * g.imageLen
            for i in 0..<g.imageLen { pixelSum[i] += img[i] }
        }
        for y in 0..<g.height {
            let rowSlot = g.slot(y) * g.paddedRow
            let pixels = pixelAcc + rowSlot, pixelRow = pixelSum + y * g.rowLen
            for i in 0..<g.rowLen { pixels[i] += Double(pixelRow[i]) }
            repro_lag_products_row(isa.rawValue, buf + y * g.rowLen, Int32(nb), Int32(g.imageLen),
                                   Int32(g.rowLen), Int32(g.paddedRow), cRuns, Int32(cRuns.count), acc + rowSlot,
                                   Int32(g.lagStride))
        }
        start += nb
    }
}

/// Phase 2: rectangle sums of the product images into rho (and of the pixel sums into sum):
/// rows [dy1, dy1 + OH) of a product image into `window`, then its pixel columns
/// [dx1, dx1 + OW) at the flat position e1 = dx1·C + c1.
private func addRectangleSums(_ g: PatchDensityLayout, _ runs: [(ry: Int, s0: Int, count: Int, lag: Int)],
                              acc: UnsafeMutablePointer<Double>, pixelAcc: UnsafeMutablePointer<Double>,
                              rho: UnsafeMutablePointer<Double>, sum: UnsafeMutablePointer<Double>) {
    let window = UnsafeMutablePointer<Double>.allocate(capacity: g.paddedRow)
    defer { window.deallocate() }
    func fillWindow(_ image: UnsafeMutablePointer<Double>, firstRow dy: Int) {
        window.update(from: image, count: g.paddedRow)
        for y in dy..<(dy + g.oh) where g.slot(y) != 0 {
            let row = image + g.slot(y) * g.paddedRow
            for i in 0..<g.rowLen { window[i] += row[i] }
        }
    }
    func columns(from e: Int) -> Double {
        var t = 0.0
        for ox in 0..<g.ow { t += window[ox * g.c + e] }
        return t
    }
    let kc = g.kc, n = g.n
    for r in runs {
        for j in 0..<r.count {
            let s = r.s0 + j
            for dy1 in 0..<(g.k - r.ry) {
                fillWindow(acc + (r.lag + j) * g.lagStride, firstRow: dy1)
                // Partner e1 + s = dx2·C + c2 must lie in the same patch row.
                for e1 in max(0, -s)..<min(kc, kc - s) {
                    rho[(dy1 * kc + e1) * n + (dy1 + r.ry) * kc + e1 + s] += columns(from: e1)
                }
            }
        }
    }
    for dy in 0..<g.k {
        fillWindow(pixelAcc, firstRow: dy)
        for e in 0..<kc { sum[dy * kc + e] += columns(from: e) }
    }
}

/// Images whose products are summed in Float before going into the Double accumulators:
/// each Float sum then has at most 64 terms.
let densityChunkImages = 64

/// Most lags one pass keeps in registers: 12 accumulators, the pixels and a product fill the
/// 16 vector registers of SSE2 and AVX2 (Sources/CNumerics/lag_products_row.inc).
let maxLagRun = 12
