import Datasets
import Experiments
import Foundation

/// The runs a report reads, with what its sections derive from them (pure).
struct ReportEvidence: Sendable {
    var set: ResultSet
    var groups: [RunGroup]
    var configs: [Fig3Config]
    var sweeps: [ParameterSweep]

    init(_ set: ResultSet) {
        let g = Analysis.groups(set.runs)
        self.set = set
        groups = g
        configs = Analysis.fig3Configs(g)
        sweeps = Analysis.sweepParams.flatMap { Analysis.sweeps(g, param: $0) }
    }

    /// `configs` on the paper's text protocol: what the top-level verdicts judge.
    var paperTextConfigs: [Fig3Config] { ClaimRobustness.paperTextConfigs(groups: groups) }
}

/// Everything the report shows, computed from a `ResultSet` (pure).
///
/// Two sets of runs: `paper`, which the Fig. 3 tables, the sweeps, the timings and the paper's
/// own claims read, and `beyond`, which the claims beyond Fig. 3 read (T_frac auto, less data,
/// pretraining, BatchNorm, one PCA for all thresholds; `Claims.beyondFig3`). `beyond` is
/// `paper` unless the report is given folders for those claims only (`repro report
/// --beyond-fig3`): a study made for one claim (the learning curves' small training sets, the
/// one-epoch PCA-reuse sweeps) then feeds that claim without entering the paper's verdicts.
public struct ReportAnalysis: Sendable {
    var paper: ReportEvidence
    var beyond: ReportEvidence
    var early: [Fig1Early]
    var timings: [TimingRow]
    public var claims: [ClaimCheck]
    /// Each DMN-vs-ConvNet claim under every protocol in the results (`ClaimRobustness`).
    var robustness: [ClaimRobustnessTable]
    /// Time each model takes to reach a grid of accuracies (paper's text protocol).
    var timeToAccuracy: [TimeToAccuracyRow]

    var set: ResultSet { paper.set }
    var groups: [RunGroup] { paper.groups }
    var configs: [Fig3Config] { paper.configs }
    var sweeps: [ParameterSweep] { paper.sweeps }

    /// - Parameter beyondFig3: the runs the claims beyond Fig. 3 read, `set`'s included
    ///   (default: `set`).
    public init(_ set: ResultSet, beyondFig3: ResultSet? = nil) {
        paper = ReportEvidence(set)
        beyond = beyondFig3.map(ReportEvidence.init) ?? paper
        early = Analysis.fig1Early(lambda: set.lambda, runs: set.runs)
        timings = Analysis.timings(paper.configs)
        // The top-level verdicts keep the paper's text protocol; the others go to the robustness section.
        let paperText = paper.paperTextConfigs
        claims = Claims.all(configs: paperText, sweeps: paper.sweeps, early: early, set: set, timedConfigs: paper.configs)
            + Claims.beyondFig3(beyond)
        timeToAccuracy = TimeToAccuracy.grid(paperText, history: set.history)
        robustness = ClaimRobustness.analyse(runs: set.runs, history: set.history)
    }
}

/// Markdown text assembled line by line, with pipe tables.
struct MarkdownDocument {
    var lines: [String] = []
    mutating func p(_ s: String = "") { lines.append(s) }
    mutating func table(_ header: [String], _ rows: [[String]]) {
        p("| " + header.joined(separator: " | ") + " |")
        p("|" + header.map { _ in " --- |" }.joined())
        for r in rows { p("| " + r.map { $0.replacingOccurrences(of: "|", with: "\\|") }.joined(separator: " | ") + " |") }
        p()
    }
    var text: String {
        var l = lines
        while l.last == "" { l.removeLast() }
        return l.joined(separator: "\n") + "\n"
    }
}

/// REPORT.md as text: one function per section, in the order of the report.
public enum ReportWriter {
    /// - Parameters:
    ///   - generated: the time stamp to print: the newest run's finish, so that regenerating
    ///     the report from the same runs gives the same bytes.
    ///   - figures: image files (relative to the report) to link, e.g. "fig3-top.png".
    public static func markdown(_ a: ReportAnalysis, generated: String, figures: [String] = []) -> String {
        var d = MarkdownDocument()
        title(a, generated: generated, into: &d)
        claimsOverview(a, into: &d)
        provenance(a, into: &d)
        fig3Tables(a, into: &d)
        timings(a, into: &d)
        timeToAccuracy(a, into: &d)
        for line in TfracAutoClaim.markdown(a.beyond.groups) { d.p(line) }
        for line in PretrainingClaim.markdown(a.beyond.set) + BatchNormClaim.markdown(a.beyond.set) { d.p(line) }
        learningCurves(a, into: &d)
        sweeps(a, into: &d)
        PCAReuse.section(a, into: &d)
        fig1(a, into: &d)
        fig2(a, into: &d)
        figureLinks(figures, into: &d)
        robustness(a, into: &d)
        claimsInDetail(a, into: &d)
        notes(a, into: &d)
        return d.text
    }

