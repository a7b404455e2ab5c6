import Datasets
import Experiments
import Foundation

// Issue 24 item 4: "A reasonable fraction [T_frac] may be determined prior by checking … the
// convergence of ρ_c." With dmn.tfrac "auto" each DMN layer stops adding training images
// once ρ_c settles (runs.csv column tfrac_chosen, per layer). The claim: that automatic
// fraction is smaller than 1 and costs at most half a point of accuracy against T_frac = 1.
// The numeric T_frac runs of the same settings (a T_frac sweep) show what each fraction gives.

/// One DMN configuration (dataset, filters and every setting but T_frac) with runs at T_frac
/// "auto", and the numeric T_frac runs of the same settings.
struct TfracAutoConfig: Sendable {
    var dataset: DatasetName
    var filters: String
    var auto: RunGroup
    /// The numeric T_frac groups, by increasing value (1 among them when it was run).
    var sweep: [(value: Double, group: RunGroup)]
    var label: String { "\(dataset.displayName) \(auto.filtersLabel)" }
    var full: RunGroup? { sweep.first { abs($0.value - 1) < 1e-9 }?.group }
    /// Per ok automatic run, the fraction of the training images it used: the largest any of
    /// its layers chose (NaN when the run recorded none).
    var chosen: [Double] { auto.okRuns.map(TfracAutoClaim.chosenFraction) }
}

enum TfracAutoClaim {
    static let id = "tfrac-auto-within-half-point"
    static let claim = "T_frac from the convergence of ρ_c: the automatic T_frac reaches within 0.5 points of T_frac = 1 at a smaller fraction"
    /// Half a point of accuracy.
    static let tolerance = 0.005
    static let rule = "Per DMN configuration (dataset, filters and every other setting equal) with runs at T_frac \"auto\" and at T_frac = 1: "
        + "f = the fraction an automatic run used (the largest its layers chose, runs.csv tfrac_chosen); d = mean accuracy of auto − mean "
        + "accuracy at 1. Supported when d ≥ −0.5 point and every automatic run has f < 1; not supported when every automatic run has "
        + "f = 1 (ρ_c never settled before all images), or when d < −0.5 point and auto's 95% CI lies wholly below that at 1; "
        + "inconclusive otherwise (d < −0.5 point with overlapping CIs, f < 1 in only some runs, fewer than 2 seeds, or no run at 1). "
        + "Overall: every configuration must be supported (not supported when any is not). For comparison each finding names the "
        + "smallest numeric T_frac of the same settings whose mean is within 0.5 point of that at 1."

    /// The largest per-layer fraction of a run's tfrac_chosen ("0.15-0.4" → 0.4); NaN when empty.
    static func chosenFraction(_ row: RunRow) -> Double { row.tfracChosen.max() ?? .nan }

    /// The configurations with automatic runs. Not keyed by spec: a numeric run another spec
    /// shares (fig3.json's T_frac 0.3 on MNIST) is the same run; the automatic runs' own spec
    /// wins where two specs hold a value.
    static func configs(_ groups: [RunGroup]) -> [TfracAutoConfig] {
        let dmn = groups.filter { $0.kind == .classify && $0.model == .dmn }
        let others = Analysis.parameterColumns.filter { $0 != "tfrac" && $0 != "tfrac_tolerance" }
        func key(_ g: RunGroup) -> String { ([g.dataset.rawValue, g.filters] + others.map { g.setting($0).description }).joined(separator: "\u{1}") }
        var out: [TfracAutoConfig] = []
        for auto in dmn where auto.setting("tfrac") == .text("auto") {
            var byValue: [Double: RunGroup] = [:]
            for g in dmn where key(g) == key(auto) {
                guard case .real(let v) = g.setting("tfrac") else { continue }
                if let kept = byValue[v], kept.spec == auto.spec || g.spec != auto.spec { continue }
                byValue[v] = g
            }
            out.append(TfracAutoConfig(dataset: auto.dataset, filters: auto.filters, auto: auto,
                                       sweep: byValue.keys.sorted().map { ($0, byValue[$0]!) }))
        }
        return out.sorted { a, b in
            if a.dataset != b.dataset { return a.dataset.rank < b.dataset.rank }
            return Analysis.filterKey(a.filters).lexicographicallyPrecedes(Analysis.filterKey(b.filters))
        }
    }

