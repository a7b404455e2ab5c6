import Models

/// Which epoch's test accuracy a run reports (spec key `data.selection`). Every run records
/// every epoch's validation and test accuracy, so the report can apply any rule, at any
/// budget, afterwards (`ClaimRobustness`).
public enum SelectionRule: String, CaseIterable, Sendable {
    /// The last epoch's (the paper's text).
    case final
    /// The epoch with the highest validation accuracy (the earliest on ties); needs
    /// `data.validation`.
    case bestValidation = "best-validation"
    /// The highest test accuracy over epochs (the authors' code, which passes the test set as
    /// Keras validation data and keeps the best epoch). Optimistic: the test set chooses.
    case bestTest = "best-test"

    /// Index of the chosen epoch among `test.count` epochs, given per-epoch validation and test
    /// accuracies (NaN = not measured). Nil when nothing can be chosen (no epochs; no
    /// validation accuracy for best-validation).
    func chosenIndex(validation: [Double], test: [Double]) -> Int? {
        guard !test.isEmpty else { return nil }
        switch self {
        case .final: return test.count - 1
        case .bestValidation: return Self.argmax(validation)
        case .bestTest: return Self.argmax(test)
        }
    }

    /// The first index of the largest non-NaN value.
    static func argmax(_ values: [Double]) -> Int? {
        var best: Int? = nil
        for (i, v) in values.enumerated() where !v.isNaN {
            if let b = best, values[b] >= v { continue }
            best = i
        }
        return best
    }

    /// The epoch this rule picks from a run's history (`budget`: only the first that many epochs).
    public func select(_ history: [EpochStats], budget: Int? = nil) -> EpochStats? {
        let h = budget.map { Array(history.prefix($0)) } ?? history
        return chosenIndex(validation: h.map { $0.validationAccuracy ?? .nan }, test: h.map(\.testAccuracy)).map { h[$0] }
    }
}
