import Datasets
import Experiments
import Foundation
import Models

// Claim robustness (issue #12): each DMN-vs-ConvNet claim of the paper judged again under
// every protocol the results hold — input scaling, DMN output, density patches, training
// budget and selection rule — from the per-epoch history, so no run is repeated for a budget
// or a rule. The top-level verdicts stay those of the paper's text protocol
// (`paperTextConfigs`).

/// A claim judged under one protocol: one spec's settings (the DMN's and the shared
/// training/data ones), a training budget (the first `budget` epochs of the runs) and a
/// selection rule.
struct RobustnessRow: Sendable {
    var claimId: String
    var dataset: DatasetName
    var spec: String
    /// The protocol's key (spec and every setting but epochs and selection), shared by its budgets and rules.
    var protocolKey: String
    /// Values of the factor columns that vary among this claim's protocols.
    var factors: [String: String]
    var budget: Int
    var rule: SelectionRule
    var verdict: Verdict
    /// Per filter configuration: the paired per-seed DMN − ConvNet difference (fractions).
    var differences: [(label: String, diff: Summary)]
    /// Whether this is the paper's text protocol (scaled inputs, ReLU, no output
    /// normalisation, stride-1 patches, 3 epochs, final epoch), possibly on a training set
    /// reduced by a validation hold-out.
    var paperText: Bool
}

/// One claim's robustness table.
struct ClaimRobustnessTable: Sendable {
    var claimId: String
    var claim: String
    var dataset: DatasetName
    var factorColumns: [String]
    var rows: [RobustnessRow]
}

enum ClaimRobustness {
    /// The columns that describe a protocol (besides the spec); the rest are shown only when
    /// they vary.
    /// Declared in the parameter table (`ParameterDefinition.protocolSetting`).
    static let protocolColumns = Parameters.protocolColumns
    /// Budgets shown in the tables (those ≤ the runs' epochs, plus the runs' epochs).
    static let budgets = [1, 3, 5, 10, 20, 50]

    /// The values of the paper's text protocol; a column absent from the table (older
    /// results) counts as its default.
    /// Declared in the parameter table (`ParameterDefinition.paperText`).
    static let paperText: [String: ParamValue] = Dictionary(uniqueKeysWithValues: Parameters.all.compactMap { d in
        d.paperText.map { (d.column, $0) } })

    /// Settings are values read by their parameter's type, so `0.0` in runs.csv equals the
    /// paper's `0`.
    static func isPaperText(_ g: RunGroup, ignoring: Set<String> = []) -> Bool {
        paperText.allSatisfy { c, v in ignoring.contains(c) || g.setting(c) == v }
    }

    /// The Fig. 3 configurations the top-level claims are judged on, built from the groups of
    /// the paper's text protocol only (so their labels are not disambiguated against others).
    static func paperTextConfigs(groups: [RunGroup]) -> [Fig3Config] {
        Analysis.fig3Configs(groups.filter { ($0.model != .dmn && $0.model != .convnet) || isPaperText($0) })
    }

    /// `configs` restricted to the paper's text protocol.
    static func paperTextConfigs(_ configs: [Fig3Config]) -> [Fig3Config] {
        configs.filter { c in [c.dmn, c.convnet].allSatisfy { $0.map { isPaperText($0) } ?? true } }
    }

    /// Test accuracy of a run under `rule` within the first `budget` epochs; NaN when the
    /// history is shorter than the budget or the rule cannot choose.
    static func accuracy(_ h: [EpochStats], budget: Int, rule: SelectionRule) -> Double {
        guard h.count >= budget, budget >= 1 else { return .nan }
        return rule.select(h, budget: budget)?.testAccuracy ?? .nan
    }


    /// A Fig. 3 configuration with both models present: what the robustness section judges.
    struct Pair {
        var config: Fig3Config
        var dmn: RunGroup
        var convnet: RunGroup

        init?(_ c: Fig3Config) {
            guard let d = c.dmn, let v = c.convnet else { return nil }
            config = c; dmn = d; convnet = v
        }

        /// The protocol's settings: the DMN's, with the ConvNet's value of the settings only
        /// the ConvNet uses (`training.init`; a DMN's run resets it to the default).
        var settings: [String: ParamValue] {
            var s = dmn.settings
            for c in Analysis.convnetOnlyColumns { s[c] = convnet.setting(c) }
            return s
        }

