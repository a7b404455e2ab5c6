import Datasets
import Experiments
import Foundation
import Models

// Issue 24 item 2, §3.2 restated: if I want accuracy A, which method gets me there sooner?
// From each run's per-epoch history (history.csv: test accuracy and the seconds each epoch
// took) and its run-level times (runs.csv: build_s, sgd_s), the wall time at the end of each
// epoch, and from it the time at which a run first reaches a target accuracy.

/// One epoch of a run: the wall time since the run's start at the end of the epoch, and the
/// test accuracy then.
struct TimedEpoch: Sendable, Equatable {
    var epoch: Int
    var seconds: Double
    var accuracy: Double
}

/// Per seed of a configuration: the DMN's final accuracy as the target, and when each model
/// first reaches it.
struct TimeToTarget: Sendable {
    var seed: UInt64
    /// The DMN run's final (last epoch's) test accuracy.
    var target: Double
    var dmn: Double
    /// Nil when the ConvNet run does not reach the target within its epochs.
    var convnet: Double?
    /// The ConvNet run's whole time (a lower bound of its time to a target it does not reach).
    var convnetTotal: Double
    /// T_ConvNet − T_DMN; for a ConvNet that does not reach the target, its lower bound.
    var difference: Double { (convnet ?? convnetTotal) - dmn }
}

/// One row of the report's table: a target accuracy both models reach in every seed and
/// the mean time each takes to reach it.
struct TimeToAccuracyRow: Sendable {
    var dataset: DatasetName
    var label: String
    var target: Double
    var dmn: Summary
    var convnet: Summary
}

enum TimeToAccuracy {
    static let id = "dmn-sooner-to-accuracy"
    static let claim = "§3.2 restated: the DMN reaches its final accuracy sooner than the ConvNet reaches the same accuracy"
    static let rule = "Per Fig. 3 configuration and seed: A = the DMN run's final test accuracy (its last epoch); the wall time at the end "
        + "of epoch e of a run is build_s + (sgd_s − the sum of its epochs' seconds: the DMN's one pass of frozen features, ≈ 0 for a "
        + "ConvNet) + the seconds of epochs 1…e (history.csv); T_DMN = that time at the first epoch where the DMN run reaches A, "
        + "T_ConvNet = the same for the ConvNet run of the same seed; d = T_ConvNet − T_DMN. A ConvNet run that never reaches A within "
        + "its epochs has d ≥ its whole time − T_DMN, and that lower bound is used (censored). Per configuration, with the 95% t interval "
        + "of d over seeds (≥ 2): supported when it lies wholly above 0; not supported when it lies wholly below 0 and no seed is "
        + "censored; inconclusive otherwise. Overall: supported when every configuration is supported; not supported when any is not; "
        + "else inconclusive. Wall times come from the machine that ran the runs (provenance); DMN runs whose build took its spectra "
        + "from the PCA cache (runs.csv spectra_reused) are not timed."

    /// The wall time at the end of each epoch of `run`; nil when its times or history are missing.
    static func curve(_ run: RunRow, _ history: [EpochStats]) -> [TimedEpoch]? {
        let build = run.buildSeconds, sgd = run.sgdSeconds
        guard !history.isEmpty, build.isFinite, sgd.isFinite, history.allSatisfy({ $0.seconds.isFinite && $0.testAccuracy.isFinite }) else {
            return nil
        }
        let epochs = history.reduce(0) { $0 + $1.seconds }
        var t = build + max(0, sgd - epochs)
        return history.map { e in
            t += e.seconds
            return TimedEpoch(epoch: e.epoch, seconds: t, accuracy: e.testAccuracy)
        }
    }

    /// When `curve` first reaches `target` (nil: never).
    static func time(_ curve: [TimedEpoch], toReach target: Double) -> Double? {
        curve.first { $0.accuracy >= target }?.seconds
    }

