import Datasets
import Experiments
import Foundation

/// Runs of one spec with the same configuration apart from the seed.
struct RunGroup: Sendable {
    var spec: String
    var kind: ExperimentKind
    var dataset: DatasetName
    var model: ModelKind
    /// Filter counts as in runs.csv, `-`-joined ("4-15"); empty for the baseline.
    var filters: String
    /// The parameter columns of runs.csv (tpc, tv, …, test_limit, …) and their values: every
    /// column of `Parameters.all` (those of its runs, which share them).
    var settings: [String: ParamValue]
    /// Runs with status ok, in table order.
    var okRuns: [RunRow]
    /// Runs that are not ok: failed, or infeasible (the method cannot build them, by design).
    var failed: Int
    var infeasible: Int
    /// Test accuracy (0…1) of the ok runs over seeds.
    var accuracy: Summary

    var layers: Int { filters.isEmpty ? 0 : filters.split(separator: "-").count }
    /// The method cannot build this configuration: some of its runs are recorded infeasible
    /// and the ok ones give no interval. Claims leave it out of their verdicts and name it.
    var cannotBuild: Bool { infeasible > 0 && accuracy.n < 2 }
    var seeds: [UInt64] { okRuns.map(\.seed) }
    /// "4+15" for display.
    var filtersLabel: String { filters.isEmpty ? "–" : filters.replacingOccurrences(of: "-", with: "+") }
    /// The value of a parameter column (`.none` for a column that is not one).
    func setting(_ column: String) -> ParamValue { settings[column] ?? ParamValue.none }
    /// The ok runs whose times measure a whole build: not those whose DMN layers took their
    /// spectra from the PCA cache (`RunRow.builtFromScratch`), whose build_s holds no PCA.
    var timedRuns: [RunRow] { okRuns.filter(\.builtFromScratch) }
    /// The median over the timed runs of a measured column (`\.buildSeconds`, …).
    func median(_ field: KeyPath<RunRow, Double>) -> Double { Stats.median(timedRuns.map { $0[keyPath: field] }) }
}

/// One bar group of Fig. 3 top: a DMN configuration and the ConvNet with the same filters,
/// training and data settings in the same spec, and the baseline of that spec and dataset.
struct Fig3Config: Sendable {
    var spec: String
    var dataset: DatasetName
    var filters: String
    var label: String
    var dmn: RunGroup?
    var convnet: RunGroup?
    var baseline: RunGroup?
    var layers: Int { filters.isEmpty ? 0 : filters.split(separator: "-").count }
}

struct SweepPoint: Sendable {
    /// The swept value (for T_v, that of layer 1); NaN for a value that is not a number.
    var value: Double
    /// The value as in runs.csv ("0.98-0.99").
    var label: String
    var group: RunGroup
}

/// DMN runs of one spec that differ only in one parameter (tpc, tv or tfrac) and the seed.
struct ParameterSweep: Sendable {
    var param: String
    var spec: String
    var dataset: DatasetName
    var filters: String
    var points: [SweepPoint]
    var baseline: RunGroup?
    var label: String { "\(dataset.displayName) (filters \(filters.replacingOccurrences(of: "-", with: "+")))" }
}

/// Early-training λ of the lowest and the highest recorded layer for one dataset (Fig. 1).
struct Fig1Early: Sendable {
    var dataset: DatasetName
    var runs: Int
    var lowLayer: Int
    var highLayer: Int
    /// Mean smoothed de-trended λ over the early window, averaged over runs.
    var lowMean: Double
    var highMean: Double
    /// The samples the intervals are taken over: per-run means when there are ≥ 2 runs
    /// ("seeds"), else batch means of the de-trended λ within the window ("batches").
    var low: Summary
    var high: Summary
    var unit: String
    /// Last step of the early window, and the last recorded step.
    var windowSteps: Int
    var totalSteps: Int
}

struct TimingRow: Sendable {
    var dataset: DatasetName
    var label: String
    var dmnRuns: Int
    var dmnBuild: Double
    var dmnSGD: Double
    var convnetRuns: Int
    var convnetSGD: Double
    /// ConvNet SGD time / DMN build time (how many times faster the DMN estimation is).
    var ratio: Double { convnetSGD / dmnBuild }
}

enum ReportNames {
    /// The paper's symbol of a runs.csv parameter column ("T_PC"), from its `ParameterDefinition`.
    static func param(_ p: String) -> String { Parameters.definition(column: p)?.label ?? p }
}

extension CaseIterable where Self: Equatable {
    /// Position in declaration order: the order tables and figures list datasets and models.
    var rank: Int { Array(Self.allCases).firstIndex(of: self) ?? 0 }
}

