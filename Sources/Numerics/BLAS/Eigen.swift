import CLinalg

struct LinalgError: Error, CustomStringConvertible {
    let description: String
}

/// Eigen-decomposition of a symmetric matrix.
public struct SymmetricEigen: Sendable {
    public let n: Int
    /// Eigenvalues in descending order.
    public let values: [Double]
    /// Row i holds the unit eigenvector of `values[i]`: vectors[i*n + j] is its j-th component.
    public let vectors: [Double]

    public func vector(_ i: Int) -> ArraySlice<Double> { vectors[(i * n)..<((i + 1) * n)] }

    /// A decomposition computed before (the DMN's spectra cache reads them back from disk).
    public init(n: Int, values: [Double], vectors: [Double]) {
        precondition(values.count == n && vectors.count == n * n,
                     "SymmetricEigen: \(values.count) values and \(vectors.count) vector entries for n = \(n)")
        self.n = n; self.values = values; self.vectors = vectors
    }
}

/// Symmetric eigen-solve of the n×n row-major matrix `a` (only its upper triangle is read)
/// through LAPACKE's dsyevd, in Double whatever the caller's storage: density matrices of
/// image patches are ill-conditioned, with eigenvalues spanning many orders of magnitude.
public func symmetricEigen(_ a: [Double], n: Int) throws -> SymmetricEigen {
    precondition(a.count == n * n, "symmetricEigen: matrix has \(a.count) entries, expected \(n)×\(n)")
    if n == 0 { return SymmetricEigen(n: 0, values: [], vectors: []) }
    var m = a
    var w = [Double](repeating: 0, count: n)
    // Column-major 'U' on the row-major buffer reads the lower triangle as stored; asking for
    // 'L' therefore reads our upper triangle. Eigenvectors come back as columns of the
    // column-major result, i.e. as rows of the row-major buffer: exactly the layout we return.
    let info = LAPACKE_dsyevd(LAPACK_COL_MAJOR, Int8(UInt8(ascii: "V")), Int8(UInt8(ascii: "L")),
                              Int32(n), &m, Int32(n), &w)
    guard info == 0 else { throw LinalgError(description: "dsyevd failed with info \(info) on a \(n)×\(n) matrix") }
    // LAPACK returns ascending order; reverse to descending.
    var values = [Double](repeating: 0, count: n)
    var vectors = [Double](repeating: 0, count: n * n)
    for i in 0..<n {
        let src = n - 1 - i
        values[i] = w[src]
        for j in 0..<n { vectors[i * n + j] = m[src * n + j] }
    }
    return SymmetricEigen(n: n, values: values, vectors: vectors)
}
