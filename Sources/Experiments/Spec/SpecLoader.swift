import Datasets
import Foundation

// Hand-written validation of experiment specs. Every problem is collected (not just the
// first) with the file, the key path, what was found and what is allowed. See
// docs/spec-format.md and experiments/spec.schema.json for the format.

public enum SpecLoader {
    static let topLevelKeys = ["$schema", "name", "description", "kind", "datasets", "models", "filters", "seeds"]
        + ParameterSection.allCases.map(\.rawValue) + ["overrides"]
    static let overrideKeys = ["filters"] + ParameterSection.allCases.map(\.rawValue)

    /// Reads, parses and validates a spec file. Throws `SpecError` listing every problem.
    public static func load(path: String) throws -> ExperimentSpec {
        let url = URL(fileURLWithPath: path)
        let data: Data
        do {
            // Through a file handle, so that a pipe works too (`repro run <(generate-spec)`).
            let handle = try FileHandle(forReadingFrom: url)
            defer { try? handle.close() }
            data = try handle.readToEnd() ?? Data()
        } catch {
            var isDir: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDir)
            let message = !exists ? "no such file"
                : isDir.boolValue ? "is a folder, not a spec file (give the JSON file, e.g. experiments/quick.json)"
                : "cannot read the file (\(OutputFolderError.plainReason(error)))"
            throw SpecError(issues: [SpecIssue(file: path, path: "", line: nil, message: message)])
        }
        return try load(data: data, file: path)
    }

    static func load(data: Data, file: String) throws -> ExperimentSpec {
        let hash = StableHash.short(data)
        let root: JSONNode
        do {
            root = try JSONReader.parse(data)
        } catch let e as JSONSyntaxError {
            throw SpecError(issues: [SpecIssue(file: file, path: "", line: e.line,
                message: "invalid JSON at line \(e.line), column \(e.column): \(e.message)")])
        }
        return try validate(root, file: file, hash: hash)
    }

    /// Validates a parsed spec (also used by `repro sweep` on a modified tree).
    static func validate(_ root: JSONNode, file: String, hash: String) throws -> ExperimentSpec {
        var v = Validator(file: file)
        let spec = v.validateRoot(root, hash: hash)
        if !v.issues.isEmpty || spec == nil {
            // By line, keeping the order of discovery within a line.
            let sorted = v.issues.enumerated().sorted { ($0.element.line ?? 0, $0.offset) < ($1.element.line ?? 0, $1.offset) }
            throw SpecError(issues: sorted.map(\.element))
        }
        let unrunnable = Feasibility.issues(spec!)   // grid size, architecture vs input, memory
        if !unrunnable.isEmpty { throw SpecError(issues: unrunnable) }
        return spec!
    }
}

struct Validator {
    let file: String
    var issues: [SpecIssue] = []
    var warnings: [String] = []

    init(file: String) { self.file = file }

    mutating func fail(_ path: String, _ node: JSONNode?, _ message: String) {
        issues.append(SpecIssue(file: file, path: path, line: node?.line, message: message))
    }

    mutating func fail(_ path: String, line: Int?, _ message: String) {
        issues.append(SpecIssue(file: file, path: path, line: line, message: message))
    }

    static func join(_ a: String, _ b: String) -> String { a.isEmpty ? b : a + "." + b }

    /// Members of an object, reporting duplicates and unknown keys.
    mutating func members(_ node: JSONNode, path: String, allowed: [String], what: String) -> [String: JSONNode]? {
        guard case .object(let ms) = node.value else {
            fail(path, node, "found \(node.shortDescription); expected \(what)")
            return nil
        }
        var out: [String: JSONNode] = [:]
        for m in ms {
            let p = Validator.join(path, m.key)
            if out[m.key] != nil {
                fail(p, line: m.line, "duplicate key \"\(m.key)\"")
                continue
            }
            if !allowed.contains(m.key) {
                let shown = allowed.filter { $0 != "$schema" }
                var msg = "unknown key \"\(m.key)\""
                if let s = EditDistance.suggestion(for: m.key, among: shown) { msg += "; did you mean \"\(s)\"?" } else { msg += "." }
                msg += " Allowed keys here: " + shown.joined(separator: ", ")
                fail(p, line: m.line, msg)
                continue
            }
            out[m.key] = m.value
        }
        return out
    }

    // MARK: root

