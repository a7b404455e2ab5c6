import Datasets
import Foundation
import Models

/// One value of a grid axis, as a spec gives it.
public enum ParamValue: Hashable, Sendable, CustomStringConvertible {
    case real(Double)
    case integer(Int)
    case text(String)
    case flag(Bool)
    /// Per-layer numbers (T_v).
    case reals([Double])
    /// Filter counts per layer.
    case integers([Int])
    /// No value (an optional limit left unset: all images).
    case none

    /// The one textual form of a value: runs.csv cells, `repro plan`, report settings.
    /// Lists are `-`-joined; `none` is `nan` so that numeric CSV readers take it.
    public var description: String {
        switch self {
        case .real(let v): return CSVTable.number(v)
        case .integer(let v): return String(v)
        case .text(let s): return s
        case .flag(let b): return b ? "true" : "false"
        case .reals(let v): return v.map(CSVTable.number).joined(separator: "-")
        case .integers(let v): return v.map(String.init).joined(separator: "-")
        case .none: return "nan"
        }
    }

    /// The value as a JSON node (run ids, run files, the generated schema's defaults).
    var json: JSONNode {
        switch self {
        case .real(let v): return JSONNode(.number(v, text: CanonicalJSON.number(v)))
        case .integer(let v): return JSONNode(.number(Double(v), text: String(v)))
        case .text(let s): return JSONNode(.string(s))
        case .flag(let b): return JSONNode(.bool(b))
        case .reals(let v): return JSONNode(.array(v.map { ParamValue.real($0).json }))
        case .integers(let v): return JSONNode(.array(v.map { ParamValue.integer($0).json }))
        case .none: return JSONNode(.null)
        }
    }
}

/// What values a parameter takes.
public enum ParamType: Sendable {
    /// A number between bounds; `nil` bound = unbounded.
    case real(min: Double?, minInclusive: Bool, max: Double?, maxInclusive: Bool)
    case integer(min: Int)
    /// An integer ≥ min, or null (= no limit).
    case optionalInteger(min: Int)
    case choice([String])
    case boolean
    /// A number (same for every layer) or a list of numbers (one per layer; the last repeats).
    case perLayerReal(min: Double?, minInclusive: Bool, max: Double?, maxInclusive: Bool)
    /// An image size "HxW" (`ImageResize`), or null for none.
    case optionalImageSize
    /// A number between bounds, or the one word `word` (dmn.tfrac's "auto"): `.real` or `.text`.
    case realOrWord(min: Double?, minInclusive: Bool, max: Double?, maxInclusive: Bool, word: String)

    /// "a number in [0, 1]" and the like, for error messages and docs.
    public var expectation: String {
        switch self {
        case let .real(lo, loIn, hi, hiIn):
            return "a number " + Self.range(lo, loIn, hi, hiIn)
        case .integer(let m): return "an integer >= \(m)"
        case .optionalInteger(let m): return "an integer >= \(m), or null"
        case .choice(let c): return "one of " + c.map { "\"\($0)\"" }.joined(separator: ", ")
        case .boolean: return "true or false"
        case let .perLayerReal(lo, loIn, hi, hiIn):
            return "a number " + Self.range(lo, loIn, hi, hiIn) + " or a list of such numbers, one per layer"
        case .optionalImageSize: return ImageResize.expectation
        case let .realOrWord(lo, loIn, hi, hiIn, word):
            return "a number " + Self.range(lo, loIn, hi, hiIn) + " or \"\(word)\""
        }
    }

    static func range(_ lo: Double?, _ loIn: Bool, _ hi: Double?, _ hiIn: Bool) -> String {
        switch (lo, hi) {
        case let (l?, h?):
            return "in " + (loIn ? "[" : "(") + CanonicalJSON.number(l) + ", " + CanonicalJSON.number(h) + (hiIn ? "]" : ")")
        case let (l?, nil): return (loIn ? ">= " : "> ") + CanonicalJSON.number(l)
        case let (nil, h?): return (hiIn ? "<= " : "< ") + CanonicalJSON.number(h)
        default: return ""
        }
    }

