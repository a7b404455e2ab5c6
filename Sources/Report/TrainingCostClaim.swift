import Experiments
import Foundation

extension Claims {
    /// §3.2: the cost argument. DMN layers are set from one pass of density matrices and then
    /// frozen (their outputs computed once), so a trained DMN should cost less wall time than
    /// the ConvNet of the same shape trained end to end by SGD.
    static func dmnCheaperThanSGD(_ configs: [Fig3Config]) -> ClaimCheck {
        let claim = "§3.2: a DMN is trained in less time than the same ConvNet by SGD"
        let rule = "Per Fig. 3 configuration with ok DMN and ConvNet runs: T_DMN = median over seeds of build_s + sgd_s "
            + "(filters from density matrices, frozen features, softmax by SGD), T_ConvNet = median of build_s + sgd_s of the "
            + "ConvNet. Supported when T_DMN < T_ConvNet in every configuration; not supported when T_DMN ≥ T_ConvNet in any. "
            + "Wall times come from the machine that ran the runs (provenance); DMN runs whose build took its spectra from the PCA "
            + "cache (runs.csv spectra_reused) are not timed. The accuracy each reaches is shown beside it."
        func total(_ g: RunGroup) -> Double { Stats.median(g.timedRuns.map { $0.buildSeconds + $0.sgdSeconds }) }
        let pairs = configs.compactMap { c -> (Fig3Config, RunGroup, RunGroup)? in
            guard let d = c.dmn, let v = c.convnet, !d.okRuns.isEmpty, !v.okRuns.isEmpty else { return nil }
            return (c, d, v)
        }
        // Configurations the method cannot build: named, not timed.
        let leftOut = configs.filter { c in
            guard let d = c.dmn, let v = c.convnet else { return false }
            return (d.okRuns.isEmpty && d.infeasible > 0) || (v.okRuns.isEmpty && v.infeasible > 0)
        }.map { "\($0.dataset.displayName) \($0.label)" }
        guard !pairs.isEmpty else {
            return ClaimCheck(id: "dmn-cheaper-than-sgd", claim: claim, rule: rule, verdict: .inconclusive,
                              summary: (leftOut.isEmpty ? "no data: needs \(fig3Hint)" : "no configuration the method can build")
                                  + ClaimCheck.leftOutText(leftOut), findings: [], leftOut: leftOut)
        }
        let findings = pairs.map { c, d, v -> Finding in
            let td = total(d), tv = total(v)
            let verdict: Verdict = td < tv ? .supported : .notSupported
            let text = "DMN \(Fmt.seconds(td)) s to \(Fmt.ci(d.accuracy))%, ConvNet \(Fmt.seconds(tv)) s to \(Fmt.ci(v.accuracy))% "
                + "(\(String(format: "%.1f", tv / td))× \(td < tv ? "faster" : "slower"))"
            return Finding(label: "\(c.dataset.displayName) \(c.label)", verdict: verdict, text: text)
        }
        let verdict: Verdict = findings.allSatisfy { $0.verdict == .supported } ? .supported : .notSupported
        let ratios = pairs.map { _, d, v in total(v) / total(d) }
        return ClaimCheck(id: "dmn-cheaper-than-sgd", claim: claim, rule: rule, verdict: verdict,
                          summary: "\(findings.filter { $0.verdict == .supported }.count) of \(findings.count) configurations faster; "
                              + "ConvNet / DMN time from \(String(format: "%.1f", ratios.min()!))× to \(String(format: "%.1f", ratios.max()!))×"
                              + ClaimCheck.leftOutText(leftOut),
                          findings: findings, leftOut: leftOut)
    }
}
