import Experiments
import Foundation
import Models

/// One row of a results CSV table, by column name: what the CSV reader gives. runs.csv and
/// history.csv are then read into typed rows (`RunRow`, `EpochStats`, ReportRows.swift); the
/// other tables (lambda, fluctuation) are read by column.
struct ReportRow: Sendable, Equatable {
    var values: [String: String]

    init(_ values: [String: String]) { self.values = values }

    /// The field, or "" when the column is absent.
    subscript(_ column: String) -> String { values[column] ?? "" }

    /// The field as a number: NaN when absent, empty or not a number (`nan`, `inf`, `-inf` read as such).
    func number(_ column: String) -> Double { ReportRow.parseNumber(self[column]) }

    static func parseNumber(_ s: String) -> Double {
        switch s.trimmingCharacters(in: .whitespaces).lowercased() {
        case "", "nan": return .nan
        case "inf", "+inf": return .infinity
        case "-inf": return -.infinity
        case let t: return Double(t) ?? .nan
        }
    }
}

/// A CSV table parsed into rows keyed by the header.
struct ParsedTable: Sendable, Equatable {
    var header: [String]
    var rows: [ReportRow]

    init(header: [String], rows: [ReportRow]) { self.header = header; self.rows = rows }

    /// Parses CSV text (RFC 4180, header first) with the results' own CSV reader.
    init(csv text: String) {
        let lines = CSVTable.parse(text).filter { !($0.count == 1 && $0[0].isEmpty) }
        let head = lines.first ?? []
        header = head
        rows = lines.dropFirst().map { fields in
            var d: [String: String] = [:]
            for (i, col) in head.enumerated() { d[col] = i < fields.count ? fields[i] : "" }
            return ReportRow(d)
        }
    }

    init(_ table: CSVTable) { self.init(csv: table.text) }

    static let empty = ParsedTable(header: [], rows: [])
}

/// What `provenance.json` says, read leniently (every field optional).
struct ProvenanceInfo: Sendable, Equatable {
    var folder: String
    var present = false
    var reproVersion: String?
    var gitCommit: String?
    var gitDirty: Bool?
    var command: [String]?
    var specFile: String?
    var specName: String?
    var host: String?
    var cores: Int?
    var blasThreads: Int?
    var blasCore: String?
    var jobs: Int?
    var shard: String?
    var executor: String?
    var started: String?
    var finished: String?
    var runsOk: Int?
    var runsFailed: Int?
    var mergedFrom: [String]?

    init(folder: String) { self.folder = folder }

    init(folder: String, json data: Data) {
        self.folder = folder
        guard let o = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else { return }
        present = true
        func str(_ k: String) -> String? { o[k] as? String }
        func int(_ k: String) -> Int? { (o[k] as? NSNumber)?.intValue }
        reproVersion = str("reproVersion"); gitCommit = str("gitCommit")
        gitDirty = (o["gitDirty"] as? NSNumber)?.boolValue
        command = o["command"] as? [String]
        specFile = str("specFile"); specName = str("specName"); host = str("host")
        cores = int("cores"); blasThreads = int("blasThreads"); blasCore = str("blasCore"); jobs = int("jobs")
        shard = str("shard"); executor = str("executor"); started = str("started"); finished = str("finished")
        runsOk = int("runsOk"); runsFailed = int("runsFailed")
        mergedFrom = o["mergedFrom"] as? [String]
    }
}

/// The tables of one or more results folders, joined. A run id present in several folders is
/// taken once, from the first folder that has it with status ok (else the first that has it),
/// and so are its rows in the other tables.
public struct ResultSet: Sendable {
    var folders: [String] = []
    /// runs.csv rows, typed (`RunRow`).
    var runs: [RunRow] = []
    var lambda: [ReportRow] = []
    var fluctuation: [ReportRow] = []
    var fluctuationSummary: [ReportRow] = []
    /// history.csv by run id, each run's epochs in order (per-epoch accuracies; `ClaimRobustness`).
    var history: [String: [EpochStats]] = [:]
    var provenance: [ProvenanceInfo] = []
    /// Problems met while reading (missing tables, unreadable files, rows left out), for the report.
    public var notes: [String] = []

    init() {}

    /// One folder's tables, already parsed.
    struct FolderTables: Sendable {
        var folder: String
        var runs: [RunRow]
        var lambda: ParsedTable
        var fluctuation: ParsedTable
        var fluctuationSummary: ParsedTable
        var history: [String: [EpochStats]]
        var provenance: ProvenanceInfo

        init(folder: String, runs: [RunRow], lambda: ParsedTable = .empty, fluctuation: ParsedTable = .empty,
                    fluctuationSummary: ParsedTable = .empty, history: [String: [EpochStats]] = [:], provenance: ProvenanceInfo? = nil) {
            self.folder = folder; self.runs = runs; self.lambda = lambda; self.fluctuation = fluctuation
            self.fluctuationSummary = fluctuationSummary; self.history = history
            self.provenance = provenance ?? ProvenanceInfo(folder: folder)
        }
    }

    /// Joins parsed folders (pure; no file access).
    static func join(_ parts: [FolderTables]) -> ResultSet {
        var set = ResultSet()
        // Which folder supplies each run id: the first with status ok, else the first.
        var owner: [String: Int] = [:]
        for (i, p) in parts.enumerated() {
            for r in p.runs {
                let id = r.runId
                if let o = owner[id] {
                    let okThere = parts[o].runs.contains { $0.runId == id && $0.status == .ok }
                    if !okThere && r.status == .ok { owner[id] = i }
                } else {
                    owner[id] = i
                }
            }
        }
        for (i, p) in parts.enumerated() {
            set.folders.append(p.folder)
            set.provenance.append(p.provenance)
            func mine(_ r: ReportRow) -> Bool { owner[r["run_id"]] == i }
            set.runs += p.runs.filter { owner[$0.runId] == i }
            set.lambda += p.lambda.rows.filter(mine)
            set.fluctuation += p.fluctuation.rows.filter(mine)
            set.fluctuationSummary += p.fluctuationSummary.rows.filter(mine)
            for (id, epochs) in p.history where owner[id] == i { set.history[id] = epochs }
        }
        return set
    }

