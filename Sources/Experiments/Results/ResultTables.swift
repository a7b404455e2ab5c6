import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The layout of an output folder:
///
///     <out>/runs/<id>.json     one per finished run (RunRecord)
///     <out>/runs.csv           one row per run file
///     <out>/history.csv        per-epoch records
///     <out>/lambda.csv         per-step convergence rates (kind convergence)
///     <out>/<table>.csv        one per ExtraTable name (kind fluctuation: its increments)
///     <out>/provenance.json    who, where, when, with what
///
/// Tables are rebuilt from the run files alone, so they can always be regenerated.
public struct ResultFolder: Sendable {
    public let url: URL
    public init(_ url: URL) { self.url = url.standardizedFileURL }
    public var runsDirectory: URL { url.appendingPathComponent("runs", isDirectory: true) }
    func runFile(_ id: String) -> URL { runsDirectory.appendingPathComponent(id + ".json") }
    public var provenanceFile: URL { url.appendingPathComponent("provenance.json") }
    var lockFile: URL { url.appendingPathComponent(".lock") }

    func create() throws {
        // Named here: Foundation would report a symbolic link loop as "File exists".
        var st = stat()
        if stat(url.path, &st) != 0 {
            if errno == ELOOP { throw AtomicFileError.cannotWrite(url.path, "it is a symbolic link loop (\(String(cString: strerror(ELOOP))))") }
        } else if st.st_mode & S_IFMT != S_IFDIR {
            throw AtomicFileError.cannotWrite(url.path, "it exists and is not a folder")
        }
        try FileManager.default.createDirectory(at: runsDirectory, withIntermediateDirectories: true)
    }

    /// Names (ids) of the run files present, sorted.
    public func runIds() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: runsDirectory.path)) ?? []
        return names.filter { $0.hasSuffix(".json") && !$0.hasPrefix(AtomicFile.tempPrefix) && !$0.hasPrefix(".") }
            .map { String($0.dropLast(5)) }.sorted()
    }

    /// The record of a run if its file exists and parses.
    public func record(_ id: String) -> RunRecord? { try? RunRecord.read(runFile(id)) }
}

/// Rebuilds the CSV tables of a folder from its run files. Keeps parsed records cached by
/// file size and modification time so rebuilding after every run stays cheap.
public final class ResultTables: @unchecked Sendable {
    let folder: ResultFolder
    private var cache: [String: (size: Int, mtime: Date, record: RunRecord)] = [:]
    private let lock = NSLock()

    static let reservedNames: Set<String> = ["runs", "history", "lambda", "provenance"]

    public init(folder: ResultFolder) { self.folder = folder }

    /// The run files that are results (`ResultFolder.check`); the others are left out and
    /// listed in `unreadable`, each with why (the file named).
    public func records() -> (records: [RunRecord], unreadable: [String]) {
        var out: [RunRecord] = []
        var bad: [String] = []
        for id in folder.runIds() {
            let url = folder.runFile(id)
            let attrs = try? FileManager.default.attributesOfItem(atPath: url.path)
            let size = (attrs?[.size] as? NSNumber)?.intValue ?? -1
            let mtime = (attrs?[.modificationDate] as? Date) ?? .distantPast
            if let c = cache[id], c.size == size, c.mtime == mtime { out.append(c.record); continue }
            switch folder.check(id) {
            case let .valid(r, _):
                cache[id] = (size, mtime, r)
                out.append(r)
            case let .invalid(why):
                bad.append(why)
            case .missing:
                break   // removed since the listing
            }
        }
        return (ResultTables.sorted(out), bad)
    }

    /// Sets aside in `runs/quarantine/` every run file that is not a result (see
    /// `RunFileCheck`); returns one line per file moved, naming it, why, and where it went.
    func quarantineInvalid() throws -> [String] {
        lock.lock(); defer { lock.unlock() }
        var moved: [String] = []
        for id in folder.runIds() {
            guard case let .invalid(why) = folder.check(id) else { continue }
            if let to = try folder.quarantine(id) {
                cache[id] = nil
                moved.append("\(why); set aside as \(to.path), the run is redone")
            }
        }
        return moved
    }

    /// Rebuilds every table atomically, holding the folder's lock. Returns the files written.
    @discardableResult
    func rebuild() throws -> [URL] {
        lock.lock(); defer { lock.unlock() }
        let fileLock = try FileLock(path: folder.lockFile.path)
        return try fileLock.withLock {
            let recs = records().records
            var written: [URL] = []
            for (name, table) in ResultTables.tables(for: recs) {
                let url = folder.url.appendingPathComponent(name + ".csv")
                try AtomicFile.write(table.text, to: url)
                written.append(url)
            }
            return written
        }
    }

    // MARK: table contents

    public static let runColumns: [String] =
        ["run_id", "spec", "spec_hash", "kind", "dataset", "model", "filters"]
        + Parameters.all.map(\.column)
        + ["seed", "filter_counts", "relaxed_tv", "tfrac_chosen", "spectra_reused", "train_acc", "test_acc", "build_s", "sgd_s", "total_s", "status", "reason"]