    /// The heading and what the report covers.
    static func title(_ a: ReportAnalysis, generated: String, into d: inout MarkdownDocument) {
        let runs = a.set.runs
        let ok = runs.filter { $0.status == .ok }.count
        let infeasibleCount = runs.filter { $0.status == .infeasible }.count
        d.p("# Reproduction report")
        d.p()
        d.p("Density Matrix Networks (Dehmamy, Rohani, Katsaggelos, arXiv 1703.04757). Results as of \(generated), reported by `repro report` "
          + "(repro \(ReproVersion.string)) from " + a.set.folders.map { "`\($0)`" }.joined(separator: ", ")
          + ": \(runs.count) runs, \(ok) ok, \(infeasibleCount) infeasible (the method cannot build them), "
          + "\(runs.count - ok - infeasibleCount) failed." + beyondText(a))
        d.p()
    }

    /// The folders only the claims beyond Fig. 3 read, and their runs ("" when there are none).
    static func beyondText(_ a: ReportAnalysis) -> String {
        let extra = a.beyond.set.folders.filter { !a.set.folders.contains($0) }
        guard !extra.isEmpty else { return "" }
        let paperIds = Set(a.set.runs.map(\.runId))
        let runs = a.beyond.set.runs.filter { !paperIds.contains($0.runId) }
        return " The claims beyond Fig. 3 (T_frac auto, less data, pretraining, BatchNorm, one PCA for all thresholds) also read "
            + extra.map { "`\($0)`" }.joined(separator: ", ")
            + ": \(runs.count) more runs, \(runs.filter { $0.status == .ok }.count) ok; the Fig. 3 tables, sweeps and timings "
            + "and the paper's own claims do not."
    }

    /// Every claim with its verdict, first, for the reader in a hurry.
    static func claimsOverview(_ a: ReportAnalysis, into d: inout MarkdownDocument) {
        d.p("## Claims")
        d.p()
        d.p("Each claim of the paper, checked against these results. Intervals are 95% t intervals of the mean over seeds "
          + "(mean ± t(0.975, n−1)·s/√n); \"supported\" needs the comparison to hold with the intervals not overlapping in the "
          + "wrong direction, \"not supported\" needs it to fail with the intervals separated, and anything between — or missing "
          + "data, or fewer than 2 seeds — is \"inconclusive\". The exact rule of each claim is under [Claims in detail](#claims-in-detail).")
        d.p()
        d.table(["claim", "verdict", "numbers"], a.claims.map { ["\($0.claim)", "**\($0.verdict.rawValue)**", $0.summary] })
    }

