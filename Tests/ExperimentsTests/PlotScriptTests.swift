import Foundation
import XCTest
@testable import Experiments
@testable import Report

/// Runs every gnuplot script of plot-scripts/ on a generated results folder, directly and
/// through `repro plot`. Skipped when gnuplot is not installed (CI installs gnuplot-nox).
final class PlotScriptTests: XCTestCase {
    static let scripts = ["fig1", "fig2", "fig3-top", "fig3-bottom"]
    static var scriptDir: URL { TestFiles.packageRoot.appendingPathComponent("plot-scripts") }

    static let gnuplot: URL? = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { URL(fileURLWithPath: String($0)).appendingPathComponent("gnuplot") }
            .first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }()

    func requireGnuplot() throws -> URL {
        guard let g = Self.gnuplot else { throw XCTSkip("gnuplot is not installed (Debian: apt-get install gnuplot-nox)") }
        return g
    }

    struct Output { var status: Int32; var text: String }

    /// Runs `exe` (gnuplot, for the plot-script tests of every suite) with its output and errors
    /// collected and no standard input.
    static func run(_ exe: URL, _ args: [String], cwd: URL? = nil) throws -> Output {
        let p = Process()
        p.executableURL = exe
        p.arguments = args
        if let c = cwd { p.currentDirectoryURL = c }
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("gp-\(UUID().uuidString.prefix(8)).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: log) }
        let h = try FileHandle(forWritingTo: log)
        p.standardOutput = h
        p.standardError = h
        p.standardInput = FileHandle(forReadingAtPath: "/dev/null")
        try p.run()
        p.waitUntilExit()
        try? h.close()
        return Output(status: p.terminationStatus, text: (try? String(contentsOf: log, encoding: .utf8)) ?? "")
    }

    static let pngSignature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    func assertImages(_ name: String, in dir: URL, file: StaticString = #filePath, line: UInt = #line) {
        let png = dir.appendingPathComponent(name + ".png"), svg = dir.appendingPathComponent(name + ".svg")
        guard let data = try? Data(contentsOf: png) else { return XCTFail("\(png.path) missing", file: file, line: line) }
        XCTAssertGreaterThan(data.count, 1000, "\(name).png is nearly empty", file: file, line: line)
        XCTAssertEqual(Array(data.prefix(8)), Self.pngSignature, "\(name).png lacks the PNG signature", file: file, line: line)
        let text = (try? String(contentsOf: svg, encoding: .utf8)) ?? ""
        XCTAssertTrue(text.contains("<svg"), "\(name).svg missing or not SVG", file: file, line: line)
    }

    func testTablesHaveDataForEveryFigure() throws {
        let dir = TestFiles.tempDir(self, "plot-tables")
        ReportFixtures.writeFolder(dir)
        let set = try ResultSet.load(folders: [dir], relativeTo: dir)
        let applicable = try PlotTables.write(set, to: dir)
        XCTAssertEqual(applicable, Self.scripts)
        let top = ParsedTable(csv: try String(contentsOf: dir.appendingPathComponent("fig3_top.csv"), encoding: .utf8))
        XCTAssertEqual(top.rows.map { $0["dataset"] }, ["MNIST", "MNIST", "CIFAR-10"])
        XCTAssertEqual(top.rows.map { $0["label"] }, ["4", "4+15", "8"])
        // Exact: percentages are rounded to k/10⁴ points and written shortest-round-trip, so they parse back to the
        // Double nearest the decimal.
        XCTAssertEqual(top.rows[0].number("dmn_mean"), 97.5)
        XCTAssertEqual(top.rows[0].number("dmn_err"), 0.2)
        XCTAssertEqual(top.rows[0].number("baseline_mean"), 92)
        let sweep = ParsedTable(csv: try String(contentsOf: dir.appendingPathComponent("fig3_sweep.csv"), encoding: .utf8))
        XCTAssertEqual(sweep.rows.filter { $0["param"] == "tpc" }.map { $0.number("value") }, [0.5, 0.8, 0.9, 1.0])
        XCTAssertEqual(sweep.rows.filter { $0["param"] == "tfrac" }.count, 3)
        let lambda = ParsedTable(csv: try String(contentsOf: dir.appendingPathComponent("fig1_lambda.csv"), encoding: .utf8))
        XCTAssertEqual(Set(lambda.rows.map { $0["dataset"] }), ["MNIST", "CIFAR-10"])
        XCTAssertEqual(lambda.rows.first { $0["dataset"] == "CIFAR-10" }?["runs"], "2")   // averaged over the two runs
        let hist = ParsedTable(csv: try String(contentsOf: dir.appendingPathComponent("fig2_histogram.csv"), encoding: .utf8))
        let width = hist.rows[0].number("hi") - hist.rows[0].number("lo")
        let area = hist.rows.reduce(0) { $0 + $1.number("density") * width }
        // Σ density·width = (increments in [q₀.₀₀₅, q₀.₉₉₅]) / N. The quantiles are order statistics at indices
        // round(p·(N−1)), so at least 0.99·(N−1) of the N lie inside; N ≥ the binned count n. Values round-trip exactly;
        // width re-derived from hi − lo adds a few ε.
        let inside = hist.rows.reduce(0) { $0 + $1.number("count") }
        XCTAssertGreaterThanOrEqual(area, 0.99 * (inside - 1) / inside - 1e-12)
        XCTAssertLessThanOrEqual(area, 1 + 1e-12)
        let variance = ParsedTable(csv: try String(contentsOf: dir.appendingPathComponent("fig2_variance.csv"), encoding: .utf8))
        XCTAssertEqual(variance.rows.count, 7)
        // A folder without data for a figure: no table for it, and a stale one is removed.
        let empty = TestFiles.tempDir(self, "plot-empty")
        TestFiles.write("stale", "fig1_lambda.csv", in: empty)
        var only = ResultSet()
        only.runs = set.runs.filter { $0.kind == .classify }
        XCTAssertEqual(try PlotTables.write(only, to: empty), ["fig3-top", "fig3-bottom"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: empty.appendingPathComponent("fig1_lambda.csv").path))
    }

    func testEveryScriptDrawsPNGAndSVG() throws {
        let gnuplot = try requireGnuplot()
        let dir = TestFiles.tempDir(self, "plot-direct")
        ReportFixtures.writeFolder(dir)
        try PlotTables.write(try ResultSet.load(folders: [dir], relativeTo: dir), to: dir)
        let out = dir.appendingPathComponent("figures")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        for name in Self.scripts {
            let r = try Self.run(gnuplot, ["-c", Self.scriptDir.appendingPathComponent(name + ".gp").path, dir.path, out.path])
            XCTAssertEqual(r.status, 0, "\(name).gp: \(r.text)")
            XCTAssertFalse(r.text.contains("warning"), "\(name).gp: \(r.text)")
            assertImages(name, in: out)
        }
        // OUT_DIR defaults to RESULTS_DIR.
        let r = try Self.run(gnuplot, ["-c", Self.scriptDir.appendingPathComponent("fig3-top.gp").path, dir.path])
        XCTAssertEqual(r.status, 0, r.text)
        assertImages("fig3-top", in: dir)
    }

    func testScriptsWithoutDataExitCleanly() throws {
        let gnuplot = try requireGnuplot()
        let dir = TestFiles.tempDir(self, "plot-nodata")
        // A table with a header only counts as no data too.
        TestFiles.write("param,series,series_label,value,n,mean,err,baseline_mean,baseline_err\n", "fig3_sweep.csv", in: dir)
        for name in Self.scripts {
            let r = try Self.run(gnuplot, ["-c", Self.scriptDir.appendingPathComponent(name + ".gp").path, dir.path])
            XCTAssertEqual(r.status, 0, "\(name).gp: \(r.text)")
            XCTAssertTrue(r.text.contains("\(name): no data"), "\(name).gp: \(r.text)")
            XCTAssertTrue(r.text.contains("Nothing written"), "\(name).gp: \(r.text)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent(name + ".png").path))
            XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent(name + ".svg").path))
        }
    }

    func testReproPlotCommand() throws {
        _ = try requireGnuplot()
        let dir = TestFiles.tempDir(self, "plot-cli")
        ReportFixtures.writeFolder(dir)
        let out = dir.appendingPathComponent("figs")
        // Run from a folder outside the repository: the scripts are found above the executable.
        let r = try ReproBinary.run(["plot", dir.path, "--out", out.path], cwd: FileManager.default.temporaryDirectory)
        XCTAssertEqual(r.status, 0, r.stderr)
        for name in Self.scripts { assertImages(name, in: out) }
        XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent("fig3_top.csv").path))
        // The report links the images lying beside it.
        let rep = try ReproBinary.run(["report", dir.path, "--out", out.appendingPathComponent("REPORT.md").path, "--quiet"])
        XCTAssertEqual(rep.status, 0, rep.stderr)
        let text = try String(contentsOf: out.appendingPathComponent("REPORT.md"), encoding: .utf8)
        XCTAssertTrue(text.contains("![fig3-top.png](fig3-top.png)"))

        // --tables-only writes the tables without images.
        let t = dir.appendingPathComponent("tables")
        let tr = try ReproBinary.run(["plot", dir.path, "--out", t.path, "--tables-only"])
        XCTAssertEqual(tr.status, 0, tr.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: t.appendingPathComponent("fig1_lambda.csv").path))
        XCTAssertFalse(FileManager.default.fileExists(atPath: t.appendingPathComponent("fig1.png").path))

        // A scripts folder without the scripts: a clear error.
        let bogus = TestFiles.tempDir(self, "plot-bogus")
        let b = try ReproBinary.run(["plot", dir.path, "--out", t.path, "--scripts", bogus.path])
        XCTAssertEqual(b.status, 1)
        XCTAssertTrue(b.stderr.contains("cannot find the gnuplot scripts"), b.stderr)

        // No gnuplot on PATH: the error names the Debian package.
        let np = try ReproBinary.run(["plot", dir.path, "--out", t.path], env: ["PATH": bogus.path])
        XCTAssertEqual(np.status, 1)
        XCTAssertTrue(np.stderr.contains("gnuplot-nox"), np.stderr)

        // Nothing to plot is not an error.
        let empty = TestFiles.tempDir(self, "plot-cli-empty")
        TestFiles.write(CSVTable(header: ResultTables.runColumns).text, "runs.csv", in: empty)
        let e = try ReproBinary.run(["plot", empty.path])
        XCTAssertEqual(e.status, 0, e.stderr)
        XCTAssertTrue(e.stderr.contains("nothing to plot"), e.stderr)
    }
}
