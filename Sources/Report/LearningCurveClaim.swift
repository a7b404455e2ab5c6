import Datasets
import Experiments
import Foundation

// Issue 24 item 1, less data than SGD: "the class-based PCA often converges using a fraction of
// the data required for SGD". A learning curve is a DMN-vs-ConvNet configuration run on
// several training-set sizes n (data.trainLimit: a fixed stratified pick; the DMN's T_frac is a
// fraction of those n images), everything else equal; its accuracies at each n, per seed, decide.

/// One training-set size of a learning curve: the per-seed test accuracies of both models.
struct LearningCurvePoint: Sendable, Equatable {
    /// "nan" (runs.csv's null) for every training image, else the limit.
    var limit: String
    /// Training images: the limit, or the dataset's standard training-set size for all (nil
    /// when that is not known: a dataset given by path).
    var images: Int?
    var dmn: [String: Double]
    var convnet: [String: Double]

    var isAll: Bool { Double(limit)?.isFinite != true }
    /// The seeds both models have, in seed order.
    var pairedSeeds: [String] { LearningCurves.seedOrder(Set(dmn.keys).intersection(convnet.keys)) }
    var label: String { isAll ? "all" + (images.map { " (\($0))" } ?? "") : limit }
}

/// A DMN-vs-ConvNet configuration at several training-set sizes and one protocol.
struct LearningCurve: Sendable {
    var dataset: DatasetName
    /// The filter configuration's label ("4", "4+15").
    var label: String
    /// The training budget: "3 epochs" (whole passes) or "2814 steps" (training.steps).
    var budget: String
    /// The grid: sizes at which both models have at least 2 seeds in common, small to large (all last).
    var points: [LearningCurvePoint]
    /// Sizes left out of the grid, with the reason.
    var leftOut: [String]
    var name: String { "\(dataset.displayName) \(label), \(budget)" }
}

/// The first grid point at which each model reaches 95% of its own full-data accuracy.
struct DataToTarget: Sendable {
    /// Index into the curve's points; the mean curve's, and per seed (seeds with a full-data run).
    var dmn: Int, convnet: Int
    var dmnPerSeed: [Int], convnetPerSeed: [Int]
    var dmnFull: Summary, convnetFull: Summary
}

enum LearningCurves {
    static let id = "dmn-less-data-than-sgd"
    static let claim = "Less data than SGD: for a small training set the DMN is above the ConvNet, and it reaches 95% of its own "
        + "full-data accuracy with fewer training images than the ConvNet needs for its own"
    /// The fraction of the full-data accuracy a model must reach.
    static let fraction = 0.95
    /// How many of the smallest training-set sizes count as "small".
    static let smallCount = 2
    static let rule = "A learning curve: the DMN and ConvNet runs of one dataset, filter configuration and protocol (training "
        + "budget included) that differ only in data.trainLimit, at 2 or more sizes n (from any spec: a full-data run is often "
        + "another spec's, e.g. Fig. 3's, with the same run id; where two specs have the same n, the spec with the most sizes wins). Its grid: the n at which both models have ok "
        + "runs of at least 2 common seeds (an n missing for one model, with fewer seeds, or that the DMN cannot build is left out "
        + "and named). A curve needs the full-data point (trainLimit null) and at least \(smallCount) smaller n, else it is "
        + "inconclusive. (a) Small n = the \(smallCount) smallest grid n; at each, the 95% t interval over seeds of the paired "
        + "difference DMN − ConvNet: above 0 supports, below 0 refutes, else inconclusive; (a) holds when it holds at every small n, "
        + "fails when it fails at any. (b) A model's target = 95% of its mean full-data accuracy over seeds; its n95 = the first grid "
        + "n (in increasing order, a grid point, not interpolated) at which its mean accuracy over seeds reaches the target, and per "
        + "seed the same with that seed's own full-data accuracy. (b) holds when n95(DMN) < n95(ConvNet) and no seed has "
        + "n95_s(DMN) > n95_s(ConvNet); fails when n95(DMN) ≥ n95(ConvNet) and no seed has n95_s(DMN) < n95_s(ConvNet); else "
        + "inconclusive. A curve supports the claim when (a) and (b) hold, refutes it when either fails, else inconclusive. Overall: "
        + "supported when every curve supports it, not supported when any refutes it, else inconclusive (each budget, equal epochs "
        + "or fixed steps, is its own curve and named)."

