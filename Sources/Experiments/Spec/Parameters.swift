import Foundation

/// One value of a grid axis.
public enum ParamValue: Hashable, Sendable, CustomStringConvertible {
    case real(Double)
    case integer(Int)
    case text(String)
    case flag(Bool)
    /// Per-layer numbers (T_v) or filter counts per layer.
    case reals([Double])
    case integers([Int])
    case none

    public var description: String {
        switch self {
        case .real(let v): return CanonicalJSON.number(v)
        case .integer(let v): return String(v)
        case .text(let s): return s
        case .flag(let b): return b ? "true" : "false"
        case .reals(let v): return v.map { CanonicalJSON.number($0) }.joined(separator: "-")
        case .integers(let v): return v.map(String.init).joined(separator: "-")
        case .none: return "all"
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

    /// "a number in [0, 1]" and the like, for error messages and docs.
    public var expectation: String {
        switch self {
        case let .real(lo, loIn, hi, hiIn):
            return "a number " + Self.range(lo, loIn, hi, hiIn)
        case .integer(let m): return "an integer >= \(m)"
        case .optionalInteger(let m): return "an integer >= \(m), or null for all"
        case .choice(let c): return "one of " + c.map { "\"\($0)\"" }.joined(separator: ", ")
        case .boolean: return "true or false"
        case let .perLayerReal(lo, loIn, hi, hiIn):
            return "a number " + Self.range(lo, loIn, hi, hiIn) + " or a list of such numbers, one per layer"
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

/// A parameter of the `dmn`, `training`, `data` or `convergence` sections.
public struct ParameterDefinition: Sendable {
    public let section: String
    public let key: String
    public let type: ParamType
    /// Column name in runs.csv.
    public let column: String
    public let get: @Sendable (ResolvedRun) -> ParamValue
    public let set: @Sendable (inout ResolvedRun, ParamValue) -> Void
    public var path: String { section + "." + key }
}

public enum Parameters {
    public static let datasets = ["mnist", "fashion-mnist", "cifar10", "cifar100"]
    public static let models = ModelKind.allCases.map(\.rawValue)
    public static let sections = ["dmn", "training", "data", "convergence"]

    private static func real(_ v: ParamValue) -> Double {
        switch v { case .real(let d): return d; case .integer(let i): return Double(i); default: return .nan }
    }
    private static func int(_ v: ParamValue) -> Int { if case .integer(let i) = v { return i }; return 0 }
    private static func text(_ v: ParamValue) -> String { if case .text(let s) = v { return s }; return "" }
    private static func flag(_ v: ParamValue) -> Bool { if case .flag(let b) = v { return b }; return false }
    private static func reals(_ v: ParamValue) -> [Double] { if case .reals(let d) = v { return d }; return [] }
    private static func optInt(_ v: ParamValue) -> Int? { if case .integer(let i) = v { return i }; return nil }
    private static func opt(_ i: Int?) -> ParamValue { i.map { .integer($0) } ?? .none }

    private static let unit = ParamType.real(min: 0, minInclusive: true, max: 1, maxInclusive: true)
    private static let openUnit = ParamType.real(min: 0, minInclusive: false, max: 1, maxInclusive: true)

    /// Every section parameter, in the order of the spec documentation and of runs.csv columns.
    public static let all: [ParameterDefinition] = [
        .init(section: "dmn", key: "tpc", type: unit, column: "tpc",
              get: { .real($0.dmn.tpc) }, set: { $0.dmn.tpc = real($1) }),
        .init(section: "dmn", key: "tv", type: .perLayerReal(min: 0, minInclusive: false, max: 1, maxInclusive: true), column: "tv",
              get: { .reals($0.dmn.tv) }, set: { $0.dmn.tv = reals($1) }),
        .init(section: "dmn", key: "tfrac", type: openUnit, column: "tfrac",
              get: { .real($0.dmn.tfrac) }, set: { $0.dmn.tfrac = real($1) }),
        .init(section: "dmn", key: "filterCount", type: .choice(["thresholds", "fixed"]), column: "filter_count",
              get: { .text($0.dmn.filterCount) }, set: { $0.dmn.filterCount = text($1) }),
        .init(section: "dmn", key: "similarity", type: .choice(["cosine", "pearson"]), column: "similarity",
              get: { .text($0.dmn.similarity) }, set: { $0.dmn.similarity = text($1) }),
        .init(section: "dmn", key: "visitOrder", type: .choice(["round-robin", "class-order"]), column: "visit_order",
              get: { .text($0.dmn.visitOrder) }, set: { $0.dmn.visitOrder = text($1) }),
        .init(section: "dmn", key: "sign", type: .choice(["mean-positive", "both"]), column: "sign",
              get: { .text($0.dmn.sign) }, set: { $0.dmn.sign = text($1) }),
        .init(section: "dmn", key: "centre", type: .boolean, column: "centre",
              get: { .flag($0.dmn.centre) }, set: { $0.dmn.centre = flag($1) }),
        .init(section: "training", key: "optimizer", type: .choice(["sgd", "adam"]), column: "optimizer",
              get: { .text($0.training.optimizer) }, set: { $0.training.optimizer = text($1) }),
        .init(section: "training", key: "learningRate", type: .real(min: 0, minInclusive: false, max: nil, maxInclusive: false),
              column: "learning_rate",
              get: { .real($0.training.learningRate) }, set: { $0.training.learningRate = real($1) }),
        .init(section: "training", key: "momentum", type: .real(min: 0, minInclusive: true, max: 1, maxInclusive: false),
              column: "momentum",
              get: { .real($0.training.momentum) }, set: { $0.training.momentum = real($1) }),
        .init(section: "training", key: "batchSize", type: .integer(min: 1), column: "batch_size",
              get: { .integer($0.training.batchSize) }, set: { $0.training.batchSize = int($1) }),
        .init(section: "training", key: "epochs", type: .integer(min: 1), column: "epochs",
              get: { .integer($0.training.epochs) }, set: { $0.training.epochs = int($1) }),
        .init(section: "data", key: "preprocessing", type: .choice(["scale", "standardize"]), column: "preprocessing",
              get: { .text($0.preprocessing) }, set: { $0.preprocessing = text($1) }),
        .init(section: "data", key: "cifar100Labels", type: .choice(["fine", "coarse"]), column: "cifar100_labels",
              get: { .text($0.cifar100Labels) }, set: { $0.cifar100Labels = text($1) }),
        .init(section: "data", key: "trainLimit", type: .optionalInteger(min: 1), column: "train_limit",
              get: { opt($0.trainLimit) }, set: { $0.trainLimit = optInt($1) }),
        .init(section: "data", key: "testLimit", type: .optionalInteger(min: 1), column: "test_limit",
              get: { opt($0.testLimit) }, set: { $0.testLimit = optInt($1) }),
        .init(section: "convergence", key: "lambdaEvery", type: .integer(min: 1), column: "lambda_every",
              get: { .integer($0.lambdaEvery) }, set: { $0.lambdaEvery = int($1) }),
        .init(section: "convergence", key: "smoothingWindow", type: .integer(min: 1), column: "smoothing_window",
              get: { .integer($0.smoothingWindow) }, set: { $0.smoothingWindow = int($1) }),
    ]

    public static func definition(path: String) -> ParameterDefinition? { all.first { $0.path == path } }

    public static func keys(in section: String) -> [String] { all.filter { $0.section == section }.map(\.key) }
}

/// Which parameters a run actually depends on. Parameters a run ignores are reset to their
/// defaults before hashing, so that (say) a T_PC grid does not make seven identical copies
/// of each baseline run. The lead should keep this in step with what the executor reads.
public enum RunNormalization {
    /// Models whose outcome depends on the `dmn` section.
    public static let modelsUsingDMNParameters: Set<ModelKind> = [.dmn, .pca, .hybrid]

    public static func normalize(_ run: ResolvedRun) -> ResolvedRun {
        var r = run
        let defaults = ResolvedRun()
        if !modelsUsingDMNParameters.contains(r.model) { r.dmn = defaults.dmn }
        // The baseline has no convolutional layers (a classifier on the pixels).
        if r.model == .baseline { r.filters = [] }
        // λ is recorded for every SGD-trained model (classify and convergence runs).
        if r.kind == .fluctuation {
            r.lambdaEvery = defaults.lambdaEvery
            r.smoothingWindow = defaults.smoothingWindow
        }
        if r.kind == .fluctuation { r.training = defaults.training }
        if r.dataset != "cifar100" { r.cifar100Labels = defaults.cifar100Labels }
        return r
    }
}