    static func inRange(_ v: Double, _ lo: Double?, _ loIn: Bool, _ hi: Double?, _ hiIn: Bool) -> Bool {
        if let l = lo { if loIn ? v < l : v <= l { return false } }
        if let h = hi { if hiIn ? v > h : v >= h { return false } }
        return true
    }
}

/// A Swift type a parameter field can have, with its conversion from and to spec values.
/// The conversion from a spec value only fails for a value of another type, which the spec
/// validator has already refused.
protocol ParameterField: Hashable, Sendable {
    var paramValue: ParamValue { get }
    init?(paramValue: ParamValue)
}

extension Double: ParameterField {
    var paramValue: ParamValue { .real(self) }
    init?(paramValue v: ParamValue) {
        switch v {
        case .real(let d): self = d
        case .integer(let i): self = Double(i)
        default: return nil
        }
    }
}

extension Int: ParameterField {
    var paramValue: ParamValue { .integer(self) }
    init?(paramValue v: ParamValue) { guard case .integer(let i) = v else { return nil }; self = i }
}

extension Bool: ParameterField {
    var paramValue: ParamValue { .flag(self) }
    init?(paramValue v: ParamValue) { guard case .flag(let b) = v else { return nil }; self = b }
}

extension Array: ParameterField where Element == Double {
    var paramValue: ParamValue { .reals(self) }
    init?(paramValue v: ParamValue) { guard case .reals(let d) = v else { return nil }; self = d }
}

extension Optional: ParameterField where Wrapped == Int {
    var paramValue: ParamValue { map { .integer($0) } ?? .none }
    init?(paramValue v: ParamValue) {
        switch v {
        case .integer(let i): self = .some(i)
        case .none: self = .none
        default: return nil
        }
    }
}

extension ImageResize: ParameterField {
    var paramValue: ParamValue { spelling.map { .text($0) } ?? .none }
    init?(paramValue v: ParamValue) {
        switch v {
        case .text(let s): self.init(spelling: s)
        case .none: self = .keep
        default: return nil
        }
    }
}

/// A number, or "auto": `.real` as any number (so a numeric T_frac is written, and enters
/// run ids, exactly as when it was a plain number), `.text("auto")`.
extension TrainingFraction: ParameterField {
    var paramValue: ParamValue {
        switch self {
        case .fraction(let f): return .real(f)
        case .auto: return .text("auto")
        }
    }
    init?(paramValue v: ParamValue) {
        switch v {
        case .text("auto"): self = .auto
        default:
            guard let f = Double(paramValue: v) else { return nil }
            self = .fraction(f)
        }
    }
}

/// An option with a fixed set of spellings: the models' and datasets' own enums.
protocol ChoiceParameter: ParameterField, CaseIterable, RawRepresentable where RawValue == String {}

extension ChoiceParameter {
    var paramValue: ParamValue { .text(rawValue) }
    init?(paramValue v: ParamValue) {
        guard case .text(let s) = v else { return nil }
        self.init(rawValue: s)
    }
}

extension CaseIterable where Self: RawRepresentable, RawValue == String {
    /// The raw values, in declaration order: what a spec may write.
    public static var spellings: [String] { allCases.map(\.rawValue) }
}

extension FilterCountMode: ChoiceParameter {}
extension SimilarityMeasure: ChoiceParameter {}
extension VisitOrder: ChoiceParameter {}
extension SignRule: ChoiceParameter {}
extension OptimizerKind: ChoiceParameter {}
extension WeightInitialization: ChoiceParameter {}
extension ClassificationLoss: ChoiceParameter {}
extension PreprocessingMethod: ChoiceParameter {}
extension CIFAR100LabelSet: ChoiceParameter {}
extension DMNActivation: ChoiceParameter {}
extension DMNNormalization: ChoiceParameter {}
extension PatchStride: ChoiceParameter {}
extension SelectionRule: ChoiceParameter {}

/// The sections of a spec that hold parameters, in documentation order.
public enum ParameterSection: String, CaseIterable, Sendable {
    case dmn, training, data, convergence
}