    /// The standard training-set sizes of the built-in datasets (what trainLimit null means).
    static func fullTrainingCount(_ d: DatasetName) -> Int? {
        switch d.builtin {
        case .mnist?, .fashionMNIST?: return 60_000
        case .cifar10?, .cifar100?: return 50_000
        case nil: return nil
        }
    }

    static func seedOrder<S: Sequence>(_ seeds: S) -> [String] where S.Element == String {
        seeds.sorted { (Int($0) ?? 0, $0) < (Int($1) ?? 0, $1) }
    }

    static func budget(_ g: RunGroup) -> String {
        if case .integer(let steps) = g.setting("steps") { return "\(steps) steps" }
        return "\(g.setting("epochs")) epochs"
    }

    static func perSeed(_ g: RunGroup) -> [String: Double] {
        var out: [String: Double] = [:]
        for r in g.okRuns where r.testAccuracy.isFinite { out[String(r.seed)] = r.testAccuracy }
        return out
    }

    /// The learning curves among `configs` (the paper's text protocol's, or any): configurations
    /// of one dataset and filters whose settings differ only in train_limit, from any spec. A
    /// configuration with one model only joins the curves it matches, as a size left out.
    static func curves(_ configs: [Fig3Config]) -> [LearningCurve] {
        let shared = Analysis.parameterColumns.filter {
            $0 != "train_limit" && !Analysis.dmnColumns.contains($0) && !Analysis.convnetOnlyColumns.contains($0)
        }
        let dmnOnly = Analysis.parameterColumns.filter { Analysis.dmnColumns.contains($0) }
        let convnetOnly = Analysis.parameterColumns.filter { Analysis.convnetOnlyColumns.contains($0) }
        func values(_ g: RunGroup, _ columns: [String]) -> String { columns.map { g.setting($0).description }.joined(separator: "\u{1}") }
        struct Member { var config: Fig3Config; var shared: String; var dmn: String?; var convnet: String? }
        let members = configs.compactMap { c -> Member? in
            guard let ref = c.convnet ?? c.dmn else { return nil }
            return Member(config: c, shared: [c.dataset.rawValue, c.filters, values(ref, shared)].joined(separator: "\u{2}"),
                          dmn: c.dmn.map { values($0, dmnOnly) }, convnet: c.convnet.map { values($0, convnetOnly) })
        }
        var families: [(shared: String, dmn: String, convnet: String, members: [Fig3Config])] = []
        for m in members {
            guard let d = m.dmn, let v = m.convnet else { continue }
            if let i = families.firstIndex(where: { $0.shared == m.shared && $0.dmn == d && $0.convnet == v }) {
                families[i].members.append(m.config)
            } else { families.append((m.shared, d, v, [m.config])) }
        }
        for m in members where m.dmn == nil || m.convnet == nil {
            for i in families.indices where families[i].shared == m.shared && (m.dmn ?? families[i].dmn) == families[i].dmn
                && (m.convnet ?? families[i].convnet) == families[i].convnet {
                families[i].members.append(m.config)
            }
        }
        return families.compactMap { family -> LearningCurve? in
            let limits = { (c: Fig3Config) in (c.dmn ?? c.convnet)?.setting("train_limit").description ?? "nan" }
            // One member a size: where specs share one (a full-data run is often Fig. 3's), the
            // spec with the most sizes in the family wins, on a tie the first by name.
            let perSpec = Dictionary(family.members.map { ($0.spec, 1) }, uniquingKeysWith: +)
            func rank(_ c: Fig3Config) -> (Int, String) { (-(perSpec[c.spec] ?? 0), c.spec) }
            var bySize: [String: Fig3Config] = [:]
            for c in family.members {
                if let kept = bySize[limits(c)], rank(kept) <= rank(c) { continue }
                bySize[limits(c)] = c
            }
            let members = family.members.filter { bySize[limits($0)]?.spec == $0.spec }
            guard bySize.count >= 2, let first = members.min(by: { rank($0) < rank($1) }), let ref = first.convnet else { return nil }
            var points: [LearningCurvePoint] = [], leftOut: [String] = []
            for c in members {
                let limit = limits(c)
                let p = LearningCurvePoint(limit: limit, images: Double(limit).flatMap { $0.isFinite ? Int($0) : nil } ?? fullTrainingCount(c.dataset),
                                           dmn: c.dmn.map(perSeed) ?? [:], convnet: c.convnet.map(perSeed) ?? [:])
                if c.dmn == nil || c.convnet == nil { leftOut.append("n = \(p.label): no \(c.dmn == nil ? "DMN" : "ConvNet") runs") }
                else if c.dmn?.cannotBuild == true { leftOut.append("n = \(p.label): the DMN cannot build it (infeasible)") }
                else if p.pairedSeeds.count < 2 {
                    leftOut.append("n = \(p.label): \(p.pairedSeeds.count) seed\(p.pairedSeeds.count == 1 ? "" : "s") with both models")
                } else { points.append(p) }
            }
            points.sort { a, b in
                if a.isAll != b.isAll { return !a.isAll }
                return (Double(a.limit) ?? 0) < (Double(b.limit) ?? 0)
            }
            // The label without the disambiguation that the differing train_limit added.
            let label = first.label.components(separatedBy: " [").first ?? first.label
            return LearningCurve(dataset: first.dataset, label: label, budget: budget(ref), points: points, leftOut: leftOut)
        }
        // By dataset, keeping the table order within one (a stable sort by hand).
        .enumerated().sorted { ($0.element.dataset.rank, $0.offset) < ($1.element.dataset.rank, $1.offset) }.map(\.element)
    }

