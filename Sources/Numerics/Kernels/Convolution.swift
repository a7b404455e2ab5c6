import Foundation

// Convolution kernels: k×k, stride 1, valid padding, NHWC activations.
// Weights are stored as W[k·k·C, F] row-major, row index (dy·k + dx)·C + c, which is also
// the column order of im2col, so a filter is a column of W and a patch is a row of cols.

/// Calls `body` with the offset of each stride-1 patch's top-left pixel in x[B, H, W, C], in
/// the row order of cols: (b, oy, ox).
@inline(__always) func forEachPatch(batch: Int, height: Int, width: Int, channels: Int, kernel k: Int,
                                    _ body: (Int) -> Void) {
    let oh = height - k + 1, ow = width - k + 1
    for b in 0..<batch {
        for oy in 0..<oh {
            for ox in 0..<ow { body(((b * height + oy) * width + ox) * channels) }
        }
    }
}

/// cols[B·OH·OW, k·k·C] ← patches of x[B, H, W, C]; OH = H−k+1, OW = W−k+1.
public func im2col(_ x: UnsafePointer<Float>, batch: Int, height: Int, width: Int, channels: Int,
                   kernel k: Int, _ cols: UnsafeMutablePointer<Float>) {
    let run = k * channels            // one kernel row of a patch is contiguous in NHWC
    let rowStride = width * channels
    var dst = cols
    forEachPatch(batch: batch, height: height, width: width, channels: channels, kernel: k) { corner in
        for dy in 0..<k { (dst + dy * run).update(from: x + corner + dy * rowStride, count: run) }
        dst += k * run
    }
}

/// dx[B, H, W, C] += scatter of dcols[B·OH·OW, k·k·C] (the adjoint of im2col).
public func col2imAdd(_ dcols: UnsafePointer<Float>, batch: Int, height: Int, width: Int, channels: Int,
                      kernel k: Int, _ dx: UnsafeMutablePointer<Float>) {
    let run = k * channels
    let rowStride = width * channels
    var src = dcols
    forEachPatch(batch: batch, height: height, width: width, channels: channels, kernel: k) { corner in
        for dy in 0..<k {
            let d = dx + corner + dy * rowStride, s = src + dy * run
            for i in 0..<run { d[i] += s[i] }
        }
        src += k * run
    }
}

/// y[B·OH·OW, F] = cols[B·OH·OW, kkC] · w[kkC, F] + bias[F].
public func convForward(cols: UnsafePointer<Float>, rows: Int, patchSize: Int,
                        weights w: UnsafePointer<Float>, bias: UnsafePointer<Float>, filters: Int,
                        _ y: UnsafeMutablePointer<Float>) {
    for r in 0..<rows { (y + r * filters).update(from: bias, count: filters) }
    sgemm(false, false, m: rows, n: filters, k: patchSize, cols, w, beta: 1, y)
}

/// dW[kkC, F] += colsᵀ · dy; dbias[F] += Σ_rows dy; dcols = dy · Wᵀ when requested.
public func convBackward(cols: UnsafePointer<Float>, dy: UnsafePointer<Float>, rows: Int, patchSize: Int,
                         weights w: UnsafePointer<Float>, filters: Int,
                         dWeights: UnsafeMutablePointer<Float>, dBias: UnsafeMutablePointer<Float>,
                         dCols: UnsafeMutablePointer<Float>?) {
    sgemm(true, false, m: patchSize, n: filters, k: rows, cols, dy, beta: 1, dWeights)
    columnSumsAdd(dy, rows: rows, cols: filters, dBias)
    if let dCols { sgemm(false, true, m: rows, n: patchSize, k: filters, dy, w, beta: 0, dCols) }
}

/// out[c] += Σ_r a[r, c] for a[rows, cols].
func columnSumsAdd(_ a: UnsafePointer<Float>, rows: Int, cols: Int, _ out: UnsafeMutablePointer<Float>) {
    for r in 0..<rows {
        let row = a + r * cols
        for c in 0..<cols { out[c] += row[c] }
    }
}