    mutating func validateRoot(_ root: JSONNode, hash: String) -> ExperimentSpec? {
        guard let top = members(root, path: "", allowed: SpecLoader.topLevelKeys,
                                what: "a JSON object with keys name, datasets, models, …") else { return nil }
        let name = specName(top["name"])
        var description: String? = nil
        if let d = top["description"] {
            if case .string(let s) = d.value { description = s } else { fail("description", d, "found \(d.shortDescription); expected a string") }
        }
        let kind = experimentKind(top["kind"])
        let datasets = datasetList(top["datasets"])
        let models: [ModelKind] = requiredChoices(top["models"], path: "models")
        let seeds = seedAxis(top["seeds"])
        var axes: [String: [ParamValue]] = [:]
        sectionAxes(top, prefix: "", into: &axes)
        let overrides = top["overrides"].map { overrideAxes($0, datasets: datasets) } ?? [:]
        checkModels(models, fit: kind, node: top["models"])
        checkSelection(axes, overrides: overrides, datasets: datasets)
        if issues.isEmpty { checkOwnData(datasets, axes: axes, overrides: overrides) }

        guard issues.isEmpty else { return nil }
        return ExperimentSpec(name: name, description: description, kind: kind, datasets: datasets, models: models,
                              seeds: seeds, axes: axes, overrides: overrides, file: file, hash: hash, warnings: warnings)
    }

    /// The name, which also names the default output folder.
    mutating func specName(_ n: JSONNode?) -> String {
        guard let n else {
            fail("name", nil, "missing; expected a string naming the experiment (the output folder is results/<name>/)")
            return ""
        }
        guard case .string(let s) = n.value else {
            fail("name", n, "found \(n.shortDescription); expected a string of letters, digits, '.', '_' or '-'")
            return ""
        }
        guard s.range(of: "^[A-Za-z0-9][A-Za-z0-9._-]*$", options: .regularExpression) != nil else {
            fail("name", n, "found \(n.shortDescription); expected a name of letters, digits, '.', '_' or '-' (it names the output folder results/<name>/)")
            return ""
        }
        return s
    }

    mutating func experimentKind(_ k: JSONNode?) -> ExperimentKind {
        guard let k else { return .classify }
        if case .string(let s) = k.value, let kind = ExperimentKind(rawValue: s) { return kind }
        let allowed = ExperimentKind.spellings
        var msg = "found \(k.shortDescription); expected one of " + allowed.map { "\"\($0)\"" }.joined(separator: ", ")
        if case .string(let s) = k.value, let sug = EditDistance.suggestion(for: s, among: allowed) { msg += " (did you mean \"\(sug)\"?)" }
        if case .array = k.value { msg += " (kind cannot be a grid: write one spec per kind)" }
        fail("kind", k, msg)
        return .classify
    }

    /// `datasets` and `models`: required, one value or a list.
    mutating func requiredChoices<E: CaseIterable & RawRepresentable & Equatable>(_ node: JSONNode?, path: String) -> [E] where E.RawValue == String {
        guard let node else {
            fail(path, nil, "missing; expected a list of \(path) from " + E.spellings.map { "\"\($0)\"" }.joined(separator: ", "))
            return []
        }
        return choiceList(node, path: path)
    }

    mutating func seedAxis(_ node: JSONNode?) -> [UInt64] {
        guard let node else { return [ResolvedRun().seed] }
        guard let vals = axis(node, path: "seeds", type: .integer(min: 0)) else { return [ResolvedRun().seed] }
        var seeds: [UInt64] = []
        for v in vals { if case .integer(let i) = v, !seeds.contains(UInt64(i)) { seeds.append(UInt64(i)) } }
        return seeds
    }

    /// Per-dataset replacements of whole axes.
    mutating func overrideAxes(_ o: JSONNode, datasets: [DatasetName]) -> [DatasetName: [String: [ParamValue]]] {
        let own = datasets.filter { !$0.isBuiltin }
        let names = DatasetName.spellings + own.map(\.rawValue)
        guard let byDataset = members(o, path: "overrides", allowed: names,
                                      what: "an object keyed by dataset name (" + names.joined(separator: ", ") + ")") else { return [:] }
        var overrides: [DatasetName: [String: [ParamValue]]] = [:]
        for ds in DatasetName.allCases + own {
            guard let node = byDataset[ds.rawValue] else { continue }
            let p = "overrides." + ds.rawValue
            guard let sub = members(node, path: p, allowed: SpecLoader.overrideKeys,
                                    what: "an object with any of " + SpecLoader.overrideKeys.joined(separator: ", ")) else { continue }
            var ax: [String: [ParamValue]] = [:]
            sectionAxes(sub, prefix: p, into: &ax)
            overrides[ds] = ax
            if !datasets.isEmpty && !datasets.contains(ds) {
                warnings.append("\(file): \(p): dataset \"\(ds.rawValue)\" is not in datasets; its overrides are not used")
            }
        }
        return overrides
    }

