import Experiments
import Foundation

/// Mean, spread and a t-based confidence interval of a sample (e.g. test accuracies over seeds).
struct Summary: Equatable, Sendable {
    let n: Int
    let mean: Double
    /// Sample standard deviation (divisor n − 1); NaN when n < 2.
    let std: Double
    /// Half width of the confidence interval: t(1 − α/2, n − 1) · std / √n; NaN when n < 2.
    let halfWidth: Double
    let confidence: Double

    init(_ values: [Double], confidence: Double = 0.95) {
        let v = values.filter(\.isFinite)
        n = v.count
        mean = Stats.mean(v)
        std = Stats.sampleStd(v)
        self.confidence = confidence
        halfWidth = n >= 2 ? Stats.tQuantile(probability: 1 - (1 - confidence) / 2, df: n - 1) * std / Double(n).squareRoot()
                           : .nan
    }

    /// Whether the interval exists (at least two finite values).
    var hasInterval: Bool { n >= 2 && halfWidth.isFinite }
    var lo: Double { mean - halfWidth }
    var hi: Double { mean + halfWidth }
}

enum Stats {
    static func mean(_ v: [Double]) -> Double {
        v.isEmpty ? .nan : v.reduce(0, +) / Double(v.count)
    }

    /// Sample standard deviation (n − 1 in the denominator); NaN for fewer than two values.
    static func sampleStd(_ v: [Double]) -> Double {
        guard v.count >= 2 else { return .nan }
        let m = mean(v)
        return (v.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(v.count - 1)).squareRoot()
    }

    static func median(_ values: [Double]) -> Double {
        let v = values.filter(\.isFinite).sorted()
        guard !v.isEmpty else { return .nan }
        return v.count % 2 == 1 ? v[v.count / 2] : (v[v.count / 2 - 1] + v[v.count / 2]) / 2
    }

    /// P(T ≤ t) for Student's t with an integer number of degrees of freedom, from the
    /// closed forms in θ = atan(t/√ν) (Abramowitz & Stegun 26.7.3–4) for A(t|ν) = P(|T| < t):
    ///
    ///     ν = 1:      A = 2θ/π
    ///     ν odd > 1:  A = 2/π · (θ + sinθ · (cosθ + ⅔cos³θ + … + (2·4⋯(ν−3))/(1·3⋯(ν−2)) cos^(ν−2)θ))
    ///     ν even:     A = sinθ · (1 + ½cos²θ + (1·3)/(2·4) cos⁴θ + … + (1·3⋯(ν−3))/(2·4⋯(ν−2)) cos^(ν−2)θ)
    ///
    /// Exact up to rounding; the sums have about ν/2 terms.
    static func studentTCDF(_ t: Double, df: Int) -> Double {
        precondition(df >= 1, "degrees of freedom must be at least 1")
        if t.isNaN { return .nan }
        if t == .infinity { return 1 }
        if t == -.infinity { return 0 }
        let theta = atan(abs(t) / Double(df).squareRoot())
        let s = sin(theta), c = cos(theta)
        var a: Double
        if df % 2 == 1 {
            var sum = 0.0
            if df > 1 {
                var term = c          // cosθ, then ×(2k)/(2k+1)·cos²θ
                sum = term
                var k = 1
                while 2 * k + 1 <= df - 2 {
                    term *= Double(2 * k) / Double(2 * k + 1) * c * c
                    sum += term
                    k += 1
                }
            }
            a = 2 / Double.pi * (theta + s * sum)
        } else {
            var term = 1.0
            var sum = 1.0
            var k = 1
            while 2 * k <= df - 2 {
                term *= Double(2 * k - 1) / Double(2 * k) * c * c
                sum += term
                k += 1
            }
            a = s * sum
        }
        a = min(1, max(0, a))
        return t >= 0 ? 0.5 + a / 2 : 0.5 - a / 2
    }

    /// The t value with P(T ≤ t) = probability (0 < probability < 1), by bisection on the CDF.
    static func tQuantile(probability p: Double, df: Int) -> Double {
        precondition(p > 0 && p < 1, "probability must be in (0, 1)")
        if p == 0.5 { return 0 }
        if p < 0.5 { return -tQuantile(probability: 1 - p, df: df) }
        var lo = 0.0, hi = 1.0
        while studentTCDF(hi, df: df) < p { lo = hi; hi *= 2 }
        for _ in 0..<200 {
            let mid = (lo + hi) / 2
            if studentTCDF(mid, df: df) < p { lo = mid } else { hi = mid }
            if hi - lo < 1e-13 * max(1, hi) { break }
        }
        return (lo + hi) / 2
    }

    /// Two-sided 95% critical value t(0.975, df): 12.706 for df 1, 4.303 for 2, 2.776 for 4, …
    static func t95(df: Int) -> Double { tQuantile(probability: 0.975, df: df) }
}
