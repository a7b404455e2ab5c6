import Datasets
import Experiments
import Foundation
import Models

// Issue 24 item 5, "we can construct pretrained neural networks with weights found using the
// class-based PCA": does a network started from the DMN's filters and fine-tuned end to end
// (model `hybrid`) get to the ConvNet's accuracy sooner than the same network started from the
// initialiser (the ConvNet)? Judged per seed pair from the per-epoch history, in epochs and in
// wall time with the DMN build counted (`TimeToAccuracy.curve`).

/// One seed of a hybrid/ConvNet pair: the ConvNet run's final accuracy as the target, and when
/// each run first reaches it.
struct PretrainingSeed: Sendable, Equatable {
    var seed: UInt64
    /// The ConvNet run's final (last epoch's) test accuracy.
    var target: Double
    /// The first epoch at which the ConvNet run reaches its own final accuracy, and the wall
    /// time then (its last epoch unless an earlier one was already as high).
    var convnetEpoch: Int
    var convnetSeconds: Double
    /// The first epoch at which the hybrid run reaches the target, and the wall time then
    /// (build included); nil when it never does within its epochs.
    var hybridEpoch: Int?
    var hybridSeconds: Double?
}

/// A hybrid configuration and the ConvNet it is compared with, under one protocol.
struct PretrainingPair: Sendable {
    var dataset: DatasetName
    /// The protocol: the hybrid runs' spec.
    var spec: String
    var filters: String
    var hybrid: RunGroup
    var convnet: RunGroup
    var label: String { "\(dataset.displayName) \(filters.replacingOccurrences(of: "-", with: "+"))" }
}

enum PretrainingClaim {
    static let id = "dmn-pretraining-sooner"
    static let claim = "DMN filters as pretraining: fine-tuning from the DMN's filters (hybrid) reaches the ConvNet's final accuracy in fewer epochs and less wall time (DMN build included) than training from the initialiser"
    static let rule = "Per configuration (dataset, filters) of a protocol (the hybrid runs' spec), per seed: A = the ConvNet run's final "
        + "(last epoch's) test accuracy; e_C, t_C = the first epoch at which the ConvNet run reaches A and the wall time then; "
        + "e_H, t_H = the same for the hybrid run of the same seed (wall time at the end of epoch e = build_s + the seconds of epochs "
        + "1…e, as in the time-to-accuracy claim). The ConvNet is the one of the same spec, dataset, filters and training/data "
        + "settings (any spec with those settings when the spec has none). With 95% t intervals over seeds (≥ 2 seed pairs): "
        + "supported when the hybrid's interval lies wholly below the ConvNet's for the epochs and for the time; not supported when "
        + "a hybrid run never reaches A within its epochs (it counts against), or when the hybrid's interval lies wholly above the "
        + "ConvNet's for the epochs or for the time; inconclusive otherwise. Per protocol: supported when every configuration is "
        + "supported; not supported when any is not; else inconclusive. Wall times are those of the machine that ran the runs "
        + "(provenance); the paper-text and the authors' protocol are judged separately."

    /// The hybrid groups (kind classify) each with its ConvNet: same dataset, filters and shared
    /// training/data settings (`Analysis.sharedKey`, which leaves out the DMN section and the
    /// ConvNet's initialiser), of the same spec when there is one, else the first of any spec.
    static func pairs(_ groups: [RunGroup]) -> [PretrainingPair] {
        let classify = groups.filter { $0.kind == .classify }
        return classify.filter { $0.model == .hybrid }.compactMap { h -> PretrainingPair? in
            let candidates = classify.filter { $0.model == .convnet && $0.dataset == h.dataset && $0.filters == h.filters
                && Analysis.sharedKey($0) == Analysis.sharedKey(h) }
            guard let c = candidates.first(where: { $0.spec == h.spec }) ?? candidates.first else { return nil }
            return PretrainingPair(dataset: h.dataset, spec: h.spec, filters: h.filters, hybrid: h, convnet: c)
        }
    }