/// Pure functions from parsed result tables to the groups, configurations and sweeps the
/// report and the plots use.
enum Analysis {
    /// The parameter columns of runs.csv, and those of the `dmn` section.
    static let parameterColumns = Parameters.all.map(\.column)
    static let dmnColumns = Set(Parameters.definitions(in: .dmn).map(\.column))
    /// Settings a ConvNet uses and a DMN does not (its run resets them to the default,
    /// `RunNormalization`): `training.init`. A DMN pairs with the ConvNets of every value.
    static let convnetOnlyColumns: Set<String> = ["init"]
    /// The swept parameters' columns (those with sweep values in `Parameters.all`).
    static let sweepParams = Parameters.swept.map(\.column)

    /// Groups runs by spec, kind, dataset, model, filters and every parameter column (not the
    /// seed).
    static func groups(_ runs: [RunRow]) -> [RunGroup] {
        struct Key: Hashable {
            var spec: String, kind: ExperimentKind, dataset: DatasetName, model: ModelKind, filters: String, settings: [ParamValue]
        }
        var order: [(key: Key, rows: [RunRow])] = []
        var index: [Key: Int] = [:]
        for r in runs {
            let key = Key(spec: r.spec, kind: r.kind, dataset: r.dataset, model: r.model, filters: r.filters,
                          settings: parameterColumns.map(r.setting))
            if let i = index[key] { order[i].rows.append(r) } else { index[key] = order.count; order.append((key, [r])) }
        }
        let groups = order.map { key, rows -> RunGroup in
            let ok = rows.filter { $0.status == .ok }
            return RunGroup(spec: key.spec, kind: key.kind, dataset: key.dataset, model: key.model, filters: key.filters,
                            settings: Dictionary(uniqueKeysWithValues: zip(parameterColumns, key.settings)), okRuns: ok,
                            failed: rows.count - ok.count, infeasible: rows.filter { $0.status == .infeasible }.count,
                            accuracy: Summary(ok.map(\.testAccuracy)))
        }
        return groups.sorted(by: groupOrder)
    }

    static func filterKey(_ f: String) -> [Int] {
        let parts = f.split(separator: "-").map { Int($0) ?? 0 }
        return [parts.count] + parts
    }

    static func groupOrder(_ a: RunGroup, _ b: RunGroup) -> Bool {
        if a.dataset != b.dataset { return a.dataset.rank < b.dataset.rank }
        if a.spec != b.spec { return a.spec < b.spec }
        let fa = filterKey(a.filters), fb = filterKey(b.filters)
        if fa != fb { return fa.lexicographicallyPrecedes(fb) }
        if a.model != b.model { return a.model.rank < b.model.rank }
        for c in parameterColumns where a.setting(c) != b.setting(c) {
            if let x = number(a.setting(c)), let y = number(b.setting(c)), x != y { return x < y }
            return a.setting(c).description < b.setting(c).description
        }
        return false
    }

    /// A setting as a number, to order groups by it: a real or integer, or a per-layer list
    /// of one number; nil for anything else (ordered by its text).
    static func number(_ v: ParamValue) -> Double? {
        switch v {
        case .real(let d): return d
        case .integer(let i): return Double(i)
        case .reals(let d) where d.count == 1: return d[0]
        default: return nil
        }
    }

    /// The settings outside the `dmn` section (training, data, convergence) that every model
    /// uses (not the ConvNet's initialiser), as one key.
    static func sharedKey(_ g: RunGroup) -> [ParamValue] {
        parameterColumns.filter { !dmnColumns.contains($0) && !convnetOnlyColumns.contains($0) }.map(g.setting)
    }

    /// "k=v k=v" for the columns whose values differ among `groups` (for labels).
    static func varying(_ groups: [RunGroup], columns: [String] = parameterColumns) -> [String] {
        columns.filter { c in Set(groups.map { $0.setting(c) }).count > 1 }
    }

    static func describe(_ g: RunGroup, columns: [String]) -> String {
        columns.map { "\($0)=\(g.setting($0))" }.joined(separator: " ")
    }

    /// The baseline for runs of `spec` on `dataset` with the training/data settings of `like`:
    /// from the same spec if there is one, else any spec with the same settings.
    static func baseline(for like: RunGroup, in groups: [RunGroup]) -> RunGroup? {
        let candidates = groups.filter { $0.kind == .classify && $0.model == .baseline && $0.dataset == like.dataset
            && sharedKey($0) == sharedKey(like) }
        return candidates.first { $0.spec == like.spec } ?? candidates.first
    }

