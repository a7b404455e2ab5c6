import Datasets
import Experiments
import Foundation

/// "Tuning hyperparameters of a specific layer can also be done very efficiently, as the PCA
/// needs to be performed only once" (the short version of the paper). T_PC and T_v act on a
/// layer's spectra, not on its density matrices, so with `--pca-cache` a sweep of them computes
/// ρ_c and its eigenvectors once and reuses them at every further point. Each run records per
/// layer whether its spectra came from the cache (runs.csv's spectra_reused); the check compares
/// the build seconds of the runs that reused them with those of the run that computed them.
enum PCAReuse {
    static let id = "pca-once-for-thresholds"
    static let claim = "Tuning a layer's hyperparameters needs the PCA only once (short version): each further point of a T_PC or T_v sweep builds in ≤ 5% of the first point's time"
    /// A further point may cost at most this fraction of the first (issue 24's goal).
    static let limit = 0.05
    static let params = ["tpc", "tv"]

    static let rule = "Per T_PC or T_v sweep spec, dataset, seed and layer count, over the sweep's DMN runs (every filter configuration "
        + "and every point: a layer-1 PCA is the same computation whatever the filter count): the first points are the runs that "
        + "computed their spectra (runs.csv spectra_reused 0 for every layer), the further points those that took every layer's "
        + "spectra from the cache (1 for every layer); r = the largest build_s of the further points / the median build_s of the "
        + "first. A series supports the claim when r ≤ 0.05 and does not when r > 0.05. Judged: one-layer series with a first and a "
        + "further point. Shown, not judged: series of several layers (a sweep's T_PC and T_v apply to every layer, and a layer "
        + "above the first sees another input whenever the first layer's filters change, so its PCA is redone by design), series "
        + "made without reuse (spectra_reused empty: `--pca-cache off`, or before the column existed) and series with no first point "
        + "(every spectrum came from an earlier invocation's cache). Points the method cannot build (infeasible) are left out and "
        + "named. Overall: supported when every judged series supports it, not supported when any does not, inconclusive with none judged."

    /// One point of a series: a run's build seconds and whether it computed or reused its spectra.
    struct Point: Sendable {
        var label: String
        /// The swept value (T_v: that of layer 1).
        var value: Double
        var seconds: Double
        /// nil: the run asked for no reuse; true: every layer reused; false: every layer computed;
        /// a run with some layers of each is neither first nor further.
        var reused: Bool?
        var partial: Bool
    }

    /// One seed of one sweep spec, dataset and layer count.
    struct SeedSeries: Sendable {
        var param: String
        var spec: String
        var dataset: DatasetName
        var layers: Int
        var seed: UInt64
        /// The filter configurations its points come from ("4, 8, 16").
        var filters: [String]
        var points: [Point]

        var reuse: Bool { points.contains { $0.reused != nil } }
        var firsts: [Point] { points.filter { $0.reused == false && !$0.partial } }
        var further: [Double] { points.filter { $0.reused == true && !$0.partial }.map(\.seconds) }
        var firstSeconds: Double { Stats.median(firsts.map(\.seconds)) }
        /// The largest further build over the (median) first.
        var ratio: Double { (further.max() ?? .nan) / firstSeconds }
        var judged: Bool { layers == 1 && !firsts.isEmpty && !further.isEmpty }
        var filtersLabel: String { filters.map { $0.replacingOccurrences(of: "-", with: "+") }.joined(separator: ", ") }
        var label: String { "\(dataset.displayName) \(symbol(param)) \(spec) seed \(seed)" }
        /// Why a series is not judged.
        var notJudgedReason: String {
            if layers > 1 { return "no (\(layers) layers)" }
            if !reuse { return "no (no reuse)" }
            if firsts.isEmpty { return "no (no first point)" }
            return "no (no further point)"
        }
    }

    static func symbol(_ param: String) -> String { param == "tpc" ? "T_PC" : param == "tv" ? "T_v" : param }

