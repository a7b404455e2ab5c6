import Datasets
import Experiments
import Foundation

// Issue 24 item 6: batch normalisation after each conv layer (`training.batchNorm`). Does it
// change any Fig. 3 verdict? Each DMN-vs-ConvNet claim of the one registry (`Claims.pairClaims`)
// is judged with its own rule on the configurations with BN (DMN+BN against ConvNet+BN) and on
// the same configurations without BN, and the two verdicts are compared. The robustness section
// (`ClaimRobustness`) shows the same runs as one more protocol, with the factor column batch_norm.

/// A Fig. 3 configuration whose DMN and ConvNet both use BN, and the same configuration without.
struct BatchNormPair: Sendable {
    var with: Fig3Config
    var without: Fig3Config
}

/// One Fig. 3 claim judged with and without BN.
struct BatchNormVerdicts: Sendable {
    var claimId: String
    var claim: String
    var without: ClaimCheck
    var with: ClaimCheck
    var changed: Bool { without.verdict != with.verdict }
}

enum BatchNormClaim {
    static let id = "batchnorm-keeps-fig3-verdicts"
    static let claim = "Batch normalisation (DMN+BN against ConvNet+BN) leaves every Fig. 3 verdict as it is without BN"
    static let rule = "Each DMN-vs-ConvNet claim of Fig. 3 is judged with its own rule (see its entry) twice: on the configurations "
        + "whose DMN and ConvNet both have training.batchNorm true, and on the same configurations (dataset, filters and every other "
        + "setting equal; the same spec when there is one) without BN. Per claim with a verdict from data in both: supported when the "
        + "two verdicts are equal; not supported when one is supported and the other not supported (BN reverses it); inconclusive "
        + "when one of them is inconclusive (BN moves a decided verdict to undecided, or the reverse). Overall: supported when every "
        + "claim is supported; not supported when any is not; else inconclusive. The verdicts that change are named."

    static let batchNormColumns: Set<String> = ["batch_norm", "batch_norm_momentum"]

    static func usesBatchNorm(_ g: RunGroup) -> Bool { g.setting("batch_norm") == .flag(true) }

    /// The settings of a group but batch normalisation's, as one key.
    static func key(_ g: RunGroup) -> String {
        Analysis.parameterColumns.filter { !batchNormColumns.contains($0) }.map { g.setting($0).description }.joined(separator: "\u{1}")
    }

    /// Every configuration with BN in both models paired with its twin without BN.
    static func pairs(_ configs: [Fig3Config]) -> [BatchNormPair] {
        let complete = configs.filter { $0.dmn != nil && $0.convnet != nil }
        let off = complete.filter { !usesBatchNorm($0.dmn!) && !usesBatchNorm($0.convnet!) }
        return complete.filter { usesBatchNorm($0.dmn!) && usesBatchNorm($0.convnet!) }.compactMap { c -> BatchNormPair? in
            let twins = off.filter { $0.dataset == c.dataset && $0.filters == c.filters
                && key($0.dmn!) == key(c.dmn!) && key($0.convnet!) == key(c.convnet!) }
            guard let t = twins.first(where: { $0.spec == c.spec }) ?? twins.first else { return nil }
            return BatchNormPair(with: c, without: t)
        }
    }

    /// Each pair claim with findings both with and without BN.
    static func verdicts(_ pairs: [BatchNormPair]) -> [BatchNormVerdicts] {
        Claims.pairClaims.compactMap { pc -> BatchNormVerdicts? in
            let without = pc.check(pairs.map(\.without)), with = pc.check(pairs.map(\.with))
            guard !without.findings.isEmpty, !with.findings.isEmpty else { return nil }
            return BatchNormVerdicts(claimId: pc.id, claim: with.claim, without: without, with: with)
        }
    }

    static func judge(_ v: BatchNormVerdicts) -> Verdict {
        if v.without.verdict == v.with.verdict { return .supported }
        if v.without.verdict == .inconclusive || v.with.verdict == .inconclusive { return .inconclusive }
        return .notSupported
    }

