import Datasets
import Foundation
import Models
import Numerics

/// One saved array: a layer's weight matrix or bias, or a frozen statistic the network applies.
struct WeightArray: Sendable, Equatable {
    /// The parameter's name in the network (`conv1.w`, `softmax.b`, …) or the statistic's
    /// (`standardize1.mean`, `input.std`, …); the file is `<name>.npy`.
    var name: String
    var shape: [Int]
    var values: [Float]
    init(name: String, shape: [Int], values: [Float]) { self.name = name; self.shape = shape; self.values = values }
}

/// Everything a run can save beside its run file: the trained network's parameters, every
/// frozen statistic it applies (so that the network can be rebuilt from the files alone) and, for
/// data-built layers (dmn, pca, random, hybrid), where each filter came from and the spectra
/// the filters were picked from. Kept out of `RunOutcome` on purpose: saving weights does
/// not change a run's outcome, so the outcome (and merge's comparison of two copies of a
/// run) is the same whether or not they were saved.
struct RunWeights: Sendable {
    var arrays: [WeightArray] = []
    /// Per built layer (1-based), each filter's origin, in filter order.
    var origins: [(layer: Int, origins: [FilterOrigin])] = []
    /// Per built layer, each group's eigenvalues (largest first) and the layer's T_v.
    var spectra: [(layer: Int, tv: Double, groups: [[Double]])] = []
    init() {}

    /// Conv weights are saved as (k, k, C, K) — the flat W[k·k·C, K] as is, since im2col's
    /// patch order is (row, column, channel): TensorFlow's HWIO layout. Dense weights are
    /// (inputs, outputs), inputs in NHWC-flattened order; biases (outputs,). A DMN's output
    /// standardisation saves `<layer>.mean` and `<layer>.std` (channels,), applied as
    /// (x − mean) / std after that layer's pool; `data.preprocessing: standardize` saves the
    /// training set's `input.mean` and `input.std` (channels,), applied as (pixel/255 − mean) / std.
    /// Batch normalisation (`training.batchNorm`) saves `bn<l>.gamma` and `bn<l>.beta` (trained) and
    /// the running averages evaluation applies, `bn<l>.moving_mean` and `bn<l>.moving_variance`
    /// (channels,), as y = gamma·(x − moving_mean)/√(moving_variance + ε) + beta, ε = 1e-3, between
    /// `conv<l>`'s output and its ReLU (Keras's names and formula).
    init(network: Sequential, built: [BuiltLayerReport], preprocessing: Preprocessing = .scale01) {
        if case let .standardize(mean, std) = preprocessing {
            arrays.append(WeightArray(name: "input.mean", shape: [mean.count], values: mean))
            arrays.append(WeightArray(name: "input.std", shape: [std.count], values: std))
        }
        for layer in network.layers {
            if let s = layer as? ChannelStandardize {
                arrays.append(WeightArray(name: s.name + ".mean", shape: [s.mean.count], values: s.mean))
                arrays.append(WeightArray(name: s.name + ".std", shape: [s.std.count], values: s.std))
            }
            if let bn = layer as? BatchNorm {
                arrays.append(WeightArray(name: bn.name + ".moving_mean", shape: [bn.channels], values: bn.runningMean))
                arrays.append(WeightArray(name: bn.name + ".moving_variance", shape: [bn.channels], values: bn.runningVariance))
            }
            for p in layer.parameters {
                var shape = p.shape
                if p === (layer as? ConvBlock)?.weights, let c = layer as? ConvBlock {
                    shape = [c.kernel, c.kernel, c.inputShape.channels, c.filters]
                } else if p === (layer as? Conv2D)?.weights, let c = layer as? Conv2D {
                    shape = [c.kernel, c.kernel, c.inputShape.channels, c.filters]
                }
                arrays.append(WeightArray(name: p.name, shape: shape, values: p.value))
            }
        }
        origins = built.filter { !$0.origins.isEmpty }.map { ($0.layer, $0.origins) }
        spectra = built.filter { !$0.spectra.isEmpty }.map { ($0.layer, $0.tv, $0.spectra) }
    }

    var parameterCount: Int { arrays.reduce(0) { $0 + $1.values.count } }
}

/// Which runs save their weights (`repro run --weights`).
public enum WeightSaving: String, Sendable, CaseIterable {
    /// Classify runs whose parameters total at most `autoLimit` (4 MiB as float32). Every
    /// network of the paper's Fig. 3 fits: the largest, CIFAR-100 with 16 filters in one
    /// layer, has 16·27 + 16 + 3600·100 + 100 = 360,548 parameters (1.4 MB).
    case auto
    /// Every run that has a network (classify and convergence), whatever its size.
    case all
    case none

    static let autoLimit = 1 << 20

    /// Whether to ask the executor for weights at all.
    func wants(_ run: ResolvedRun) -> Bool {
        switch self {
        case .auto: return run.kind == .classify
        case .all: return run.kind != .fluctuation
        case .none: return false
        }
    }

