import Datasets
import Experiments
import Foundation

/// Fig. 2 (bottom): the scaled eigenvalue increments s = (λ(N+1) − λ(N))·N/λ(N) of ρ_c are
/// claimed Gaussian with zero mean and a variance that does not depend on N. Checked per
/// fluctuation run, then over seeds (a run's increments are correlated — the same images
/// feed every eigenvalue and every later N — so the seeds, each a different image order,
/// are the independent replicates the intervals are taken over).
enum Fig2Check {
    /// The statistics of one fluctuation run.
    struct RunStats: Sendable {
        var dataset: DatasetName
        var runId: String
        /// OLS slope of log(variance of s in an N bucket) on log(bucket's geometric-mean N),
        /// buckets [1,1], [2,3], [4,7], …; the last bucket is used only if it holds at least
        /// half the increments of the one before (a short tail bucket is noisy).
        var slope: Double
        /// The same slope over the buckets from N = 16 on (information only).
        var slopeLargeN: Double
        /// Mean of all s divided by their standard deviation.
        var standardizedMean: Double
        var skewness: Double
        var excessKurtosis: Double
        var count: Int
        /// Slope, skewness and excess kurtosis of the leading eigenvalue's increments alone
        /// (μ = 0; information only: the pooled ones mix every rank's fluctuations).
        var leading: (slope: Double, skewness: Double, excessKurtosis: Double) = (.nan, .nan, .nan)
    }

    /// The variance slope must be within ±slopeBound for "does not depend on N": over
    /// N = 1…300 that is a change of the variance by at most 300^0.05 ≈ 1.33×.
    static let slopeBound = 0.05
    /// "Zero mean": the mean within a tenth of a standard deviation of 0.
    static let meanBound = 0.1
    /// "Gaussian": |skewness| ≤ 0.5 and |excess kurtosis| ≤ 1 (moderate departures allowed;
    /// with ~10⁴ increments their sampling errors, √(6/n) and √(24/n), are below 0.05).
    static let skewBound = 0.5
    static let kurtosisBound = 1.0

    /// Increments (N, s) per fluctuation run of the set, with its dataset.
    static func runs(_ set: ResultSet) -> [(dataset: DatasetName, runId: String, increments: [(n: Int, s: Double)], leading: [(n: Int, s: Double)])] {
        var datasetOf: [String: DatasetName] = [:]
        for r in set.runs where r.kind == .fluctuation && r.status == .ok { datasetOf[r.runId] = r.dataset }
        var incs: [String: [(n: Int, s: Double)]] = [:]
        var lead: [String: [(n: Int, s: Double)]] = [:]
        for row in set.fluctuation {
            let id = row["run_id"]
            guard datasetOf[id] != nil, let n = Int(row["n"]) else { continue }
            let s = row.number("scaled_increment")
            if s.isFinite {
                incs[id, default: []].append((n, s))
                if row["mu"] == "0" { lead[id, default: []].append((n, s)) }
            }
        }
        // Every run id in `incs` has a dataset (the guard above).
        return incs.sorted { $0.key < $1.key }.compactMap { id, inc in datasetOf[id].map { (dataset: $0, runId: id, increments: inc, leading: lead[id] ?? []) } }
    }

    /// Sample variance per power-of-two bucket of N: (geometric-mean N, variance, count).
    static func bucketVariances(_ increments: [(n: Int, s: Double)]) -> [(n: Double, variance: Double, count: Int)] {
        var buckets: [Int: [Double]] = [:]
        for (n, s) in increments where n >= 1 { buckets[Int.bitWidth - 1 - n.leadingZeroBitCount, default: []].append(s) }
        return buckets.keys.sorted().compactMap { b in
            let v = buckets[b]!
            guard v.count >= 2 else { return nil }
            let lo = Double(1 << b), hi = Double((1 << (b + 1)) - 1)
            let sd = Stats.sampleStd(v)
            return ((lo * hi).squareRoot(), sd * sd, v.count)
        }
    }

