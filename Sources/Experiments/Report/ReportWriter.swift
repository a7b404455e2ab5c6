import Datasets
import Foundation

/// Everything the report shows, computed from a `ResultSet` (pure).
public struct ReportAnalysis: Sendable {
    public var set: ResultSet
    public var groups: [RunGroup]
    public var configs: [Fig3Config]
    public var sweeps: [ParameterSweep]
    public var early: [Fig1Early]
    public var timings: [TimingRow]
    public var claims: [ClaimCheck]
    /// Each DMN-vs-ConvNet claim under every protocol in the results (`ClaimRobustness`).
    public var robustness: [ClaimRobustnessTable]

    public init(_ set: ResultSet) {
        self.set = set
        let g = Analysis.groups(set.runs)
        let c = Analysis.fig3Configs(g)
        let s = Analysis.sweepParams.flatMap { Analysis.sweeps(g, param: $0) }
        let e = Analysis.fig1Early(lambda: set.lambda, runs: set.runs)
        groups = g; configs = c; sweeps = s; early = e
        timings = Analysis.timings(c)
        // The top-level verdicts keep the paper's text protocol; the others go to the robustness section.
        claims = Claims.all(configs: ClaimRobustness.paperTextConfigs(groups: g), sweeps: s, early: e)
        robustness = ClaimRobustness.analyse(runs: set.runs, history: set.history)
    }
}

