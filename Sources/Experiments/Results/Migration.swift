import Foundation

/// Converts a results folder written by an older repro to the current run-file format,
/// without re-running anything: each run file is rewritten with the current layout and
/// renamed to its current id, then the tables are rebuilt from the run files. Outcomes
/// (accuracies, histories, timings) are carried over unchanged.
public enum RunFileMigration {
    public struct Summary: Sendable, Equatable {
        public var renamed = 0
        public var rewritten = 0
        public var current = 0
    }

    struct MigrationError: Error, CustomStringConvertible {
        let description: String
    }

    /// Format 1 kept the `data` and `convergence` parameters at the top of `run`; format 2
    /// nests them under their sections like a spec, and run ids leave defaults out.
    static func upgradeFormat1(_ object: inout [String: Any]) {
        guard var run = object["run"] as? [String: Any] else { return }
        for section in [ParameterSection.data, .convergence] {
            var nested = run[section.rawValue] as? [String: Any] ?? [:]
            for def in Parameters.definitions(in: section) {
                if let v = run.removeValue(forKey: def.key) { nested[def.key] = v }
            }
            run[section.rawValue] = nested
        }
        object["run"] = run
        object["format"] = 2
    }

    /// The record of a run file of any known format, in the current format and id.
    static func upgraded(_ data: Data, file: String) throws -> RunRecord {
        guard var object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw MigrationError(description: "\(file): not a JSON object")
        }
        let format = object["format"] as? Int ?? 0
        switch format {
        case 1: upgradeFormat1(&object)
        case RunRecord.currentFormat: break
        default: throw MigrationError(description: "\(file): " + RunFileFormatError(found: format).description)
        }
        let upgradedData = try JSONSerialization.data(withJSONObject: object)
        var record = try RunRecord.decode(upgradedData)
        record.runId = RunIdentity.id(of: record.run)
        return record
    }

    public static func migrate(_ folder: ResultFolder) throws -> Summary {
        var summary = Summary()
        var plan: [(old: URL, record: RunRecord, bytes: Data)] = []
        var targets: [String: URL] = [:]
        for id in folder.runIds() {
            let url = folder.runFile(id)
            let data = try Data(contentsOf: url)
            let record = try upgraded(data, file: url.path)
            if let other = targets[record.runId], other != url {
                throw MigrationError(description: "\(url.path) and \(other.path) are the same run (\(record.runId)); remove one")
            }
            targets[record.runId] = url
            plan.append((url, record, try record.encoded()))
        }
        // Write every new file before removing any old one, so a failure midway loses nothing.
        for item in plan {
            let target = folder.runFile(item.record.runId)
            if target == item.old && (try? Data(contentsOf: target)) == item.bytes { summary.current += 1; continue }
            try AtomicFile.write(item.bytes, to: target)
            if target == item.old { summary.rewritten += 1 } else { summary.renamed += 1 }
        }
        for item in plan where folder.runFile(item.record.runId) != item.old && targets[item.old.deletingPathExtension().lastPathComponent] == nil {
            try FileManager.default.removeItem(at: item.old)
        }
        try portableProvenance(folder)
        try ResultTables(folder: folder).rebuild()
        return summary
    }

    /// Older provenance files recorded the program by its absolute path, a fact of one machine.
    static func portableProvenance(_ folder: ResultFolder) throws {
        guard let data = try? Data(contentsOf: folder.provenanceFile),
              var object = try JSONSerialization.jsonObject(with: data) as? [String: Any],
              var command = object["command"] as? [String], let program = command.first, program.hasPrefix("/") else { return }
        command[0] = URL(fileURLWithPath: program).lastPathComponent
        object["command"] = command
        var out = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        out.append(0x0A)
        try AtomicFile.write(out, to: folder.provenanceFile)
    }
}