    /// The first index of `accuracies` (per grid point) at or above `target`; nil if none.
    static func firstReaching(_ accuracies: [Double], _ target: Double) -> Int? {
        accuracies.firstIndex { $0 >= target }
    }

    /// n95 of both models; nil when the curve has no full-data point.
    static func dataToTarget(_ c: LearningCurve) -> DataToTarget? {
        guard let full = c.points.last, full.isAll else { return nil }
        // Per seed: the seeds both models ran on the full set, so the two lists pair up.
        let seeds = full.pairedSeeds
        func model(_ acc: (LearningCurvePoint) -> [String: Double]) -> (Int, [Int], Summary) {
            let fullSummary = Summary(seeds.map { acc(full)[$0]! })
            let means = c.points.map { p in Summary(seedOrder(acc(p).keys).map { acc(p)[$0]! }).mean }
            let mean = firstReaching(means, fraction * fullSummary.mean) ?? c.points.count - 1
            let perSeed = seeds.map { s in
                firstReaching(c.points.map { acc($0)[s] ?? .nan }, fraction * acc(full)[s]!) ?? c.points.count - 1
            }
            return (mean, perSeed, fullSummary)
        }
        let d = model(\.dmn), v = model(\.convnet)
        return DataToTarget(dmn: d.0, convnet: v.0, dmnPerSeed: d.1, convnetPerSeed: v.1, dmnFull: d.2, convnetFull: v.2)
    }

    /// The paired per-seed difference DMN − ConvNet at a point.
    static func difference(_ p: LearningCurvePoint) -> Summary {
        Summary(p.pairedSeeds.map { p.dmn[$0]! - p.convnet[$0]! })
    }

