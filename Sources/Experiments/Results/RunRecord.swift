import Foundation
import Numerics

public enum RunStatus: String, Codable, CaseIterable, Sendable {
    /// `infeasible`: the method cannot build this configuration by design (a result, with its
    /// reason); `failed`: anything else went wrong.
    case ok, failed, infeasible
}

public struct SpecReference: Codable, Hashable, Sendable {
    var name: String
    /// First 12 hex digits of the SHA-256 of the spec file's bytes.
    var hash: String
    var file: String
    public init(name: String, hash: String, file: String) { self.name = name; self.hash = hash; self.file = file }
}

struct RunTimings: Codable, Hashable, Sendable {
    /// ISO 8601, UTC.
    var started: String
    var finished: String
    /// Wall-clock seconds of the whole run as the orchestrator measured it.
    var totalSeconds: Double
    init(started: String, finished: String, totalSeconds: Double) {
        self.started = started; self.finished = finished; self.totalSeconds = totalSeconds
    }
}

/// The file `runs/<id>.json`: everything about one finished run.
public struct RunRecord: Codable, Hashable, Sendable {
    /// 2 since the run object is laid out by section (`data`, `convergence` included) and
    /// ids leave defaults out; `repro migrate` rewrites format-1 folders.
    static let currentFormat = 2
    var format: Int = RunRecord.currentFormat
    public var runId: String
    public var status: RunStatus
    /// Why the run failed or is infeasible (the executor's error); null when ok. Always
    /// present in the file, as `"reason": null` for an ok run (see `encode(to:)`).
    var reason: String?
    var spec: SpecReference
    public var run: ResolvedRun
    /// nil when the run failed.
    var outcome: RunOutcome?
    var timings: RunTimings
    var host: String
    var reproVersion: String
    /// The executor's type name (ModelRunExecutor, or a test's executor).
    var executor: String
    /// How the arithmetic was spread over threads and which BLAS kernels did it: the outcome
    /// is bit-reproducible only for the same layout (docs/results-format.md). Nil in files
    /// written before it was recorded.
    var layout: ComputeLayout? = nil
    /// The weight files saved beside the run file (`repro run --weights`); absent when none
    /// were saved. Not part of `resultSignature`: saving does not change the outcome.
    public var weights: WeightManifest? = nil

    init(runId: String, status: RunStatus, reason: String?, spec: SpecReference, run: ResolvedRun,
                outcome: RunOutcome?, timings: RunTimings, host: String = ProcessInfo.processInfo.hostName,
                reproVersion: String = ReproVersion.string, executor: String) {
        self.runId = runId; self.status = status; self.reason = reason; self.spec = spec; self.run = run
        self.outcome = outcome; self.timings = timings; self.host = host; self.reproVersion = reproVersion
        self.executor = executor
    }

    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return e
    }()

    static let decoder: JSONDecoder = {
        let d = JSONDecoder()
        d.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return d
    }()

    func encoded() throws -> Data {
        var d = try RunRecord.encoder.encode(self)
        d.append(0x0A)
        return d
    }

    static func read(_ url: URL) throws -> RunRecord {
        try decode(Data(contentsOf: url))
    }

    static func decode(_ data: Data) throws -> RunRecord {
        struct Format: Decodable { var format: Int }
        let format = try decoder.decode(Format.self, from: data).format
        guard format == currentFormat else { throw RunFileFormatError(found: format) }
        return try decoder.decode(RunRecord.self, from: data)
    }

    /// Canonical text of everything that must agree between two copies of the same run
    /// (merge): the run's parameters, status, reason and outcome, with timing fields zeroed.
    func resultSignature() throws -> String {
        var o = outcome
        if var oo = o {
            oo.buildSeconds = 0
            oo.sgdSeconds = 0
            oo.history = oo.history.map { var h = $0; h.seconds = 0; return h }
            o = oo
        }
        struct Sig: Encodable { var status: RunStatus; var reason: String?; var outcome: RunOutcome? }
        let encoder = JSONEncoder()
        encoder.nonConformingFloatEncodingStrategy = RunRecord.encoder.nonConformingFloatEncodingStrategy
        var node = try JSONReader.parse(encoder.encode(Sig(status: status, reason: reason, outcome: o)))
        guard case .object(var members) = node.value else { preconditionFailure("a struct encodes as an object") }
        members.append(JSONMember(key: "run", value: RunIdentity.canonicalParameters(of: run)))
        node.value = .object(members)
        return CanonicalJSON.serialize(node)
    }
}

/// A run file of another format than this version writes.
struct RunFileFormatError: Error, CustomStringConvertible {
    let found: Int
    var description: String {
        found < RunRecord.currentFormat
            ? "run file format \(found) is older than this version's \(RunRecord.currentFormat); convert the folder once with `repro migrate FOLDER`"
            : "run file format \(found) is newer than this version's \(RunRecord.currentFormat); use a newer repro"
    }
}

public enum ReproVersion {
    public static let string = "0.1.0"
}

enum ISOTime {
    static func now() -> String { string(Date()) }
    static func string(_ d: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        f.timeZone = TimeZone(identifier: "UTC")
        return f.string(from: d)
    }
}

extension RunRecord {
    enum CodingKeys: String, CodingKey {
        case format, runId, status, reason, spec, run, outcome, timings, host, reproVersion, executor, layout, weights
    }

    /// As the synthesized encoder, except that `reason` is always written (`null` when ok), as
    /// docs/results-format.md documents, so a reader can tell "no reason" from "old format".
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(format, forKey: .format)
        try c.encode(runId, forKey: .runId)
        try c.encode(status, forKey: .status)
        try c.encode(reason, forKey: .reason)
        try c.encode(spec, forKey: .spec)
        try c.encode(run, forKey: .run)
        try c.encodeIfPresent(outcome, forKey: .outcome)
        try c.encode(timings, forKey: .timings)
        try c.encode(host, forKey: .host)
        try c.encode(reproVersion, forKey: .reproVersion)
        try c.encode(executor, forKey: .executor)
        try c.encodeIfPresent(layout, forKey: .layout)
        try c.encodeIfPresent(weights, forKey: .weights)
    }
}

/// The thread layout and BLAS kernel family a run executed with.
struct ComputeLayout: Codable, Hashable, Sendable {
    /// OpenBLAS threads of each BLAS call (`ThreadLayout.blasThreads`).
    var blasThreads: Int
    /// Threads that worked the run's parallel sections (`ThreadLayout.workers`); nil in files
    /// written before it was recorded, when the count was `blasThreads`.
    var workers: Int?
    /// OpenBLAS's kernel family, e.g. "Haswell", "SkylakeX", "Prescott".
    var blasCore: String
    /// Runs executing at once in the process (`--jobs`).
    var jobs: Int
    init(threads: ThreadLayout, blasCore: String, jobs: Int) {
        self.blasThreads = threads.blasThreads; self.workers = threads.workers; self.blasCore = blasCore; self.jobs = jobs
    }
}