/// A parameter of the `dmn`, `training`, `data` or `convergence` sections: where it lives in
/// `ResolvedRun`, what values it takes, its runs.csv column and its documentation. Its
/// default is read from `ResolvedRun()`, so it is declared once, in the option type.
public struct ParameterDefinition: Sendable {
    let section: ParameterSection
    public let key: String
    public let type: ParamType
    /// Column name in runs.csv.
    public let column: String
    /// One or two sentences for the generated schema and docs/spec-format.md.
    let doc: String
    let defaultValue: ParamValue
    public let get: @Sendable (ResolvedRun) -> ParamValue
    let set: @Sendable (inout ResolvedRun, ParamValue) -> Void
    var path: String { section.rawValue + "." + key }

    // What the report and `repro sweep` know of the parameter, declared here once.
    /// The paper's symbol ("T_PC"), for the report's headings and claims; nil: the key.
    let symbol: String?
    /// The values `repro sweep --param KEY` tries when `--values` is not given; nil: the
    /// parameter is not swept (and the report looks for no sweep of it).
    let sweepValues: [String]?
    /// The value the paper recommends (T_PC near 0.8–0.9, T_v near 0.98), which the report
    /// sets beside a sweep's best value; nil when the paper gives none.
    public let paperRange: ClosedRange<Double>?
    /// Whether the parameter is part of a training/evaluation protocol (input scaling, the
    /// DMN's output, the initialiser, …): the report judges the DMN-vs-ConvNet claims again
    /// under every combination of these found in the results (claim robustness).
    let protocolSetting: Bool
    /// The value of the paper's text protocol, where it states one (scaled inputs, ReLU, 3
    /// epochs, …); the top-level verdicts use runs with every such value. Nil: any value.
    public let paperText: ParamValue?

    /// The name the report prints: the paper's symbol, else the key.
    public var label: String { symbol ?? key }

    init<V: ParameterField>(_ section: ParameterSection, _ key: String, _ field: WritableKeyPath<ResolvedRun, V>,
                            _ type: ParamType, column: String, doc: String, symbol: String? = nil, sweep: [String]? = nil,
                            paperRange: ClosedRange<Double>? = nil, protocolSetting: Bool = false, paperText: V? = nil) {
        self.section = section; self.key = key; self.type = type; self.column = column; self.doc = doc
        self.symbol = symbol; self.sweepValues = sweep; self.paperRange = paperRange
        self.protocolSetting = protocolSetting; self.paperText = paperText?.paramValue
        nonisolated(unsafe) let field = field  // key paths are immutable values
        defaultValue = ResolvedRun()[keyPath: field].paramValue
        get = { $0[keyPath: field].paramValue }
        set = { run, value in
            guard let v = V(paramValue: value) else {
                preconditionFailure("\(section.rawValue).\(key): \(value) passed validation but does not fit \(V.self)")
            }
            run[keyPath: field] = v
        }
    }

    /// A choice parameter: its spellings are the enum's raw values.
    static func choice<E: ChoiceParameter>(_ section: ParameterSection, _ key: String, _ field: WritableKeyPath<ResolvedRun, E>,
                                           column: String, doc: String, protocolSetting: Bool = false,
                                           paperText: E? = nil) -> ParameterDefinition {
        ParameterDefinition(section, key, field, .choice(E.spellings), column: column, doc: doc,
                            protocolSetting: protocolSetting, paperText: paperText)
    }

    func isDefault(in run: ResolvedRun) -> Bool { get(run) == defaultValue }
}

public enum Parameters {
    private static let unit = ParamType.real(min: 0, minInclusive: true, max: 1, maxInclusive: true)
    private static let openUnit = ParamType.real(min: 0, minInclusive: false, max: 1, maxInclusive: true)
    private static let openUnitOrAuto = ParamType.realOrWord(min: 0, minInclusive: false, max: 1, maxInclusive: true, word: "auto")

