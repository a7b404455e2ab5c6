import Foundation
import XCTest
@testable import Experiments
import Numerics
#if canImport(Glibc)
import Glibc
#endif

/// Issue #26's smaller items: flags, spec values and environment a hostile user gives, each
/// answered with a clear reason (the file, the key, the allowed values).
final class HostileInputTests: XCTestCase {
    static let spec = #"{"name": "hostile", "datasets": ["mnist"], "models": ["baseline"], "seeds": [1]}"#

    /// Before: `--out ''` wrote into the current directory. Now it is a usage error.
    func testEmptyOutIsAUsageError() throws {
        let dir = TestFiles.tempDir(self, "empty-out")
        TestFiles.write(Self.spec, "s.json", in: dir)
        for verb in ["run", "plan"] {
            let r = try ReproBinary.run([verb, "s.json", "--out", ""], cwd: dir)
            XCTAssertEqual(r.status, ExitStatus.usage, "\(verb): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains("--out"), r.stderr)
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["s.json"])
    }

    /// Before: a symbolic link loop as --out was reported as "File exists", and a folder given
    /// as the spec as "cannot read the file". Now each reason is named.
    func testSymlinkLoopAsOutAndFolderAsSpecHaveReasons() throws {
        let dir = TestFiles.tempDir(self, "loop")
        TestFiles.write(Self.spec, "s.json", in: dir)
        XCTAssertEqual(symlink("loop", dir.appendingPathComponent("loop").path), 0)
        let r = try ReproBinary.run(["run", "s.json", "--out", "loop"], cwd: dir)
        XCTAssertEqual(r.status, ExitStatus.outputFolder, r.stderr)
        XCTAssertTrue(r.stderr.contains("symbolic link loop"), r.stderr)
        XCTAssertFalse(r.stderr.contains("File exists"), r.stderr)
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("specs"), withIntermediateDirectories: false)
        let f = try ReproBinary.run(["run", "specs"], cwd: dir)
        XCTAssertEqual(f.status, 2, f.stderr)
        XCTAssertTrue(f.stderr.contains("specs: is a folder, not a spec file"), f.stderr)
    }

    /// Before: seeds from 9e15 up were refused with "expected an integer >= 0". Now the
    /// message names the largest allowed value.
    func testTooLargeSeedNamesTheUpperLimit() throws {
        for seed in ["9000000000000000", "1e300"] {
            let json = #"{"name": "s", "datasets": ["mnist"], "models": ["dmn"], "seeds": [\#(seed)]}"#
            XCTAssertThrowsError(try SpecLoader.load(data: Data(json.utf8), file: "s.json")) { e in
                let msg = String(describing: e)
                XCTAssertTrue(msg.contains("s.json:1: seeds[0]: found \(seed); expected an integer of at most 8999999999999999"), msg)
            }
        }
        // The limit itself is accepted.
        let ok = #"{"name": "s", "datasets": ["mnist"], "models": ["dmn"], "seeds": [8999999999999999]}"#
        XCTAssertEqual(try SpecLoader.load(data: Data(ok.utf8), file: "s.json").plannedRuns().first?.run.seed, 8_999_999_999_999_999)
    }

    /// Before: an error quoting a 10,000-layer `filters` string printed all 20 kB of it. Now a
    /// quoted value is cut to 40 characters and its length.
    func testLongSpecValuesAreCutInErrors() throws {
        let filters = Array(repeating: "4", count: 10_000).joined(separator: ",")
        let json = #"{"name": "s", "datasets": ["mnist"], "models": ["dmn"], "filters": ["\#(filters)"]}"#
        XCTAssertThrowsError(try SpecLoader.load(data: Data(json.utf8), file: "s.json")) { e in
            let msg = String(describing: e)
            XCTAssertLessThan(msg.count, 600, msg)
            XCTAssertTrue(msg.contains("(\(filters.count) characters)"), msg)
        }
    }

    /// Before: OPENBLAS_NUM_THREADS=1000 was recorded as 1000 threads. Now each run's threads
    /// are capped at the cores (as OpenBLAS caps the variable), and the OpenBLAS count recorded
    /// is what OpenBLAS reports.
    func testOpenBLASThreadsAreRecordedAsOpenBLASReportsThem() {
        let r = ThreadPlan.configure(jobs: 1, cores: 2, environment: ["OPENBLAS_NUM_THREADS": "1000"])
        XCTAssertEqual(r.layout.blasThreads, BLAS.threads)
        XCTAssertEqual(r.layout.workers, 2)
        XCTAssertTrue(r.warning?.contains("OPENBLAS_NUM_THREADS=1000 exceeds the 2 cores") ?? false, r.warning ?? "no warning")
    }

    /// Before: `repro plan` printed DMN parameters (`tfrac=…`) on ConvNet and baseline rows and
    /// `init=…` on DMN rows. Now each row shows only what its model uses.
    func testPlanShowsOnlyTheParametersAModelUses() throws {
        let json = #"""
        {"name": "p", "datasets": ["mnist"], "models": ["dmn", "convnet", "baseline"], "seeds": [1],
         "dmn": {"tfrac": [0.3, 0.5]}, "training": {"init": ["he", "glorot-uniform"]}}
        """#
        let runs = try SpecLoader.load(data: Data(json.utf8), file: "p.json").plannedRuns()
        for r in runs {
            let uses = Parameters.all.filter { def in
                var values: [ParamValue] = []
                for x in runs where !values.contains(def.get(x.run)) { values.append(def.get(x.run)) }
                return values.count > 1 && def.isUsed(by: r.run, trying: values)
            }.map(\.key)
            switch r.run.model {
            case .dmn: XCTAssertEqual(uses, ["tfrac"], "\(r.id)")
            case .convnet: XCTAssertEqual(uses, ["init"], "\(r.id)")
            default: XCTAssertEqual(uses, [], "\(r.run.model)")
            }
        }
        let dir = TestFiles.tempDir(self, "plan")
        TestFiles.write(json, "p.json", in: dir)
        let r = try ReproBinary.run(["plan", "p.json", "--out", "out"], cwd: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, runs.count + 2, r.stdout)
        for line in lines.dropFirst() {
            if line.contains(" dmn ") { XCTAssertTrue(line.contains("tfrac=") && !line.contains("init="), line) }
            if line.contains(" convnet ") { XCTAssertTrue(line.contains("init=") && !line.contains("tfrac="), line) }
            if line.contains(" baseline ") { XCTAssertFalse(line.contains("init=") || line.contains("tfrac="), line) }
        }
    }
}