    /// Kinds that run one model only.
    mutating func checkModels(_ models: [ModelKind], fit kind: ExperimentKind, node: JSONNode?) {
        let only: (ModelKind, String)?
        switch kind {
        case .convergence: only = (.mlp, "kind \"convergence\" (Fig. 1)")
        case .fluctuation: only = (.dmn, "kind \"fluctuation\" (Fig. 2)")
        case .classify: only = nil
        }
        guard let (model, what) = only else { return }
        for m in models where m != model {
            fail("models", node, "found \"\(m.rawValue)\"; \(what) runs model \"\(model.rawValue)\" only")
        }
    }

    /// best-validation needs a validation split, wherever the two meet (base or an override):
    /// data.validation > 0, or an archive with its own (x_val, y_val).
    mutating func checkSelection(_ axes: [String: [ParamValue]], overrides: [DatasetName: [String: [ParamValue]]],
                                 datasets: [DatasetName]) {
        var reported = Set<String>()
        // With no datasets (already an error), check the base axes alone.
        for dataset in datasets.isEmpty ? [nil] : datasets.map(Optional.some) {
            if dataset?.source?.hasValidationSplit == true { continue }
            let override = dataset.flatMap { overrides[$0] }
            let ax = override.map { axes.merging($0) { $1 } } ?? axes
            let prefix = override.map { _ in "overrides." + dataset!.rawValue + "." } ?? ""
            let selections = ax["data.selection"] ?? []
            let fractions = ax["data.validation"] ?? [.real(0)]
            if selections.contains(.text(SelectionRule.bestValidation.rawValue)),
               fractions.contains(where: { $0 == .real(0) || $0 == .integer(0) }), reported.insert(prefix).inserted {
                fail(prefix + "data.selection", line: nil, "found \"best-validation\" with no validation split; set data.validation to a fraction in (0, 0.5] (0 means none)")
            }
        }
    }

    /// Datasets given by path against the data section: each `data.resize` a dataset's runs
    /// use is read and checked now (a folder of mixed sizes needs one); an archive with its own
    /// validation split (x_val, y_val) takes no `data.validation` hold-out as well.
    mutating func checkOwnData(_ datasets: [DatasetName], axes: [String: [ParamValue]],
                               overrides: [DatasetName: [String: [ParamValue]]]) {
        for dataset in datasets {
            guard let source = dataset.source else { continue }
            let override = overrides[dataset] ?? [:]
            let ax = axes.merging(override) { $1 }
            func where_(_ key: String) -> String {
                override[key] != nil ? "overrides." + dataset.rawValue + "." + key : axes[key] != nil ? key : "datasets"
            }
            for value in ax["data.resize"] ?? [.none] {
                guard let resize = ImageResize(paramValue: value) else { continue }
                if case .keep = resize, let mixed = source.mixedSizes {
                    fail(where_("data.resize"), line: nil, mixed)
                    continue
                }
                do { try OwnDataResolver.load(dataset, resize: resize) } catch { fail(where_("data.resize"), line: nil, "\(error)") }
            }
            if source.hasValidationSplit {
                for value in ax["data.validation"] ?? [] where value != .real(0) && value != .integer(0) {
                    fail(where_("data.validation"), line: nil,
                         "found \(value) with \(source.written), which has its own validation split (archive members x_val, y_val): two validation sets are ambiguous; "
                         + "set data.validation to 0 (the default) to validate on x_val, or leave x_val and y_val out of the archive to hold out a fraction of x_train")
                    break
                }
            }
        }
    }

    /// `filters` and the four parameter sections of an object (the root or an override).
    mutating func sectionAxes(_ obj: [String: JSONNode], prefix: String, into axes: inout [String: [ParamValue]]) {
        if let f = obj["filters"] {
            if let vals = filterAxis(f, path: Validator.join(prefix, "filters")) { axes["filters"] = vals }
        }
        for section in ParameterSection.allCases {
            guard let node = obj[section.rawValue] else { continue }
            let sp = Validator.join(prefix, section.rawValue)
            let keys = Parameters.definitions(in: section).map(\.key)
            guard let ms = members(node, path: sp, allowed: keys,
                                   what: "an object with any of " + keys.joined(separator: ", ")) else { continue }
            for def in Parameters.definitions(in: section) {
                guard let n = ms[def.key] else { continue }
                if let vals = axis(n, path: Validator.join(sp, def.key), type: def.type) { axes[def.path] = vals }
            }
        }
    }