    /// The smallest numeric T_frac below 1 whose mean accuracy is within the tolerance of that at 1.
    static func smallestWithin(_ c: TfracAutoConfig) -> Double? {
        guard let full = c.full, full.accuracy.n > 0 else { return nil }
        return c.sweep.first { $0.value < 1 - 1e-9 && $0.group.accuracy.n > 0 && $0.group.accuracy.mean >= full.accuracy.mean - tolerance }?.value
    }

    static func judge(_ c: TfracAutoConfig) -> (Verdict, String) {
        let f = c.chosen
        let fText = f.isEmpty ? "no runs" : f.contains { !$0.isFinite } ? "not recorded in \(f.filter { !$0.isFinite }.count) of \(f.count) runs"
            : "T_frac \(fractionText(f))"
        guard let full = c.full else { return (.inconclusive, "auto \(Fmt.ci(c.auto.accuracy)) at \(fText); no run at T_frac = 1") }
        let d = c.auto.accuracy.mean - full.accuracy.mean
        let sweepText = smallestWithin(c).map { "; the sweep is within 0.5 pt of 1 from T_frac \(Fmt.value($0))" }
            ?? (c.sweep.count > 1 ? "; no swept T_frac below 1 is within 0.5 pt of 1" : "")
        let text = "auto \(Fmt.ci(c.auto.accuracy)) at \(fText) vs T_frac 1 \(Fmt.ci(full.accuracy)), d = \(Fmt.points(d))" + sweepText
        guard !f.isEmpty, f.allSatisfy(\.isFinite) else { return (.inconclusive, text) }
        if f.allSatisfy({ $0 >= 1 - 1e-9 }) { return (.notSupported, text) }
        let accuracy = Rules.notWorse(c.auto.accuracy, full.accuracy, tolerance: tolerance)
        if accuracy == .notSupported { return (.notSupported, text) }
        if accuracy == .supported && f.allSatisfy({ $0 < 1 - 1e-9 }) { return (.supported, text) }
        return (.inconclusive, text)
    }

    /// "0.15" when every run chose it, else "0.15–0.25 (mean 0.2)".
    static func fractionText(_ f: [Double]) -> String {
        guard let lo = f.min(), let hi = f.max() else { return "–" }
        return lo == hi ? Fmt.value(lo) : "\(Fmt.value(lo))–\(Fmt.value(hi)) (mean \(Fmt.num(Stats.mean(f), 3)))"
    }

    static func check(_ groups: [RunGroup]) -> ClaimCheck {
        let all = configs(groups)
        let leftOut = all.filter { $0.auto.cannotBuild || ($0.full?.cannotBuild ?? false) }.map(\.label)
        let judged = all.filter { !$0.auto.cannotBuild && !($0.full?.cannotBuild ?? false) }
        guard !judged.isEmpty else {
            return ClaimCheck(id: id, claim: claim, rule: rule, verdict: .inconclusive,
                              summary: "no data: needs DMN runs with dmn.tfrac \"auto\" and 1 (experiments/tfrac-auto.json)"
                                  + ClaimCheck.leftOutText(leftOut), findings: [], leftOut: leftOut)
        }
        let findings = judged.map { c -> Finding in
            let (v, text) = judge(c)
            return Finding(label: c.label, verdict: v, text: text)
        }
        let verdict = Rules.combine(findings.map(\.verdict), need: findings.count)
        let counts = Verdict.allCases.map { v in "\(findings.filter { $0.verdict == v }.count) \(v.rawValue)" }
        let fractions = judged.flatMap(\.chosen).filter(\.isFinite)
        return ClaimCheck(id: id, claim: claim, rule: rule, verdict: verdict,
                          summary: "\(findings.count) config\(findings.count == 1 ? "" : "s"): \(counts.joined(separator: ", ")) (needs all supported)"
                              + (fractions.isEmpty ? "" : "; automatic T_frac \(fractionText(fractions))") + ClaimCheck.leftOutText(leftOut),
                          findings: findings, leftOut: leftOut)
    }