        func setting(_ column: String) -> ParamValue { settings[column] ?? ParamValue.none }

        /// The spec and every setting but epochs and selection (which budgets and rules replace).
        var protocolKey: String {
            let cols = Analysis.parameterColumns.filter { $0 != "epochs" && $0 != "selection" }
            return ([config.spec] + cols.map { "\($0)=\(setting($0))" }).joined(separator: "\u{1}")
        }

        /// Runs of both models, for the epochs their histories hold.
        var runs: [RunRow] { dmn.okRuns + convnet.okRuns }
    }

    /// Pairs grouped by protocol key, keys in order of first appearance.
    static func byProtocol(_ pairs: [Pair]) -> [(key: String, pairs: [Pair])] {
        var out: [(key: String, pairs: [Pair])] = []
        for p in pairs {
            let k = p.protocolKey
            if let i = out.firstIndex(where: { $0.key == k }) { out[i].pairs.append(p) } else { out.append((k, [p])) }
        }
        return out
    }

    /// The protocol columns whose values differ among `pairs` (the table's factors).
    static func factorColumns(_ pairs: [Pair]) -> [String] {
        protocolColumns.filter { c in Analysis.parameterColumns.contains(c) && Set(pairs.map { $0.setting(c) }).count > 1 }
    }

    /// The claims the robustness section covers: the DMN-vs-ConvNet claims' one registry.
    static var claims: [PairClaim] { Claims.pairClaims }

    /// A group whose accuracy is that of `rule` within `budget` epochs; seeds → accuracy.
    static func selected(_ g: RunGroup, _ hist: [String: [EpochStats]], budget: Int, rule: SelectionRule) -> (RunGroup, [UInt64: Double]) {
        var bySeed: [UInt64: Double] = [:]
        for r in g.okRuns {
            let a = accuracy(hist[r.runId] ?? [], budget: budget, rule: rule)
            if a.isFinite { bySeed[r.seed] = a }
        }
        var out = g
        out.accuracy = Summary(Array(bySeed.values))
        return (out, bySeed)
    }

    /// Every claim's table over the protocols in `runs` (with their `history`, by run id).
    static func analyse(runs: [RunRow], history hist: [String: [EpochStats]]) -> [ClaimRobustnessTable] {
        guard !hist.isEmpty else { return [] }
        let pairs = Analysis.fig3Configs(Analysis.groups(runs)).compactMap(Pair.init)
        var tables: [ClaimRobustnessTable] = []
        for claim in claims {
            let (id, dataset, check) = (claim.id, claim.dataset, claim.check)
            let mine = pairs.filter { $0.config.dataset == dataset }
            guard !mine.isEmpty else { continue }
            let probe = check(mine.map(\.config))
            guard !probe.findings.isEmpty else { continue }   // no configuration of the claim's kind (e.g. no two-layer runs)
            let factorColumns = factorColumns(mine)
            var rows: [RobustnessRow] = []
            for (k, ps) in byProtocol(mine) {
                let first = ps[0]
                let epochs: Int? = if case .integer(let e) = first.setting("epochs") { e } else { nil }
                let maxEpochs = ps.flatMap(\.runs).map { hist[$0.runId]?.count ?? 0 }.min() ?? 0
                let top = min(epochs ?? maxEpochs, maxEpochs)
                guard top >= 1 else { continue }
                let bs = (budgets.filter { $0 < top } + [top])
                let hasValidation = Analysis.number(first.setting("validation")).map { $0 > 0 } ?? false
                let rules: [SelectionRule] = hasValidation ? [.final, .bestValidation, .bestTest] : [.final, .bestTest]
                var factors: [String: String] = [:]
                for c in factorColumns { factors[c] = first.setting(c).description }
                for rule in rules {
                    for b in bs {
                        var selectedConfigs: [Fig3Config] = []
                        var diffs: [(match: String, label: String, diff: Summary)] = []
                        for p in ps {
                            let (dg, ds) = selected(p.dmn, hist, budget: b, rule: rule)
                            let (cg, cv) = selected(p.convnet, hist, budget: b, rule: rule)
                            var sc = p.config
                            sc.dmn = dg; sc.convnet = cg
                            selectedConfigs.append(sc)
                            let paired = ds.compactMap { seed, a in cv[seed].map { a - $0 } }
                            diffs.append((p.config.label, p.config.filters.replacingOccurrences(of: "-", with: "+"), Summary(paired)))
                        }
                        let verdict = check(selectedConfigs)
                        guard !verdict.findings.isEmpty else { continue }
                        let layersUsed = Set(verdict.findings.map(\.label))
                        let shown = diffs.filter { layersUsed.contains($0.match) }.map { (label: $0.label, diff: $0.diff) }
                        // The budget and rule replace epochs and selection; a validation hold-out
                        // only shrinks the training set, so the row still follows the paper's text.
                        let ignored: Set<String> = ["epochs", "selection", "validation"]
                        let pt = isPaperText(first.dmn, ignoring: ignored) && isPaperText(first.convnet, ignoring: ignored)
                            && b == 3 && rule == .final
                        rows.append(RobustnessRow(claimId: id, dataset: dataset, spec: first.config.spec, protocolKey: k, factors: factors,
                                                  budget: b, rule: rule, verdict: verdict.verdict,
                                                  differences: shown, paperText: pt))
                    }
                }
            }
            tables.append(ClaimRobustnessTable(claimId: id, claim: probe.claim, dataset: dataset, factorColumns: factorColumns, rows: rows))
        }
        return tables
    }

