import Datasets
import Experiments
import Foundation
import Models

// runs.csv and history.csv parsed once into typed rows. A row with a missing or malformed
// field is left out and named (the file, the row, the column and what it holds), so that
// everything after the reader works on values that exist by construction.

/// One row of runs.csv: one run, with the columns the report reads typed.
struct RunRow: Sendable, Equatable {
    var runId: String
    var spec: String
    var kind: ExperimentKind
    /// The dataset, with its content hash for a dataset given by path (`dataset_hash`).
    var dataset: DatasetName
    var model: ModelKind
    /// Filter counts per layer as runs.csv writes them, `-`-joined ("4-15"); empty for the
    /// baseline. Checked to be such a list when read.
    var filters: String
    /// The parameter columns, by column: one value for every entry of `Parameters.all`, read
    /// by its definition (`ParameterDefinition.value(cell:)`); a column the table lacks holds
    /// the default.
    var settings: [String: ParamValue]
    var seed: UInt64
    /// The filter counts the run ended with (`-`-joined, as `filters`); empty when it failed.
    var filterCounts: String
    /// The T_frac each layer chose under `dmn.tfrac: "auto"`; empty otherwise (and in tables
    /// written before the column existed).
    var tfracChosen: [Double]
    /// Per DMN/PCA layer, whether its spectra came from the PCA cache (`--pca-cache`); empty
    /// when the run asked for no reuse (and in tables written before the column existed).
    var spectraReused: [Bool]
    /// Whether `buildSeconds` is a from-scratch build: no layer took its spectra from the cache.
    var builtFromScratch: Bool { !spectraReused.contains(true) }
    /// Accuracies (0…1) and times; NaN when the run did not produce them (failed, infeasible).
    var trainAccuracy: Double
    var testAccuracy: Double
    var buildSeconds: Double
    var sgdSeconds: Double
    var totalSeconds: Double
    var status: RunStatus
    /// Why a run failed or is infeasible; empty for an ok run.
    var reason: String

    /// The value of a parameter column. Every column of `Parameters.all` is present by
    /// construction; any other column has no value (`.none`).
    func setting(_ column: String) -> ParamValue { settings[column] ?? ParamValue.none }

    /// The columns a runs.csv must have for its rows to be read (the parameter columns may be
    /// missing: a table written before a parameter existed holds its default).
    static let requiredColumns = ["run_id", "spec", "kind", "dataset", "model", "filters", "seed", "filter_counts",
                                  "train_acc", "test_acc", "build_s", "sgd_s", "total_s", "status", "reason"]

    /// Reads one row; throws the first field that is missing or malformed.
    init(_ row: ReportRow) throws(RowProblem) {
        let f = RowFields(row: row)
        runId = try f.text("run_id", nonEmpty: true)
        spec = try f.text("spec")
        kind = try f.choice("kind", ExperimentKind.self)
        let name = try f.text("dataset", nonEmpty: true)
        guard let d = DatasetName(tableName: name, contentHash: row.values["dataset_hash"]) else {
            throw RowProblem(column: "dataset", value: name, expected: "a dataset name")
        }
        dataset = d
        model = try f.choice("model", ModelKind.self)
        filters = try f.filterList("filters")
        var s: [String: ParamValue] = [:]
        for p in Parameters.all {
            guard let v = p.value(cell: row.values[p.column]) else {
                throw RowProblem(column: p.column, value: row.values[p.column], expected: p.type.expectation)
            }
            s[p.column] = v
        }
        settings = s
        let seedText = try f.text("seed")
        guard let sd = UInt64(seedText) else { throw RowProblem(column: "seed", value: seedText, expected: "an integer >= 0") }
        seed = sd
        filterCounts = try f.filterList("filter_counts")
        let chosen = row.values["tfrac_chosen"] ?? ""
        tfracChosen = try chosen.isEmpty ? [] : chosen.split(separator: "-").map { (part: Substring) throws(RowProblem) -> Double in
            guard let v = Double(part), v > 0, v <= 1 else {
                throw RowProblem(column: "tfrac_chosen", value: chosen, expected: "fractions in (0, 1] joined by -")
            }
            return v
        }
        let reused = row.values["spectra_reused"] ?? ""
        spectraReused = try reused.isEmpty ? [] : reused.split(separator: "-").map { (part: Substring) throws(RowProblem) -> Bool in
            guard part == "0" || part == "1" else {
                throw RowProblem(column: "spectra_reused", value: reused, expected: "0 or 1 per layer, joined by -")
            }
            return part == "1"
        }
        trainAccuracy = try f.number("train_acc")
        testAccuracy = try f.number("test_acc")
        buildSeconds = try f.number("build_s")
        sgdSeconds = try f.number("sgd_s")
        totalSeconds = try f.number("total_s")
        status = try f.choice("status", RunStatus.self)
        reason = try f.text("reason")
    }

    /// The rows of a runs.csv (`file` names it in problems), and one line per row left out.
    static func rows(of table: ParsedTable, file: String) -> (rows: [RunRow], problems: [String]) {
        readRows(table, file: file, required: requiredColumns, RunRow.init)
    }
}

extension EpochStats {
    /// The columns a history.csv must have; `loss`, `train_acc` and `seconds` read as NaN and
    /// `validation_acc` as none when a table lacks them (older results).
    static let requiredHistoryColumns = ["run_id", "epoch", "test_acc"]