    /// Fig. 3 top configurations. A cell is (spec, dataset, filters, training/data settings
    /// every model uses) of kind classify. A cell with ConvNets gives one configuration per DMN
    /// setting and ConvNet (those differ only in settings a DMN ignores, the initialiser) in it
    /// (no DMN: ConvNet only). A cell without ConvNet gives one only when it has exactly one DMN
    /// setting; cells with several are parameter sweeps (Fig. 3 bottom).
    static func fig3Configs(_ groups: [RunGroup]) -> [Fig3Config] {
        let classify = groups.filter { $0.kind == .classify && ($0.model == .dmn || $0.model == .convnet) }
        struct CellKey: Equatable { var spec: String, dataset: DatasetName, filters: String, shared: [ParamValue] }
        var cells: [(key: CellKey, groups: [RunGroup])] = []
        for g in classify {
            let key = CellKey(spec: g.spec, dataset: g.dataset, filters: g.filters, shared: sharedKey(g))
            if let i = cells.firstIndex(where: { $0.key == key }) { cells[i].groups.append(g) } else { cells.append((key, [g])) }
        }
        var configs: [Fig3Config] = []
        for (_, cell) in cells {
            let dmns = cell.filter { $0.model == .dmn }
            let convs = cell.filter { $0.model == .convnet }
            guard let ref = convs.first ?? (dmns.count == 1 ? dmns.first : nil) else { continue }
            let vary = varying(dmns, columns: parameterColumns.filter { dmnColumns.contains($0) })
            let base = baseline(for: ref, in: groups)
            for conv in (convs.isEmpty ? [nil] : convs.map(Optional.some)) {
                for d in (dmns.isEmpty ? [nil] : dmns.map(Optional.some)) {
                    var label = ref.filtersLabel
                    if let d = d, !vary.isEmpty { label += " (\(describe(d, columns: vary)))" }
                    configs.append(Fig3Config(spec: ref.spec, dataset: ref.dataset, filters: ref.filters, label: label,
                                              dmn: d, convnet: conv, baseline: base))
                }
            }
        }
        // Disambiguate labels repeated within a dataset: by spec, then by the settings that differ.
        let byDataset = Dictionary(grouping: configs.indices, by: { configs[$0].dataset })
        for (_, idx) in byDataset {
            let labels = Dictionary(grouping: idx, by: { configs[$0].label })
            for (_, same) in labels where same.count > 1 {
                let specs = Set(same.map { configs[$0].spec })
                let refs = same.compactMap { configs[$0].convnet ?? configs[$0].dmn }
                let vary = varying(refs, columns: parameterColumns.filter { !dmnColumns.contains($0) })
                for (k, i) in same.enumerated() {
                    var extra: [String] = []
                    if specs.count > 1 { extra.append(configs[i].spec) }
                    if !vary.isEmpty { extra.append(describe(refs[k], columns: vary)) }
                    if !extra.isEmpty { configs[i].label += " [\(extra.joined(separator: "; "))]" }
                }
            }
        }
        return configs
    }