    /// Where the runs come from, the commands, and the runs left out.
    static func provenance(_ a: ReportAnalysis, into d: inout MarkdownDocument) {
        d.p("## Provenance")
        d.p()
        d.table(["folder", "spec", "git commit", "host (cores)", "BLAS threads (kernels)", "jobs", "runs ok / failed", "started", "finished"],
              a.beyond.set.provenance.map { v in
                  guard v.present else { return ["`\(v.folder)`", "no provenance.json", "", "", "", "", "", "", ""] }
                  let commit = (v.gitCommit.map { String($0.prefix(12)) } ?? "?") + (v.gitDirty == true ? " (modified)" : "")
                  return ["`\(v.folder)`", v.specName ?? "?", commit, "\(v.host ?? "?") (\(v.cores.map(String.init) ?? "?"))",
                          (v.blasThreads.map(String.init) ?? "?") + (v.blasCore.map { " (\($0))" } ?? ""), v.jobs.map(String.init) ?? "?",
                          "\(v.runsOk.map(String.init) ?? "?") / \(v.runsFailed.map(String.init) ?? "?")",
                          v.started ?? "?", v.finished ?? "not finished"]
              })
        let modified = a.beyond.set.provenance.filter { $0.gitDirty == true }
        if !modified.isEmpty {
            d.p("**Not from a clean commit:** " + modified.map { "`\($0.folder)`" }.joined(separator: ", ")
                + " \(modified.count == 1 ? "was" : "were") made from a working tree with uncommitted changes, so the code "
                + "that made \(modified.count == 1 ? "it" : "them") is not in the history; re-run from a clean checkout to rely on it.")
            d.p()
        }
        let commands = a.beyond.set.provenance.filter(\.present)
        if !commands.isEmpty {
            d.p("Commands:")
            d.p()
            for v in commands {
                var line = "- `\(v.folder)`: `\((v.command ?? []).joined(separator: " "))`"
                if let s = v.shard { line += " (shard \(s))" }
                if let m = v.mergedFrom, !m.isEmpty { line += "; merged from " + m.map { "`\($0)`" }.joined(separator: ", ") }
                if let e = v.executor { line += "; executor \(e)" }
                if let r = v.reproVersion { line += "; repro \(r)" }
                d.p(line)
            }
            d.p()
        }
        let failed = a.beyond.set.runs.filter { $0.status != .ok }
        if !failed.isEmpty {
            d.p("Failed and infeasible runs (left out of every statistic):")
            d.p()
            for r in failed.prefix(20) {
                d.p("- `\(r.runId)` \(r.dataset.rawValue) \(r.model.rawValue) \(r.filters) seed \(r.seed) \(r.status.rawValue): \(r.reason.replacingOccurrences(of: "\n", with: " "))")
            }
            if failed.count > 20 { d.p("- … and \(failed.count - 20) more") }
            d.p()
        }
    }

    /// Fig. 3 top: test accuracy per dataset, filters and model.
    static func fig3Tables(_ a: ReportAnalysis, into d: inout MarkdownDocument) {
        d.p("## Fig. 3: test accuracy")
        d.p()
        let classify = a.groups.filter { $0.kind == .classify }
        if classify.isEmpty {
            d.p("No classify runs in these results.")
            d.p()
        } else {
            d.p("Test accuracy (%) over seeds: mean ± half width of the 95% t interval; std is the sample standard deviation. "
              + "`settings` lists the parameters that differ between rows of the same dataset.")
            d.p()
        }
        glance(classify, into: &d)
        let dmnFamily = RunNormalization.modelsUsingDMNParameters
        let dmnCols = Analysis.parameterColumns.filter { Analysis.dmnColumns.contains($0) }
        let sharedCols = Analysis.parameterColumns.filter { !Analysis.dmnColumns.contains($0) }
        for ds in orderedDatasets(classify.map(\.dataset)) {
            let gs = classify.filter { $0.dataset == ds }
            let varyShared = Analysis.varying(gs, columns: sharedCols)
            let varyDMN = Analysis.varying(gs.filter { dmnFamily.contains($0.model) }, columns: dmnCols)
            let specs = Set(gs.map(\.spec)).count > 1
            d.p("### \(ds.displayName)")
            d.p()
            var header = ["filters", "model"]
            if specs { header.append("spec") }
            header += ["settings", "n", "mean ± 95% CI", "std", "failed or infeasible"]
            d.table(header, gs.map { g in
                var cols = varyShared
                if dmnFamily.contains(g.model) { cols += varyDMN }
                var row = [g.filtersLabel, g.model.rawValue]
                if specs { row.append(g.spec) }
                row += [Analysis.describe(g, columns: cols), String(g.accuracy.n), Fmt.ci(g.accuracy),
                        g.accuracy.n >= 2 ? Fmt.pct(g.accuracy.std) : "–", String(g.failed)]
                return row
            })
        }
    }