    /// OLS slope of y on x (NaN with fewer than 2 distinct x).
    static func slope(x: [Double], y: [Double]) -> Double {
        guard x.count == y.count, x.count >= 2 else { return .nan }
        let mx = Stats.mean(x), my = Stats.mean(y)
        var sxy = 0.0, sxx = 0.0
        for i in x.indices { sxy += (x[i] - mx) * (y[i] - my); sxx += (x[i] - mx) * (x[i] - mx) }
        return sxx > 0 ? sxy / sxx : .nan
    }

    /// Sample skewness g1 = m3/m2^1.5 and excess kurtosis g2 = m4/m2² − 3 (central moments with divisor n).
    static func shape(_ v: [Double]) -> (skewness: Double, excessKurtosis: Double) {
        guard v.count >= 3 else { return (.nan, .nan) }
        let m = Stats.mean(v)
        var m2 = 0.0, m3 = 0.0, m4 = 0.0
        for x in v { let d = x - m; m2 += d * d; m3 += d * d * d; m4 += d * d * d * d }
        let n = Double(v.count)
        m2 /= n; m3 /= n; m4 /= n
        guard m2 > 0 else { return (.nan, .nan) }
        return (m3 / pow(m2, 1.5), m4 / (m2 * m2) - 3)
    }

    static func stats(dataset: DatasetName, runId: String, increments: [(n: Int, s: Double)],
                             leading: [(n: Int, s: Double)] = []) -> RunStats {
        var r = pooledStats(dataset: dataset, runId: runId, increments: increments)
        if !leading.isEmpty {
            let l = pooledStats(dataset: dataset, runId: runId, increments: leading)
            r.leading = (l.slope, l.skewness, l.excessKurtosis)
        }
        return r
    }

    static func pooledStats(dataset: DatasetName, runId: String, increments: [(n: Int, s: Double)]) -> RunStats {
        var b = bucketVariances(increments)
        if b.count >= 3, b[b.count - 1].count * 2 < b[b.count - 2].count { b.removeLast() }
        func fit(_ bs: [(n: Double, variance: Double, count: Int)]) -> Double {
            let ok = bs.filter { $0.variance > 0 }
            return slope(x: ok.map { log($0.n) }, y: ok.map { log($0.variance) })
        }
        let s = increments.map(\.s)
        let sh = shape(s)
        return RunStats(dataset: dataset, runId: runId, slope: fit(b), slopeLargeN: fit(b.filter { $0.n >= 16 }),
                        standardizedMean: Stats.mean(s) / Stats.sampleStd(s),
                        skewness: sh.skewness, excessKurtosis: sh.excessKurtosis, count: s.count)
    }

    /// Supported when the 95% interval over seeds lies within [−bound, bound]; not supported
    /// when it lies wholly outside it; inconclusive when it straddles a bound or there are
    /// fewer than 2 seeds.
    static func withinBound(_ s: Summary, _ bound: Double) -> Verdict {
        guard s.hasInterval else { return .inconclusive }
        if s.lo >= -bound && s.hi <= bound { return .supported }
        if s.lo > bound || s.hi < -bound { return .notSupported }
        return .inconclusive
    }

    static let claimText = "Fig. 2 (bottom): the eigenvalue increments of ρ_c scaled by N/λ are Gaussian with zero mean and a variance independent of N (MNIST as the paper; other datasets as an extension)"

