import Foundation
import XCTest
@testable import Models
import Numerics
@testable import Experiments
@testable import Models
#if canImport(Glibc)
import Glibc
#endif

/// A deterministic in-process stand-in for `ModelRunExecutor`, for the orchestration unit tests
/// (failures on demand, no data needed). The end-to-end tests use the real executor.
struct FakeExecutor: RunExecutor {
    var failIds: Set<String> = []
    var infeasibleIds: Set<String> = []
    var delay: Double = 0
    /// Called with each run id as it starts (to count executions across runners).
    var onExecute: (@Sendable (String) -> Void)? = nil

    struct Failure: Error, CustomStringConvertible { var description: String }

    func execute(_ run: ResolvedRun, dataDirectory: URL, threads: ThreadLayout, progress: @escaping @Sendable (RunProgress) -> Void) throws -> RunOutcome {
        let id = RunIdentity.id(of: run)
        progress(RunProgress(phase: "build", epoch: 0, epochs: run.training.epochs, fraction: 0))
        if delay > 0 { Thread.sleep(forTimeInterval: delay) }
        onExecute?(id)
        if infeasibleIds.contains(id) { throw InfeasibleConfiguration(description: "fake: 16 filters cannot be met") }
        if failIds.contains(id) { throw Failure(description: "fake failure, with \"quotes\", commas\nand a newline") }
        let x = Double(UInt64(id, radix: 16)! % 1000) / 1000
        var o = RunOutcome()
        o.testAccuracy = 0.5 + 0.4 * x
        o.trainAccuracy = 0.52 + 0.4 * x
        o.filterCounts = run.filters
        o.relaxedTv = run.filters.map { $0 % 2 == 0 }
        o.buildSeconds = Double.random(in: 0..<1)   // timings differ between identical runs
        o.sgdSeconds = Double.random(in: 0..<1)
        for e in 1...run.training.epochs {
            o.history.append(EpochStats(epoch: e, loss: 1 / Double(e) + x, trainAccuracy: x, testAccuracy: x / 2,
                                         seconds: Double.random(in: 0..<1)))
        }
        if run.kind == .convergence {
            o.lambdas = (1...5).map { ConvergenceRecorder.Record(step: $0, imagesSeen: $0 * 64, layer: 1, lambda: x / Double($0), detrended: 0, smoothed: .nan) }
        }
        if run.kind == .fluctuation {
            o.extraTables = [ExtraTable(name: "fluctuation", header: ["class", "note"], rows: [["0", "a,b"], ["1", "say \"hi\""]])]
        }
        return o
    }
}

enum TestFiles {
    /// A fresh empty folder, removed at the end of the test.
    static func tempDir(_ test: XCTestCase, _ label: String = "t") -> URL {
        let url = URL(fileURLWithPath: NSTemporaryDirectory())
            .appendingPathComponent("repro-tests-\(label)-\(getpid())-\(UUID().uuidString.prefix(8))", isDirectory: true)
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    @discardableResult
    static func write(_ text: String, _ name: String, in dir: URL) -> URL {
        let url = dir.appendingPathComponent(name)
        try! Data(text.utf8).write(to: url)
        return url
    }

    static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }
}

/// The `repro` executable built alongside the tests.
enum ReproBinary {
    static let url: URL? = {
        let fm = FileManager.default
        var candidates: [URL] = []
        if let p = ProcessInfo.processInfo.environment["REPRO_BINARY"] { candidates.append(URL(fileURLWithPath: p)) }
        for b in [Bundle.main] + Bundle.allBundles {
            candidates.append(b.bundleURL.deletingLastPathComponent().appendingPathComponent("repro"))
            if let e = b.executableURL { candidates.append(e.deletingLastPathComponent().appendingPathComponent("repro")) }
        }
        for config in ["debug", "release"] {
            candidates.append(TestFiles.packageRoot.appendingPathComponent(".build/\(config)/repro"))
        }
        return candidates.first { fm.isExecutableFile(atPath: $0.path) }
    }()

    static func require() throws -> URL {
        guard let u = url else {
            XCTFail("cannot find the repro executable next to the test bundle or in .build/; build it with `swift build`")
            throw XCTSkip("no repro binary")
        }
        return u
    }

    struct Result { var status: Int32; var stdout: String; var stderr: String }

