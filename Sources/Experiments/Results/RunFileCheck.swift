import Foundation

/// What one run file holds, checked the same way by `repro run`, `plan`, `report` and `merge`
/// (issue #26, defects 1 and 2): a file counts as a result only when it parses, its `runId`
/// is its name, its parameters hash to that name, and an `ok` record has an outcome.
public enum RunFileCheck: Sendable {
    /// No file `runs/<id>.json`.
    case missing
    /// A result. `weightProblem` is set when the file names weight files that are not all
    /// there and complete (a kill between them and the run file, a full disk): the run is
    /// then redone, its file overwritten.
    case valid(RunRecord, weightProblem: String?)
    /// Not a result (unparseable, `ok` without an outcome, id or parameters that do not match
    /// the name), with why, naming the file. `repro run` sets such a file aside in
    /// `runs/quarantine/` and redoes the run.
    case invalid(String)

    var record: RunRecord? {
        if case let .valid(r, _) = self { return r }
        return nil
    }
}

extension ResultFolder {
    /// Where `repro run` moves run files that are not results, so that nothing is lost.
    var quarantineDirectory: URL { runsDirectory.appendingPathComponent("quarantine", isDirectory: true) }

    /// Checks `runs/<id>.json` (see `RunFileCheck`).
    public func check(_ id: String) -> RunFileCheck {
        let url = runFile(id)
        guard FileManager.default.fileExists(atPath: url.path) else { return .missing }
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            return .invalid("run file \(url.path) cannot be read (\(OutputFolderError.plainReason(error)))")
        }
        let record: RunRecord
        do { record = try RunRecord.decode(data) } catch let e as RunFileFormatError {
            return .invalid("run file \(url.path): \(e.description)")
        } catch {
            return .invalid("run file \(url.path) does not parse (\(RunFileCheck.shortDecodingReason(error)))")
        }
        if let problem = RunFileCheck.problem(record, name: id, file: url.path) { return .invalid(problem) }
        var weightProblem: String? = nil
        if record.status == .ok, let w = record.weights { weightProblem = w.problem(in: runsDirectory, file: url.path) }
        return .valid(record, weightProblem: weightProblem)
    }

    /// Moves `runs/<id>.json` to `runs/quarantine/` (never over an earlier one there), holding
    /// the folder's lock and checking the file again inside it, so that a file another process
    /// has meanwhile set aside and replaced by a valid one stays. Returns where it went, or nil
    /// when there was nothing to move.
    func quarantine(_ id: String) throws -> URL? {
        let fileLock = try FileLock(path: lockFile.path)
        return try fileLock.withLock { () throws -> URL? in
            guard case .invalid = check(id) else { return nil }
            try FileManager.default.createDirectory(at: quarantineDirectory, withIntermediateDirectories: true)
            var target = quarantineDirectory.appendingPathComponent(id + ".json")
            var n = 1
            while FileManager.default.fileExists(atPath: target.path) {
                n += 1
                target = quarantineDirectory.appendingPathComponent("\(id)-\(n).json")
            }
            if rename(runFile(id).path, target.path) != 0 {
                if errno == ENOENT { return nil }
                throw AtomicFileError.cannotWrite(target.path, String(cString: strerror(errno)))
            }
            try AtomicFile.syncDirectory(runsDirectory)
            return target
        }
    }
}

extension RunFileCheck {
    /// Why a parsed record is not the result its file name promises, or nil when it is.
    static func problem(_ record: RunRecord, name: String, file: String) -> String? {
        let hash = RunIdentity.id(of: record.run)
        if hash != name {
            return "run file \(file): its parameters hash to \(hash), not to its name \(name) (the file was edited or is not a run of this version)"
        }
        if record.runId != name {
            return "run file \(file): its runId \(record.runId) is not its name, to which its parameters hash (the file was edited)"
        }
        if record.status == .ok && record.outcome == nil {
            return "run file \(file): status ok but no outcome"
        }
        return nil
    }

    /// A decoding error's gist (the key and the problem), not Foundation's full dump.
    static func shortDecodingReason(_ error: Error) -> String {
        func path(_ c: DecodingError.Context) -> String {
            let p = c.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
            return p.isEmpty ? "" : " at \(p)"
        }
        switch error as? DecodingError {
        case let .keyNotFound(k, c)?: return "missing key \(k.stringValue)\(path(c))"
        case let .typeMismatch(_, c)?: return "wrong type\(path(c)): \(c.debugDescription)"
        case let .valueNotFound(_, c)?: return "null value\(path(c))"
        case let .dataCorrupted(c)?: return "\(c.debugDescription)\(path(c))"
        default: return "\(error)"
        }
    }
}

extension WeightManifest {
    /// Nil when every file the manifest names is a non-empty regular file (an `.npy` one
    /// starting with NumPy's magic); otherwise which file is missing or truncated.
    func problem(in runsDirectory: URL, file: String) -> String? {
        for f in files {
            let url = runsDirectory.appendingPathComponent(f)
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir), !isDir.boolValue else {
                return "run file \(file) names weight file \(url.path), which is missing"
            }
            let size = ((try? FileManager.default.attributesOfItem(atPath: url.path))?[.size] as? NSNumber)?.intValue ?? 0
            if size == 0 { return "run file \(file) names weight file \(url.path), which is empty (0 bytes)" }
            if f.hasSuffix(".npy") {
                let head = (try? FileHandle(forReadingFrom: url)).flatMap { h -> Data? in
                    defer { try? h.close() }
                    return try? h.read(upToCount: Npy.magic.count)
                }
                if head.map([UInt8].init) != Npy.magic {
                    return "run file \(file) names weight file \(url.path), which is not an .npy file (no \\x93NUMPY magic)"
                }
            }
        }
        return nil
    }
}
