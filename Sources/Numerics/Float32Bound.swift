/// Tolerances derived from the arithmetic, not from one machine's output (issue #10, item 1).
///
/// A Float32 sum of k products, in any order, with or without FMA, as any BLAS kernel family
/// computes it, is within γ_k · Σ|aᵢbᵢ| of the exact value, γ_k = k·u / (1 − k·u), u = 2⁻²⁴
/// (Higham, Accuracy and Stability of Numerical Algorithms, §3.1). The inputs are Floats, so
/// the Double reference is exact to 2⁻⁵³ relative and adds nothing visible.
///
/// Internal: the test targets reach it through `@testable import Numerics` (NumericsTests and
/// ModelsTests both derive their tolerances from it); nothing in the product uses it.
enum Float32Bound {
    static let u = Double(Float.ulpOfOne) / 2

    static func gamma(_ k: Int) -> Double { Double(k) * u / (1 - Double(k) * u) }

    /// Bound on |fl(Σ aᵢbᵢ) − Σ aᵢbᵢ| for `terms` products whose absolute values sum to
    /// `absSum`; one extra rounding for storing or scaling the result.
    static func dot(terms: Int, absSum: Double) -> Double { gamma(terms + 1) * absSum }
}