    /// Every seed series of every T_PC and T_v sweep, and the points left out because the
    /// method cannot build them.
    static func series(_ sweeps: [ParameterSweep]) -> (series: [SeedSeries], leftOut: [String]) {
        var out: [SeedSeries] = []
        var index: [String: Int] = [:]
        var leftOut: [String] = []
        for s in sweeps where params.contains(s.param) {
            for p in s.points where p.group.okRuns.isEmpty && p.group.infeasible > 0 {
                leftOut.append("\(s.label) \(symbol(s.param)) \(p.label)")
            }
            // Only the sweep's own spec's points: a centre point shared with another spec's
            // sweep (same run id) was built by another invocation, with another cache.
            for p in s.points where p.group.spec == s.spec {
                for run in p.group.okRuns where run.buildSeconds.isFinite {
                    let key = "\(s.param)\u{1}\(s.spec)\u{1}\(s.dataset.rawValue)\u{1}\(p.group.layers)\u{1}\(run.seed)"
                    let i: Int
                    if let j = index[key] { i = j } else {
                        i = out.count; index[key] = i
                        out.append(SeedSeries(param: s.param, spec: s.spec, dataset: s.dataset, layers: p.group.layers, seed: run.seed,
                                              filters: [], points: []))
                    }
                    if !out[i].filters.contains(s.filters) { out[i].filters.append(s.filters) }
                    let flags = run.spectraReused
                    out[i].points.append(Point(label: "\(s.filters.replacingOccurrences(of: "-", with: "+")) \(p.label)", value: p.value,
                                               seconds: run.buildSeconds, reused: flags.isEmpty ? nil : flags.allSatisfy { $0 },
                                               partial: Set(flags).count > 1))
                }
            }
        }
        return (out, leftOut)
    }

    static func check(_ sweeps: [ParameterSweep]) -> ClaimCheck {
        let (all, leftOut) = series(sweeps)
        let judged = all.filter(\.judged)
        guard !judged.isEmpty else {
            let why = all.isEmpty ? "no data: needs a T_PC or T_v sweep (`repro sweep --param tpc`)"
                : !all.contains(where: \.reuse) ? "the T_PC and T_v sweeps here were made without spectra reuse (`--pca-cache off`, or before runs.csv had spectra_reused)"
                : "no one-layer T_PC or T_v series with both a point that computed its spectra and one that reused them"
            return ClaimCheck(id: id, claim: claim, rule: rule, verdict: .inconclusive, summary: why + ClaimCheck.leftOutText(leftOut),
                              findings: [], leftOut: leftOut)
        }
        // One finding per sweep spec and dataset, over its seeds.
        var order: [String] = []
        var bySweep: [String: [SeedSeries]] = [:]
        for s in judged {
            let key = "\(s.dataset.displayName) \(symbol(s.param)) (\(s.spec), filters \(s.filtersLabel))"
            if bySweep[key] == nil { order.append(key) }
            bySweep[key, default: []].append(s)
        }
        let findings = order.map { key -> Finding in
            let ss = bySweep[key]!
            let worst = ss.max { $0.ratio < $1.ratio }!
            let verdict: Verdict = ss.allSatisfy { $0.ratio <= limit } ? .supported : .notSupported
            let text = "\(ss.count) seed\(ss.count == 1 ? "" : "s"), \(ss.map { $0.further.count }.max()!) further points a seed: first build "
                + "\(ms(Stats.median(ss.map(\.firstSeconds)))) (median over seeds), further builds median "
                + "\(ms(Stats.median(ss.flatMap(\.further)))), largest \(ms(worst.further.max()!)) = \(percent(worst.ratio)) of its first (seed \(worst.seed))"
            return Finding(label: key, verdict: verdict, text: text)
        }
        let verdict: Verdict = findings.allSatisfy { $0.verdict == .supported } ? .supported : .notSupported
        let worst = judged.max { $0.ratio < $1.ratio }!
        let notJudged = all.count - judged.count
        return ClaimCheck(id: id, claim: claim, rule: rule, verdict: verdict,
                          summary: "\(findings.filter { $0.verdict == .supported }.count) of \(findings.count) one-layer sweeps within 5%; "
                              + "largest further build \(percent(worst.ratio)) of the first (\(worst.label))"
                              + (notJudged > 0 ? "; \(notJudged) seed series not judged (several layers, no reuse, or no first point) shown" : "")
                              + ClaimCheck.leftOutText(leftOut),
                          findings: findings, leftOut: leftOut)
    }

