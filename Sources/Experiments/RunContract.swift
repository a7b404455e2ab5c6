import Datasets
import Foundation
import Models
import Numerics

// The contract between the orchestrator (spec → grid → runs → result files) and the code
// that executes one run (models, DMN builder, trainer). Everything that changes a run's
// outcome lives in `ResolvedRun`, so its hash is the run's identity.

public enum ExperimentKind: String, Codable, CaseIterable, Sendable {
    /// Fig. 3: train a model, report test accuracy.
    case classify
    /// Fig. 1: a dense ReLU net trained by SGD, recording per-layer convergence rates λ.
    case convergence
    /// Fig. 2 bottom: eigenvalue increments of the class density matrices as images are added.
    case fluctuation
}

public enum ModelKind: String, Codable, CaseIterable, Sendable {
    /// Conv layers set by the density-matrix method, softmax trained by SGD.
    case dmn
    /// The same network trained end to end by SGD.
    case convnet
    /// The softmax layer alone, on the pixels.
    case baseline
    /// Ablations: class-agnostic PCA filters, random filters, DMN filters then fine-tuned by SGD.
    case pca, random, hybrid
    /// Dense ReLU network trained end to end (Fig. 1).
    case mlp
}

/// One fully resolved point of a spec's grid: the models' own option types, set from the
/// spec through the parameter table (`Parameters.all`), which also gives the run file's
/// layout, the runs.csv columns and the run id (`RunIdentity`).
public struct ResolvedRun: Hashable, Sendable {
    public var kind: ExperimentKind = .classify
    public var dataset: DatasetName = .fashionMNIST
    public var model: ModelKind = .dmn
    /// Conv filter counts per layer ("4,15" → [4, 15]); hidden widths for `mlp`.
    public var filters: [Int] = [4]
    public var seed: UInt64 = 1
    public var dmn = DMNOptions()
    /// The `training` section; its `seed` is the run's seed (set by the executor).
    var training = TrainingConfig()
    var data = DataOptions()
    var convergence = ConvergenceOptions()
    init() {}

    /// Height, width and channels of the images the run's model sees: the dataset's, or
    /// `data.resize`'s size for a dataset given by path.
    var imageShape: (height: Int, width: Int, channels: Int) {
        let native = dataset.imageShape
        if !dataset.isBuiltin, case let .to(h, w) = data.resize { return (h, w, native.channels) }
        return native
    }
}

/// The spec's `data` section.
struct DataOptions: Hashable, Sendable {
    var preprocessing: PreprocessingMethod = .scale
    var cifar100Labels: CIFAR100LabelSet = .fine
    /// Use only the first N training / test images (after a seeded stratified pick); nil = all.
    var trainLimit: Int? = nil
    var testLimit: Int? = nil
    /// Fraction of each class's training images held out as a validation set (a seeded
    /// stratified split, seed = the run's seed, after `trainLimit`); 0 = none.
    var validation = 0.0
    /// Which epoch's test accuracy the run reports as its `testAccuracy`.
    var selection: SelectionRule = .final
    /// The size every image of a dataset given by path is resized to (`resizeAreaAverage`);
    /// `.keep`: their own size, which must then be one size.
    var resize: ImageResize = .keep
    init() {}
}

/// The spec's `convergence` section (Fig. 1's λ recording, also done for classify runs).
struct ConvergenceOptions: Hashable, Sendable {
    /// Record λ every `lambdaEvery` steps.
    var lambdaEvery = 1
    /// Trailing moving-average window of the de-trended λ, in records.
    var smoothingWindow = 50
    init() {}
}

/// A free-form table a run kind produces beyond the common ones (Fig. 2's increments).
struct ExtraTable: Codable, Hashable, Sendable {
    var name: String
    var header: [String]
    var rows: [[String]]
    init(name: String, header: [String], rows: [[String]]) {
        self.name = name; self.header = header; self.rows = rows
    }
}

public struct RunOutcome: Codable, Hashable, Sendable {
    var trainAccuracy: Double = .nan
    var testAccuracy: Double = .nan
    /// Filters actually used per layer, and whether fixed-K mode had to relax T_v for it.
    var filterCounts: [Int] = []
    var relaxedTv: [Bool] = []
    /// With dmn.tfrac "auto": the fraction each DMN layer chose (nil otherwise, and in run
    /// files written before the option, which decode without it).
    var tfracChosen: [Double]? = nil
    /// With `--pca-cache` on or memory: per DMN/PCA layer, whether its spectra came from the
    /// cache (its build seconds then measure no PCA); nil when the run asked for no reuse (and
    /// in run files written before the option).
    var spectraReused: [Bool]? = nil
    var buildSeconds: Double = 0
    var sgdSeconds: Double = 0
    var history: [EpochStats] = []
    var lambdas: [ConvergenceRecorder.Record] = []
    var extraTables: [ExtraTable] = []
    init() {}
}

/// Progress a run reports while it works, for the orchestrator's progress line.
public struct RunProgress: Sendable {
    var phase: String          // "build", "train", "eval"
    var epoch: Int
    var epochs: Int
    var fraction: Double       // of the whole run, 0…1
    init(phase: String, epoch: Int, epochs: Int, fraction: Double) {
        self.phase = phase; self.epoch = epoch; self.epochs = epochs; self.fraction = fraction
    }
}

public protocol RunExecutor: Sendable {
    /// Executes one run with the thread layout the runner planned for every run of the process
    /// (other runs may execute at the same time: the executor never changes OpenBLAS's
    /// process-wide thread count). Throws on failure (the orchestrator records status "failed"
    /// with the error's description and goes on). A NaN or infinite loss must throw.
    func execute(_ run: ResolvedRun, dataDirectory: URL, threads: ThreadLayout,
                 progress: @escaping @Sendable (RunProgress) -> Void) throws -> RunOutcome
}
