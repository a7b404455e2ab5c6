// Every choice the paper leaves open is an explicit option here, with the default repro uses
// and the authors' choice (GitHub nimadehmamy/DMN) noted where it differs.

public enum FilterCountMode: String, Codable, Sendable, CaseIterable {
    /// As many filters as T_v and T_PC give.
    case thresholds
    /// Exactly the configured count: the first K in visit order, relaxing T_v if needed.
    case fixed
}

public enum SimilarityMeasure: String, Codable, Sendable, CaseIterable {
    /// |cos| between unit eigenvectors (default: the natural measure between directions).
    case cosine
    /// |Pearson correlation| between the vectors' components (the authors' code).
    case pearson
}

public enum VisitOrder: String, Codable, Sendable, CaseIterable {
    /// Rank 1 of every class, then rank 2, … (default: no class crowds out the others).
    case roundRobin = "round-robin"
    /// All of class 0's vectors, then class 1's, …
    case classOrder = "class-order"
}

public enum SignRule: String, Codable, Sendable, CaseIterable {
    /// Orient v so the class-mean input projects non-negatively, v·μ_c ≥ 0 (default: what
    /// survives the ReLU is then the part of the input that looks like the class).
    case meanPositive = "mean-positive"
    /// Keep v and −v as two filters (each merged vector counts twice).
    case both
}

public enum DMNActivation: String, Codable, Sendable, CaseIterable {
    /// conv → ReLU → 2×2 max-pool, like the ConvNet (default: the paper's text).
    case relu
    /// conv → 2×2 max-pool, no ReLU (the authors' code).
    case none
}

public enum DMNNormalization: String, Codable, Sendable, CaseIterable {
    /// The layer's pooled outputs go on as they are (default).
    case none
    /// Each output channel is standardised, (y − mean) / std, with the mean and population
    /// std of that channel over every position of the DMN's own training images (the T_frac
    /// subset the filters came from), then frozen like the filters (the authors' code
    /// standardises each DMN layer's outputs). A channel that is constant on those images
    /// keeps std 1.
    case standardize
}

public enum PatchStride: String, Codable, Sendable, CaseIterable {
    /// Every k×k patch, stride 1 (default: the density of the patches the conv layer sees).
    case one = "1"
    /// Non-overlapping k×k patches on a grid from the top-left corner, stride k (the
    /// authors' code; rows/columns past the last whole patch are left out).
    case kernel = "k"
}

/// T_frac: how many of each class's training images the density matrices are built from.
public enum TrainingFraction: Sendable, Hashable, ExpressibleByFloatLiteral, CustomStringConvertible {
    /// This fraction of each class's images, a seeded stratified pick (`stratifiedSubset(fraction:seed:)`).
    case fraction(Double)
    /// Chosen per layer from the convergence of ρ_c (`chooseTrainingFraction`): images are added
    /// `automaticFractionStep` of each class at a time until no class's ρ_c changes by
    /// `DMNOptions.tfracTolerance` or more (relative Frobenius norm), and the layer is then built
    /// from the T_frac pick at the fraction reached.
    case auto

    public init(floatLiteral value: Double) { self = .fraction(value) }

    /// The spec's spelling: the number, or "auto".
    public var description: String {
        switch self {
        case .fraction(let f): return "\(f)"
        case .auto: return "auto"
        }
    }
}

/// The spec's `dmn` section. Each field's default is the spec's default; the parameter table
/// (Experiments/Spec/Parameters.swift) exposes it to specs, CSV columns and run ids.
public struct DMNOptions: Sendable, Hashable {
    /// Keep a candidate only if its similarity to every kept filter is below T_PC.
    public var tpc = 0.9
    /// Per-layer fraction of the trace the kept eigenvalues explain; the last repeats.
    public var tv: [Double] = [0.95, 0.99]
    /// Fraction of each class's training images used, or chosen from the convergence of ρ_c.
    public var tfrac: TrainingFraction = 0.3
    /// With `tfrac` auto: the largest relative change ‖ρ_new − ρ_old‖_F / ‖ρ_old‖_F of any
    /// class's density matrix, over one step of added images, at which the layer stops adding.
    public var tfracTolerance = 0.01
    public var filterCount: FilterCountMode = .fixed
    public var similarity: SimilarityMeasure = .cosine
    public var visitOrder: VisitOrder = .roundRobin
    public var sign: SignRule = .meanPositive
    /// Subtract the class mean before forming ρ_c (the paper does not: eq. 11).
    public var centre = false
    /// What follows each DMN conv layer: ReLU or nothing before the 2×2 max-pool.
    public var activation: DMNActivation = .relu
    /// Per-channel standardisation of each DMN layer's outputs.
    public var normalization: DMNNormalization = .none
    /// Stride of the patches the density matrices are built from.
    public var patchStride: PatchStride = .one
    /// Images per chunk when streaming patches into the density matrices (memory, not
    /// results: not a spec parameter).
    var chunkImages = 64
    public init() {}

    func tv(forLayer l: Int) -> Double { tv.isEmpty ? 1 : tv[min(l, tv.count - 1)] }
}