    /// Reads results folders: their CSV tables, or, when runs.csv is missing, the tables
    /// rebuilt in memory from the run files in runs/. Throws when a folder has neither.
    /// Folders are named relative to `base` (the report's folder), so the report is the same
    /// on every machine.
    public static func load(folders: [URL], relativeTo base: URL) throws -> ResultSet {
        var parts: [FolderTables] = []
        var notes: [String] = []
        for url in folders {
            let folder = ResultFolder(url)
            let path = PortablePaths.relative(url, from: base)
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir), isDir.boolValue else {
                throw ReportError("\(path): no such folder")
            }
            var tables: [String: ParsedTable] = [:]
            let runsCSV = url.appendingPathComponent("runs.csv")
            // The run files are the truth: each is checked as `repro run` checks it, and the
            // CSVs are used only when runs.csv lists exactly the run files that are results.
            var checked: (records: [RunRecord], unreadable: [String])? = nil
            if !folder.runIds().isEmpty {
                let c = ResultTables(folder: folder).records()
                for b in c.unreadable { notes.append("\(b); left out") }
                checked = c
            }
            var csvProblem: String? = nil
            if FileManager.default.fileExists(atPath: runsCSV.path) {
                for name in ["runs", "lambda", "fluctuation", "fluctuation_summary", "history"] {
                    let f = url.appendingPathComponent(name + ".csv")
                    guard FileManager.default.fileExists(atPath: f.path) else { continue }
                    guard let text = try? String(contentsOf: f, encoding: .utf8) else {
                        notes.append("\(path)/\(name).csv: unreadable, left out"); continue
                    }
                    tables[name] = ParsedTable(csv: text)
                }
                if let c = checked {
                    csvProblem = ResultSet.mismatch(runs: tables["runs"], records: c.records)
                }
            } else if checked == nil {
                throw ReportError("\(path): not a results folder (no runs.csv and no run files in runs/)")
            } else {
                csvProblem = "no runs.csv"
            }
            if let c = checked, let why = csvProblem {
                tables = [:]
                for (name, t) in ResultTables.tables(for: c.records) { tables[name] = ParsedTable(t) }
                notes.append("\(path): \(why); tables rebuilt in memory from \(c.records.count) run files")
            } else if let c = checked {
                // The per-sample Fig. 2 table (16 MB for fig2-seeds) is not committed: it is
                // rebuilt from the run files, which hold the same numbers, when it is absent.
                let fluctuationRuns = tables["runs"]?.rows.contains { $0["kind"] == ExperimentKind.fluctuation.rawValue } ?? false
                if fluctuationRuns && tables["fluctuation"] == nil {
                    for (name, t) in ResultTables.tables(for: c.records) where tables[name] == nil { tables[name] = ParsedTable(t) }
                }
            }
            var prov = ProvenanceInfo(folder: path)
            if let d = try? Data(contentsOf: folder.provenanceFile) {
                prov = ProvenanceInfo(folder: path, json: d)
                if !prov.present { notes.append("\(path)/provenance.json: does not parse") }
            } else {
                notes.append("\(path): no provenance.json")
            }
            // runs.csv and history.csv are read once into typed rows; a row that does not
            // parse is named in the notes and left out.
            let runs = RunRow.rows(of: tables["runs"] ?? .empty, file: "\(path)/runs.csv")
            let history = EpochStats.histories(of: tables["history"] ?? .empty, file: "\(path)/history.csv")
            notes += runs.problems + history.problems
            parts.append(FolderTables(folder: path, runs: runs.rows, lambda: tables["lambda"] ?? .empty,
                                      fluctuation: tables["fluctuation"] ?? .empty,
                                      fluctuationSummary: tables["fluctuation_summary"] ?? .empty,
                                      history: history.histories, provenance: prov))
        }
        var set = join(parts)
        set.notes = notes + set.notes
        return set
    }
}

extension ResultSet {
    /// Why a folder's runs.csv cannot stand for its run files (nil when it can): it is not
    /// the table `repro run` writes (a column missing: garbage or another version), or it
    /// lists other runs than the run files that are results.
    static func mismatch(runs: ParsedTable?, records: [RunRecord]) -> String? {
        guard let runs else { return "runs.csv is unreadable" }
        guard runs.header.contains("run_id") else { return "runs.csv is not a runs table (no run_id column)" }
        let missing = ResultTables.runColumns.filter { !runs.header.contains($0) }
        if !missing.isEmpty {
            return "runs.csv lacks the column\(missing.count == 1 ? "" : "s") \(missing.prefix(3).joined(separator: ", "))\(missing.count > 3 ? ", …" : "")"
                + " (written by another version, or damaged)"
        }
        let listed = Set(runs.rows.map { $0["run_id"] }), files = Set(records.map(\.runId))
        if listed != files {
            return "runs.csv lists \(listed.subtracting(files).count) run(s) without a valid run file and misses \(files.subtracting(listed).count) run file(s)"
        }
        return nil
    }

    /// When the newest folder finished: what the report says it is "as of", so that
    /// regenerating a report from the same runs gives the same bytes.
    public var newestFinish: String? { provenance.compactMap(\.finished).max() }
}

struct ReportError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}
