import Foundation
import Numerics

/// Joins the run files of several output folders (shards) into one and rebuilds its tables.
/// Two records of the same id conflict when both are ok and differ in anything but timings
/// (`RunRecord.resultSignature`); then nothing is written. An ok record wins over a failed
/// one (a retry elsewhere); between failed records the first is kept.
public enum ResultMerger {
    public struct Summary: Sendable {
        public var sources: Int = 0
        public var runs: Int = 0
        public var duplicates: Int = 0
        var copied: Int = 0
    }

    public static func merge(sources: [URL], into out: URL) throws -> Summary {
        let dest = ResultFolder(out)
        var chosen: [String: (record: RunRecord, origin: String)] = [:]
        var order: [String] = []
        var conflicts: [String] = []
        var unreadable: [String] = []
        var tampered: [String] = []
        var summary = Summary()
        summary.sources = sources.count

        var folders: [ResultFolder] = []
        // Records already in the destination take part in the conflict check.
        if FileManager.default.fileExists(atPath: dest.runsDirectory.path) { folders.append(dest) }
        for s in sources {
            let f = ResultFolder(s)
            guard FileManager.default.fileExists(atPath: f.runsDirectory.path) else {
                throw MergeError.notAResultFolder(s.path)
            }
            if f.url != dest.url { folders.append(f) }
        }

        for f in folders {
            for id in f.runIds() {
                let file = f.runFile(id)
                // Checked as `repro run` checks it (RunFileCheck).
                let r: RunRecord
                switch f.check(id) {
                case .missing: continue
                case .valid(let record, _): r = record
                case .invalid(let why):
                    // Parsed, but its id or parameters do not match its name: edited.
                    if let parsed = f.record(id), parsed.runId != id || RunIdentity.id(of: parsed.run) != id {
                        tampered.append(why)
                    } else {
                        unreadable.append(why)
                    }
                    continue
                }
                guard let existing = chosen[id] else {
                    chosen[id] = (r, file.path); order.append(id); continue
                }
                summary.duplicates += 1
                switch (existing.record.status, r.status) {
                case (.ok, .ok):
                    if try existing.record.resultSignature() != r.resultSignature() {
                        conflicts.append("run \(id): \(existing.origin) and \(file.path) differ in "
                            + MergeChecks.differences(existing.record, r).joined(separator: "; "))
                    } else if existing.record.weights == nil && r.weights != nil {
                        chosen[id] = (r, file.path)  // the same outcome; keep the copy that saved weights
                    }
                case (.failed, .ok):
                    chosen[id] = (r, file.path)
                default:
                    break
                }
            }
        }
        if !unreadable.isEmpty { throw MergeError.unreadable(unreadable) }
        if !tampered.isEmpty { throw MergeError.idMismatch(tampered) }
        if !conflicts.isEmpty { throw MergeError.conflicts(conflicts) }

        try dest.create()
        AtomicFile.removeStaleTemps(in: dest.runsDirectory)
        for id in order {
            let (record, origin) = chosen[id]!
            let target = dest.runFile(id)
            if URL(fileURLWithPath: origin).standardizedFileURL.path == target.standardizedFileURL.path { continue }
            // Weight files first, so that the run file, once there, names files that exist.
            if let w = record.weights {
                try WeightFiles.copy(w, from: ResultFolder(URL(fileURLWithPath: origin).deletingLastPathComponent().deletingLastPathComponent()), to: dest)
            }
            try AtomicFile.write(try record.encoded(), to: target)
            summary.copied += 1
        }
        summary.runs = order.count
        try ResultTables(folder: dest).rebuild()

        // Provenance: the sources' spec names and hashes, and where the runs came from.
        let recs = order.map { chosen[$0]!.record }
        let specNames = Array(Set(recs.map(\.spec.name))).sorted().joined(separator: ",")
        let specHashes = Array(Set(recs.map(\.spec.hash))).sorted().joined(separator: ",")
        let specFiles = Array(Set(recs.map(\.spec.file))).sorted().joined(separator: ",")
        let executors = Array(Set(recs.map(\.executor))).sorted().joined(separator: ",")
        var p = Provenance(specFile: specFiles, specName: specNames, specHash: specHashes, threads: ThreadLayout(workers: 1, blasThreads: BLAS.threads),
                           jobs: 1, shard: nil, executor: executors, runsPlanned: recs.count, runsSkipped: 0)
        // Relative to the merged folder: an absolute path names one machine's folders.
        p.mergedFrom = sources.map { PortablePaths.relative($0, from: dest.url) }
        p.runsOk = recs.filter { $0.status == .ok }.count
        p.runsFailed = recs.count - p.runsOk!
        p.finished = ISOTime.now()
        try p.write(to: dest)
        return summary
    }
}

public enum MergeError: Error, CustomStringConvertible {
    case conflicts([String])
    case unreadable([String])
    case notAResultFolder(String)
    case idMismatch([String])

    public var description: String {
        switch self {
        case .conflicts(let c):
            return "refusing to merge: \(c.count) conflicting duplicate run\(c.count == 1 ? "" : "s") "
                + "(same run id, different outcome apart from timings); nothing was written:\n  " + c.joined(separator: "\n  ")
        case .unreadable(let u):
            return "refusing to merge: unreadable run files; nothing was written:\n  " + u.joined(separator: "\n  ")
        case .idMismatch(let m):
            return "refusing to merge: run files whose id does not match their parameters; nothing was written:\n  "
                + m.joined(separator: "\n  ")
        case .notAResultFolder(let p):
            return "\(p) is not a result folder (no runs/ inside); nothing was written"
        }
    }
}