    /// DMN build time against ConvNet SGD time per configuration.
    /// Models side by side, a row per dataset and filter configuration (what README quotes).
    /// Only when that names each group once (one spec, one setting per model); otherwise the
    /// per-dataset tables below are the only honest layout.
    static func glance(_ classify: [RunGroup], into d: inout MarkdownDocument) {
        let keys = classify.map { "\($0.dataset.rawValue)|\($0.filters)|\($0.model.rawValue)" }
        guard !classify.isEmpty, Set(keys).count == keys.count, Set(classify.map(\.spec)).count == 1 else { return }
        let shown = ([ModelKind.baseline] + ModelKind.allCases.filter { $0 != .baseline })
            .filter { m in classify.contains { $0.model == m } }
        func cell(_ g: RunGroup?) -> String {
            guard let g else { return "" }
            if g.accuracy.n > 0 { return Fmt.ci(g.accuracy) }
            return g.infeasible > 0 ? "infeasible" : (g.failed > 0 ? "failed" : "")
        }
        d.p("### At a glance")
        d.p()
        d.p("Test accuracy (%), mean ± 95% CI over seeds, per model" + (shown.contains(.baseline) ? "; the baseline (the softmax on the pixels) has no conv layer and is repeated on each row of its dataset." : "."))
        d.p()
        var rows: [[String]] = []
        for ds in orderedDatasets(classify.map(\.dataset)) {
            let gs = classify.filter { $0.dataset == ds }
            var filters: [String] = []
            for g in gs where g.model != .baseline && !filters.contains(g.filters) { filters.append(g.filters) }
            let baseline = gs.first { $0.model == .baseline }
            for f in filters {
                let label = f.replacingOccurrences(of: "-", with: "+")
                rows.append([ds.displayName, label] + shown.map { m in cell(m == .baseline ? baseline : gs.first { $0.model == m && $0.filters == f }) })
            }
        }
        d.table(["dataset", "filters"] + shown.map(\.rawValue), rows)
    }

    static func timings(_ a: ReportAnalysis, into d: inout MarkdownDocument) {
        d.p("## DMN build time vs ConvNet SGD time")
        d.p()
        if a.timings.isEmpty {
            d.p("No configuration with both DMN and ConvNet runs.")
            d.p()
        } else {
            d.p("Medians over seeds, in seconds. DMN build = estimating the filters from density matrices (`build_s`); "
              + "DMN SGD = training what the DMN leaves to gradient descent (`sgd_s`); ratio = ConvNet SGD / DMN build.")
            d.p()
            d.table(["dataset", "filters", "DMN runs", "DMN build", "DMN SGD", "ConvNet runs", "ConvNet SGD", "ratio"],
                  a.timings.map { t in
                      [t.dataset.displayName, t.label, String(t.dmnRuns), Fmt.seconds(t.dmnBuild), Fmt.seconds(t.dmnSGD),
                       String(t.convnetRuns), Fmt.seconds(t.convnetSGD), t.ratio.isFinite ? String(format: "%.1f×", t.ratio) : "–"]
                  })
        }
    }

    /// Issue 24 item 2: the time each model takes to reach a given accuracy.
    static func timeToAccuracy(_ a: ReportAnalysis, into d: inout MarkdownDocument) {
        guard !a.timeToAccuracy.isEmpty else { return }
        d.p("## Time to a given accuracy")
        d.p()
        d.p("Wall seconds from a run's start until it first reaches the target test accuracy (at the end of an epoch): "
          + "build + the one pass of frozen features + epochs for the DMN, epochs for the ConvNet (see the rule of the claim "
          + "\"\(TimeToAccuracy.claim)\" in [Claims in detail](#claims-in-detail)). Targets: \(TimeToAccuracy.gridLevels) accuracies "
          + "every run of both models reaches, from the highest first-epoch accuracy to the lowest best accuracy. Mean ± 95% CI over "
          + "seeds; the paper's text protocol; figure: time-accuracy.png.")
        d.p()
        d.table(["dataset", "filters", "target (%)", "DMN", "ConvNet", "ConvNet / DMN"], a.timeToAccuracy.map { r in
            [r.dataset.displayName, r.label, Fmt.pct(r.target), TimeToAccuracy.secondsCI(r.dmn), TimeToAccuracy.secondsCI(r.convnet),
             r.dmn.mean > 0 && r.convnet.mean.isFinite ? String(format: "%.1f×", r.convnet.mean / r.dmn.mean) : "–"]
        })
    }