    static func check(configs: [Fig3Config]) -> ClaimCheck {
        let vs = verdicts(pairs(configs))
        guard !vs.isEmpty else {
            return ClaimCheck(id: id, claim: claim, rule: rule, verdict: .inconclusive,
                              summary: "no data: needs dmn and convnet runs with training.batchNorm true and false on Fig. 3 configurations "
                                  + "(experiments/batchnorm.json)", findings: [])
        }
        let findings = vs.map { v -> Finding in
            Finding(label: v.claimId, verdict: judge(v),
                    text: "without BN: \(v.without.verdict.rawValue) (\(v.without.summary)); with BN: \(v.with.verdict.rawValue) (\(v.with.summary))")
        }
        let changed = vs.filter(\.changed).map { "\($0.claimId) (\($0.without.verdict.rawValue) → \($0.with.verdict.rawValue))" }
        let verdict = Rules.combine(findings.map(\.verdict), need: findings.count)
        return ClaimCheck(id: id, claim: claim, rule: rule, verdict: verdict,
                          summary: "\(vs.count) Fig. 3 claim\(vs.count == 1 ? "" : "s") judged with and without BN; "
                              + (changed.isEmpty ? "no verdict changes" : "changed: " + changed.joined(separator: ", ")),
                          findings: findings)
    }

    static func check(_ set: ResultSet) -> ClaimCheck {
        check(configs: Analysis.fig3Configs(Analysis.groups(set.runs)))
    }

    /// The report's section: per configuration the four models' accuracies, and per claim the two verdicts.
    static func markdown(_ set: ResultSet) -> [String] {
        let ps = pairs(Analysis.fig3Configs(Analysis.groups(set.runs)))
        guard !ps.isEmpty else { return [] }
        var d = MarkdownDocument()
        d.p("## Batch normalisation")
        d.p()
        d.p("Test accuracy (%), mean ± 95% CI over seeds, of each Fig. 3 configuration with batch normalisation after each conv layer "
          + "(training.batchNorm; for the DMN its filters stay frozen and BN's γ and β train with the softmax) and without; "
          + "d = DMN − ConvNet in points. Figure: batchnorm.png.")
        d.p()
        d.table(["dataset", "filters", "ConvNet", "ConvNet+BN", "DMN", "DMN+BN", "d without BN", "d with BN"], ps.map { p -> [String] in
            let c = p.without.convnet!.accuracy, cb = p.with.convnet!.accuracy, m = p.without.dmn!.accuracy, mb = p.with.dmn!.accuracy
            return [p.with.dataset.displayName, p.with.filters.replacingOccurrences(of: "-", with: "+"), Fmt.ci(c), Fmt.ci(cb), Fmt.ci(m), Fmt.ci(mb),
                    Fmt.points(m.mean - c.mean), Fmt.points(mb.mean - cb.mean)]
        })
        d.p("### Fig. 3 verdicts without and with BN")
        d.p()
        d.p("Each Fig. 3 claim judged on the same configurations without and with BN (rule: \"\(claim)\" in "
          + "[Claims in detail](#claims-in-detail)).")
        d.p()
        d.table(["claim", "without BN", "with BN", "changed"], verdicts(ps).map { v -> [String] in
            [v.claim, v.without.verdict.rawValue, v.with.verdict.rawValue, v.changed ? "**yes**" : "no"]
        })
        return d.lines
    }

    /// The plot table of `batchnorm.gp`: per configuration (x within its dataset) the four
    /// models' mean test accuracy and standard deviation over seeds (percent).
    ///
    ///     dataset,x,label,convnet_mean,convnet_err,convnet_bn_mean,convnet_bn_err,dmn_mean,dmn_err,dmn_bn_mean,dmn_bn_err
    static func plotTable(_ set: ResultSet) -> CSVTable {
        var t = CSVTable(header: ["dataset", "x", "label", "convnet_mean", "convnet_err", "convnet_bn_mean", "convnet_bn_err",
                                  "dmn_mean", "dmn_err", "dmn_bn_mean", "dmn_bn_err"])
        var x: [DatasetName: Int] = [:]
        func cols(_ g: RunGroup?) -> [String] {
            guard let s = g?.accuracy, s.n > 0 else { return ["nan", "nan"] }
            return [PlotTables.pct(s.mean), s.n >= 2 ? PlotTables.pct(s.std) : "0"]
        }
        for p in pairs(Analysis.fig3Configs(Analysis.groups(set.runs))) {
            x[p.with.dataset, default: 0] += 1
            t.append([PlotTables.clean(p.with.dataset.displayName), String(x[p.with.dataset]!),
                      PlotTables.clean(p.with.filters.replacingOccurrences(of: "-", with: "+"))]
                     + cols(p.without.convnet) + cols(p.with.convnet) + cols(p.without.dmn) + cols(p.with.dmn))
        }
        return t
    }
}