    /// The seed pairs of one configuration, in seed order; a seed without both curves is left out.
    static func perSeed(_ p: PretrainingPair, _ hist: [String: [EpochStats]]) -> [PretrainingSeed] {
        let h = TimeToAccuracy.curves(p.hybrid, hist), c = TimeToAccuracy.curves(p.convnet, hist)
        return c.keys.sorted().compactMap { seed -> PretrainingSeed? in
            guard let cc = c[seed], let hc = h[seed], let target = cc.last?.accuracy,
                  let cReach = cc.first(where: { $0.accuracy >= target }) else { return nil }
            let hReach = hc.first { $0.accuracy >= target }
            return PretrainingSeed(seed: seed, target: target, convnetEpoch: cReach.epoch, convnetSeconds: cReach.seconds,
                                   hybridEpoch: hReach?.epoch, hybridSeconds: hReach?.seconds)
        }
    }

    /// The verdict of one configuration from its seed pairs (see `rule`).
    static func judge(_ s: [PretrainingSeed]) -> Verdict {
        guard s.count >= 2 else { return .inconclusive }
        if s.contains(where: { $0.hybridEpoch == nil }) { return .notSupported }
        let epochs = Rules.above(Summary(s.map { Double($0.convnetEpoch) }), Summary(s.compactMap { $0.hybridEpoch.map { Double($0) } }))
        let time = Rules.above(Summary(s.map(\.convnetSeconds)), Summary(s.compactMap(\.hybridSeconds)))
        if epochs == .supported && time == .supported { return .supported }
        if epochs == .notSupported || time == .notSupported { return .notSupported }
        return .inconclusive
    }

    static func epochsCI(_ s: Summary) -> String {
        guard s.n > 0 else { return "–" }
        return s.hasInterval ? String(format: "%.1f ± %.1f", s.mean, s.halfWidth) : String(format: "%.1f", s.mean) + " (n=\(s.n))"
    }

    /// "3 of 3" style count of the hybrid runs that never reach the target ("" when none).
    static func neverText(_ s: [PretrainingSeed]) -> String {
        let never = s.filter { $0.hybridEpoch == nil }.count
        return never == 0 ? "" : " (\(never) of \(s.count) hybrid runs never reach it)"
    }

    static func findingText(_ s: [PretrainingSeed]) -> String {
        let he = Summary(s.compactMap { $0.hybridEpoch.map { Double($0) } }), ce = Summary(s.map { Double($0.convnetEpoch) })
        let ht = Summary(s.compactMap(\.hybridSeconds)), ct = Summary(s.map(\.convnetSeconds))
        return "A = ConvNet final \(Fmt.ci(Summary(s.map(\.target))))%; epochs to A: hybrid \(epochsCI(he)), ConvNet \(epochsCI(ce)); "
            + "seconds to A: hybrid \(TimeToAccuracy.secondsCI(ht)), ConvNet \(TimeToAccuracy.secondsCI(ct))" + neverText(s)
    }

    /// One check per protocol (spec of the hybrid runs), in order of first appearance; one
    /// inconclusive check when the results hold no hybrid/ConvNet pair with a history.
    static func checks(groups: [RunGroup], history: [String: [EpochStats]]) -> [ClaimCheck] {
        let all = pairs(groups)
        var specs: [String] = []
        for p in all where !specs.contains(p.spec) { specs.append(p.spec) }
        var out: [ClaimCheck] = []
        for spec in specs {
            let mine = all.filter { $0.spec == spec }
            let leftOut = mine.filter { $0.hybrid.cannotBuild || $0.convnet.cannotBuild }.map(\.label)
            let judged = mine.filter { !$0.hybrid.cannotBuild && !$0.convnet.cannotBuild }
                .map { ($0, perSeed($0, history)) }.filter { !$0.1.isEmpty }
            guard !judged.isEmpty else { continue }
            let findings = judged.map { (p, s) -> Finding in Finding(label: p.label, verdict: judge(s), text: findingText(s)) }
            let verdict = Rules.combine(findings.map(\.verdict), need: findings.count)
            let counts = Verdict.allCases.map { v in "\(findings.filter { $0.verdict == v }.count) \(v.rawValue)" }
            let epochs = judged.map { (p, s) -> String in
                "\(p.label) \(epochsCI(Summary(s.compactMap { $0.hybridEpoch.map { Double($0) } }))) vs \(epochsCI(Summary(s.map { Double($0.convnetEpoch) })))"
                    + neverText(s)
            }
            out.append(ClaimCheck(id: "\(id)-\(spec)", claim: "\(claim) — spec \(spec)", rule: rule, verdict: verdict,
                                  summary: "\(findings.count) config\(findings.count == 1 ? "" : "s"): \(counts.joined(separator: ", ")) "
                                      + "(needs all supported); epochs to the ConvNet's final accuracy, hybrid vs ConvNet: "
                                      + epochs.joined(separator: ", ") + ClaimCheck.leftOutText(leftOut),
                                  findings: findings, leftOut: leftOut))
        }
        guard out.isEmpty else { return out }
        return [ClaimCheck(id: id, claim: claim, rule: rule, verdict: .inconclusive,
                           summary: "no data: needs classify runs of hybrid and convnet with their per-epoch history "
                               + "(experiments/pretraining.json, experiments/pretraining-authors.json)", findings: [])]
    }

