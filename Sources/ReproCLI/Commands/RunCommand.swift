import ArgumentParser
import Experiments
import Foundation

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Execute the runs of a spec that are not done yet.",
        discussion: """
        Expands SPEC into its grid of runs, skips every run whose file runs/<id>.json in the \
        output folder records status ok or infeasible (and, unless --retry-failed, failed), and \
        executes the rest. Each finished run is written atomically and durably (fsync of the file \
        and the folder) to runs/<id>.json before it is reported, and the CSV tables are rebuilt, \
        so a run reported ok is on disk and a kill loses at most the runs in flight; run the same \
        command again to resume. A run that fails (an error, a NaN loss) is recorded as failed and \
        the others go on; a configuration the method cannot build (more filters than T_PC leaves \
        directions) is recorded as infeasible, a result rather than a failure. A write error (a \
        full disk) stops the sweep at once. Ctrl-C or SIGTERM abandons the runs in flight, writes \
        the tables and the summary, and exits. Two invocations into one folder split the runs.

        Examples:
          repro run experiments/quick.json
          repro run experiments/fig3.json --jobs 2 --out /scratch/fig3
          repro run experiments/fig3.json --shard 2/4 --out results/fig3-2
          repro run experiments/fig3.json --dry-run
          parallel repro run fig3.json --shard {}/4 --out out-{} ::: 1 2 3 4

        Exit status: 0 if every run of the plan is ok or infeasible, 1 if any failed (now or \
        earlier and not retried), 2 if the spec is invalid (then nothing is written), 73 if the \
        output folder cannot be created or written, 75 if some runs were being run by another \
        process, 130/143 when stopped by SIGINT/SIGTERM.
        """)

    @Argument(help: ArgumentHelp("The experiment spec (JSON).", valueName: "spec"))
    var spec: String

    @OptionGroup var execution: ExecutionOptions
    @OptionGroup var common: CommonOptions

    func run() throws {
        let s = try CLI.loadSpec(spec)
        try CLI.execute(spec: s, common: common, execution: execution, pcaCache: .off)
    }
}