    static func judgeSmall(_ c: LearningCurve) -> Verdict {
        let small = c.points.filter { !$0.isAll }.prefix(smallCount)
        let verdicts = small.map { p -> Verdict in
            let d = difference(p)
            guard d.hasInterval else { return .inconclusive }
            return d.lo > 0 ? .supported : d.hi < 0 ? .notSupported : .inconclusive
        }
        return Rules.combine(verdicts, need: smallCount)
    }

    static func judgeData(_ t: DataToTarget) -> Verdict {
        let pairs = zip(t.dmnPerSeed, t.convnetPerSeed)
        if t.dmn < t.convnet && pairs.allSatisfy({ $0 <= $1 }) { return .supported }
        if t.dmn >= t.convnet && pairs.allSatisfy({ $0 >= $1 }) { return .notSupported }
        return .inconclusive
    }

    /// The verdict of one curve and its finding.
    static func finding(_ c: LearningCurve) -> Finding {
        let small = c.points.filter { !$0.isAll }
        guard let t = dataToTarget(c), small.count >= smallCount else {
            let why = c.points.last?.isAll == true ? "fewer than \(smallCount) sizes below the full set" : "no full-data point (trainLimit null)"
            return Finding(label: c.name, verdict: .inconclusive,
                           text: "\(why) with both models" + (c.leftOut.isEmpty ? "" : "; left out: " + c.leftOut.joined(separator: "; ")))
        }
        let a = judgeSmall(c), b = judgeData(t)
        let smallText = small.prefix(smallCount).map { p in
            let d = difference(p)
            return "n = \(p.label): DMN \(Fmt.ci(Summary(p.pairedSeeds.map { p.dmn[$0]! })))%, ConvNet "
                + "\(Fmt.ci(Summary(p.pairedSeeds.map { p.convnet[$0]! })))%, DMN − ConvNet "
                + (d.hasInterval ? "\(points(d.mean)) [\(points(d.lo)), \(points(d.hi))] points" : "\(points(d.mean)) points (no CI)")
        }.joined(separator: "; ")
        let label = { (i: Int) in c.points[i].label }
        let text = "(a) \(a.rawValue): \(smallText). (b) \(b.rawValue): 95% of full-data accuracy reached at n = \(label(t.dmn)) by the "
            + "DMN (full \(Fmt.ci(t.dmnFull))%; per seed \(t.dmnPerSeed.map(label).joined(separator: ", "))) and n = \(label(t.convnet)) "
            + "by the ConvNet (full \(Fmt.ci(t.convnetFull))%; per seed \(t.convnetPerSeed.map(label).joined(separator: ", ")))"
            + (c.leftOut.isEmpty ? "" : "; left out: " + c.leftOut.joined(separator: "; "))
        return Finding(label: c.name, verdict: Rules.combine([a, b], need: 2), text: text)
    }

    static func points(_ v: Double) -> String { String(format: "%+.2f", v * 100) }

    static func check(_ configs: [Fig3Config]) -> ClaimCheck {
        let all = curves(configs)
        guard !all.isEmpty else {
            return ClaimCheck(id: id, claim: claim, rule: rule, verdict: .inconclusive,
                              summary: "no data: needs DMN and ConvNet runs at several data.trainLimit values "
                                  + "(repro run experiments/learning-curve.json)", findings: [])
        }
        let findings = all.map(finding)
        let verdict = Rules.combine(findings.map(\.verdict), need: findings.count)
        let budgets = Array(Set(all.map(\.budget))).sorted()
        let perBudget = budgets.map { b -> String in
            let f = zip(all, findings).filter { $0.0.budget == b }.map(\.1)
            return "\(b): " + Verdict.allCases.map { v in "\(f.filter { $0.verdict == v }.count) \(v.rawValue)" }.joined(separator: ", ")
        }
        return ClaimCheck(id: id, claim: claim, rule: rule, verdict: verdict,
                          summary: "\(findings.count) learning curve\(findings.count == 1 ? "" : "s") (needs all supported); "
                              + perBudget.joined(separator: "; "),
                          findings: findings)
    }

