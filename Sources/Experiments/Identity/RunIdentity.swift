import Foundation

/// Run ids: the first 12 hex digits of the SHA-256 of the run's canonical parameters
/// (canonical JSON: sorted keys, no whitespace, one spelling per number), where
///
/// - `kind`, `dataset`, `model`, `filters` and `seed` are always present (and, for a dataset
///   given by path, `dataset_hash`: the SHA-256 of its file), and
/// - a section parameter (`dmn.tpc`, `training.epochs`, …) is present only when it differs
///   from its default, under its section's object; sections with none are left out.
///
/// So adding a parameter whose default keeps today's behaviour changes no existing id, and
/// every committed result stays valid; a non-default value of it gives new ids. Building
/// the text cannot fail: it is assembled from the parameter table, not through an encoder.
enum RunIdentity {
    /// `table` is the parameter table in force; tests pass an older one to show that adding a
    /// parameter keeps ids.
    static func canonicalParameters(of run: ResolvedRun, table: [ParameterDefinition] = Parameters.all) -> JSONNode {
        var members: [JSONMember] = [
            JSONMember(key: "kind", value: JSONNode(.string(run.kind.rawValue))),
            JSONMember(key: "dataset", value: JSONNode(.string(run.dataset.rawValue))),
        ]
        // A dataset given by path: its content hash too, so that changed data never reuses old
        // results (the built-in datasets have none, so their ids are what they always were).
        if !run.dataset.isBuiltin {
            members.append(JSONMember(key: "dataset_hash", value: JSONNode(.string(run.dataset.contentHash ?? ""))))
        }
        members += [
            JSONMember(key: "model", value: JSONNode(.string(run.model.rawValue))),
            JSONMember(key: "filters", value: ParamValue.integers(run.filters).json),
            JSONMember(key: "seed", value: JSONNode(.number(Double(run.seed), text: String(run.seed)))),
        ]
        for section in ParameterSection.allCases {
            let changed = table.filter { $0.section == section && !$0.isDefault(in: run) }
            guard !changed.isEmpty else { continue }
            let fields = changed.map { JSONMember(key: $0.key, value: $0.get(run).json) }
            members.append(JSONMember(key: section.rawValue, value: JSONNode(.object(fields))))
        }
        return JSONNode(.object(members))
    }

    static func canonicalJSON(of run: ResolvedRun) -> String {
        CanonicalJSON.serialize(canonicalParameters(of: run))
    }

    static func id(of run: ResolvedRun) -> String {
        StableHash.short(canonicalJSON(of: run))
    }
}
