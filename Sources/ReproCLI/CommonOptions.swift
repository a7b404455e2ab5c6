import ArgumentParser
import Datasets
import Experiments
import Foundation
import Report

/// Options every verb that touches data or results understands.
struct CommonOptions: ParsableArguments {
    @Option(name: .customLong("data-dir"),
            help: ArgumentHelp("Folder holding the datasets (default: $REPRO_DATA, else ~/.cache/repro-data).",
                               valueName: "dir"))
    var dataDir: String?

    @Option(name: .long, help: ArgumentHelp("Output folder (default: results/<spec name>/).", valueName: "dir"))
    var out: String?

    @Flag(name: .long, help: "Print nothing but errors.")
    var quiet = false

    init() {}

    func validate() throws {
        // An empty --out would write into the current directory.
        if let o = out, o.trimmingCharacters(in: .whitespaces).isEmpty {
            throw ValidationError("--out: found an empty folder name; give a folder (default: results/<spec name>/)")
        }
    }

    var dataDirectory: URL { DataDirectory.resolve(flag: dataDir) }

    func outputFolder(defaultName: String) -> ResultFolder {
        ResultFolder(URL(fileURLWithPath: out ?? "results/\(defaultName)", isDirectory: true))
    }
}

/// Options of the verbs that execute runs (`run`, `sweep`).
struct ExecutionOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("""
        Runs at once. Each run gets cores ÷ jobs threads (its gradient shards and DMN class \
        groups; OpenBLAS single-threaded), so that threads × jobs ≤ cores, unless \
        OPENBLAS_NUM_THREADS is set (then it is each run's thread count, with a warning if jobs × \
        it exceeds the cores). The layout is set once, before any run starts.
        """, valueName: "n"))
    var jobs: Int = 1

    @Option(name: .long, help: ArgumentHelp("""
        Only shard I of N (1-based): the sorted run ids, every N-th starting at the I-th. Shards \
        together cover every run exactly once; join their folders with `repro merge`.
        """, valueName: "I/N"))
    var shard: String?

    @Flag(name: .long, help: "Print the runs that would be executed (and which are done) and write nothing.")
    var dryRun = false

    @Flag(name: .long, help: "Run again the runs whose file records a failure (by default they are skipped).")
    var retryFailed = false

    // Not a spec key on purpose: saving weights does not change a run's outcome, so it is not
    // part of the run's identity; like --jobs it says how a spec is run, not what it runs.
    @Option(name: .long, help: ArgumentHelp("""
        Which runs save their layers' weights as .npy files in runs/<id>.weights/ (named by the \
        run file): auto = classify runs with at most 2^20 parameters (every network of the paper; \
        at most 1.4 MB), all = every run with a network, none.
        """, valueName: "which"))
    var weights: WeightSaving = .auto

    // Not a spec key either: reused spectra are the bytes a run would compute, so the cache
    // changes build times only, never a result or a run id. Off by default for `run`, whose
    // build times the report's time claims compare as from-scratch builds; on for `sweep`,
    // whose points differ only in the thresholds the cache is for.
    @Option(name: .long, help: ArgumentHelp("""
        Reuse each DMN layer's class density matrices and their eigenvectors between runs that \
        differ only in T_v, T_PC, the filter count, the similarity, the visit order or the sign \
        rule (one PCA for all thresholds; results are bit for bit those without it): on = in \
        memory and on disk in <output folder>/cache/pca/, memory = in this process only, off. \
        Default: off for `repro run` (build times stay from-scratch builds), on for `repro sweep`. \
        runs.csv's spectra_reused marks the layers that took their spectra from the cache.
        """, valueName: "on|memory|off"))
    var pcaCache: PCACacheMode?

    init() {}

    func validate() throws {
        guard jobs >= 1 else { throw ValidationError("--jobs must be at least 1 (found \(jobs))") }
        if let s = shard, case .failure(let e) = Shard.parse(s) { throw ValidationError("--shard: \(e.message)") }
    }

    var parsedShard: Shard? {
        guard let s = shard, case .success(let sh) = Shard.parse(s) else { return nil }
        return sh
    }
}

/// The results folders `report` and `plot` read.
struct ResultsInput: ParsableArguments {
    @Argument(help: ArgumentHelp("Results folders of `repro run` / `repro merge`.", valueName: "results"))
    var results: [String]

    @Option(name: .customLong("beyond-fig3"), parsing: .upToNextOption, help: ArgumentHelp("""
        Results folders that only the claims beyond Fig. 3 read (T_frac auto, less data, \
        pretraining, BatchNorm, one PCA for all thresholds; with the folders above), not the Fig. 3 \
        tables, sweeps, timings or the paper's own claims: a study made for one of those claims \
        (small training sets, one-epoch sweeps) then does not enter the paper's verdicts. \
        results/REPORT.md is made this way (scripts/artefacts.sh).
        """, valueName: "results"))
    var beyondFig3: [String] = []

    init() {}

    func validate() throws {
        if results.isEmpty { throw ValidationError("give at least one results folder") }
    }

    /// The folders as read: the paper's set, and the set the claims beyond Fig. 3 read (nil:
    /// the same), each folder named relative to `base`.
    func load(relativeTo base: URL) throws -> (paper: ResultSet, beyondFig3: ResultSet?) {
        let paper = try CLI.loadResults(results, relativeTo: base)
        let extra = beyondFig3.filter { !results.contains($0) }
        return (paper, extra.isEmpty ? nil : try CLI.loadResults(results + extra, relativeTo: base))
    }
}
