import Datasets
import Experiments
import Foundation

/// The small aggregated tables the gnuplot scripts in plot-scripts/ read. `repro plot` writes
/// them into its output folder; each script reads only its own tables (see plot-scripts/README.md):
///
///     fig1_lambda.csv      fig1.gp         dataset,layer,step,images_seen,smoothed,runs
///     fig2_histogram.csv   fig2.gp         lo,hi,center,count,density,normal
///     fig2_variance.csv    fig2.gp         n_from,n_to,n_mid,count,mean,variance
///     fig3_top.csv         fig3-top.gp     dataset,x,label,dmn_n,dmn_mean,dmn_err,convnet_n,…,baseline_err
///     fig3_sweep.csv       fig3-bottom.gp  param,series,series_label,value,n,mean,err,baseline_mean,baseline_err
///     robustness_curves.csv robustness.gp  dataset,series,series_label,epoch,n,mean,lo,hi (DMN − ConvNet, points; 95% CI)
///     time_accuracy.csv    time-accuracy.gp dataset,series,series_label,model,epoch,n,seconds,acc (means over seeds)
///     tfrac_auto.csv       tfrac-auto.gp   dataset,series,series_label,kind,tfrac,tfrac_lo,tfrac_hi,n,acc,acc_lo,acc_hi (95% CI)
///     pretraining.csv      pretraining.gp  dataset,series,series_label,model,epoch,n,seconds,acc (hybrid and ConvNet; means over seeds)
///     batchnorm.csv        batchnorm.gp    dataset,x,label,convnet_mean,convnet_err,convnet_bn_mean,…,dmn_bn_err
///     learning_curve.csv   learning-curve.gp dataset,panel,panel_label,series,series_label,model,n,seeds,mean,lo,hi (95% CI)
///     pca_reuse.csv        pca-reuse.gp    param,series,series_label,seed,point,value,build_s,role,reuse,limit_s
///
/// Accuracies are in percent; `*_err` is the standard deviation over seeds (0 with one seed);
/// a missing value is `nan`. Text fields never contain commas.
public enum PlotTables {
    static let names = ["fig1_lambda", "fig2_histogram", "fig2_variance", "fig3_top", "fig3_sweep", "robustness_curves",
                               "time_accuracy", "tfrac_auto", "pretraining", "batchnorm", "learning_curve", "pca_reuse"]

    /// Which script draws from which tables.
    public static let scripts: [(script: String, tables: [String])] = [
        ("fig1", ["fig1_lambda"]),
        ("fig2", ["fig2_histogram", "fig2_variance"]),
        ("fig3-top", ["fig3_top"]),
        ("fig3-bottom", ["fig3_sweep"]),
        ("robustness", ["robustness_curves"]),
        ("time-accuracy", ["time_accuracy"]),
        ("tfrac-auto", ["tfrac_auto"]),
        ("pretraining", ["pretraining"]),
        ("batchnorm", ["batchnorm"]),
        ("learning-curve", ["learning_curve"]),
        ("pca-reuse", ["pca_reuse"]),
    ]

    static func n(_ v: Double) -> String { CSVTable.number(v) }
    static func pct(_ v: Double) -> String { v.isFinite ? n((v * 1e6).rounded() / 1e4) : "nan" }
    static func clean(_ s: String) -> String { s.replacingOccurrences(of: ",", with: ";") }

    /// Fig. 1: smoothed de-trended λ per dataset, layer and step, averaged over the ok
    /// convergence runs of the dataset.
    static func fig1(lambda: [ReportRow], runs: [RunRow]) -> CSVTable {
        var t = CSVTable(header: ["dataset", "layer", "step", "images_seen", "smoothed", "runs"])
        var dataset: [String: DatasetName] = [:]
        for r in runs where r.kind == .convergence && r.status == .ok { dataset[r.runId] = r.dataset }
        struct Key: Hashable { var ds: DatasetName; var layer: Int; var step: Int }
        var acc: [Key: (sum: Double, count: Int, images: Double)] = [:]
        for r in lambda {
            guard let ds = dataset[r["run_id"]] else { continue }
            let v = r.number("smoothed"), layer = r.number("layer"), step = r.number("step")
            guard v.isFinite, layer.isFinite, step.isFinite else { continue }
            let k = Key(ds: ds, layer: Int(layer), step: Int(step))
            var e = acc[k] ?? (0, 0, 0)
            e.sum += v; e.count += 1; e.images += r.number("images_seen")
            acc[k] = e
        }
        let keys = acc.keys.sorted { a, b in
            if a.ds != b.ds { return a.ds.rank < b.ds.rank }
            if a.layer != b.layer { return a.layer < b.layer }
            return a.step < b.step
        }
        for k in keys {
            let e = acc[k]!
            t.append([clean(k.ds.displayName), String(k.layer), String(k.step), n((e.images / Double(e.count)).rounded()),
                      n(e.sum / Double(e.count)), String(e.count)])
        }
        return t
    }