    /// Fig. 3 bottom: accuracy against T_PC, T_v, T_frac.
    static func sweeps(_ a: ReportAnalysis, into d: inout MarkdownDocument) {
        d.p("## Fig. 3 bottom: parameter sweeps")
        d.p()
        if a.sweeps.isEmpty {
            d.p("No DMN runs in which T_PC, T_v or T_frac varies.")
            d.p()
        }
        for s in a.sweeps {
            d.p("### \(ReportNames.param(s.param)), \(s.label), spec \(s.spec)")
            d.p()
            var rows = s.points.map { pt -> [String] in
                let used = Array(Set(pt.group.okRuns.map(\.filterCounts))).sorted().map { $0.replacingOccurrences(of: "-", with: "+") }
                return [pt.label, String(pt.group.accuracy.n), Fmt.ci(pt.group.accuracy),
                        pt.group.accuracy.n >= 2 ? Fmt.pct(pt.group.accuracy.std) : "–", used.joined(separator: ", ")]
            }
            if let b = s.baseline {
                rows.append(["baseline", String(b.accuracy.n), Fmt.ci(b.accuracy), b.accuracy.n >= 2 ? Fmt.pct(b.accuracy.std) : "–", ""])
            }
            d.table([ReportNames.param(s.param), "n", "mean ± 95% CI (%)", "std", "filters used"], rows)
        }
    }

    /// Fig. 1: early convergence rate of the lowest and highest layer.
    static func fig1(_ a: ReportAnalysis, into d: inout MarkdownDocument) {
        d.p("## Fig. 1: convergence rate λ per layer")
        d.p()
        if a.early.isEmpty {
            d.p("No convergence runs with λ records.")
            d.p()
        } else {
            d.p("Mean smoothed de-trended λ over the first \(Int(Analysis.fig1EarlyFraction * 100))% of recorded steps.")
            d.p()
            d.table(["dataset", "runs", "steps", "lowest layer", "λ", "highest layer", "λ"], a.early.map { e in
                [e.dataset.displayName, String(e.runs), "≤ \(e.windowSteps) of \(e.totalSteps)", String(e.lowLayer),
                 Fmt.num(e.lowMean), String(e.highLayer), Fmt.num(e.highMean)]
            })
        }
    }

    /// Fig. 2: statistics of the scaled eigenvalue increments.
    static func fig2(_ a: ReportAnalysis, into d: inout MarkdownDocument) {
        d.p("## Fig. 2: density-matrix fluctuations")
        d.p()
        let variance = ParsedTable(PlotTables.fig2Variance(summary: a.set.fluctuationSummary, fluctuation: a.set.fluctuation))
        let increments = a.set.fluctuation.map { $0.number("scaled_increment") }.filter(\.isFinite)
        if variance.rows.isEmpty && increments.isEmpty {
            d.p("No fluctuation runs in these results.")
            d.p()
        } else {
            if !increments.isEmpty {
                d.p("\(increments.count) scaled increments: mean \(Fmt.num(Stats.mean(increments), 4)), std \(Fmt.num(Stats.sampleStd(increments), 4)).")
                d.p()
            }
            if !variance.rows.isEmpty {
                d.table(["N", "increments", "mean", "variance"], variance.rows.map { r in
                    ["\(Int(r.number("n_from")))–\(Int(r.number("n_to")))", String(Int(r.number("count"))),
                     Fmt.num(r.number("mean"), 4), Fmt.num(r.number("variance"), 4)]
                })
            }
        }
    }

    static func figureLinks(_ figures: [String], into d: inout MarkdownDocument) {
        if !figures.isEmpty {
            d.p("## Figures")
            d.p()
            for f in figures { d.p("![\(f)](\(f))") ; d.p() }
        }
    }

    static func robustness(_ a: ReportAnalysis, into d: inout MarkdownDocument) {
        for line in ClaimRobustness.markdown(a.robustness) { d.p(line) }
    }

    /// Each claim with its rule and every finding.
    static func claimsInDetail(_ a: ReportAnalysis, into d: inout MarkdownDocument) {
        d.p("## Claims in detail")
        d.p()
        for c in a.claims {
            d.p("### \(c.claim)")
            d.p()
            d.p("**\(c.verdict.rawValue)** — \(c.summary)")
            d.p()
            d.p("Rule: \(c.rule)")
            d.p()
            for f in c.findings { d.p("- \(f.label): **\(f.verdict.rawValue)** — \(f.text)") }
            if !c.findings.isEmpty { d.p() }
        }
    }

    /// Notes the results loader collected.
    static func notes(_ a: ReportAnalysis, into d: inout MarkdownDocument) {
        if !a.beyond.set.notes.isEmpty {
            d.p("## Notes")
            d.p()
            for n in a.beyond.set.notes { d.p("- \(n)") }
            d.p()
        }
    }

    static func orderedDatasets(_ ds: [DatasetName]) -> [DatasetName] {
        Set(ds).sorted { $0.rank < $1.rank }
    }
}