    /// Whether weights of this size are written.
    func keeps(_ weights: RunWeights) -> Bool { self != .auto || weights.parameterCount <= Self.autoLimit }
}

/// An executor that can hand back the network it trained. The orchestrator asks for weights
/// only when `--weights` says so; executors without it (tests' fakes) save none.
protocol WeightSavingExecutor: RunExecutor {
    func execute(_ run: ResolvedRun, dataDirectory: URL, threads: ThreadLayout, saveWeights: Bool,
                 progress: @escaping @Sendable (RunProgress) -> Void) throws -> (outcome: RunOutcome, weights: RunWeights?)
}

/// The weight files of one run, as its run file names them (`"weights"` key). Paths are
/// relative to the run file's folder `runs/`.
public struct WeightManifest: Codable, Hashable, Sendable {
    public struct Entry: Codable, Hashable, Sendable {
        var name: String
        public var file: String
        public var shape: [Int]
    }
    /// `<id>.weights`, a folder beside `<id>.json`.
    public var directory: String
    public var arrays: [Entry]
    /// `filters.csv` (layer, filter, class, rank, explained, cumulative) when the run built filters.
    public var filters: String?
    /// `spectra.csv` (layer, group, rank, eigenvalue, share, cumulative, tv) when it built them from spectra.
    public var spectra: String?

    /// Every file the manifest names, relative to `runs/`.
    var files: [String] {
        arrays.map { "\(directory)/\($0.file)" } + [filters, spectra].compactMap { $0.map { "\(directory)/\($0)" } }
    }

    /// True when every named file exists under `runsDirectory`.
    public func isComplete(in runsDirectory: URL) -> Bool {
        files.allSatisfy { FileManager.default.fileExists(atPath: runsDirectory.appendingPathComponent($0).path) }
    }
}

enum WeightFiles {
    static func directoryName(for id: String) -> String { id + ".weights" }

    /// Writes each array as `.npy` and the origin/spectrum tables as CSV into
    /// `runs/<id>.weights/`, each file atomically, and returns the manifest for the run file.
    /// The run file is written after this, so a run file that names weights has them.
    static func write(_ w: RunWeights, id: String, in folder: ResultFolder) throws -> WeightManifest {
        let dirName = directoryName(for: id)
        let dir = folder.runsDirectory.appendingPathComponent(dirName, isDirectory: true)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        AtomicFile.removeStaleTemps(in: dir)
        var entries: [WeightManifest.Entry] = []
        for a in w.arrays {
            let file = sanitized(a.name) + ".npy"
            try AtomicFile.write(try Npy.encode(a.values, shape: a.shape), to: dir.appendingPathComponent(file))
            entries.append(.init(name: a.name, file: file, shape: a.shape))
        }
        var manifest = WeightManifest(directory: dirName, arrays: entries, filters: nil, spectra: nil)
        func num(_ v: Double?) -> String { v.map(CSVTable.number) ?? "" }
        if !w.origins.isEmpty {
            var t = CSVTable(header: ["layer", "filter", "class", "rank", "explained", "cumulative"])
            for (layer, origins) in w.origins {
                for (f, o) in origins.enumerated() {
                    t.append([String(layer), String(f), o.cls.map(String.init) ?? "", o.rank.map(String.init) ?? "",
                              num(o.explained), num(o.cumulative)])
                }
            }
            try AtomicFile.write(t.text, to: dir.appendingPathComponent("filters.csv"))
            manifest.filters = "filters.csv"
        }
        if !w.spectra.isEmpty {
            var t = CSVTable(header: ["layer", "group", "rank", "eigenvalue", "share", "cumulative", "tv"])
            for (layer, tv, groups) in w.spectra {
                for (g, values) in groups.enumerated() {
                    // Shares as the T_v cut computes them: negative round-off counts as 0.
                    let trace = values.reduce(0) { $0 + max($1, 0) }
                    var acc = 0.0
                    for (r, v) in values.enumerated() {
                        acc += max(v, 0)
                        t.append([String(layer), String(g), String(r), CSVTable.number(v),
                                  CSVTable.number(trace > 0 ? max(v, 0) / trace : .nan),
                                  CSVTable.number(trace > 0 ? acc / trace : .nan), CSVTable.number(tv)])
                    }
                }
            }
            try AtomicFile.write(t.text, to: dir.appendingPathComponent("spectra.csv"))
            manifest.spectra = "spectra.csv"
        }
        return manifest
    }

    /// Copies a run's weight folder from one result folder to another (merge), file by file,
    /// atomically.
    static func copy(_ m: WeightManifest, from source: ResultFolder, to dest: ResultFolder) throws {
        let dir = dest.runsDirectory.appendingPathComponent(m.directory, isDirectory: true)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for f in m.files {
            try AtomicFile.write(try Data(contentsOf: source.runsDirectory.appendingPathComponent(f)),
                                 to: dest.runsDirectory.appendingPathComponent(f))
        }
    }

    static func sanitized(_ name: String) -> String {
        String(name.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." ? $0 : "_" })
    }
}
