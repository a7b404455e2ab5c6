import Datasets
import Foundation

/// A validated experiment spec: the grid of every parameter, per dataset.
public struct ExperimentSpec: Sendable {
    public var name: String
    var description: String?
    var kind: ExperimentKind
    var datasets: [DatasetName]
    var models: [ModelKind]
    var seeds: [UInt64]
    /// The base grid: `filters` plus `section.key` paths; parameters not listed keep defaults.
    var axes: [String: [ParamValue]]
    /// Per-dataset replacements of whole axes (`filters` or `section.key`).
    var overrides: [DatasetName: [String: [ParamValue]]]
    /// Path as given by the user, and the short SHA-256 of the file bytes.
    public var file: String
    public var hash: String
    /// Things worth telling the user that are not errors.
    public var warnings: [String]

    init(name: String, description: String? = nil, kind: ExperimentKind = .classify,
                datasets: [DatasetName], models: [ModelKind], seeds: [UInt64] = [1],
                axes: [String: [ParamValue]] = [:], overrides: [DatasetName: [String: [ParamValue]]] = [:],
                file: String = "(memory)", hash: String = "", warnings: [String] = []) {
        self.name = name; self.description = description; self.kind = kind
        self.datasets = datasets; self.models = models; self.seeds = seeds
        self.axes = axes; self.overrides = overrides; self.file = file; self.hash = hash
        self.warnings = warnings
    }

    /// The effective axes for one dataset: the base grid with the dataset's overrides applied.
    func axes(for dataset: DatasetName) -> [String: [ParamValue]] {
        var merged = axes
        for (path, values) in overrides[dataset] ?? [:] { merged[path] = values }
        return merged
    }

    /// Every run of the grid, in a stable order (datasets, models, filters, parameters in
    /// documentation order, seeds innermost), with parameters a run ignores reset to their
    /// defaults and duplicates removed (first occurrence kept).
    public func plannedRuns() -> [PlannedRun] {
        var out: [PlannedRun] = []
        var seen = Set<String>()
        for dataset in datasets {
            let ax = axes(for: dataset)
            let filterConfigs: [[Int]] = (ax["filters"] ?? [.integers(ResolvedRun().filters)]).map {
                if case .integers(let f) = $0 { return f }
                return ResolvedRun().filters
            }
            // Parameter axes in documentation order.
            let paramAxes: [(ParameterDefinition, [ParamValue])] = Parameters.all.compactMap { def in
                ax[def.path].map { (def, $0) }
            }
            for model in models {
                for filters in filterConfigs {
                    var base = ResolvedRun()
                    base.kind = kind
                    base.dataset = dataset
                    base.model = model
                    base.filters = filters
                    var partial: [ResolvedRun] = [base]
                    for (def, values) in paramAxes {
                        var next: [ResolvedRun] = []
                        next.reserveCapacity(partial.count * values.count)
                        for r in partial {
                            for v in values {
                                var c = r
                                def.set(&c, v)
                                next.append(c)
                            }
                        }
                        partial = next
                    }
                    for r in partial {
                        for seed in seeds {
                            var c = r
                            c.seed = seed
                            let n = RunNormalization.normalize(c)
                            let id = RunIdentity.id(of: n)
                            if seen.insert(id).inserted { out.append(PlannedRun(id: id, run: n)) }
                        }
                    }
                }
            }
        }
        return out
    }
}

/// A run of the plan with its id.
public struct PlannedRun: Hashable, Sendable {
    public var id: String
    public var run: ResolvedRun
    init(id: String, run: ResolvedRun) { self.id = id; self.run = run }
    init(_ run: ResolvedRun) {
        let n = RunNormalization.normalize(run)
        self.id = RunIdentity.id(of: n); self.run = n
    }
}