    /// Fig. 2: histogram (as a density) of the scaled increments of all fluctuation runs,
    /// over their central 99% (0.5th to 99.5th percentile), with the normal density of the
    /// same mean and standard deviation at each bin centre.
    static func fig2Histogram(fluctuation: [ReportRow]) -> CSVTable {
        var t = CSVTable(header: ["lo", "hi", "center", "count", "density", "normal"])
        let all = fluctuation.map { $0.number("scaled_increment") }.filter(\.isFinite).sorted()
        guard all.count >= 2 else { return t }
        func q(_ p: Double) -> Double { all[min(all.count - 1, max(0, Int((p * Double(all.count - 1)).rounded())))] }
        var lo = q(0.005), hi = q(0.995)
        if hi <= lo { lo = all.first!; hi = all.last! }
        if hi <= lo { lo -= 0.5; hi += 0.5 }
        let bins = min(60, max(5, Int(Double(all.count).squareRoot())))
        let width = (hi - lo) / Double(bins)
        var counts = [Int](repeating: 0, count: bins)
        for v in all where v >= lo && v <= hi { counts[min(bins - 1, Int((v - lo) / width))] += 1 }
        let mean = Stats.mean(all), sd = Stats.sampleStd(all)
        for b in 0..<bins {
            let c = lo + (Double(b) + 0.5) * width
            let normal = sd > 0 ? exp(-0.5 * pow((c - mean) / sd, 2)) / (sd * (2 * Double.pi).squareRoot()) : .nan
            t.append([n(lo + Double(b) * width), n(lo + Double(b + 1) * width), n(c), String(counts[b]),
                      n(Double(counts[b]) / (Double(all.count) * width)), n(normal)])
        }
        return t
    }

    /// Fig. 2: variance of the scaled increments per bucket of N, pooled over runs from
    /// fluctuation_summary.csv (or computed from fluctuation.csv in buckets of powers of two
    /// when the summary is missing). `n_mid` is the geometric middle of the bucket.
    static func fig2Variance(summary: [ReportRow], fluctuation: [ReportRow]) -> CSVTable {
        var t = CSVTable(header: ["n_from", "n_to", "n_mid", "count", "mean", "variance"])
        struct Bucket { var from: Double; var to: Double; var parts: [(count: Double, mean: Double, variance: Double)] }
        var buckets: [String: Bucket] = [:]
        if !summary.isEmpty {
            for r in summary {
                let from = r.number("n_from"), to = r.number("n_to"), c = r.number("count")
                guard from.isFinite, to.isFinite, c.isFinite, c > 0 else { continue }
                buckets["\(from)|\(to)", default: Bucket(from: from, to: to, parts: [])].parts
                    .append((c, r.number("mean"), r.number("variance")))
            }
        } else {
            var raw: [Int: [Double]] = [:]
            for r in fluctuation {
                let nn = r.number("n"), v = r.number("scaled_increment")
                guard nn.isFinite, nn >= 1, v.isFinite else { continue }
                raw[Int(log2(nn).rounded(.down)), default: []].append(v)
            }
            for (b, v) in raw {
                let from = pow(2, Double(b))
                buckets["\(b)"] = Bucket(from: from, to: 2 * from - 1,
                                         parts: [(Double(v.count), Stats.mean(v), v.count >= 2 ? pow(Stats.sampleStd(v), 2) : .nan)])
            }
        }
        for b in buckets.values.sorted(by: { $0.from < $1.from }) {
            // Pooled over runs: total count, weighted mean, and the variance of the union.
            let total = b.parts.reduce(0) { $0 + $1.count }
            let mean = b.parts.reduce(0) { $0 + $1.count * $1.mean } / total
            var ss = 0.0
            for p in b.parts {
                ss += (p.count - 1) * (p.count > 1 ? p.variance : 0) + p.count * (p.mean - mean) * (p.mean - mean)
            }
            let variance = total > 1 ? ss / (total - 1) : .nan
            guard variance.isFinite else { continue }
            t.append([n(b.from), n(b.to), n((b.from * b.to).squareRoot()), n(total), n(mean), n(variance)])
        }
        return t
    }