    /// One history.csv row: its run id and epoch. `validation_acc` `nan` is "no validation
    /// split", as in the run file.
    static func historyRow(_ row: ReportRow) throws(RowProblem) -> (runId: String, epoch: EpochStats) {
        let f = RowFields(row: row)
        let id = try f.text("run_id", nonEmpty: true)
        let e = try f.text("epoch")
        guard let epoch = Int(e), epoch >= 1 else { throw RowProblem(column: "epoch", value: e, expected: "an integer >= 1") }
        let validation = try f.number("validation_acc", absent: .nan)
        return (id, EpochStats(epoch: epoch, loss: try f.number("loss", absent: .nan), trainAccuracy: try f.number("train_acc", absent: .nan),
                               testAccuracy: try f.number("test_acc"), seconds: try f.number("seconds", absent: .nan),
                               validationAccuracy: validation.isNaN ? nil : validation))
    }

    /// A history.csv's epochs by run id, each run's in epoch order (`file` names it in
    /// problems), and one line per row left out.
    static func histories(of table: ParsedTable, file: String) -> (histories: [String: [EpochStats]], problems: [String]) {
        let (rows, problems) = readRows(table, file: file, required: requiredHistoryColumns, historyRow)
        return (histories(rows), problems)
    }

    /// Epochs by run id, each run's in epoch order.
    static func histories(_ rows: [(runId: String, epoch: EpochStats)]) -> [String: [EpochStats]] {
        var out: [String: [EpochStats]] = [:]
        for r in rows { out[r.runId, default: []].append(r.epoch) }
        return out.mapValues { $0.sorted { $0.epoch < $1.epoch } }
    }
}

/// A field of a results table that is missing or does not hold what its column holds.
struct RowProblem: Error, Sendable, Equatable {
    var column: String
    /// The cell; nil when the row has no such column.
    var value: String?
    /// What the column holds ("a number (nan and inf allowed)", "one of …").
    var expected: String

    /// The problem within a table: "FILE, row N after the header: …".
    func text(file: String, row: Int) -> String {
        let found = value.map { "\"\(Self.shortened($0))\" is not \(expected)" } ?? "no value (expected \(expected))"
        return "\(file), row \(row) after the header: column \(column): \(found); row left out"
    }

    /// A long cell cut to its start, so that a damaged table cannot flood the report.
    static func shortened(_ s: String) -> String { s.count <= 40 ? s : String(s.prefix(40)) + "…" }
}

/// Reads each row of `table` with `parse`. When a required column is absent from the header,
/// every row is left out with one line naming the columns; otherwise each row that does not
/// parse is left out with a line naming its row and column.
func readRows<Row>(_ table: ParsedTable, file: String, required: [String],
               _ parse: (ReportRow) throws(RowProblem) -> Row) -> (rows: [Row], problems: [String]) {
    guard !table.rows.isEmpty else { return ([], []) }
    let missing = required.filter { !table.header.contains($0) }
    if !missing.isEmpty {
        return ([], ["\(file): no column\(missing.count == 1 ? "" : "s") \(missing.joined(separator: ", ")); its \(table.rows.count) rows left out"])
    }
    var rows: [Row] = [], problems: [String] = []
    for (i, r) in table.rows.enumerated() {
        do throws(RowProblem) { rows.append(try parse(r)) } catch { problems.append(error.text(file: file, row: i + 1)) }
    }
    return (rows, problems)
}

/// Typed reads of one row's fields, each throwing a `RowProblem` that names the column.
struct RowFields {
    var row: ReportRow

    func text(_ column: String, nonEmpty: Bool = false) throws(RowProblem) -> String {
        guard let v = row.values[column] else { throw RowProblem(column: column, value: nil, expected: nonEmpty ? "a non-empty text" : "a text") }
        if nonEmpty && v.isEmpty { throw RowProblem(column: column, value: v, expected: "a non-empty text") }
        return v
    }

    /// A number as `CSVTable.number` writes it: decimal, `nan`, `inf` or `-inf`. `absent`:
    /// the value when the row has no such column (nil: the column is required).
    func number(_ column: String, absent: Double? = nil) throws(RowProblem) -> Double {
        let expected = "a number (nan and inf allowed)"
        guard let v = row.values[column] else {
            if let absent { return absent }
            throw RowProblem(column: column, value: nil, expected: expected)
        }
        switch v.trimmingCharacters(in: .whitespaces).lowercased() {
        case "nan": return .nan
        case "inf", "+inf": return .infinity
        case "-inf": return -.infinity
        case let t:
            guard let d = Double(t), d.isFinite else { throw RowProblem(column: column, value: v, expected: expected) }
            return d
        }
    }

    func choice<E: RawRepresentable & CaseIterable>(_ column: String, _ type: E.Type) throws(RowProblem) -> E where E.RawValue == String {
        let v = try text(column)
        guard let e = E(rawValue: v) else { throw RowProblem(column: column, value: v, expected: "one of " + E.spellings.joined(separator: ", ")) }
        return e
    }

    /// Empty, or counts (integers >= 0) joined by `-` ("4-15").
    func filterList(_ column: String) throws(RowProblem) -> String {
        let v = try text(column)
        guard v.isEmpty || v.split(separator: "-", omittingEmptySubsequences: false).allSatisfy({ Int($0).map { $0 >= 0 } ?? false }) else {
            throw RowProblem(column: column, value: v, expected: "filter counts per layer joined by - (\"4-15\"), or empty")
        }
        return v
    }
}
