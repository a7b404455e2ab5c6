/// The non-overlapping k×k patches (stride k, from the top-left corner) of images
/// x[B, H, W, C] as rows of cols[B·(H/k)·(W/k), k·k·C], in im2col order (dy·k + dx)·C + c;
/// rows ordered by image, then patch row, then patch column. Pixels past the last whole
/// patch (H mod k rows, W mod k columns) are not read.
public func gridPatches(_ x: UnsafePointer<Float>, batch: Int, height: Int, width: Int, channels: Int, kernel k: Int,
                        _ cols: UnsafeMutablePointer<Float>) {
    precondition(k >= 1 && height >= k && width >= k && channels >= 1, "gridPatches: bad shape")
    let gh = height / k, gw = width / k, kc = k * channels, rowLen = width * channels
    var out = cols
    for b in 0..<batch {
        let image = x + b * height * rowLen
        for gy in 0..<gh {
            for gx in 0..<gw {
                for dy in 0..<k {
                    // One patch row is kc consecutive floats of an image row.
                    out.update(from: image + (gy * k + dy) * rowLen + gx * kc, count: kc)
                    out += kc
                }
            }
        }
    }
}