    /// Fig. 3 top: one row per configuration (bar group), numbered per dataset.
    static func fig3Top(_ configs: [Fig3Config]) -> CSVTable {
        var t = CSVTable(header: ["dataset", "x", "label", "dmn_n", "dmn_mean", "dmn_err", "convnet_n", "convnet_mean",
                                  "convnet_err", "baseline_n", "baseline_mean", "baseline_err", "dmn_infeasible"])
        var x: [DatasetName: Int] = [:]
        func cols(_ g: RunGroup?) -> [String] {
            guard let s = g?.accuracy, s.n > 0 else { return ["0", "nan", "nan"] }
            return [String(s.n), pct(s.mean), s.n >= 2 ? pct(s.std) : "0"]
        }
        for c in configs {
            x[c.dataset, default: 0] += 1
            t.append([clean(c.dataset.displayName), String(x[c.dataset]!), clean(c.label)]
                     + cols(c.dmn) + cols(c.convnet) + cols(c.baseline) + [String(c.dmn?.infeasible ?? 0)])
        }
        return t
    }

    /// Fig. 3 bottom: one row per sweep value; `series` numbers the sweeps of a parameter;
    /// `dataset` lets the figure draw one baseline per dataset rather than one per series.
    static func fig3Sweep(_ sweeps: [ParameterSweep]) -> CSVTable {
        var t = CSVTable(header: ["param", "series", "series_label", "value", "n", "mean", "err", "baseline_mean", "baseline_err",
                                  "dataset"])
        for p in Analysis.sweepParams {
            let ss = sweeps.filter { $0.param == p }
            let labels = ss.map(\.label)
            for (i, s) in ss.enumerated() {
                var label = s.label
                if labels.filter({ $0 == label }).count > 1 { label += " [\(s.spec)]" }
                let b = s.baseline?.accuracy
                for pt in s.points {
                    let a = pt.group.accuracy
                    guard a.n > 0, pt.value.isFinite else { continue }
                    t.append([p, String(i + 1), clean(label), n(pt.value), String(a.n), pct(a.mean), a.n >= 2 ? pct(a.std) : "0",
                              b.map { $0.n > 0 ? pct($0.mean) : "nan" } ?? "nan",
                              b.map { $0.n >= 2 ? pct($0.std) : "0" } ?? "nan", clean(s.dataset.displayName)])
                }
            }
        }
        return t
    }

    /// Every table, by name (without .csv); empty tables (header only) mean "no data". The
    /// tables of the claims beyond Fig. 3 read `beyond` (`ReportAnalysis`), the others `paper`.
    static func all(_ paper: ReportEvidence, beyond: ReportEvidence) -> [(name: String, table: CSVTable)] {
        let set = paper.set
        return [("fig1_lambda", fig1(lambda: set.lambda, runs: set.runs)),
                ("fig2_histogram", fig2Histogram(fluctuation: set.fluctuation)),
                ("fig2_variance", fig2Variance(summary: set.fluctuationSummary, fluctuation: set.fluctuation)),
                ("fig3_top", fig3Top(paper.configs)),
                ("fig3_sweep", fig3Sweep(paper.sweeps)),
                ("robustness_curves", ClaimRobustness.curves(runs: set.runs, history: set.history)),
                ("time_accuracy", TimeToAccuracy.plotTable(paper.paperTextConfigs, history: set.history)),
                ("tfrac_auto", TfracAutoClaim.plotTable(beyond.groups)),
                ("pretraining", PretrainingClaim.plotTable(beyond.set)),
                ("batchnorm", BatchNormClaim.plotTable(beyond.set)),
                ("learning_curve", LearningCurves.plotTable(beyond.paperTextConfigs)),
                ("pca_reuse", PCAReuse.plotTable(beyond.sweeps))]
    }

    /// Writes the non-empty tables into `folder` (and removes stale ones of these names that
    /// are now empty); returns the scripts that have data, in order.
    @discardableResult
    /// - Parameter beyondFig3: the runs the claims beyond Fig. 3 read, `set`'s included (default: `set`).
    public static func write(_ set: ResultSet, beyondFig3: ResultSet? = nil, to folder: URL) throws -> [String] {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var nonEmpty: Set<String> = []
        let paper = ReportEvidence(set)
        for (name, table) in all(paper, beyond: beyondFig3.map(ReportEvidence.init) ?? paper) {
            let url = folder.appendingPathComponent(name + ".csv")
            if table.rows.isEmpty {
                try? FileManager.default.removeItem(at: url)
            } else {
                try AtomicFile.write(table.text, to: url)
                nonEmpty.insert(name)
            }
        }
        return scripts.filter { $0.tables.contains(where: nonEmpty.contains) }.map(\.script)
    }
}