    /// Curves of a group's ok runs by seed.
    static func curves(_ g: RunGroup, _ hist: [String: [EpochStats]]) -> [UInt64: [TimedEpoch]] {
        var out: [UInt64: [TimedEpoch]] = [:]
        for r in g.timedRuns { if let c = curve(r, hist[r.runId] ?? []) { out[r.seed] = c } }
        return out
    }

    /// The curves in seed order, so that means are summed in the same order on every run.
    static func ordered(_ c: [UInt64: [TimedEpoch]]) -> [[TimedEpoch]] {
        c.sorted { $0.key < $1.key }.map(\.value)
    }

    /// The paired per-seed times of one configuration.
    static func perSeed(dmn: RunGroup, convnet: RunGroup, _ hist: [String: [EpochStats]]) -> [TimeToTarget] {
        let d = curves(dmn, hist), v = curves(convnet, hist)
        return d.keys.sorted().compactMap { seed in
            guard let dc = d[seed], let vc = v[seed], let last = dc.last, let lastV = vc.last,
                  let td = time(dc, toReach: last.accuracy) else { return nil }
            return TimeToTarget(seed: seed, target: last.accuracy, dmn: td, convnet: time(vc, toReach: last.accuracy),
                                convnetTotal: lastV.seconds)
        }
    }

    static func judge(_ s: [TimeToTarget]) -> Verdict {
        let d = Summary(s.map(\.difference))
        guard d.hasInterval else { return .inconclusive }
        if d.lo > 0 { return .supported }
        if d.hi < 0 && s.allSatisfy({ $0.convnet != nil }) { return .notSupported }
        return .inconclusive
    }

    static func secondsCI(_ s: Summary) -> String {
        guard s.n > 0 else { return "–" }
        return s.hasInterval ? "\(Fmt.seconds(s.mean)) ± \(Fmt.seconds(s.halfWidth)) s" : "\(Fmt.seconds(s.mean)) s (n=\(s.n))"
    }

    static func check(_ configs: [Fig3Config], history: [String: [EpochStats]]) -> ClaimCheck {
        let pairs = configs.compactMap { c -> (Fig3Config, RunGroup, RunGroup)? in
            guard let d = c.dmn, let v = c.convnet else { return nil }
            return (c, d, v)
        }
        let leftOut = pairs.filter { $0.1.cannotBuild || $0.2.cannotBuild }.map { "\($0.0.dataset.displayName) \($0.0.label)" }
        let timed = pairs.filter { !$0.1.cannotBuild && !$0.2.cannotBuild }
            .map { c, d, v in (c, perSeed(dmn: d, convnet: v, history)) }.filter { !$0.1.isEmpty }
        guard !timed.isEmpty else {
            return ClaimCheck(id: id, claim: claim, rule: rule, verdict: .inconclusive,
                              summary: "no data: needs \(Claims.fig3Hint) with their per-epoch history (history.csv: test_acc, seconds)"
                                  + ClaimCheck.leftOutText(leftOut), findings: [], leftOut: leftOut)
        }
        let findings = timed.map { c, s -> Finding in
            let censored = s.filter { $0.convnet == nil }.count
            let d = Summary(s.map(\.difference))
            let text = "A = DMN final \(Fmt.ci(Summary(s.map(\.target))))%: DMN \(secondsCI(Summary(s.map(\.dmn)))), ConvNet "
                + (censored == s.count ? "never (within its epochs; whole time \(secondsCI(Summary(s.map(\.convnetTotal)))))"
                   : secondsCI(Summary(s.compactMap(\.convnet))))
                + (censored > 0 && censored < s.count ? " (\(censored) of \(s.count) seeds never reach it: censored)" : "")
                + "; d = ConvNet − DMN \(d.hasInterval ? "\(Fmt.seconds(d.mean)) s [\(Fmt.seconds(d.lo)), \(Fmt.seconds(d.hi))]" : "\(Fmt.seconds(d.mean)) s (n=\(d.n), no CI)")"
            return Finding(label: "\(c.dataset.displayName) \(c.label)", verdict: judge(s), text: text)
        }
        let verdict = Rules.combine(findings.map(\.verdict), need: findings.count)
        let counts = Verdict.allCases.map { v in "\(findings.filter { $0.verdict == v }.count) \(v.rawValue)" }
        return ClaimCheck(id: id, claim: claim, rule: rule, verdict: verdict,
                          summary: "\(findings.count) config\(findings.count == 1 ? "" : "s"): \(counts.joined(separator: ", ")) "
                              + "(needs all supported)" + ClaimCheck.leftOutText(leftOut),
                          findings: findings, leftOut: leftOut)
    }