    static let rule = "Per fluctuation run (one seed = one image order, 3×3 patches, every class and eigenvalue pooled): "
        + "b = OLS slope of log(variance of the scaled increments in N buckets [1], [2,3], [4,7], …) on log(geometric-mean N) "
        + "(a last bucket with fewer than half the increments of the one before is dropped); the mean of the increments over their standard deviation; their skewness and excess kurtosis. "
        + "Over the seeds of a dataset each gets a 95% t interval. Each part is supported when its interval lies within its bound, "
        + "not supported when wholly outside, else inconclusive: |b| ≤ \(slopeBound) (the variance changes by at most 300^\(slopeBound) ≈ 1.33× over N = 1…300), "
        + "|mean/sd| ≤ \(meanBound), |skewness| ≤ \(skewBound), |excess kurtosis| ≤ \(kurtosisBound). "
        + "A dataset is supported when all four parts are, not supported when any is not. The verdict is MNIST's; other datasets are shown as an extension and not counted. "
        + "Fewer than 2 seeds: inconclusive. The slope over N ≥ 16 is shown for information: to first order an image contributing x moves λ by (x − λ)/(N+1), so s ≈ (N/(N+1))·(x/λ − 1), whose variance carries a factor (N/(N+1))² rising from 1/4 at N = 1 towards 1: a dependence on N is expected at small N. So are the statistics of the leading eigenvalue alone (μ = 0): pooling every rank mixes distributions of different widths, and the smallest eigenvalues' relative increments have heavy tails."

    static func check(_ runs: [RunStats]) -> ClaimCheck {
        let id = "fig2-gaussian-increments"
        guard !runs.isEmpty else {
            return ClaimCheck(id: id, claim: claimText, rule: rule, verdict: .inconclusive,
                              summary: "no data: needs fluctuation runs (experiments/fig2.json, experiments/fig2-seeds.json)", findings: [])
        }
        var findings: [Finding] = []
        var mnist: Verdict = .inconclusive
        for d in DatasetName.allCases {
            let rs = runs.filter { $0.dataset == d }
            guard !rs.isEmpty else { continue }
            let slope = Summary(rs.map(\.slope)), large = Summary(rs.map(\.slopeLargeN))
            let mean = Summary(rs.map(\.standardizedMean)), skew = Summary(rs.map(\.skewness)), kurt = Summary(rs.map(\.excessKurtosis))
            let parts = [withinBound(slope, slopeBound), withinBound(mean, meanBound), withinBound(skew, skewBound), withinBound(kurt, kurtosisBound)]
            let v: Verdict = parts.contains(.notSupported) ? .notSupported : parts.allSatisfy { $0 == .supported } ? .supported : .inconclusive
            if d == .mnist { mnist = v }
            func ci(_ s: Summary) -> String {
                s.hasInterval ? "\(Fmt.num(s.mean)) [\(Fmt.num(s.lo)), \(Fmt.num(s.hi))]" : "\(Fmt.num(s.mean)) (no interval)"
            }
            let text = "\(rs.count) seed\(rs.count == 1 ? "" : "s"), \(rs.map(\.count).reduce(0, +)) increments: "
                + "slope b \(ci(slope)) (\(parts[0].rawValue)); mean/sd \(ci(mean)) (\(parts[1].rawValue)); "
                + "skewness \(ci(skew)) (\(parts[2].rawValue)); excess kurtosis \(ci(kurt)) (\(parts[3].rawValue)); "
                + "slope over N ≥ 16 \(ci(large)) (not counted); leading eigenvalue alone (μ = 0, not counted): slope "
                + "\(ci(Summary(rs.map(\.leading.slope)))), skewness \(ci(Summary(rs.map(\.leading.skewness)))), "
                + "excess kurtosis \(ci(Summary(rs.map(\.leading.excessKurtosis))))"
            findings.append(Finding(label: d == .mnist ? d.displayName : "\(d.displayName) (extension)", verdict: v, text: text))
        }
        let summary = findings.map { "\($0.label) \($0.verdict.rawValue)" }.joined(separator: ", ")
            + (runs.contains { $0.dataset == .mnist } ? "" : "; no MNIST runs")
        return ClaimCheck(id: id, claim: claimText, rule: rule, verdict: mnist, summary: summary, findings: findings)
    }

    /// The claim for a result set (the hook in `Claims.all`).
    static func check(_ set: ResultSet) -> ClaimCheck {
        check(runs(set).map { stats(dataset: $0.dataset, runId: $0.runId, increments: $0.increments, leading: $0.leading) })
    }
}