    static func ms(_ s: Double) -> String { s.isFinite ? String(format: "%.1f ms", s * 1000) : "–" }
    static func percent(_ r: Double) -> String { r.isFinite ? String(format: "%.1f%%", r * 100) : "–" }

    /// The report's table: one row per series (sweep spec, dataset, layer count, seed).
    static func table(_ sweeps: [ParameterSweep]) -> (header: [String], rows: [[String]]) {
        let all = series(sweeps).series
        return (["dataset", "swept", "spec", "filters", "seed", "reuse", "first points", "further points", "first build (median)",
                 "further builds (median)", "largest further / first", "judged"],
                all.map { s -> [String] in
                    let judged = s.judged ? (s.ratio <= limit ? "yes, within 5%" : "yes, above 5%") : s.notJudgedReason
                    return [s.dataset.displayName, symbol(s.param), s.spec, s.filtersLabel, String(s.seed), s.reuse ? "yes" : "no",
                            String(s.firsts.count), String(s.further.count), ms(s.firstSeconds), ms(Stats.median(s.further)),
                            percent(s.ratio), judged]
                })
    }

    /// `pca_reuse.csv` for plot-scripts/pca-reuse.gp: per series made with reuse (`series`,
    /// numbered within each parameter) each point's build seconds, `role` first (computed its
    /// spectra), further (reused every layer's) or mixed, and `limit_s` = 5% of the series' first
    /// build. Series made without reuse are in the report's table only.
    static func plotTable(_ sweeps: [ParameterSweep]) -> CSVTable {
        var t = CSVTable(header: ["param", "series", "series_label", "seed", "point", "value", "build_s", "role", "reuse", "limit_s"])
        let all = series(sweeps).series.filter(\.reuse)
        var seriesOf: [String: Int] = [:], perParam: [String: Int] = [:]
        for s in all {
            let key = "\(s.param) \(s.spec) \(s.dataset.rawValue) \(s.layers)"
            if seriesOf[key] == nil { perParam[s.param, default: 0] += 1; seriesOf[key] = perParam[s.param]! }
            for (i, p) in s.points.enumerated() {
                let role = p.partial || p.reused == nil ? "mixed" : p.reused! ? "further" : "first"
                t.append([s.param, String(seriesOf[key]!), PlotTables.clean("\(s.dataset.displayName) \(s.filtersLabel)"), String(s.seed),
                          String(i + 1), PlotTables.n(p.value), PlotTables.n(p.seconds), role, "yes", PlotTables.n(limit * s.firstSeconds)])
            }
        }
        return t
    }

    /// The report section: the table and the figure's name.
    static func section(_ a: ReportAnalysis, into d: inout MarkdownDocument) {
        let t = table(a.beyond.sweeps)
        guard !t.rows.isEmpty else { return }
        d.p("## One PCA for all thresholds")
        d.p()
        d.p("Build seconds (`build_s`) of each T_PC and T_v sweep, per seed: the first points computed each layer's class density "
          + "matrices and their eigenvectors, the further points took them from the PCA cache (runs.csv's spectra_reused; "
          + "`--pca-cache` on, the default of `repro sweep`, or memory). \"largest further / first\" is r of the claim "
          + "[\(id)](#claims-in-detail); figure `pca-reuse.png`.")
        d.p()
        d.table(t.header, t.rows)
    }
}