    /// Parameter sweeps of the DMN (kind classify): groups of one spec, dataset and filters
    /// that differ only in `param` (tpc, tv or tfrac), with at least two values.
    static func sweeps(_ groups: [RunGroup], param: String) -> [ParameterSweep] {
        let dmn = groups.filter { $0.kind == .classify && $0.model == .dmn }
        let others = parameterColumns.filter { $0 != param }
        struct Key: Hashable { var dataset: DatasetName, filters: String, others: [ParamValue] }
        var order: [(key: Key, groups: [RunGroup])] = []
        var index: [Key: Int] = [:]
        for g in dmn {
            // Not keyed by spec: a run shared by several sweep specs (their common centre
            // point, e.g. T_PC 0.9 = T_v 0.98 = T_frac 0.3) has one id and is kept once.
            let key = Key(dataset: g.dataset, filters: g.filters, others: others.map(g.setting))
            if let i = index[key] { order[i].groups.append(g) } else { index[key] = order.count; order.append((key, [g])) }
        }
        var out: [ParameterSweep] = []
        for (key, all) in order {
            // Only numeric values lie on a sweep's axis (T_frac "auto" is judged on its own, `TfracAutoClaim`).
            let gs = all.filter { g in
                switch g.setting(param) {
                case .real, .reals, .integer, .integers: return true
                default: return false
                }
            }
            guard Set(gs.map { $0.setting(param) }).count >= 2 else { continue }
            // The spec with the most groups (on a tie, the first by name) names the sweep.
            let perSpec = Dictionary(gs.map { ($0.spec, 1) }, uniquingKeysWith: +)
            let spec = perSpec.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }[0].key
            // One point per value: where specs share a setting, the sweep's own spec wins.
            var byValue: [ParamValue: RunGroup] = [:]
            for g in gs {
                let v = g.setting(param)
                if let kept = byValue[v], kept.spec == spec || g.spec != spec { continue }
                byValue[v] = g
            }
            var points: [SweepPoint] = byValue.map { v, g -> SweepPoint in
                // For T_v, the value of layer 1.
                let first: Double? = if case .reals(let d) = v, let d0 = d.first { d0 } else { number(v) }
                return SweepPoint(value: first ?? .nan, label: v.description, group: g)
            }
            points.sort { (a: SweepPoint, b: SweepPoint) -> Bool in
                if a.value != b.value { return a.value < b.value }
                return a.label < b.label
            }
            out.append(ParameterSweep(param: param, spec: spec, dataset: key.dataset, filters: key.filters,
                             points: points, baseline: baseline(for: gs[0], in: groups)))
        }
        return out
    }

    /// Median DMN build time and SGD time against the median ConvNet SGD time, per configuration.
    static func timings(_ configs: [Fig3Config]) -> [TimingRow] {
        configs.compactMap { c in
            guard let d = c.dmn, let v = c.convnet, !d.okRuns.isEmpty, !v.okRuns.isEmpty else { return nil }
            return TimingRow(dataset: c.dataset, label: c.label, dmnRuns: d.timedRuns.count, dmnBuild: d.median(\.buildSeconds),
                             dmnSGD: d.median(\.sgdSeconds), convnetRuns: v.okRuns.count, convnetSGD: v.median(\.sgdSeconds))
        }
    }

    /// Batches used for the interval of Fig. 1's early window when there is only one run.
    static let fig1Batches = 10
    /// Fraction of the recorded steps that counts as "early".
    static let fig1EarlyFraction = 0.1

    /// Fig. 1, per dataset: the smoothed de-trended λ of the lowest (1) and highest layer,
    /// averaged over the steps ≤ 10% of the run's last recorded step (at least the first one).
    /// Intervals: over runs (seeds) when the dataset has ≥ 2 convergence runs; with one run,
    /// over `fig1Batches` consecutive batches of the window, using the de-trended (unsmoothed)
    /// λ, because the moving average makes neighbouring smoothed values nearly identical.
    static func fig1Early(lambda: [ReportRow], runs: [RunRow]) -> [Fig1Early] {
        let conv = runs.filter { $0.kind == .convergence && $0.status == .ok }
        let byRun = Dictionary(grouping: lambda, by: { $0["run_id"] })
        var perDataset: [DatasetName: [(low: Double, high: Double, lowBatches: [Double], highBatches: [Double],
                                   lowLayer: Int, highLayer: Int, window: Int, total: Int)]] = [:]
        for r in conv {
            guard let rows = byRun[r.runId], !rows.isEmpty else { continue }
            let steps = rows.map { Int($0.number("step")) }
            let total = steps.max() ?? 0, first = steps.min() ?? 0
            let window = max(first, Int((Double(total) * fig1EarlyFraction).rounded(.down)))
            let early = rows.filter { Int($0.number("step")) <= window }
            let layers = Set(early.map { Int($0.number("layer")) })
            guard let lo = layers.min(), let hi = layers.max(), lo != hi else { continue }
            func values(_ layer: Int, _ col: String) -> [(Int, Double)] {
                early.filter { Int($0.number("layer")) == layer }.map { (Int($0.number("step")), $0.number(col)) }
                    .filter { $0.1.isFinite }.sorted { $0.0 < $1.0 }
            }
            let lowS = values(lo, "smoothed").map(\.1), highS = values(hi, "smoothed").map(\.1)
            guard !lowS.isEmpty, !highS.isEmpty else { continue }
            func batches(_ v: [Double]) -> [Double] {
                let b = min(fig1Batches, v.count)
                guard b > 0 else { return [] }
                return (0..<b).map { i in Stats.mean(Array(v[(i * v.count / b)..<((i + 1) * v.count / b)])) }
            }
            perDataset[r.dataset, default: []].append(
                (Stats.mean(lowS), Stats.mean(highS), batches(values(lo, "detrended").map(\.1)),
                 batches(values(hi, "detrended").map(\.1)), lo, hi, window, total))
        }
        return perDataset.sorted { $0.key.rank < $1.key.rank }
            .compactMap { ds, v in
                // Every dataset in `perDataset` has at least one run; the guard only states it.
                guard let lowLayer = v.map(\.lowLayer).min(), let highLayer = v.map(\.highLayer).max(),
                      let window = v.map(\.window).max(), let total = v.map(\.total).max() else { return nil }
                let multi = v.count >= 2
                return Fig1Early(dataset: ds, runs: v.count, lowLayer: lowLayer, highLayer: highLayer,
                                 lowMean: Stats.mean(v.map(\.low)), highMean: Stats.mean(v.map(\.high)),
                                 low: Summary(multi ? v.map(\.low) : v[0].lowBatches),
                                 high: Summary(multi ? v.map(\.high) : v[0].highBatches),
                                 unit: multi ? "seeds" : "batches", windowSteps: window, totalSteps: total)
            }
    }
}
