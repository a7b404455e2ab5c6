import ArgumentParser
import Datasets
import Experiments
import Models

// The options that take one of a fixed set of values are parsed once, by the argument parser,
// into the type that uses them: `--help` lists the values, and a bad value gets the parser's
// error naming the option and the values allowed. Each list comes from the type itself.

/// `repro run|sweep --weights`.
extension WeightSaving: ExpressibleByArgument {}

/// `repro run|sweep --pca-cache`.
extension PCACacheMode: ExpressibleByArgument {}

/// `repro sweep --param`: the sweepable entries of the parameter table, then `filters`.
extension SweepParameter: ExpressibleByArgument {
    public init?(argument: String) { self.init(argument) }
    public static var allValueStrings: [String] { Sweep.parameters }
    public static var defaultCompletionKind: CompletionKind { .list(allValueStrings) }
}

/// `repro sweep --dataset`: a built-in dataset (a sweep varies one of those; a spec may also
/// give a dataset by path, which `--dataset` has never taken).
extension DatasetName: ExpressibleByArgument {
    public init?(argument: String) { self.init(rawValue: argument) }
    public static var allValueStrings: [String] { DatasetName.spellings }
    public static var defaultCompletionKind: CompletionKind { .list(allValueStrings) }
}

/// `repro bench --conv-algorithm`: `auto` (each layer's preferred algorithm) or one
/// `ConvBlockAlgorithm` forced on every layer.
struct ConvAlgorithmChoice: ExpressibleByArgument, Equatable {
    /// nil: each layer keeps its preferred one.
    let algorithm: ConvBlockAlgorithm?
    static let auto = ConvAlgorithmChoice(algorithm: nil)

    init(algorithm: ConvBlockAlgorithm?) { self.algorithm = algorithm }

    init?(argument: String) {
        if argument == "auto" { self = .auto; return }
        guard let a = ConvBlockAlgorithm(rawValue: argument) else { return nil }
        algorithm = a
    }

    static var allValueStrings: [String] { ["auto"] + ConvBlockAlgorithm.allCases.map(\.rawValue) }
    static var defaultCompletionKind: CompletionKind { .list(allValueStrings) }
    var defaultValueDescription: String { algorithm?.rawValue ?? "auto" }
}