    /// Levels of the accuracy grid per configuration.
    static let gridLevels = 4

    /// Per configuration, a grid of `gridLevels` accuracies every ok run of both models
    /// reaches (from the highest first-epoch accuracy to the lowest best accuracy, rounded down
    /// to 0.1 point), with the mean time over seeds each model takes to reach it.
    static func grid(_ configs: [Fig3Config], history: [String: [EpochStats]]) -> [TimeToAccuracyRow] {
        var rows: [TimeToAccuracyRow] = []
        for c in configs {
            guard let d = c.dmn, let v = c.convnet else { continue }
            let dc = ordered(curves(d, history)), vc = ordered(curves(v, history))
            guard !dc.isEmpty, !vc.isEmpty else { continue }
            let all = dc + vc
            guard let hi = all.compactMap({ $0.map(\.accuracy).max() }).min(),
                  let lo = all.compactMap({ $0.first?.accuracy }).max() else { continue }
            // Down to 0.1 point (the 1e-6 absorbs the representation error of x·1000), and never
            // above `hi`, so that every run reaches every level.
            func down(_ x: Double) -> Double { min(hi, (x * 1000 + 1e-6).rounded(.down) / 1000) }
            let levels = lo >= hi ? [down(hi)]
                : Array(Set((0..<gridLevels).map { down(lo + (hi - lo) * Double($0) / Double(gridLevels - 1)) })).sorted()
            for a in levels {
                rows.append(TimeToAccuracyRow(dataset: c.dataset, label: c.label, target: a,
                                              dmn: Summary(dc.compactMap { time($0, toReach: a) }),
                                              convnet: Summary(vc.compactMap { time($0, toReach: a) })))
            }
        }
        return rows
    }

    /// The plot table of `time-accuracy.gp`: per configuration (series) and model, at each
    /// epoch that every seed has, the mean over seeds of the wall time and of the test accuracy.
    ///
    ///     dataset,series,series_label,model,epoch,n,seconds,acc
    static func plotTable(_ configs: [Fig3Config], history: [String: [EpochStats]]) -> CSVTable {
        var t = CSVTable(header: ["dataset", "series", "series_label", "model", "epoch", "n", "seconds", "acc"])
        var series: [DatasetName: Int] = [:]
        for c in configs {
            guard let d = c.dmn, let v = c.convnet else { continue }
            let dc = ordered(curves(d, history)), vc = ordered(curves(v, history))
            guard !dc.isEmpty, !vc.isEmpty else { continue }
            series[c.dataset, default: 0] += 1
            for (model, cs) in [("dmn", dc), ("convnet", vc)] {
                let epochs = cs.map(\.count).min() ?? 0
                for e in 0..<epochs {
                    let secs = Stats.mean(cs.map { $0[e].seconds }), acc = Stats.mean(cs.map { $0[e].accuracy })
                    t.append([PlotTables.clean(c.dataset.displayName), String(series[c.dataset] ?? 0), PlotTables.clean(c.label), model,
                              String(cs[0][e].epoch), String(cs.count), CSVTable.number((secs * 1e4).rounded() / 1e4),
                              PlotTables.pct(acc)])
                }
            }
        }
        return t
    }
}
