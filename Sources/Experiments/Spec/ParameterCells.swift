import Foundation
import Datasets

extension ParameterDefinition {
    /// The value a runs.csv cell of this parameter's column holds: the inverse of
    /// `ParamValue.description`, by the parameter's type. A column the table lacks (`nil`:
    /// results written before the parameter existed) holds the default. Nil when the cell is
    /// not a value of this parameter (a number where a choice belongs, a damaged table).
    public func value(cell: String?) -> ParamValue? {
        guard let cell else { return defaultValue }
        /// A finite number; `Double("nan")` parses, so it is refused here.
        func real(_ s: Substring) -> Double? { Double(s).flatMap { $0.isFinite ? $0 : nil } }
        switch type {
        case .real: return real(Substring(cell)).map(ParamValue.real)
        case .integer: return Int(cell).map(ParamValue.integer)
        case .optionalInteger: return cell == ParamValue.none.description ? ParamValue.none : Int(cell).map(ParamValue.integer)
        case .choice(let spellings): return spellings.contains(cell) ? .text(cell) : nil
        case .boolean: return cell == "true" ? .flag(true) : cell == "false" ? .flag(false) : nil
        case .perLayerReal:
            let parts = Self.layerValues(cell).map(real)
            guard parts.allSatisfy({ $0 != nil }) else { return nil }
            return .reals(parts.compactMap { $0 })
        case .optionalImageSize:
            if cell == ParamValue.none.description { return ParamValue.none }
            return ImageResize(spelling: cell).map { _ in ParamValue.text(cell) }
        case .realOrWord(_, _, _, _, let word):
            return cell == word ? .text(cell) : real(Substring(cell)).map(ParamValue.real)
        }
    }

    /// A `-`-joined list of non-negative numbers split into its numbers; a `-` after an
    /// exponent's `e` belongs to the number ("1e-05-0.99" is 1e-05 and 0.99).
    static func layerValues(_ cell: String) -> [Substring] {
        var parts: [Substring] = []
        var start = cell.startIndex, i = cell.startIndex
        while i < cell.endIndex {
            if cell[i] == "-", i > start, cell[cell.index(before: i)] != "e", cell[cell.index(before: i)] != "E" {
                parts.append(cell[start..<i])
                start = cell.index(after: i)
            }
            i = cell.index(after: i)
        }
        parts.append(cell[start...])
        return parts
    }
}
