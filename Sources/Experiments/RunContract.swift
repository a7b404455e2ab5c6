import Foundation

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
    case dmn, convnet, baseline, pca, random, hybrid
    /// Dense ReLU network trained end to end (Fig. 1).
    case mlp
}

public struct DMNParameters: Codable, Hashable, Sendable {
    /// Correlation above which a candidate filter is dropped as a duplicate (T_PC), in [0, 1].
    public var tpc: Double = 0.9
    /// Fraction of the trace each class's kept eigenvalues explain (T_v), one per layer; the
    /// last value repeats for deeper layers. In (0, 1].
    public var tv: [Double] = [0.95, 0.99]
    /// Fraction of each class's training images used to build the density matrices (T_frac), in (0, 1].
    public var tfrac: Double = 0.3
    /// "thresholds": the count is what T_v and T_PC give; "fixed": exactly the config's counts.
    public var filterCount: String = "fixed"
    /// "cosine" (|cos| of unit eigenvectors) or "pearson" (what the authors' code uses).
    public var similarity: String = "cosine"
    /// "round-robin" (rank 1 of every class, then rank 2, …) or "class-order".
    public var visitOrder: String = "round-robin"
    /// "mean-positive" (class-mean input projects ≥ 0) or "both" (keep v and −v).
    public var sign: String = "mean-positive"
    /// Subtract the class mean before forming ρ_c (the paper does not).
    public var centre: Bool = false
    public init() {}
}

public struct TrainingParameters: Codable, Hashable, Sendable {
    public var optimizer: String = "adam"      // "sgd" (with momentum) or "adam"
    public var learningRate: Double = 0.001
    public var momentum: Double = 0.9
    public var batchSize: Int = 64
    public var epochs: Int = 3
    public init() {}
}

/// One fully resolved point of a spec's grid.
public struct ResolvedRun: Codable, Hashable, Sendable {
    public var kind: ExperimentKind = .classify
    public var dataset: String = "fashion-mnist"  // mnist, fashion-mnist, cifar10, cifar100
    public var model: ModelKind = .dmn
    /// Conv filter counts per layer ("4,15" → [4, 15]); hidden widths for `mlp`.
    public var filters: [Int] = [4]
    public var seed: UInt64 = 1
    public var dmn = DMNParameters()
    public var training = TrainingParameters()
    public var preprocessing: String = "scale"    // "scale" to [0,1] or "standardize"
    public var cifar100Labels: String = "fine"    // "fine" or "coarse"
    /// Use only the first N training / test images (after a seeded stratified pick); nil = all.
    public var trainLimit: Int? = nil
    public var testLimit: Int? = nil
    /// Fig. 1: record λ every `lambdaEvery` steps; moving-average window for smoothing.
    public var lambdaEvery: Int = 1
    public var smoothingWindow: Int = 50
    public init() {}
}

public struct EpochRecord: Codable, Hashable, Sendable {
    public var epoch: Int
    public var loss: Double
    public var trainAccuracy: Double
    public var testAccuracy: Double
    public var seconds: Double
    public init(epoch: Int, loss: Double, trainAccuracy: Double, testAccuracy: Double, seconds: Double) {
        self.epoch = epoch; self.loss = loss; self.trainAccuracy = trainAccuracy
        self.testAccuracy = testAccuracy; self.seconds = seconds
    }
}

public struct LambdaRecord: Codable, Hashable, Sendable {
    public var step: Int
    public var imagesSeen: Int
    public var layer: Int
    public var lambda: Double
    public var detrended: Double
    public var smoothed: Double
    public init(step: Int, imagesSeen: Int, layer: Int, lambda: Double, detrended: Double, smoothed: Double) {
        self.step = step; self.imagesSeen = imagesSeen; self.layer = layer
        self.lambda = lambda; self.detrended = detrended; self.smoothed = smoothed
    }
}

/// A free-form table a run kind produces beyond the common ones (Fig. 2's increments).
public struct ExtraTable: Codable, Hashable, Sendable {
    public var name: String
    public var header: [String]
    public var rows: [[String]]
    public init(name: String, header: [String], rows: [[String]]) {
        self.name = name; self.header = header; self.rows = rows
    }
}

public struct RunOutcome: Codable, Hashable, Sendable {
    public var trainAccuracy: Double = .nan
    public var testAccuracy: Double = .nan
    /// Filters actually used per layer, and whether fixed-K mode had to relax T_v for it.
    public var filterCounts: [Int] = []
    public var relaxedTv: [Bool] = []
    public var buildSeconds: Double = 0
    public var sgdSeconds: Double = 0
    public var history: [EpochRecord] = []
    public var lambdas: [LambdaRecord] = []
    public var extraTables: [ExtraTable] = []
    public init() {}
}

/// Progress a run reports while it works, for the orchestrator's progress line.
public struct RunProgress: Sendable {
    public var phase: String          // "build", "train", "eval"
    public var epoch: Int
    public var epochs: Int
    public var fraction: Double       // of the whole run, 0…1
    public init(phase: String, epoch: Int, epochs: Int, fraction: Double) {
        self.phase = phase; self.epoch = epoch; self.epochs = epochs; self.fraction = fraction
    }
}

public protocol RunExecutor: Sendable {
    /// Executes one run. Throws on failure (the orchestrator records status "failed" with the
    /// error's description and goes on). A NaN or infinite loss must throw.
    func execute(_ run: ResolvedRun, dataDirectory: URL, progress: @escaping @Sendable (RunProgress) -> Void) throws -> RunOutcome
}
