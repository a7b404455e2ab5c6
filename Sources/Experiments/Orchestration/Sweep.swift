import Datasets
import Foundation

/// A parameter `repro sweep --param` can vary: a section parameter with `sweepValues` in
/// `Parameters.all` (tpc, tv, tfrac), or the filter configuration. Only those exist.
public struct SweepParameter: Hashable, Sendable, CustomStringConvertible {
    /// The key as `--param` spells it.
    let key: String

    /// nil for a key that is not one of `Sweep.parameters`.
    public init?(_ key: String) {
        guard Sweep.parameters.contains(key) else { return nil }
        self.key = key
    }

    /// Its definition in the parameter table; nil for the filter configuration.
    var definition: ParameterDefinition? { Parameters.swept.first { $0.key == key } }

    public var description: String { key }
}

/// `repro sweep`: one parameter of a spec replaced by a list of values, the models
/// restricted to dmn and baseline, one dataset. Works on the parsed JSON tree and then
/// validates it like any spec, so a sweep obeys exactly the rules of spec files.
public enum Sweep {
    /// The swept section parameters (those with `sweepValues` in `Parameters.all`: tpc, tv,
    /// tfrac), then the filter configuration.
    public static var parameters: [String] { Parameters.swept.map(\.key) + ["filters"] }
    /// Filter configurations tried by `--param filters` without `--values` (the others'
    /// defaults are their parameters' `sweepValues`).
    static let defaultFilters = ["2", "4", "8", "16"]

    static func defaultValues(_ param: SweepParameter) -> [String] {
        param.definition?.sweepValues ?? defaultFilters
    }
    public static let defaultSpecPath = "experiments/fig3-fashion.json"

    /// Splits a `--values` text: on ';' when present (so "4;8;4,15" gives filter configs with
    /// two layers), else on ','.
    public static func splitValues(_ text: String) -> [String] {
        let sep: Character = text.contains(";") ? ";" : ","
        return text.split(separator: sep, omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
    }

    /// A plain decimal number as a spec would write it (Double() also takes "0x1p-1", "nan", "inf").
    static func isDecimal(_ text: String) -> Bool {
        text.range(of: #"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$"#, options: .regularExpression) != nil
    }

    /// Builds the sweep spec; `dataset` nil takes the spec's first. Throws SpecError (naming the
    /// file and `--values`) on bad input.
    public static func makeSpec(specPath: String, param: SweepParameter, values: [String]?, dataset: DatasetName?) throws -> ExperimentSpec {
        let label = "\(specPath) (sweep --param \(param))"
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: specPath)) } catch {
            throw SpecError(issues: [SpecIssue(file: specPath, path: "", line: nil, message: "no such file or unreadable")])
        }
        // Validate the file itself first, so its own errors are reported with its own name.
        let original = try SpecLoader.load(data: data, file: specPath)
        let vals = values ?? defaultValues(param)
        let ds = (dataset ?? original.datasets[0]).rawValue
        var issues: [SpecIssue] = []
        if dataset == nil && !original.datasets[0].isBuiltin {
            // `--dataset` itself only takes the built-in names (the parser refuses any other).
            issues.append(SpecIssue(file: label, path: "--dataset", line: nil,
                message: "the spec's first dataset \"\(ds)\" is given by path, which a sweep cannot vary; expected --dataset with one of "
                    + DatasetName.spellings.map { "\"\($0)\"" }.joined(separator: ", ")))
        }
        var valueNodes: [JSONNode] = []
        if vals.isEmpty || vals == [""] {
            issues.append(SpecIssue(file: label, path: "--values", line: nil, message: "found no values; expected a comma-separated list"))
        }
        for v in vals where !(vals == [""]) {
            if param.definition == nil {
                valueNodes.append(JSONNode(.string(v)))
            } else if case .realOrWord(_, _, _, _, let word)? = param.definition?.type, v == word {
                valueNodes.append(JSONNode(.string(v)))  // T_frac "auto"
            } else if isDecimal(v), let d = Double(v), d.isFinite {
                valueNodes.append(JSONNode(.number(d, text: v)))
            } else {
                issues.append(SpecIssue(file: label, path: "--values", line: nil,
                    message: "found \"\(v)\"; expected decimal numbers such as 0.9" + (param.key == "tfrac" ? " or \"auto\"" : "") + " (for --param \(param))"))
            }
        }
        if !issues.isEmpty { throw SpecError(issues: issues) }

        var root = try JSONReader.parse(data)
        let paramPath: [String] = param.definition.map { [$0.section.rawValue, $0.key] } ?? ["filters"]
        let grid = JSONNode(.object([JSONMember(key: "grid", value: JSONNode(.array(valueNodes)))]))
        root = setting(root, ["name"], JSONNode(.string("sweep-\(param)")))
        root = setting(root, ["datasets"], JSONNode(.array([JSONNode(.string(ds))])))
        root = setting(root, ["models"], JSONNode(.array([JSONNode(.string("dmn")), JSONNode(.string("baseline"))])))
        root = setting(root, paramPath, param.definition == nil ? JSONNode(.array(valueNodes)) : grid)
        root = removing(root, ["overrides", ds] + paramPath)
        let hash = StableHash.short(data + Data("\nsweep param=\(param) values=\(vals.joined(separator: ",")) dataset=\(ds)\n".utf8))
        return try SpecLoader.validate(root, file: label, hash: hash)
    }

    static func setting(_ node: JSONNode, _ path: [String], _ value: JSONNode) -> JSONNode {
        guard let key = path.first else { return value }
        guard case .object(var ms) = node.value else { return node }
        if let i = ms.firstIndex(where: { $0.key == key }) {
            ms[i].value = setting(ms[i].value, Array(path.dropFirst()), value)
        } else {
            let child = path.count == 1 ? value : setting(JSONNode(.object([])), Array(path.dropFirst()), value)
            ms.append(JSONMember(key: key, value: child))
        }
        var n = node
        n.value = .object(ms)
        return n
    }

    static func removing(_ node: JSONNode, _ path: [String]) -> JSONNode {
        guard let key = path.first, case .object(var ms) = node.value,
              let i = ms.firstIndex(where: { $0.key == key }) else { return node }
        if path.count == 1 { ms.remove(at: i) } else { ms[i].value = removing(ms[i].value, Array(path.dropFirst())) }
        var n = node
        n.value = .object(ms)
        return n
    }
}
