import Datasets
import Experiments
import Foundation

/// "Tuning hyperparameters of a specific layer can also be done very efficiently, as the PCA
/// needs to be performed only once" (the short version of the paper). T_PC and T_v act on a
/// layer's spectra, not on its density matrices, so with `--pca-cache` a sweep of them computes
/// ρ_c and its eigenvectors at its first point and reuses them at every further one. The check
/// reads the build seconds (runs.csv's build_s) of each point of the T_PC and T_v sweeps, seed
/// by seed, and whether the folder was made with reuse (provenance.json's pcaCache).
enum PCAReuse {
    static let id = "pca-once-for-thresholds"
    static let claim = "Tuning a layer's hyperparameters needs the PCA only once (short version): each further point of a T_PC or T_v sweep builds in ≤ 5% of the first point's time"
    /// A further point may cost at most this fraction of the first (issue 24's goal).
    static let limit = 0.05
    static let params = ["tpc", "tv"]

    static let rule = "Per T_PC or T_v sweep (dataset, filter configuration) made with spectra reuse (provenance.json: pcaCache on or "
        + "memory) and per seed with at least 2 ok points: the first point is the one that computed the density matrices and their "
        + "eigenvectors, i.e. the one with the largest build_s (runs.csv does not record the order in which runs ran; with reuse exactly "
        + "one point per seed pays for the PCA); r = the largest build_s of the further points / that of the first. Only the points of the sweep's own spec count (a point it shares with "
        + "another spec's sweep was built by another invocation). A sweep supports the "
        + "claim when r ≤ 0.05 for every seed, and does not when r > 0.05 for any. Judged: sweeps of one-layer configurations, where "
        + "every threshold swept is that layer's. Shown, not judged: sweeps of several layers (a sweep's T_PC and T_v apply to every "
        + "layer, and a layer above the first sees another input whenever the first layer's filters change, so its PCA is redone by "
        + "design), and sweeps made without reuse. Points the method cannot build (infeasible) are left out and named. Overall: "
        + "supported when every judged sweep supports it, not supported when any does not, inconclusive with no judged sweep."

    /// One seed of one sweep: the build seconds of its ok points, in sweep order.
    struct SeedSeries: Sendable {
        var param: String
        var dataset: DatasetName
        var filters: String
        var layers: Int
        var seed: UInt64
        /// Every point's spec was run with spectra reuse.
        var reuse: Bool
        var labels: [String]
        /// The swept values (T_v: that of layer 1).
        var values: [Double]
        var seconds: [Double]

        /// The point that computed the PCA: the costliest build.
        var first: Int { seconds.indices.max { seconds[$0] < seconds[$1] }! }
        var further: [Double] { seconds.indices.filter { $0 != first }.map { seconds[$0] } }
        /// The largest further build over the first.
        var ratio: Double { (further.max() ?? .nan) / seconds[first] }
        var judged: Bool { reuse && layers == 1 }
        var label: String { "\(dataset.displayName) \(filters.replacingOccurrences(of: "-", with: "+")) \(symbol(param)) seed \(seed)" }
    }

    static func symbol(_ param: String) -> String { param == "tpc" ? "T_PC" : param == "tv" ? "T_v" : param }

    /// Specs whose folder says runs reused spectra.
    static func reusingSpecs(_ provenance: [ProvenanceInfo]) -> Set<String> {
        Set(provenance.filter { $0.pcaCache == .on || $0.pcaCache == .memory }.compactMap(\.specName))
    }

    /// Every seed of every T_PC and T_v sweep with at least 2 ok points, and the points left out
    /// because the method cannot build them.
    static func series(_ sweeps: [ParameterSweep], reusing: Set<String>) -> (series: [SeedSeries], leftOut: [String]) {
        var out: [SeedSeries] = []
        var leftOut: [String] = []
        for s in sweeps where params.contains(s.param) {
            for p in s.points where p.group.okRuns.isEmpty && p.group.infeasible > 0 {
                leftOut.append("\(s.label) \(symbol(s.param)) \(p.label)")
            }
            let seeds = Set(s.points.flatMap { $0.group.seeds }).sorted()
            for seed in seeds {
                var labels: [String] = [], values: [Double] = [], seconds: [Double] = [], specs: Set<String> = []
                // Only the sweep's own spec's points: a centre point shared with another spec's
                // sweep (same run id) was built by another invocation, with another cache.
                for p in s.points where p.group.spec == s.spec {
                    guard let run = p.group.okRuns.first(where: { $0.seed == seed }), run.buildSeconds.isFinite else { continue }
                    labels.append(p.label); values.append(p.value); seconds.append(run.buildSeconds); specs.insert(p.group.spec)
                }
                guard seconds.count >= 2 else { continue }
                out.append(SeedSeries(param: s.param, dataset: s.dataset, filters: s.filters, layers: s.points[0].group.layers,
                                      seed: seed, reuse: specs.isSubset(of: reusing), labels: labels, values: values, seconds: seconds))
            }
        }
        return (out, leftOut)
    }