    static func short(_ v: Verdict) -> String {
        switch v {
        case .supported: return "**holds**"
        case .notSupported: return "fails"
        case .inconclusive: return "inconclusive"
        }
    }

    static func diffText(_ s: Summary) -> String {
        guard s.n > 0 else { return "–" }
        guard s.hasInterval else { return "\(Fmt.points(s.mean)) (n=\(s.n))" }
        return "\(Fmt.points(s.mean)) [\(String(format: "%+.1f", s.lo * 100)), \(String(format: "%+.1f", s.hi * 100))]"
    }

    static func ruleText(_ r: SelectionRule) -> String {
        r == .bestTest ? "best-test (optimistic)" : r.rawValue
    }

    /// The markdown section (empty when the results hold no per-epoch history of DMN/ConvNet pairs).
    static func markdown(_ tables: [ClaimRobustnessTable]) -> [String] {
        guard !tables.isEmpty else { return [] }
        var out: [String] = []
        func p(_ s: String = "") { out.append(s) }
        p("## Claim robustness: under which protocols each claim holds")
        p()
        p("Each DMN-vs-ConvNet claim judged again, with the claim's own rule (see [Claims in detail](#claims-in-detail)), under "
          + "every protocol in these results: the spec's settings (input scaling, DMN output activation and normalisation, density "
          + "patch stride, …), a training budget E (the first E epochs of the same runs, from history.csv) and a selection rule "
          + "(`final`: epoch E; `best-validation`: the epoch ≤ E with the best accuracy on the held-out validation images; "
          + "`best-test`: the highest test accuracy over epochs ≤ E, as the authors' code reports — **optimistic**, the test set "
          + "chooses). A cell gives the verdict and, per filter configuration, the DMN − ConvNet difference in points with the 95% "
          + "t interval of the per-seed paired differences. The verdicts in [Claims](#claims) use the paper's text protocol only "
          + "(scaled inputs, ReLU, no output normalisation, stride-1 patches, 3 epochs, final epoch); rows marked † are that protocol.")
        p()
        for t in tables {
            p("### \(t.claim)")
            p()
            let held = t.rows.filter { $0.verdict == .supported }
            if held.isEmpty {
                p("Holds under none of the \(t.rows.count) protocol × budget × rule combinations below.")
            } else {
                let names = held.prefix(12).map { r in
                    ([r.spec] + t.factorColumns.map { "\($0)=\(r.factors[$0] ?? "")" }).joined(separator: " ")
                        + ", E=\(r.budget), \(ruleText(r.rule))"
                }
                p("Holds under \(held.count) of \(t.rows.count) protocol × budget × rule combinations: "
                  + names.joined(separator: "; ") + (held.count > 12 ? "; …" : "") + ".")
            }
            p()
            var keys: [String] = []
            for r in t.rows where !keys.contains(r.protocolKey + "\u{2}" + r.rule.rawValue) { keys.append(r.protocolKey + "\u{2}" + r.rule.rawValue) }
            let budgetsShown = Array(Set(t.rows.map(\.budget))).sorted()
            let header = ["spec"] + t.factorColumns + ["rule"] + budgetsShown.map { "E=\($0)" }
            p("| " + header.joined(separator: " | ") + " |")
            p("|" + header.map { _ in " --- |" }.joined())
            for k in keys {
                let rs = t.rows.filter { $0.protocolKey + "\u{2}" + $0.rule.rawValue == k }
                let r0 = rs[0]
                var cells = [r0.spec] + t.factorColumns.map { r0.factors[$0] ?? "" } + [ruleText(r0.rule)]
                for b in budgetsShown {
                    guard let r = rs.first(where: { $0.budget == b }) else { cells.append(""); continue }
                    cells.append(short(r.verdict) + (r.paperText ? " †" : "") + ": "
                                 + r.differences.map { "\($0.label) \(diffText($0.diff))" }.joined(separator: "; "))
                }
                p("| " + cells.map { $0.replacingOccurrences(of: "|", with: "\\|") }.joined(separator: " | ") + " |")
            }
            p()
        }
        return out
    }