    /// Runs the binary to completion.
    static func run(_ args: [String], cwd: URL? = nil, env: [String: String] = [:], timeout: Double = 600) throws -> Result {
        let p = try start(args, cwd: cwd, env: env)
        let deadline = Date().addingTimeInterval(timeout)
        while p.process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        if p.process.isRunning { kill(p.process.processIdentifier, SIGKILL); p.process.waitUntilExit() }
        p.process.waitUntilExit()
        return Result(status: p.process.terminationStatus, stdout: p.stdout(), stderr: p.stderr())
    }

    final class Running {
        let process: Process
        let outURL: URL
        let errURL: URL
        init(process: Process, outURL: URL, errURL: URL) { self.process = process; self.outURL = outURL; self.errURL = errURL }
        func stdout() -> String { (try? String(contentsOf: outURL, encoding: .utf8)) ?? "" }
        func stderr() -> String { (try? String(contentsOf: errURL, encoding: .utf8)) ?? "" }
        func killHard() { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
        deinit {
            try? FileManager.default.removeItem(at: outURL)
            try? FileManager.default.removeItem(at: errURL)
        }
    }

    /// Starts the binary; output goes to temp files (no pipe buffers to fill).
    static func start(_ args: [String], cwd: URL? = nil, env: [String: String] = [:]) throws -> Running {
        let bin = try require()
        let p = Process()
        p.executableURL = bin
        p.arguments = args
        if let c = cwd { p.currentDirectoryURL = c }
        var e = ProcessInfo.processInfo.environment
        for (k, v) in env { e[k] = v }
        p.environment = e
        let tag = UUID().uuidString.prefix(8)
        let o = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("repro-out-\(tag)")
        let r = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("repro-err-\(tag)")
        _ = FileManager.default.createFile(atPath: o.path, contents: nil)
        _ = FileManager.default.createFile(atPath: r.path, contents: nil)
        p.standardOutput = try FileHandle(forWritingTo: o)
        p.standardError = try FileHandle(forWritingTo: r)
        p.standardInput = FileHandle(forReadingAtPath: "/dev/null")
        try p.run()
        return Running(process: p, outURL: o, errURL: r)
    }
}

/// Fashion-MNIST, the only dataset the end-to-end tests use: the Debian package
/// `dataset-fashion-mnist` installs it in /usr/share/datasets/fashion-mnist, where `repro` finds
/// it without a data directory.
enum FashionMNIST {
    static let systemPath = "/usr/share/datasets/fashion-mnist"
    static let files = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]

    static func isComplete(_ dir: String) -> Bool {
        let fm = FileManager.default
        return files.allSatisfy { fm.fileExists(atPath: "\(dir)/\($0)") || fm.fileExists(atPath: "\(dir)/\($0).gz") }
    }

    /// Skips the test unless `repro` can find the data (the system package, or
    /// `$REPRO_DATA/fashion-mnist`, or `~/.cache/repro-data/fashion-mnist`).
    static func require() throws {
        let env = ProcessInfo.processInfo.environment
        var home = env["HOME"] ?? ""
        if home.isEmpty { home = NSHomeDirectory() }
        let dataDir = env["REPRO_DATA"].flatMap { $0.isEmpty ? nil : $0 } ?? "\(home)/.cache/repro-data"
        if isComplete(systemPath) || isComplete("\(dataDir)/fashion-mnist") { return }
        throw XCTSkip("Fashion-MNIST is not installed: install the Debian package with `sudo apt-get install dataset-fashion-mnist` "
                      + "(it puts the files in \(systemPath)), or put the four IDX files in \(dataDir)/fashion-mnist")
    }
}

enum Tables {
    /// A CSV file parsed into rows (header first).
    static func read(_ url: URL) -> [[String]] {
        CSVTable.parse((try? String(contentsOf: url, encoding: .utf8)) ?? "")
    }

    /// Rows without the timing columns, as sorted lines, for comparing two folders.
    static func withoutTimings(_ url: URL) -> [String] {
        let rows = read(url)
        guard let header = rows.first else { return [] }
        let keep = header.indices.filter { !ResultTables.timingColumns.contains(header[$0]) }
        return rows.map { r in keep.map { $0 < r.count ? r[$0] : "<missing>" }.joined(separator: "|") }
    }