/// REPORT.md as text.
public enum ReportWriter {
    /// - Parameters:
    ///   - generated: the time stamp to print (passed in so the output is reproducible in tests).
    ///   - figures: image files (relative to the report) to link, e.g. "fig3-top.png".
    public static func markdown(_ a: ReportAnalysis, generated: String, figures: [String] = []) -> String {
        var out: [String] = []
        func p(_ s: String = "") { out.append(s) }
        func table(_ header: [String], _ rows: [[String]]) {
            p("| " + header.joined(separator: " | ") + " |")
            p("|" + header.map { _ in " --- |" }.joined())
            for r in rows { p("| " + r.map { $0.replacingOccurrences(of: "|", with: "\\|") }.joined(separator: " | ") + " |") }
            p()
        }
        let runs = a.set.runs
        let ok = runs.filter { $0["status"] == "ok" }.count
        p("# Reproduction report")
        p()
        p("Density Matrix Networks (Dehmamy, Rohani, Katsaggelos, arXiv 1703.04757). Generated \(generated) by `repro report` "
          + "(repro \(ReproVersion.string)) from " + a.set.folders.map { "`\($0)`" }.joined(separator: ", ")
          + ": \(runs.count) runs, \(ok) ok, \(runs.count - ok) failed.")
        p()

        // Claims overview.
        p("## Claims")
        p()
        p("Each claim of the paper, checked against these results. Intervals are 95% t intervals of the mean over seeds "
          + "(mean ± t(0.975, n−1)·s/√n); \"supported\" needs the comparison to hold with the intervals not overlapping in the "
          + "wrong direction, \"not supported\" needs it to fail with the intervals separated, and anything between — or missing "
          + "data, or fewer than 2 seeds — is \"inconclusive\". The exact rule of each claim is under [Claims in detail](#claims-in-detail).")
        p()
        table(["claim", "verdict", "numbers"], a.claims.map { ["\($0.claim)", "**\($0.verdict.rawValue)**", $0.summary] })

        // Provenance.
        p("## Provenance")
        p()
        table(["folder", "spec", "git commit", "host (cores)", "BLAS threads (kernels)", "jobs", "runs ok / failed", "started", "finished"],
              a.set.provenance.map { v in
                  guard v.present else { return ["`\(v.folder)`", "no provenance.json", "", "", "", "", "", "", ""] }
                  let commit = (v.gitCommit.map { String($0.prefix(12)) } ?? "?") + (v.gitDirty == true ? " (modified)" : "")
                  return ["`\(v.folder)`", v.specName ?? "?", commit, "\(v.host ?? "?") (\(v.cores.map(String.init) ?? "?"))",
                          (v.blasThreads.map(String.init) ?? "?") + (v.blasCore.map { " (\($0))" } ?? ""), v.jobs.map(String.init) ?? "?",
                          "\(v.runsOk.map(String.init) ?? "?") / \(v.runsFailed.map(String.init) ?? "?")",
                          v.started ?? "?", v.finished ?? "not finished"]
              })
        let commands = a.set.provenance.filter(\.present)
        if !commands.isEmpty {
            p("Commands:")
            p()
            for v in commands {
                var line = "- `\(v.folder)`: `\((v.command ?? []).joined(separator: " "))`"
                if let s = v.shard { line += " (shard \(s))" }
                if let m = v.mergedFrom, !m.isEmpty { line += "; merged from " + m.map { "`\($0)`" }.joined(separator: ", ") }
                if let e = v.executor { line += "; executor \(e)" }
                if let r = v.reproVersion { line += "; repro \(r)" }
                p(line)
            }
            p()
        }
        let failed = runs.filter { $0["status"] != "ok" }
        if !failed.isEmpty {
            p("Failed runs (left out of every statistic):")
            p()
            for r in failed.prefix(20) {
                p("- `\(r["run_id"])` \(r["dataset"]) \(r["model"]) \(r["filters"]) seed \(r["seed"]): \(r["reason"].replacingOccurrences(of: "\n", with: " "))")
            }
            if failed.count > 20 { p("- … and \(failed.count - 20) more") }
            p()
        }

        // Fig. 3 tables.
        p("## Fig. 3: test accuracy")
        p()
        let classify = a.groups.filter { $0.kind == .classify }
        if classify.isEmpty {
            p("No classify runs in these results.")
            p()
        } else {
            p("Test accuracy (%) over seeds: mean ± half width of the 95% t interval; std is the sample standard deviation. "
              + "`settings` lists the parameters that differ between rows of the same dataset.")
            p()
        }
        let dmnFamily = RunNormalization.modelsUsingDMNParameters
        let dmnCols = Analysis.parameterColumns.filter { Analysis.dmnColumns.contains($0) }
        let sharedCols = Analysis.parameterColumns.filter { !Analysis.dmnColumns.contains($0) }
        for ds in orderedDatasets(classify.map(\.dataset)) {
            let gs = classify.filter { $0.dataset == ds }
            let varyShared = Analysis.varying(gs, columns: sharedCols)
            let varyDMN = Analysis.varying(gs.filter { dmnFamily.contains($0.model) }, columns: dmnCols)
            let specs = Set(gs.map(\.spec)).count > 1
            p("### \(ds.displayName)")
            p()
            var header = ["filters", "model"]
            if specs { header.append("spec") }
            header += ["settings", "n", "mean ± 95% CI", "std", "failed"]
            table(header, gs.map { g in
                var cols = varyShared
                if dmnFamily.contains(g.model) { cols += varyDMN }
                var row = [g.filtersLabel, g.model.rawValue]
                if specs { row.append(g.spec) }
                row += [Analysis.describe(g, columns: cols), String(g.accuracy.n), Fmt.ci(g.accuracy),
                        g.accuracy.n >= 2 ? Fmt.pct(g.accuracy.std) : "–", String(g.failed)]
                return row
            })
        }

        // Timings.
        p("## DMN build time vs ConvNet SGD time")
        p()
        if a.timings.isEmpty {
            p("No configuration with both DMN and ConvNet runs.")
            p()
        } else {
            p("Medians over seeds, in seconds. DMN build = estimating the filters from density matrices (`build_s`); "
              + "DMN SGD = training what the DMN leaves to gradient descent (`sgd_s`); ratio = ConvNet SGD / DMN build.")
            p()
            table(["dataset", "filters", "DMN runs", "DMN build", "DMN SGD", "ConvNet runs", "ConvNet SGD", "ratio"],
                  a.timings.map { t in
                      [t.dataset.displayName, t.label, String(t.dmnRuns), Fmt.seconds(t.dmnBuild), Fmt.seconds(t.dmnSGD),
                       String(t.convnetRuns), Fmt.seconds(t.convnetSGD), t.ratio.isFinite ? String(format: "%.1f×", t.ratio) : "–"]
                  })
        }

        // Sweeps.
        p("## Fig. 3 bottom: parameter sweeps")
        p()
        if a.sweeps.isEmpty {
            p("No DMN runs in which T_PC, T_v or T_frac varies.")
            p()
        }
        for s in a.sweeps {
            p("### \(ReportNames.param(s.param)), \(s.label), spec \(s.spec)")
            p()
            var rows = s.points.map { pt -> [String] in
                let used = Array(Set(pt.group.okRuns.map { $0["filter_counts"] })).sorted().map { $0.replacingOccurrences(of: "-", with: "+") }
                return [pt.label, String(pt.group.accuracy.n), Fmt.ci(pt.group.accuracy),
                        pt.group.accuracy.n >= 2 ? Fmt.pct(pt.group.accuracy.std) : "–", used.joined(separator: ", ")]
            }
            if let b = s.baseline {
                rows.append(["baseline", String(b.accuracy.n), Fmt.ci(b.accuracy), b.accuracy.n >= 2 ? Fmt.pct(b.accuracy.std) : "–", ""])
            }
            table([ReportNames.param(s.param), "n", "mean ± 95% CI (%)", "std", "filters used"], rows)
        }

        // Fig. 1.
        p("## Fig. 1: convergence rate λ per layer")
        p()
        if a.early.isEmpty {
            p("No convergence runs with λ records.")
            p()
        } else {
            p("Mean smoothed de-trended λ over the first \(Int(Analysis.fig1EarlyFraction * 100))% of recorded steps.")
            p()
            table(["dataset", "runs", "steps", "lowest layer", "λ", "highest layer", "λ"], a.early.map { e in
                [e.dataset.displayName, String(e.runs), "≤ \(e.windowSteps) of \(e.totalSteps)", String(e.lowLayer),
                 Fmt.num(e.lowMean), String(e.highLayer), Fmt.num(e.highMean)]
            })
        }

        // Fig. 2.
        p("## Fig. 2: density-matrix fluctuations")
        p()
        let variance = ParsedTable(PlotTables.fig2Variance(summary: a.set.fluctuationSummary, fluctuation: a.set.fluctuation))
        let increments = a.set.fluctuation.map { $0.number("scaled_increment") }.filter(\.isFinite)
        if variance.rows.isEmpty && increments.isEmpty {
            p("No fluctuation runs in these results.")
            p()
        } else {
            if !increments.isEmpty {
                p("\(increments.count) scaled increments: mean \(Fmt.num(Stats.mean(increments), 4)), std \(Fmt.num(Stats.sampleStd(increments), 4)).")
                p()
            }
            if !variance.rows.isEmpty {
                table(["N", "increments", "mean", "variance"], variance.rows.map { r in
                    ["\(Int(r.number("n_from")))–\(Int(r.number("n_to")))", String(Int(r.number("count"))),
                     Fmt.num(r.number("mean"), 4), Fmt.num(r.number("variance"), 4)]
                })
            }
        }

        if !figures.isEmpty {
            p("## Figures")
            p()
            for f in figures { p("![\(f)](\(f))") ; p() }
        }

        out += ClaimRobustness.markdown(a.robustness)

        // Claims in detail.
        p("## Claims in detail")
        p()
        for c in a.claims {
            p("### \(c.claim)")
            p()
            p("**\(c.verdict.rawValue)** — \(c.summary)")
            p()
            p("Rule: \(c.rule)")
            p()
            for f in c.findings { p("- \(f.label): **\(f.verdict.rawValue)** — \(f.text)") }
            if !c.findings.isEmpty { p() }
        }

        if !a.set.notes.isEmpty {
            p("## Notes")
            p()
            for n in a.set.notes { p("- \(n)") }
            p()
        }
        while out.last == "" { out.removeLast() }
        return out.joined(separator: "\n") + "\n"
    }

    static func orderedDatasets(_ ds: [DatasetName]) -> [DatasetName] {
        Set(ds).sorted { $0.rank < $1.rank }
    }
}
