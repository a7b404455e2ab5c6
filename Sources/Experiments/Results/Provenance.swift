import Foundation
import Numerics

/// `provenance.json`: what produced an output folder. Written when `repro run` starts
/// (finished = null) and again when it ends.
struct Provenance: Codable, Sendable {
    var reproVersion: String = ReproVersion.string
    /// `git rev-parse HEAD` of the current directory when it is a checkout, else "unknown".
    var gitCommit: String = "unknown"
    /// Whether `git status --porcelain` reported local changes (nil when not a checkout).
    var gitDirty: Bool? = nil
    /// The command line, with the program as `repro` and paths relative (`PortablePaths`).
    var command: [String] = PortablePaths.command(CommandLine.arguments,
                                                         workingDirectory: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
    var specFile: String
    var specName: String
    var specHash: String
    var host: String = ProcessInfo.processInfo.hostName
    var cores: Int = ProcessInfo.processInfo.activeProcessorCount
    /// OpenBLAS threads of each BLAS call, and the worker threads of each run's parallel
    /// sections (`ThreadLayout`; `workers` is nil in folders written before it was recorded).
    var blasThreads: Int
    var workers: Int?
    /// OpenBLAS's kernel family (see `OpenBLASCore`); nil in folders written before it was recorded.
    var blasCore: String? = OpenBLASCore.current
    var jobs: Int
    /// "I/N" when sharded.
    var shard: String?
    var executor: String
    /// `--pca-cache` of the run: whether runs reused the layers' spectra, so that a build's
    /// seconds can be read (nil in folders written before it existed: no reuse).
    var pcaCache: PCACacheMode?
    var started: String
    var finished: String?
    var runsPlanned: Int
    var runsSkipped: Int
    var runsOk: Int?
    var runsFailed: Int?
    /// For `repro merge`: the folders merged.
    var mergedFrom: [String]?

    init(specFile: String, specName: String, specHash: String, threads: ThreadLayout, jobs: Int, shard: String?,
                executor: String, runsPlanned: Int, runsSkipped: Int) {
        self.specFile = specFile; self.specName = specName; self.specHash = specHash
        self.blasThreads = threads.blasThreads; self.workers = threads.workers; self.jobs = jobs; self.shard = shard; self.executor = executor
        self.started = ISOTime.now(); self.runsPlanned = runsPlanned; self.runsSkipped = runsSkipped
        let git = GitInfo.current()
        self.gitCommit = git.commit; self.gitDirty = git.dirty
    }

    func write(to folder: ResultFolder) throws {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        var d = try e.encode(self)
        d.append(0x0A)
        try AtomicFile.write(d, to: folder.provenanceFile)
    }
}

public enum GitInfo {
    /// Reads the commit at run time (not at build time): `git rev-parse HEAD` in `directory`
    /// (default: the current one), if git exists and the directory is a checkout.
    public static func current(in directory: URL? = nil) -> (commit: String, dirty: Bool?) {
        let run = { (args: [String]) in GitInfo.run((directory.map { ["-C", $0.path] } ?? []) + args) }
        guard let head = run(["rev-parse", "HEAD"]), head.count >= 7 else { return ("unknown", nil) }
        // Changes under the top-level results/ are outputs, not the code that makes them:
        // regenerating results in a checkout rewrites them, and must not mark later runs dirty.
        let status = run(["status", "--porcelain", "--untracked-files=no", "--", ":(top)", ":(top,exclude)results"])
        return (head, status.map { !$0.isEmpty })
    }

    static func run(_ args: [String]) -> String? {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["git"] + args
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle(forWritingAtPath: "/dev/null")
        p.standardInput = FileHandle(forReadingAtPath: "/dev/null")
        do { try p.run() } catch { return nil }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { return nil }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