    static func check(_ sweeps: [ParameterSweep], provenance: [ProvenanceInfo]) -> ClaimCheck {
        let (all, leftOut) = series(sweeps, reusing: reusingSpecs(provenance))
        let judged = all.filter(\.judged)
        guard !judged.isEmpty else {
            let why = all.isEmpty ? "no data: needs a T_PC or T_v sweep with 2 ok points for a seed (`repro sweep --param tpc`)"
                : all.contains(where: \.reuse) ? "no T_PC or T_v sweep of a one-layer configuration made with spectra reuse"
                : "the T_PC and T_v sweeps here were made without spectra reuse (before `--pca-cache`, or with it off)"
            return ClaimCheck(id: id, claim: claim, rule: rule, verdict: .inconclusive, summary: why + ClaimCheck.leftOutText(leftOut),
                              findings: [], leftOut: leftOut)
        }
        // One finding per sweep (dataset, filters, parameter), over its seeds.
        var order: [String] = []
        var bySweep: [String: [SeedSeries]] = [:]
        for s in judged {
            let key = "\(s.dataset.displayName) \(s.filters.replacingOccurrences(of: "-", with: "+")) \(symbol(s.param))"
            if bySweep[key] == nil { order.append(key) }
            bySweep[key, default: []].append(s)
        }
        let findings = order.map { key -> Finding in
            let ss = bySweep[key]!
            let worst = ss.max { $0.ratio < $1.ratio }!
            let verdict: Verdict = ss.allSatisfy { $0.ratio <= limit } ? .supported : .notSupported
            let text = "\(ss.count) seed\(ss.count == 1 ? "" : "s"), \(ss.map { $0.seconds.count }.max()!) points: first build "
                + "\(ms(Stats.median(ss.map { $0.seconds[$0.first] }))) (median over seeds), further builds median "
                + "\(ms(Stats.median(ss.flatMap(\.further)))), largest \(ms(worst.further.max()!)) = \(percent(worst.ratio)) of its first (seed \(worst.seed))"
            return Finding(label: key, verdict: verdict, text: text)
        }
        let verdict: Verdict = findings.allSatisfy { $0.verdict == .supported } ? .supported : .notSupported
        let worst = judged.max { $0.ratio < $1.ratio }!
        let notJudged = all.count - judged.count
        return ClaimCheck(id: id, claim: claim, rule: rule, verdict: verdict,
                          summary: "\(findings.filter { $0.verdict == .supported }.count) of \(findings.count) one-layer sweeps within 5%; "
                              + "largest further build \(percent(worst.ratio)) of the first (\(worst.label))"
                              + (notJudged > 0 ? "; \(notJudged) seed series of multi-layer sweeps or without reuse shown, not judged" : "")
                              + ClaimCheck.leftOutText(leftOut),
                          findings: findings, leftOut: leftOut)
    }

    static func ms(_ s: Double) -> String { s.isFinite ? String(format: "%.1f ms", s * 1000) : "–" }
    static func percent(_ r: Double) -> String { r.isFinite ? String(format: "%.1f%%", r * 100) : "–" }

    /// The report's table: one row per sweep and seed.
    static func table(_ set: ResultSet, sweeps: [ParameterSweep]) -> (header: [String], rows: [[String]]) {
        let all = series(sweeps, reusing: reusingSpecs(set.provenance)).series
        return (["dataset", "filters", "swept", "seed", "reuse", "points", "first point", "first build", "further builds (median)",
                 "largest further / first", "judged"],
                all.map { s -> [String] in
                    let judged: String
                    if s.judged { judged = s.ratio <= limit ? "yes, within 5%" : "yes, above 5%" }
                    else { judged = s.layers > 1 ? "no (\(s.layers) layers)" : "no (no reuse)" }
                    let filters = s.filters.replacingOccurrences(of: "-", with: "+")
                    let first = s.first
                    return [s.dataset.displayName, filters, symbol(s.param), String(s.seed), s.reuse ? "yes" : "no", String(s.seconds.count),
                            s.labels[first], ms(s.seconds[first]), ms(Stats.median(s.further)), percent(s.ratio), judged]
                })
    }

    /// `pca_reuse.csv` for plot-scripts/pca-reuse.gp: per sweep made with reuse (`series`) and
    /// seed, each point's build seconds in sweep order, `role` first (the point that computed the
    /// PCA) or further, and `limit_s` = 5% of that seed's first build. Sweeps made without reuse
    /// are in the report's table only.
    static func plotTable(_ set: ResultSet, sweeps: [ParameterSweep]) -> CSVTable {
        var t = CSVTable(header: ["param", "series", "series_label", "seed", "point", "value", "build_s", "role", "reuse", "limit_s"])
        let all = series(sweeps, reusing: reusingSpecs(set.provenance)).series.filter(\.reuse)
        // Sweeps numbered from 1 within each parameter, in order of appearance.
        var seriesOf: [String: Int] = [:], perParam: [String: Int] = [:]
        for s in all {
            let key = "\(s.param) \(s.dataset.displayName) \(s.filters)"
            if seriesOf[key] == nil { perParam[s.param, default: 0] += 1; seriesOf[key] = perParam[s.param]! }
            for (i, v) in s.seconds.enumerated() {
                t.append([s.param, String(seriesOf[key]!),
                          PlotTables.clean("\(s.dataset.displayName) \(s.filters.replacingOccurrences(of: "-", with: "+"))"), String(s.seed),
                          String(i + 1), PlotTables.n(s.values[i]), PlotTables.n(v), i == s.first ? "first" : "further",
                          s.reuse ? "yes" : "no", PlotTables.n(limit * s.seconds[s.first])])
            }
        }
        return t
    }

    /// The report section: the table and the figure's name.
    static func section(_ a: ReportAnalysis, into d: inout MarkdownDocument) {
        let t = table(a.set, sweeps: a.sweeps)
        guard !t.rows.isEmpty else { return }
        d.p("## One PCA for all thresholds")
        d.p()
        d.p("Build seconds (`build_s`) of each T_PC and T_v sweep, per seed: the first point computes each layer's class density "
          + "matrices and their eigenvectors, the further points reuse them when the folder was made with `--pca-cache` on "
          + "(the default) or memory. \"largest further / first\" is r of the claim [\(id)](#claims-in-detail); figure `pca-reuse.png`.")
        d.p()
        d.table(t.header, t.rows)
    }
}