    static let heading = "## T_frac from the convergence of ρ_c"

    /// The report's section: per configuration, the fraction chosen and the accuracy against
    /// T_frac = 1 and the sweep.
    static func markdown(_ groups: [RunGroup]) -> [String] {
        let cs = configs(groups)
        guard !cs.isEmpty else { return [] }
        var d = MarkdownDocument()
        d.p(heading)
        d.p()
        d.p("dmn.tfrac \"auto\": each layer adds 5% of each class's training images at a time until one step changes no class's ρ_c "
          + "by dmn.tfracTolerance or more of its Frobenius norm, then builds from the T_frac pick at that fraction. \"chosen\" is "
          + "the fraction a run used (the largest over its layers), over seeds; accuracies are mean ± 95% CI over seeds; \"sweep within "
          + "0.5 pt\" is the smallest numeric T_frac of the same settings whose mean is within 0.5 point of that at 1. Figure: tfrac-auto.png.")
        d.p()
        d.table(["dataset", "filters", "chosen T_frac", "auto (%)", "T_frac 1 (%)", "d", "sweep within 0.5 pt", "verdict"], cs.map { c in
            let full = c.full
            return [c.dataset.displayName, c.auto.filtersLabel, fractionText(c.chosen.filter(\.isFinite)), Fmt.ci(c.auto.accuracy),
                    full.map { Fmt.ci($0.accuracy) } ?? "–", full.map { Fmt.points(c.auto.accuracy.mean - $0.accuracy.mean) } ?? "–",
                    smallestWithin(c).map(Fmt.value) ?? "–", judge(c).0.rawValue]
        })
        return d.lines
    }

    /// The plot table of `tfrac-auto.gp`: per configuration (series), the accuracy at each
    /// numeric T_frac (kind "sweep") and at the automatic one (kind "auto", at the mean fraction
    /// chosen, with the range of fractions over seeds).
    ///
    ///     dataset,series,series_label,kind,tfrac,tfrac_lo,tfrac_hi,n,acc,acc_lo,acc_hi
    static func plotTable(_ groups: [RunGroup]) -> CSVTable {
        var t = CSVTable(header: ["dataset", "series", "series_label", "kind", "tfrac", "tfrac_lo", "tfrac_hi", "n", "acc", "acc_lo", "acc_hi"])
        var series: [DatasetName: Int] = [:]
        for c in configs(groups) {
            series[c.dataset, default: 0] += 1
            func row(_ kind: String, _ f: Double, _ lo: Double, _ hi: Double, _ s: Summary) -> [String] {
                [PlotTables.clean(c.dataset.displayName), String(series[c.dataset] ?? 0), PlotTables.clean(c.auto.filtersLabel), kind,
                 CSVTable.number((f * 1e4).rounded() / 1e4), CSVTable.number(lo), CSVTable.number(hi), String(s.n), PlotTables.pct(s.mean),
                 PlotTables.pct(s.hasInterval ? s.lo : s.mean), PlotTables.pct(s.hasInterval ? s.hi : s.mean)]
            }
            for (v, g) in c.sweep where g.accuracy.n > 0 { t.append(row("sweep", v, v, v, g.accuracy)) }
            let f = c.chosen.filter(\.isFinite)
            if !f.isEmpty && c.auto.accuracy.n > 0 { t.append(row("auto", Stats.mean(f), f.min()!, f.max()!, c.auto.accuracy)) }
        }
        return t
    }
}