    /// learning_curve.csv for plot-scripts/learning-curve.gp: per dataset, budget (panel),
    /// configuration (series), model and n, the mean test accuracy over seeds and its 95% t
    /// interval (percent; the mean alone, lo = hi = mean, with one seed). The full-data point
    /// has the dataset's standard size (left out when unknown).
    static func plotTable(_ configs: [Fig3Config]) -> CSVTable {
        var t = CSVTable(header: ["dataset", "panel", "panel_label", "series", "series_label", "model", "n", "seeds", "mean", "lo", "hi"])
        let all = curves(configs)
        for ds in Array(Set(all.map(\.dataset))).sorted(by: { $0.rank != $1.rank ? $0.rank < $1.rank : $0.rawValue < $1.rawValue }) {
            let mine = all.filter { $0.dataset == ds }
            let budgets = Array(Set(mine.map(\.budget))).sorted()
            let labels = Array(Set(mine.map(\.label))).sorted()
            for c in mine {
                let panel = budgets.firstIndex(of: c.budget)! + 1, series = labels.firstIndex(of: c.label)! + 1
                for model in ["dmn", "convnet"] {
                    for p in c.points {
                        guard let n = p.images else { continue }
                        let acc = model == "dmn" ? p.dmn : p.convnet
                        let s = Summary(seedOrder(acc.keys).map { acc[$0]! })
                        let half = s.hasInterval ? s.halfWidth : 0
                        t.append([PlotTables.clean(ds.displayName), String(panel), PlotTables.clean(c.budget), String(series),
                                  PlotTables.clean(c.label), model, String(n), String(s.n), PlotTables.pct(s.mean),
                                  PlotTables.pct(s.mean - half), PlotTables.pct(s.mean + half)])
                    }
                }
            }
        }
        return t
    }
}

extension ReportWriter {
    /// Issue 24 item 1: accuracy against the number of training images.
    static func learningCurves(_ a: ReportAnalysis, into d: inout MarkdownDocument) {
        let curves = LearningCurves.curves(ClaimRobustness.paperTextConfigs(a.beyond.configs))
        guard !curves.isEmpty else { return }
        d.p("## Learning curves")
        d.p()
        d.p("Test accuracy (%, mean ± 95% CI over seeds, full test set) against the number n of training images (a fixed stratified "
          + "pick; the DMN builds from T_frac of those n), per training budget; n95 = the first n at which a model's mean accuracy "
          + "reaches 95% of its own full-data mean (see the rule of \"\(LearningCurves.claim)\" in [Claims in detail](#claims-in-detail)); "
          + "figure: learning-curve.png.")
        d.p()
        // Sizes in increasing order, all (runs.csv's nan) last.
        func rank(_ limit: String) -> Double { Double(limit).flatMap { v in v.isFinite ? v : nil } ?? .infinity }
        let sizes = Array(Set(curves.flatMap { $0.points.map(\.limit) })).sorted { rank($0) < rank($1) }
        d.table(["dataset", "filters", "budget", "model"] + sizes.map { Double($0)?.isFinite == true ? "n = \($0)" : "all" } + ["n95"],
                curves.flatMap { c -> [[String]] in
                    let t = LearningCurves.dataToTarget(c)
                    return [("DMN", \LearningCurvePoint.dmn, t?.dmn), ("ConvNet", \LearningCurvePoint.convnet, t?.convnet)].map { name, acc, n95 in
                        [c.dataset.displayName, c.label, c.budget, name] + sizes.map { limit -> String in
                            guard let p = c.points.first(where: { $0.limit == limit }) else { return "–" }
                            let v = p[keyPath: acc]
                            return Fmt.ci(Summary(LearningCurves.seedOrder(v.keys).map { v[$0]! }))
                        } + [n95.map { c.points[$0].isAll ? "all" : c.points[$0].limit } ?? "–"]
                    }
                })
    }
}