    /// The values of one column of runs.csv, keyed by run id.
    static func column(_ name: String, of dir: URL, file: StaticString = #filePath, line: UInt = #line) -> [String: String] {
        let rows = read(dir.appendingPathComponent("runs.csv"))
        guard let header = rows.first, let c = header.firstIndex(of: name) else {
            XCTFail("runs.csv in \(dir.path) has no column \(name)", file: file, line: line)
            return [:]
        }
        var out: [String: String] = [:]
        for r in rows.dropFirst() where c < r.count { out[r[0]] = r[c] }
        return out
    }

    static func csvNames(_ dir: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []).filter { $0.hasSuffix(".csv") }.sorted()
    }

    /// Asserts that two output folders hold the same tables apart from timing columns.
    static func assertSame(_ a: URL, _ b: URL, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(csvNames(a), csvNames(b), "table files differ", file: file, line: line)
        for name in csvNames(a) {
            let x = withoutTimings(a.appendingPathComponent(name)), y = withoutTimings(b.appendingPathComponent(name))
            XCTAssertEqual(x.count, y.count, "\(name): row counts differ", file: file, line: line)
            XCTAssertEqual(x, y, "\(name) differs", file: file, line: line)
        }
    }

    /// Every file of an output folder parses; returns the run ids of the run files.
    @discardableResult
    static func assertParseable(_ dir: URL, file: StaticString = #filePath, line: UInt = #line) -> [String] {
        let folder = ResultFolder(dir)
        var ids: [String] = []
        for id in folder.runIds() {
            do {
                let r = try RunRecord.read(folder.runFile(id))
                XCTAssertEqual(r.runId, id, file: file, line: line)
                ids.append(id)
            } catch {
                XCTFail("\(folder.runFile(id).path) does not parse: \(error)", file: file, line: line)
            }
        }
        for name in csvNames(dir) {
            let rows = read(dir.appendingPathComponent(name))
            XCTAssertFalse(rows.isEmpty, "\(name) is empty", file: file, line: line)
            if let h = rows.first {
                for r in rows { XCTAssertEqual(r.count, h.count, "\(name): ragged row \(r)", file: file, line: line) }
            }
        }
        // Nothing else lies around but partial temp files (which no *.csv / *.json glob matches).
        let fm = FileManager.default
        for name in (try? fm.contentsOfDirectory(atPath: dir.path)) ?? [] {
            let known = name.hasSuffix(".csv") || name == "provenance.json" || name == ".lock" || name == ".locks" || name == "runs"
                || name == "cache"
            XCTAssertTrue(known || (name.hasPrefix("tmp-") && name.hasSuffix(".partial")), "unexpected file \(name)", file: file, line: line)
        }
        // The PCA cache (`--pca-cache on`) holds whole entries only, and partial temps a kill left.
        let pca = dir.appendingPathComponent(SpectraCache.folder)
        for name in (try? fm.contentsOfDirectory(atPath: pca.path)) ?? [] {
            XCTAssertTrue(name.hasSuffix("." + SpectraCache.fileExtension) || (name.hasPrefix("tmp-") && name.hasSuffix(".partial")),
                          "unexpected file \(SpectraCache.folder)/\(name)", file: file, line: line)
        }
        for name in (try? fm.contentsOfDirectory(atPath: folder.runsDirectory.path)) ?? [] {
            if name.hasSuffix(".weights") {
                // A run's saved weights (a killed run may leave some without its run file; it is redone).
                for f in (try? fm.contentsOfDirectory(atPath: folder.runsDirectory.appendingPathComponent(name).path)) ?? [] {
                    XCTAssertTrue(f.hasSuffix(".npy") || f.hasSuffix(".csv") || (f.hasPrefix("tmp-") && f.hasSuffix(".partial")),
                                  "unexpected file runs/\(name)/\(f)", file: file, line: line)
                }
                continue
            }
            XCTAssertTrue(name.hasSuffix(".json") || name == "quarantine" || (name.hasPrefix("tmp-") && name.hasSuffix(".partial")),
                          "unexpected file runs/\(name)", file: file, line: line)
        }
        // A run file that names weight files has them all (they are written before it).
        for id in ids {
            if let w = folder.record(id)?.weights {
                XCTAssertTrue(w.isComplete(in: folder.runsDirectory), "run \(id) names missing weight files", file: file, line: line)
            }
        }
        if FileManager.default.fileExists(atPath: folder.provenanceFile.path) {
            let d = try? Data(contentsOf: folder.provenanceFile)
            XCTAssertNotNil(d.flatMap { try? JSONSerialization.jsonObject(with: $0) }, "provenance.json does not parse", file: file, line: line)
        }
        return ids
    }
}