    // MARK: datasets: built-in names or paths

    /// `datasets`: required, one entry or a list; each a built-in name or a path to a dataset
    /// of one's own (see `OwnData.looksLikePath`), resolved relative to the spec file. A path's
    /// data is read and checked here, so that `validate` and `run` refuse bad data before any
    /// run starts, and its content hash enters the run ids.
    mutating func datasetList(_ node: JSONNode?) -> [DatasetName] {
        let expected = "a built-in dataset (" + DatasetName.spellings.map { "\"\($0)\"" }.joined(separator: ", ")
            + ") or a path to a NumPy archive (.npz) or an image folder (containing a \"/\"), relative to the spec file"
        guard let node else {
            fail("datasets", nil, "missing; expected a list of datasets, each " + expected)
            return []
        }
        let elements: [(JSONNode, String)]
        switch node.value {
        case .array(let items):
            if items.isEmpty { fail("datasets", node, "found an empty list; expected at least one dataset, each " + expected); return [] }
            elements = items.enumerated().map { ($1, "datasets[\($0)]") }
        case .object(let ms) where ms.count == 1 && ms[0].key == "grid":
            guard case .array(let items) = ms[0].value.value, !items.isEmpty else {
                fail("datasets.grid", ms[0].value, "expected a non-empty list of datasets, each " + expected); return []
            }
            elements = items.enumerated().map { ($1, "datasets.grid[\($0)]") }
        default:
            elements = [(node, "datasets")]
        }
        var out: [DatasetName] = []
        for (n, p) in elements {
            guard case .string(let s) = n.value else {
                fail(p, n, "found \(n.shortDescription); expected " + expected)
                continue
            }
            if let d = DatasetName(rawValue: s) {
                if !out.contains(d) { out.append(d) }
                continue
            }
            guard OwnData.looksLikePath(s) else {
                var msg = "found \(n.shortDescription); expected " + expected
                if let sug = EditDistance.suggestion(for: s, among: DatasetName.spellings) { msg += " (did you mean \"\(sug)\"?)" }
                fail(p, n, msg)
                continue
            }
            do {
                let d = try OwnDataResolver.resolve(s, specFile: file)
                if DatasetName(rawValue: d.rawValue) != nil {
                    fail(p, n, "the dataset at \(s) would be named \"\(d.rawValue)\", the name of a built-in dataset; rename the file")
                } else if let other = out.first(where: { $0.rawValue == d.rawValue && $0 != d }) {
                    fail(p, n, "two different datasets named \"\(d.rawValue)\" (\(other.source?.written ?? "") and \(s)); rename one: tables and overrides know a dataset by its file name")
                } else if !out.contains(d) {
                    out.append(d)
                }
            } catch {
                fail(p, n, "\(error)")
            }
        }
        return out
    }

    // MARK: lists of choices (datasets, models)

    mutating func choiceList<E: CaseIterable & RawRepresentable & Equatable>(_ node: JSONNode, path: String) -> [E] where E.RawValue == String {
        let allowed = E.spellings
        let elements: [(JSONNode, String)]
        switch node.value {
        case .array(let items):
            if items.isEmpty {
                fail(path, node, "found an empty list; expected at least one of " + allowed.map { "\"\($0)\"" }.joined(separator: ", "))
                return []
            }
            elements = items.enumerated().map { ($1, "\(path)[\($0)]") }
        case .object(let ms) where ms.count == 1 && ms[0].key == "grid":
            return choiceList(ms[0].value, path: path + ".grid")
        default:
            elements = [(node, path)]
        }
        var out: [E] = []
        for (n, p) in elements {
            if case .string(let s) = n.value, let v = E(rawValue: s) {
                if !out.contains(v) { out.append(v) }
            } else {
                var msg = "found \(n.shortDescription); expected one of " + allowed.map { "\"\($0)\"" }.joined(separator: ", ")
                if case .string(let s) = n.value, let sug = EditDistance.suggestion(for: s, among: allowed) { msg += " (did you mean \"\(sug)\"?)" }
                fail(p, n, msg)
            }
        }
        return out
    }