    /// `validation_acc` is nan for runs without a validation split.
    static let historyColumns = ["run_id", "epoch", "loss", "train_acc", "test_acc", "seconds", "validation_acc"]
    static let lambdaColumns = ["run_id", "step", "images_seen", "layer", "lambda", "detrended", "smoothed"]
    /// Columns that hold durations, and whether a build found its spectra in the PCA cache:
    /// they differ between otherwise identical runs.
    static let timingColumns: Set<String> = ["build_s", "sgd_s", "total_s", "seconds", "spectra_reused"]

    static func runRow(_ r: RunRecord) -> [String] {
        let o = r.outcome
        var row = [r.runId, r.spec.name, r.spec.hash, r.run.kind.rawValue, r.run.dataset.rawValue, r.run.model.rawValue,
                   r.run.filters.map(String.init).joined(separator: "-")]
        row += Parameters.all.map { $0.get(r.run).description }
        row += [String(r.run.seed),
                o.map { $0.filterCounts.map(String.init).joined(separator: "-") } ?? "",
                o.map { $0.relaxedTv.map { $0 ? "1" : "0" }.joined(separator: "-") } ?? "",
                o?.tfracChosen.map { $0.map(CSVTable.number).joined(separator: "-") } ?? "",
                o?.spectraReused.map { $0.map { $0 ? "1" : "0" }.joined(separator: "-") } ?? "",
                CSVTable.number(o?.trainAccuracy ?? .nan), CSVTable.number(o?.testAccuracy ?? .nan),
                CSVTable.number(o?.buildSeconds ?? .nan), CSVTable.number(o?.sgdSeconds ?? .nan),
                CSVTable.number(r.timings.totalSeconds),
                r.status.rawValue, r.reason ?? ""]
        return row
    }

    /// `row` (laid out as `columns`) with a `dataset_hash` field after `dataset`.
    static func withDatasetHash(_ columns: [String], _ row: [String], hash: String = "dataset_hash") -> [String] {
        var out = row
        out.insert(hash, at: columns.firstIndex(of: "dataset")! + 1)
        return out
    }

    static func sortKey(_ r: RunRecord) -> [String] {
        let filters = r.run.filters.map { String(format: "%08d", $0) }.joined(separator: "-")
        return [r.spec.name, r.run.kind.rawValue, r.run.dataset.rawValue, r.run.model.rawValue, filters]
            + Parameters.all.map { $0.get(r.run).description } + [String(format: "%020llu", r.run.seed), r.runId]
    }

    static func sorted(_ recs: [RunRecord]) -> [RunRecord] {
        recs.map { (sortKey($0), $0) }.sorted { $0.0.lexicographicallyPrecedes($1.0) }.map(\.1)
    }

    /// File name (without .csv) for an ExtraTable name.
    static func tableFileName(_ name: String) -> String {
        let clean = String(name.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? $0 : "_" })
        let base = clean.isEmpty ? "table" : clean
        return reservedNames.contains(base) ? "extra-" + base : base
    }

    /// All tables for these records, by file name without extension.
    public static func tables(for records: [RunRecord]) -> [(String, CSVTable)] {
        let recs = sorted(records)
        // A `dataset_hash` column after `dataset` only when some run's dataset is given by path
        // (the SHA-256 of its file; empty for the built-in datasets), so that tables of
        // built-in datasets stay exactly as they were.
        let ownData = recs.contains { !$0.run.dataset.isBuiltin }
        var runs = CSVTable(header: ownData ? withDatasetHash(runColumns, runColumns) : runColumns)
        var history = CSVTable(header: historyColumns)
        var lambda = CSVTable(header: lambdaColumns)
        var extras: [String: (header: [String], rows: [[String: String]])] = [:]
        var extraOrder: [String] = []
        for r in recs {
            runs.append(ownData ? withDatasetHash(runColumns, runRow(r), hash: r.run.dataset.contentHash ?? "") : runRow(r))
            guard let o = r.outcome else { continue }
            for h in o.history {
                history.append([r.runId, String(h.epoch), CSVTable.number(h.loss), CSVTable.number(h.trainAccuracy),
                                CSVTable.number(h.testAccuracy), CSVTable.number(h.seconds),
                                CSVTable.number(h.validationAccuracy ?? .nan)])
            }
            for l in o.lambdas {
                lambda.append([r.runId, String(l.step), String(l.imagesSeen), String(l.layer), CSVTable.number(l.lambda),
                               CSVTable.number(l.detrended), CSVTable.number(l.smoothed)])
            }
            for t in o.extraTables {
                let file = tableFileName(t.name)
                if extras[file] == nil { extras[file] = (["run_id"], []); extraOrder.append(file) }
                for col in t.header where !extras[file]!.header.contains(col) { extras[file]!.header.append(col) }
                for row in t.rows {
                    var d: [String: String] = ["run_id": r.runId]
                    for (i, col) in t.header.enumerated() where col != "run_id" { d[col] = i < row.count ? row[i] : "" }
                    extras[file]!.rows.append(d)
                }
            }
        }
        var out: [(String, CSVTable)] = [("runs", runs), ("history", history), ("lambda", lambda)]
        for name in extraOrder {
            let e = extras[name]!
            var t = CSVTable(header: e.header)
            for d in e.rows { t.append(e.header.map { d[$0] ?? "" }) }
            out.append((name, t))
        }
        return out
    }
}
