import Datasets
import Foundation
import Models

/// Checks `repro validate` makes beyond the spec's syntax, so that a spec that cannot run is
/// refused before any run starts: the grid's size, counted from its axes without expanding it
/// (issue #10, item 4), and each architecture against its dataset's input and a memory bound
/// (item 5).
enum Feasibility {
    /// Largest grid a spec may expand to. Expanding and hashing costs about 0.2 ms per run, so
    /// this keeps `validate`, `plan` and `run` within seconds; split larger studies into specs.
    static let maxRuns = 20_000

    /// The memory one run may need: half the machine's physical memory, so that two jobs and
    /// the data still fit.
    static var memoryBound: Int { Int(min(ProcessInfo.processInfo.physicalMemory / 2, UInt64(Int.max))) }

    /// The number of runs the grid expands to before duplicates are removed (runs that differ
    /// only in a parameter their model ignores), saturating at Int.max.
    static func gridSize(_ spec: ExperimentSpec) -> Int {
        var total = 0
        for dataset in spec.datasets {
            let axes = spec.axes(for: dataset)
            var n = spec.models.count
            n = saturatingProduct(n, axes["filters"]?.count ?? 1)
            for def in Parameters.all { n = saturatingProduct(n, axes[def.path]?.count ?? 1) }
            n = saturatingProduct(n, spec.seeds.count)
            total = total.addingReportingOverflow(n).overflow ? Int.max : total + n
        }
        return total
    }

    static func saturatingProduct(_ a: Int, _ b: Int) -> Int {
        let (p, overflow) = a.multipliedReportingOverflow(by: b)
        return overflow ? Int.max : p
    }

    /// Every problem of this kind in the spec, each naming the key and the limit.
    static func issues(_ spec: ExperimentSpec) -> [SpecIssue] {
        let size = gridSize(spec)
        if size > maxRuns {
            let count = size == Int.max ? "more than \(Int.max)" : "\(size)"
            return [SpecIssue(file: spec.file, path: "", line: nil,
                              message: "the grid has \(count) runs (the product of the sizes of datasets, models, filters, every parameter list and seeds); the limit is \(maxRuns): split the study into several specs")]
        }
        var out: [SpecIssue] = []
        var seen = Set<String>()
        for dataset in spec.datasets {
            let axes = spec.axes(for: dataset)
            let filterConfigs = (axes["filters"] ?? [.integers(ResolvedRun().filters)]).compactMap { v -> [Int]? in
                if case .integers(let f) = v { return f }
                return nil
            }
            let batches = (axes["training.batchSize"] ?? [.integer(ResolvedRun().training.batchSize)]).compactMap { v -> Int? in
                if case .integer(let b) = v { return b }
                return nil
            }
            let resizes = (axes["data.resize"] ?? [.none]).compactMap(ImageResize.init(paramValue:))
            for model in spec.models {
                for filters in filterConfigs {
                    for batch in batches {
                        for resize in resizes {
                            var run = ResolvedRun()
                            run.dataset = dataset; run.model = model; run.filters = filters; run.training.batchSize = batch
                            run.data.resize = resize
                            guard let problem = problem(run) else { continue }
                            if seen.insert(problem).inserted {
                                out.append(SpecIssue(file: spec.file, path: "filters", line: nil, message: problem))
                            }
                        }
                    }
                }
            }
        }
        return out
    }

    /// Why this run cannot run (its architecture does not fit the input, or it needs more
    /// memory than `memoryBound`), or nil.
    static func problem(_ run: ResolvedRun, memoryBound: Int = Feasibility.memoryBound) -> String? {
        let shape = run.imageShape
        let label = "filters \"\(JSONNode.cut(run.filters.map(String.init).joined(separator: ",")))\" with model \(run.model.rawValue) on \(run.dataset.rawValue)" + (run.dataset.isBuiltin ? "" : run.data.resize.spelling.map { " resized to \($0)" } ?? "")
        let batch = max(run.training.batchSize, evaluationBatch)
        var bytes = 0
        switch run.model {
        case .baseline:
            return nil
        case .mlp:
            var width = shape.height * shape.width * shape.channels
            for h in run.filters {
                bytes = saturatingSum(bytes, denseBytes(inputs: width, outputs: h, batch: batch))
                width = h
            }
        case .dmn, .convnet, .pca, .random, .hybrid:
            var h = shape.height, w = shape.width, c = shape.channels
            let k = 3
            for (l, f) in run.filters.enumerated() {
                guard h - k + 1 >= 2, w - k + 1 >= 2 else {
                    return "\(label): layer \(l + 1) gets a \(h)×\(w) input, too small for a \(k)×\(k) conv and a 2×2 pool "
                        + "(a \(shape.height)×\(shape.width) image allows at most \(maxConvLayers(shape.height, shape.width, k)) conv layers)"
                }
                bytes = saturatingSum(bytes, convBytes(height: h, width: w, channels: c, filters: f, kernel: k, batch: batch))
                h = (h - k + 1) / 2; w = (w - k + 1) / 2; c = f
            }
        }
        guard bytes > memoryBound else { return nil }
        return "\(label) needs about \(gigabytes(bytes)) for a batch of \(batch) images (activations, gradients, patch buffers); "
            + "the bound is half of this machine's memory, \(gigabytes(memoryBound)): use fewer filters or a smaller training.batchSize"
    }

    /// `TrainingConfig.evaluationBatch`'s default: evaluation may hold this many images at once.
    static let evaluationBatch = TrainingConfig().evaluationBatch

    /// One conv → ReLU → pool block on a batch, in bytes of Float: the conv output, its
    /// gradient and the ReLU/pool masks (3 × output), the k²C patch matrix and its gradient.
    static func convBytes(height h: Int, width w: Int, channels c: Int, filters f: Int, kernel k: Int, batch: Int) -> Int {
        let positions = saturatingProduct(batch, (h - k + 1) * (w - k + 1))
        let perPosition = saturatingSum(saturatingProduct(3, f), saturatingProduct(2, k * k * c))
        return saturatingProduct(saturatingProduct(positions, perPosition), MemoryLayout<Float>.size)
    }

    static func denseBytes(inputs: Int, outputs: Int, batch: Int) -> Int {
        let weights = saturatingProduct(saturatingProduct(inputs, outputs), 3)   // weights, gradient, optimiser state
        let activations = saturatingProduct(batch, saturatingProduct(outputs, 3))
        return saturatingProduct(saturatingSum(weights, activations), MemoryLayout<Float>.size)
    }

    static func saturatingSum(_ a: Int, _ b: Int) -> Int {
        let (s, overflow) = a.addingReportingOverflow(b)
        return overflow ? Int.max : s
    }

    static func maxConvLayers(_ h: Int, _ w: Int, _ k: Int) -> Int {
        var h = h, w = w, n = 0
        while h - k + 1 >= 2 && w - k + 1 >= 2 { h = (h - k + 1) / 2; w = (w - k + 1) / 2; n += 1 }
        return n
    }

    static func gigabytes(_ bytes: Int) -> String { String(format: "%.1f GB", Double(bytes) / 1e9) }
}