    // MARK: filter configurations

    static let filterExpectation = "comma-separated positive integers such as \"4\" or \"4,15\" (one count per layer)"

    mutating func filterAxis(_ node: JSONNode, path: String) -> [ParamValue]? {
        let elements: [(JSONNode, String)]
        switch node.value {
        case .array(let items):
            if items.isEmpty {
                fail(path, node, "found an empty list; expected a list of filter configurations, each " + Validator.filterExpectation)
                return nil
            }
            elements = items.enumerated().map { ($1, "\(path)[\($0)]") }
        case .object(let ms) where ms.count == 1 && ms[0].key == "grid":
            return filterAxis(ms[0].value, path: path + ".grid")
        case .object:
            fail(path, node, "found an object; expected a list of filter configurations, each " + Validator.filterExpectation + ", or {\"grid\": [...]}")
            return nil
        default:
            elements = [(node, path)]
        }
        var out: [ParamValue] = []
        var ok = true
        for (n, p) in elements {
            if let f = filterConfig(n, path: p) {
                if !out.contains(.integers(f)) { out.append(.integers(f)) }
            } else { ok = false }
        }
        return ok ? out : nil
    }

    mutating func filterConfig(_ node: JSONNode, path: String) -> [Int]? {
        switch node.value {
        case .string(let s):
            let parts = s.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            var counts: [Int] = []
            for part in parts {
                guard !part.isEmpty, part.allSatisfy({ $0.isASCII && $0.isNumber }), let v = Int(part), v >= 1, v <= 1_000_000 else {
                    let detail: String
                    if parts.count == 1 { detail = "" }
                    else if part.isEmpty { detail = " with an empty count" }
                    else { detail = " with \"\(part)\", which is not a positive integer" }
                    fail(path, node, "found \(node.shortDescription)\(detail); expected " + Validator.filterExpectation)
                    return nil
                }
                counts.append(v)
            }
            return counts
        case .number(let v, let text):
            if v == v.rounded(), v >= 1, v <= 1_000_000 { return [Int(v)] }
            fail(path, node, "found \(text); expected " + Validator.filterExpectation)
            return nil
        default:
            fail(path, node, "found \(node.shortDescription); expected " + Validator.filterExpectation)
            return nil
        }
    }

    // MARK: parameter axes

    /// A parameter given as one value, a list of values (a grid axis) or {"grid": [...]}.
    /// For per-layer parameters (dmn.tv) a list of numbers is ONE value; a grid is a list of
    /// lists or {"grid": [...]}.
    mutating func axis(_ node: JSONNode, path: String, type: ParamType) -> [ParamValue]? {
        switch node.value {
        case .object(let ms):
            guard ms.count == 1, ms[0].key == "grid" else {
                let keys = ms.map(\.key)
                var msg = "found an object"
                if let bad = keys.first(where: { $0 != "grid" }) {
                    msg += " with key \"\(bad)\""
                    if let s = EditDistance.suggestion(for: bad, among: ["grid"]) { msg += " (did you mean \"\(s)\"?)" }
                }
                fail(path, node, msg + "; expected " + type.expectation + ", a list of them (a grid), or {\"grid\": [...]}")
                return nil
            }
            let g = ms[0].value
            guard case .array(let items) = g.value else {
                fail(path + ".grid", g, "found \(g.shortDescription); expected a non-empty list of values, each " + type.expectation)
                return nil
            }
            if items.isEmpty {
                fail(path + ".grid", g, "found an empty list (an empty grid); expected at least one value, each " + type.expectation)
                return nil
            }
            return gridValues(items.enumerated().map { ($1, "\(path).grid[\($0)]") }, type: type)
        case .array(let items):
            if items.isEmpty {
                fail(path, node, "found an empty list (an empty grid); expected " + type.expectation + " or a non-empty list of them")
                return nil
            }
            if case .perLayerReal = type {
                let numbers = items.filter { if case .number = $0.value { return true }; return false }.count
                let lists = items.filter { if case .array = $0.value { return true }; return false }.count
                if numbers == items.count {
                    return single(node, path: path, type: type).map { [$0] }  // one per-layer value
                }
                if lists == items.count {
                    return gridValues(items.enumerated().map { ($1, "\(path)[\($0)]") }, type: type)
                }
                fail(path, node, "found a list mixing numbers and lists; expected a list of numbers (one value per layer, e.g. [0.95, 0.99]), a list of such lists (a grid, e.g. [[0.9], [0.95, 0.99]]), or {\"grid\": [0.9, 0.95, [0.95, 0.99]]}")
                return nil
            }
            return gridValues(items.enumerated().map { ($1, "\(path)[\($0)]") }, type: type)
        default:
            return single(node, path: path, type: type).map { [$0] }
        }
    }