    /// Every section parameter, in the order of the spec documentation and of runs.csv
    /// columns. Adding one with a default that keeps today's behaviour leaves every run id
    /// unchanged (see `RunIdentity`).
    public static let all: [ParameterDefinition] = [
        .init(.dmn, "tpc", \.dmn.tpc, unit, column: "tpc",
              doc: "T_PC: a candidate filter is kept only if its similarity to every kept filter is below this (0 keeps one filter, 1 drops only exact duplicates).",
              symbol: "T_PC", sweep: ["0.5", "0.6", "0.7", "0.8", "0.9", "0.95", "1.0"], paperRange: 0.8...0.9),
        .init(.dmn, "tv", \.dmn.tv, .perLayerReal(min: 0, minInclusive: false, max: 1, maxInclusive: true), column: "tv",
              doc: "T_v: fraction of the trace of each class's density matrix that its kept eigenvalues explain, per layer (the last value repeats for deeper layers).",
              symbol: "T_v", sweep: ["0.9", "0.95", "0.98", "0.99", "1.0"], paperRange: 0.975...0.985, protocolSetting: true),
        .init(.dmn, "tfrac", \.dmn.tfrac, openUnitOrAuto, column: "tfrac",
              doc: "T_frac: fraction of each class's training images used to build the density matrices (a seeded stratified pick); \"auto\": chosen per layer from the convergence of ρ_c, adding 5% of each class's images at a time until no class's ρ_c changes by dmn.tfracTolerance or more of its Frobenius norm, then built from the pick at that fraction (runs.csv column tfrac_chosen).",
              symbol: "T_frac", sweep: ["0.1", "0.2", "0.3", "0.5", "0.7", "1.0"], paperRange: 0.3...0.4),
        .init(.dmn, "tfracTolerance", \.dmn.tfracTolerance, .real(min: 0, minInclusive: false, max: 1, maxInclusive: false),
              column: "tfrac_tolerance",
              doc: "With dmn.tfrac \"auto\": a layer stops adding images once one step (5% of each class) changes every class's density matrix by less than this fraction of its Frobenius norm, ‖ρ_new − ρ_old‖_F / ‖ρ_old‖_F (default 0.01: below the 1–2% of the trace that T_v = 0.98–0.99 leaves out). Ignored with a numeric T_frac."),
        .choice(.dmn, "filterCount", \.dmn.filterCount, column: "filter_count",
                doc: "\"fixed\": exactly the configured filter counts, relaxing T_v when needed; \"thresholds\": as many filters as T_v and T_PC give."),
        .choice(.dmn, "similarity", \.dmn.similarity, column: "similarity",
                doc: "How duplicates are found: |cosine| between unit eigenvectors, or |Pearson correlation| of their components (the authors' code).",
                protocolSetting: true),
        .choice(.dmn, "visitOrder", \.dmn.visitOrder, column: "visit_order",
                doc: "Order candidates are considered in: rank 1 of every class, then rank 2, … (round-robin), or all of class 0 first (class-order)."),
        .choice(.dmn, "sign", \.dmn.sign, column: "sign",
                doc: "An eigenvector's sign: oriented so the class-mean input projects non-negatively (mean-positive), or kept as two filters v and -v (both)."),
        .init(.dmn, "centre", \.dmn.centre, .boolean, column: "centre",
              doc: "Subtract the class mean before forming the density matrix (the paper does not)."),
        .choice(.dmn, "activation", \.dmn.activation, column: "activation",
                doc: "What follows each DMN conv layer before the 2×2 max-pool: \"relu\" (the paper's text) or \"none\" (the authors' code).",
                protocolSetting: true, paperText: .relu),
        .choice(.dmn, "normalization", \.dmn.normalization, column: "normalization",
                doc: "\"standardize\": each DMN layer's output channels get zero mean and unit variance with statistics from the DMN's own training images (the T_frac subset), frozen like the filters (the authors' code); \"none\": left as they are.",
                protocolSetting: true, paperText: DMNNormalization.none),
        .choice(.dmn, "patchStride", \.dmn.patchStride, column: "patch_stride",
                doc: "Patches the density matrices are built from: every k×k patch (\"1\") or the non-overlapping ones on a stride-k grid (\"k\", the authors' code).",
                protocolSetting: true, paperText: .one),
        .choice(.training, "optimizer", \.training.optimizer, column: "optimizer",
                doc: "SGD with momentum, or Adam (β = 0.9, 0.999)."),
        .init(.training, "learningRate", \.training.learningRate, .real(min: 0, minInclusive: false, max: nil, maxInclusive: false),
              column: "learning_rate", doc: "Step size."),
        .init(.training, "momentum", \.training.momentum, .real(min: 0, minInclusive: true, max: 1, maxInclusive: false),
              column: "momentum", doc: "SGD momentum (ignored by Adam)."),
        .init(.training, "batchSize", \.training.batchSize, .integer(min: 1), column: "batch_size",
              doc: "Images per SGD step.",
              protocolSetting: true),
        .init(.training, "epochs", \.training.epochs, .integer(min: 1), column: "epochs",
              doc: "Passes over the training images; test accuracy is taken after each (with training.steps: how many times it is taken).",
              paperText: 3),
        .init(.training, "steps", \.training.steps, .optionalInteger(min: 1), column: "steps",
              doc: "Train for exactly this many SGD steps instead of `epochs` whole passes (the passes continue, each reshuffled, the last cut short), taking the test accuracy `epochs` times at equal step intervals, so a history row is then a block of steps rather than a pass; null for whole passes.",
              protocolSetting: true),
        .choice(.training, "init", \.training.initialization, column: "init",
                doc: "How the conv and hidden dense layers that SGD trains (convnet, mlp) start: \"he\": He-normal N(0, 2/fan_in); \"glorot-uniform\": U(±√(6/(fan_in+fan_out))) with Keras's fans (conv: fan_in = k·k·C, fan_out = k·k·K), Keras's default and so the authors' code. The softmax is Glorot-uniform under both; biases start at 0.",
                protocolSetting: true),
        .choice(.training, "loss", \.training.loss, column: "loss",
                doc: "The softmax cross-entropy SGD minimises: \"logits\": from the logits (log-sum-exp), every sample keeps a gradient; \"keras-clipped\": as Keras's categorical_crossentropy on softmax outputs (the authors' code), the label's probability clipped to [1e-7, 1 − 1e-7], so a saturated sample adds a constant loss and no gradient.",
                protocolSetting: true),
        .init(.training, "batchNorm", \.training.batchNorm, .boolean, column: "batch_norm",
              doc: "Batch normalisation after each conv layer, before its ReLU (Keras's Conv2D → BatchNormalization → ReLU → MaxPooling2D; ε = 1e-3), for convnet, dmn, pca, random and hybrid: trained γ (init 1) and β (init 0), also in a DMN whose filters stay frozen; each of a step's two gradient shards normalises with its own batch statistics, evaluation uses the running averages. A DMN's running statistics start at its build images' conv outputs' mean and variance, the ConvNet's at 0 and 1 (Keras).",
              protocolSetting: true, paperText: false),
        .init(.training, "batchNormMomentum", \.training.batchNormMomentum, .real(min: 0, minInclusive: true, max: 1, maxInclusive: false),
              column: "batch_norm_momentum",
              doc: "Momentum m of batch normalisation's running averages, updated once per SGD step from the whole batch's mean and biased variance: running = m·running + (1 − m)·batch (Keras's default 0.99; ignored without training.batchNorm)."),
        .choice(.data, "preprocessing", \.data.preprocessing, column: "preprocessing",
                doc: "\"scale\": pixel/255; \"standardize\": per-channel zero mean and unit variance with training-set statistics; \"raw\": pixel (0–255); \"raw-noise\": pixel + U[0, 1) noise fixed per image, keyed by the run seed and the image's bytes (the authors' code).",
                protocolSetting: true, paperText: .scale),
        .choice(.data, "cifar100Labels", \.data.cifar100Labels, column: "cifar100_labels",
                doc: "CIFAR-100's 100 fine classes or 20 coarse superclasses (other datasets ignore it)."),
        .init(.data, "trainLimit", \.data.trainLimit, .optionalInteger(min: 1), column: "train_limit",
              doc: "Use only this many training images (a fixed stratified pick, the same for every model and seed); null for all.",
              protocolSetting: true),
        .init(.data, "testLimit", \.data.testLimit, .optionalInteger(min: 1), column: "test_limit",
              doc: "Use only this many test images (a fixed stratified pick); null for all."),
        .init(.data, "validation", \.data.validation, .real(min: 0, minInclusive: true, max: 0.5, maxInclusive: true), column: "validation",
              doc: "Fraction of each class's training images held out as a validation set (a stratified split seeded by the run's seed, after trainLimit; nothing else sees them); 0 for none. Validation accuracy is recorded after every epoch.",
              protocolSetting: true, paperText: 0),
        .choice(.data, "selection", \.data.selection, column: "selection",
                doc: "Which epoch's test accuracy the run reports: \"final\" (the last), \"best-validation\" (highest validation accuracy; needs data.validation) or \"best-test\" (highest test accuracy, the authors' code: optimistic). The per-epoch history keeps every epoch either way.",
                paperText: .final),
        .init(.data, "resize", \.data.resize, .optionalImageSize, column: "resize",
              doc: "Resize every image of a dataset given by path (image folder or .npz, x_val included) to \"HxW\" pixels (height x width, e.g. \"28x28\") by area averaging: each new pixel is the mean of the old pixels it covers, weighted by overlap, rounded to uint8 in exact integer arithmetic. Lets an image folder mix sizes; null (the default) keeps each image's size and refuses a folder of mixed sizes. The built-in datasets ignore it."),
        .init(.convergence, "lambdaEvery", \.convergence.lambdaEvery, .integer(min: 1), column: "lambda_every",
              doc: "Record the per-layer convergence rate λ every this many SGD steps."),
        .init(.convergence, "smoothingWindow", \.convergence.smoothingWindow, .integer(min: 1), column: "smoothing_window",
              doc: "Trailing moving-average window of the de-trended λ, in records."),
    ]