    /// The plot table of `robustness.gp`: per dataset and protocol (series), the DMN − ConvNet
    /// test accuracy at each epoch in points — per seed the mean over the protocol's filter
    /// configurations, then mean and 95% t interval over seeds.
    ///
    ///     dataset,series,series_label,epoch,n,mean,lo,hi
    static func curves(runs: [RunRow], history hist: [String: [EpochStats]]) -> CSVTable {
        var t = CSVTable(header: ["dataset", "series", "series_label", "epoch", "n", "mean", "lo", "hi"])
        guard !hist.isEmpty else { return t }
        let pairs = Analysis.fig3Configs(Analysis.groups(runs)).compactMap(Pair.init)
        for dataset in DatasetName.allCases {
            let mine = pairs.filter { $0.config.dataset == dataset }
            guard !mine.isEmpty else { continue }
            let factorColumns = factorColumns(mine)
            let specs = Set(mine.map(\.config.spec))
            for (s, (_, cs)) in byProtocol(mine).enumerated() {
                let first = cs[0]
                var label = factorColumns.map { "\($0)=\(first.setting($0))" }.joined(separator: " ")
                if specs.count > 1 || label.isEmpty { label = first.config.spec + (label.isEmpty ? "" : " " + label) }
                let maxEpoch = cs.flatMap(\.runs).map { hist[$0.runId]?.count ?? 0 }.min() ?? 0
                guard maxEpoch >= 1 else { continue }
                for e in 1...maxEpoch {
                    var perSeed: [UInt64: [Double]] = [:]
                    for c in cs {
                        var dmn: [UInt64: Double] = [:], conv: [UInt64: Double] = [:]
                        for r in c.dmn.okRuns { dmn[r.seed] = accuracy(hist[r.runId] ?? [], budget: e, rule: .final) }
                        for r in c.convnet.okRuns { conv[r.seed] = accuracy(hist[r.runId] ?? [], budget: e, rule: .final) }
                        for (seed, a) in dmn { if let b = conv[seed], a.isFinite, b.isFinite { perSeed[seed, default: []].append(a - b) } }
                    }
                    // Only seeds with every configuration, so each seed's mean is over the same configurations.
                    let values = perSeed.values.filter { $0.count == cs.count }.map { $0.reduce(0, +) / Double($0.count) }
                    let sum = Summary(values)
                    guard sum.n > 0 else { continue }
                    func pt(_ v: Double) -> String { v.isFinite ? CSVTable.number((v * 1e6).rounded() / 1e4) : "nan" }
                    t.append([dataset.displayName, String(s), label.replacingOccurrences(of: ",", with: ";"), String(e), String(sum.n),
                              pt(sum.mean), pt(sum.hasInterval ? sum.lo : sum.mean), pt(sum.hasInterval ? sum.hi : sum.mean)])
                }
            }
        }
        return t
    }
}