    mutating func gridValues(_ items: [(JSONNode, String)], type: ParamType) -> [ParamValue]? {
        var out: [ParamValue] = []
        var ok = true
        for (n, p) in items {
            if case .array = n.value, !isPerLayer(type) {
                fail(p, n, "found a nested list; expected " + type.expectation)
                ok = false
                continue
            }
            if let v = single(n, path: p, type: type) {
                if !out.contains(v) { out.append(v) }
            } else { ok = false }
        }
        return ok ? out : nil
    }

    /// Integers are read as JSON numbers (doubles), exact only below 2^53; the spec allows
    /// those below 9e15.
    static let integerLimit = "8999999999999999"
    static func tooLarge(_ node: JSONNode) -> String {
        "found \(node.shortDescription); expected an integer of at most \(integerLimit) (9e15 - 1: larger ones are not exact in JSON's numbers)"
    }

    func isPerLayer(_ t: ParamType) -> Bool { if case .perLayerReal = t { return true }; return false }

    mutating func single(_ node: JSONNode, path: String, type: ParamType) -> ParamValue? {
        let found = "found \(node.shortDescription); expected " + type.expectation
        switch type {
        case let .real(lo, loIn, hi, hiIn):
            guard case .number(let v, _) = node.value else { fail(path, node, found); return nil }
            guard ParamType.inRange(v, lo, loIn, hi, hiIn) else { fail(path, node, found); return nil }
            return .real(v)
        case .integer(let m):
            if case .number(let v, _) = node.value, v == v.rounded(), v >= 9.0e15 { fail(path, node, Validator.tooLarge(node)); return nil }
            guard case .number(let v, _) = node.value, v == v.rounded(), v >= Double(m), v < 9.0e15 else { fail(path, node, found); return nil }
            return .integer(Int(v))
        case .optionalInteger(let m):
            if case .null = node.value { return ParamValue.none }
            if case .number(let v, _) = node.value, v == v.rounded(), v >= 9.0e15 { fail(path, node, Validator.tooLarge(node)); return nil }
            guard case .number(let v, _) = node.value, v == v.rounded(), v >= Double(m), v < 9.0e15 else { fail(path, node, found); return nil }
            return .integer(Int(v))
        case .choice(let allowed):
            guard case .string(let s) = node.value, allowed.contains(s) else {
                var msg = found
                if case .string(let s) = node.value, let sug = EditDistance.suggestion(for: s, among: allowed) { msg += " (did you mean \"\(sug)\"?)" }
                fail(path, node, msg)
                return nil
            }
            return .text(s)
        case .boolean:
            guard case .bool(let b) = node.value else { fail(path, node, found); return nil }
            return .flag(b)
        case let .realOrWord(lo, loIn, hi, hiIn, word):
            if case .string(let s) = node.value, s == word { return .text(s) }
            guard case .number(let v, _) = node.value, ParamType.inRange(v, lo, loIn, hi, hiIn) else { fail(path, node, found); return nil }
            return .real(v)
        case let .perLayerReal(lo, loIn, hi, hiIn):
            switch node.value {
            case .number(let v, _):
                guard ParamType.inRange(v, lo, loIn, hi, hiIn) else { fail(path, node, found); return nil }
                return .reals([v])
            case .array(let items):
                if items.isEmpty { fail(path, node, "found an empty list; expected " + type.expectation); return nil }
                var vals: [Double] = []
                var ok = true
                for (i, it) in items.enumerated() {
                    let each = "found \(it.shortDescription); expected a number " + ParamType.range(lo, loIn, hi, hiIn) + " (the value for layer \(i + 1))"
                    if case .number(let v, _) = it.value, ParamType.inRange(v, lo, loIn, hi, hiIn) { vals.append(v) }
                    else { fail("\(path)[\(i)]", it, each); ok = false }
                }
                return ok ? .reals(vals) : nil
            default:
                fail(path, node, found)
                return nil
            }
        case .optionalImageSize:
            if case .null = node.value { return ParamValue.none }
            guard case .string(let s) = node.value, let r = ImageResize(spelling: s) else { fail(path, node, found); return nil }
            return r.paramValue
        }
    }
}