    static func definition(path: String) -> ParameterDefinition? { all.first { $0.path == path } }

    /// The parameter of a runs.csv column.
    public static func definition(column: String) -> ParameterDefinition? { all.first { $0.column == column } }

    /// The parameters `repro sweep` varies and the report looks for sweeps of (tpc, tv, tfrac).
    public static var swept: [ParameterDefinition] { all.filter { $0.sweepValues != nil } }

    /// The runs.csv columns that describe a protocol, in table order (claim robustness).
    public static var protocolColumns: [String] { all.filter(\.protocolSetting).map(\.column) }

    public static func definitions(in section: ParameterSection) -> [ParameterDefinition] { all.filter { $0.section == section } }
}

/// Which parameters a run actually depends on. Parameters a run ignores are reset to their
/// defaults before hashing, so that (say) a T_PC grid does not make seven identical copies
/// of each baseline run. Keep this in step with what the executor reads.
public enum RunNormalization {
    /// Models whose outcome depends on the `dmn` section.
    public static let modelsUsingDMNParameters: Set<ModelKind> = [.dmn, .pca, .hybrid]
    /// Models that draw trained conv or hidden dense weights from `training.init` (the others
    /// train only a softmax, which is Glorot-uniform under every scheme, or start from DMN filters).
    static let modelsUsingInitialization: Set<ModelKind> = [.convnet, .mlp]
    /// Models with conv layers, which `training.batchNorm` follows with batch normalisation
    /// (the baseline has none; the mlp is dense).
    static let modelsUsingBatchNorm: Set<ModelKind> = [.convnet, .dmn, .pca, .random, .hybrid]

    static func normalize(_ run: ResolvedRun) -> ResolvedRun {
        var r = run
        let defaults = ResolvedRun()
        if !modelsUsingDMNParameters.contains(r.model) { r.dmn = defaults.dmn }
        // The tolerance only steers T_frac "auto".
        if r.dmn.tfrac != .auto { r.dmn.tfracTolerance = defaults.dmn.tfracTolerance }
        // The baseline has no convolutional layers (a classifier on the pixels).
        if r.model == .baseline { r.filters = [] }
        if !modelsUsingInitialization.contains(r.model) { r.training.initialization = defaults.training.initialization }
        if !modelsUsingBatchNorm.contains(r.model) { r.training.batchNorm = defaults.training.batchNorm }
        if !r.training.batchNorm { r.training.batchNormMomentum = defaults.training.batchNormMomentum }
        // Fluctuation runs train nothing; λ is recorded for every SGD-trained model.
        if r.kind == .fluctuation {
            r.convergence = defaults.convergence
            r.training = defaults.training
        }
        if r.dataset != .cifar100 { r.data.cifar100Labels = defaults.data.cifar100Labels }
        if r.dataset.isBuiltin { r.data.resize = defaults.data.resize }
        return r
    }
}