    static func checks(_ set: ResultSet) -> [ClaimCheck] {
        checks(groups: Analysis.groups(set.runs), history: set.history)
    }

    /// The report's table: per protocol and configuration, the target and what each start takes to reach it.
    static func markdown(_ set: ResultSet) -> [String] {
        let hist = set.history
        let rows = pairs(Analysis.groups(set.runs)).map { ($0, perSeed($0, hist)) }.filter { !$0.1.isEmpty }
        guard !rows.isEmpty else { return [] }
        var d = MarkdownDocument()
        d.p("## DMN filters as pretraining")
        d.p()
        d.p("The hybrid starts from the DMN's filters and fine-tunes every layer by SGD; the ConvNet starts from its initialiser. "
          + "Per seed, the target is the ConvNet run's final test accuracy; the table gives, mean ± 95% CI over seeds, the first epoch "
          + "at which each run reaches it and the wall seconds then (the hybrid's include the DMN build). \"never\": hybrid runs that do "
          + "not reach it within their epochs. Rule: \"\(claim)\" in [Claims in detail](#claims-in-detail); figure: pretraining.png.")
        d.p()
        d.table(["spec", "dataset", "filters", "seeds", "target (%)", "hybrid epochs", "ConvNet epochs", "hybrid s", "ConvNet s", "never"],
                rows.map { (p, s) -> [String] in
                    [p.spec, p.dataset.displayName, p.filters.replacingOccurrences(of: "-", with: "+"), String(s.count),
                     Fmt.ci(Summary(s.map(\.target))), epochsCI(Summary(s.compactMap { $0.hybridEpoch.map { Double($0) } })),
                     epochsCI(Summary(s.map { Double($0.convnetEpoch) })), TimeToAccuracy.secondsCI(Summary(s.compactMap(\.hybridSeconds))),
                     TimeToAccuracy.secondsCI(Summary(s.map(\.convnetSeconds))), String(s.filter { $0.hybridEpoch == nil }.count)]
                })
        return d.lines
    }

    /// The plot table of `pretraining.gp`: per protocol and configuration (series) and model, at
    /// each epoch that every seed has, the mean over seeds of the wall time and of the test accuracy.
    ///
    ///     dataset,series,series_label,model,epoch,n,seconds,acc
    static func plotTable(_ set: ResultSet) -> CSVTable {
        var t = CSVTable(header: ["dataset", "series", "series_label", "model", "epoch", "n", "seconds", "acc"])
        let hist = set.history
        var series: [DatasetName: Int] = [:]
        for p in pairs(Analysis.groups(set.runs)) {
            let hc = TimeToAccuracy.ordered(TimeToAccuracy.curves(p.hybrid, hist))
            let cc = TimeToAccuracy.ordered(TimeToAccuracy.curves(p.convnet, hist))
            guard !hc.isEmpty, !cc.isEmpty else { continue }
            series[p.dataset, default: 0] += 1
            for (model, cs) in [("hybrid", hc), ("convnet", cc)] {
                let epochs = cs.map(\.count).min() ?? 0
                for e in 0..<epochs {
                    let secs = Stats.mean(cs.map { $0[e].seconds }), acc = Stats.mean(cs.map { $0[e].accuracy })
                    t.append([PlotTables.clean(p.dataset.displayName), String(series[p.dataset] ?? 0),
                              PlotTables.clean("\(p.filters.replacingOccurrences(of: "-", with: "+")) \(p.spec)"), model,
                              String(cs[0][e].epoch), String(cs.count), CSVTable.number((secs * 1e4).rounded() / 1e4), PlotTables.pct(acc)])
                }
            }
        }
        return t
    }
}
