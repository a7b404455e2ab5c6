import ArgumentParser
import Experiments
import Foundation
import Report

enum CLI {
    static func err(_ text: String) {
        FileHandle.standardError.write(Data((text.hasSuffix("\n") ? text : text + "\n").utf8))
    }

    static func out(_ text: String) {
        FileHandle.standardOutput.write(Data((text.hasSuffix("\n") ? text : text + "\n").utf8))
    }

    /// Loads a spec; on error prints every problem and exits with status 2.
    static func loadSpec(_ path: String) throws -> ExperimentSpec {
        do {
            return try SpecLoader.load(path: path)
        } catch let e as SpecError {
            err(e.description)
            throw ExitCode(2)
        }
    }

    /// Reads results folders for `report` and `plot`, naming them relative to `base` (where the
    /// output goes); on error prints it and exits with status 1.
    static func loadResults(_ paths: [String], relativeTo base: URL) throws -> ResultSet {
        do {
            return try ResultSet.load(folders: paths.map { URL(fileURLWithPath: $0, isDirectory: true) }, relativeTo: base)
        } catch {
            err("error: \(error)")
            throw ExitCode(1)
        }
    }

    /// Plan lines: id, dataset, model, filters, the parameters that vary in this plan and
    /// that the row's model uses, state; the states; and why run files of the plan do not count.
    static func planTable(_ runs: [PlannedRun], folder: ResultFolder?) -> (lines: [String], states: [RunState], problems: [String]) {
        let varying = Parameters.all.compactMap { def -> (ParameterDefinition, [ParamValue])? in
            var values: [ParamValue] = []
            for r in runs { let v = def.get(r.run); if !values.contains(v) { values.append(v) } }
            return values.count > 1 ? (def, values) : nil
        }
        var rows: [[String]] = [["id", "dataset", "model", "filters", "parameters", "state"]]
        var states: [RunState] = [], problems: [String] = []
        for r in runs {
            var params = varying.filter { $0.0.isUsed(by: r.run, trying: $0.1) }.map { "\($0.0.key)=\($0.0.get(r.run))" }
            params.append("seed=\(r.run.seed)")
            var runState = RunState.pending
            if let f = folder {
                let check = f.check(r.id)
                runState = ExperimentRunner.state(of: check)
                if let p = ExperimentRunner.problem(of: check) { problems.append(p) }
            }
            states.append(runState)
            let state = runState.rawValue
            rows.append([r.id, r.run.dataset.rawValue, r.run.model.rawValue,
                         r.run.filters.isEmpty ? "-" : r.run.filters.map(String.init).joined(separator: ","),
                         params.joined(separator: " "), state])
        }
        let widths = (0..<6).map { c in rows.map { $0[c].count }.max() ?? 0 }
        let lines = rows.map { row in
            row.enumerated().map { c, v in c == 5 ? v : v.padding(toLength: widths[c], withPad: " ", startingAt: 0) }
                .joined(separator: "  ")
        }
        return (lines, states, problems)
    }

    /// Why some run files of the plan do not count, for `plan` and `run --dry-run` (which
    /// write nothing; `repro run` sets such files aside and redoes their runs).
    static func reportProblems(_ problems: [String]) {
        for p in problems { err("note: \(p); so the run is pending (`repro run` runs it again, setting aside a file that is not a result in runs/quarantine/)") }
    }

    /// Shared body of `run` and `sweep`.
    /// `pcaCache` is the command's default for `--pca-cache` when the option is not given.
    static func execute(spec: ExperimentSpec, common: CommonOptions, execution: ExecutionOptions, pcaCache: PCACacheMode) throws {
        let pcaCache = execution.pcaCache ?? pcaCache
        if !common.quiet { for w in spec.warnings { err("warning: " + w) } }
        var plan = spec.plannedRuns()
        let shard = execution.parsedShard
        if let s = shard { plan = s.select(plan) }
        let folder = common.outputFolder(defaultName: spec.name)

        if execution.dryRun {
            let table = planTable(plan, folder: folder)
            for line in table.lines { out(line) }
            reportProblems(table.problems)
            let states = table.states
            func count(_ s: RunState) -> Int { states.filter { $0 == s }.count }
            // Infeasible runs are results too (not run again); failed ones run again only with
            // --retry-failed. Only the nonzero counts beyond "done" are named.
            var parts = ["\(count(.done)) done"]
            if count(.infeasible) > 0 { parts.append("\(count(.infeasible)) infeasible (recorded, not run again)") }
            if count(.failed) > 0 { parts.append("\(count(.failed)) failed (run again with --retry-failed)") }
            parts.append("\(count(.pending)) to run")
            out("\(plan.count) runs\(shard.map { " in shard \($0)" } ?? ""): \(parts.joined(separator: ", ")); output folder \(folder.url.path)")
            return
        }

        // Once, before any run starts: runs execute concurrently and must not see it change.
        let threads = ThreadPlan.configure(jobs: execution.jobs)
        if let w = threads.warning, !common.quiet { err("warning: " + w) }
        var options = RunnerOptions(dataDirectory: common.dataDirectory,
                                    spec: SpecReference(name: spec.name, hash: spec.hash, file: spec.file))
        options.jobs = execution.jobs
        options.retryFailed = execution.retryFailed
        options.weights = execution.weights
        options.shard = shard
        options.threads = threads.layout
        options.pcaCache = pcaCache
        options.handleSignals = true
        let quiet = common.quiet
        let executor = makeDefaultExecutor(pcaCache: pcaCache, folder: folder.url,
                                           warn: { if !quiet { CLI.err("warning: " + $0) } })
        let runner = ExperimentRunner(executor: executor, folder: folder, options: options,
                                      progress: ProgressReporting.make(quiet: common.quiet))
        let summary: RunSummary
        do {
            summary = try runner.run(plan)
        } catch let e as OutputFolderError {
            err("error: \(e)")
            throw ExitCode(ExitStatus.outputFolder)
        } catch {
            err("error: \(error)")
            throw ExitCode(1)
        }
        if summary.exitCode != 0 { throw ExitCode(summary.exitCode) }
    }
}

/// Catches SIGINT and SIGTERM for the whole process: `repro`'s first statement.
public func installSignalHandling() { ProcessSignals.install() }
