import CNumerics

/// dst[i, 0..<rowLength] ← src[rows[i], 0..<rowLength] for every i (dst: rows.count × rowLength),
/// requesting the rows a few ahead from memory while copying (Sources/CNumerics/gather_rows.c).
/// Every row index must be a row of src: the caller checks.
public func gatherRows(_ src: UnsafePointer<Float>, rowLength: Int, rows: UnsafeBufferPointer<Int>,
                       into dst: UnsafeMutablePointer<Float>) {
    guard let first = rows.baseAddress, !rows.isEmpty, rowLength > 0 else { return }
    repro_gather_rows(src, rowLength, first, rows.count, dst)
}
