import ArgumentParser
import Experiments
import Foundation

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Execute the runs of a spec that are not done yet.",
        discussion: """
        Expands SPEC into its grid of runs, skips every run whose file runs/<id>.json in the \
        output folder records status ok (and, unless --retry-failed, status failed), and executes \
        the rest. Each finished run is written atomically to runs/<id>.json and the CSV tables are \
        rebuilt, so a run that is killed loses at most the runs in flight; run the same command \
        again to resume. A run that fails (an error, a NaN loss) is recorded as failed and the \
        others go on.

        Examples:
          repro run experiments/quick.json
          repro run experiments/fig3.json --jobs 2 --out /scratch/fig3
          repro run experiments/fig3.json --shard 2/4 --out results/fig3-2
          repro run experiments/fig3.json --dry-run
          parallel repro run fig3.json --shard {}/4 --out out-{} ::: 1 2 3 4

        Exit status: 0 if every run of the plan is ok, 1 if any failed (now or earlier and not \
        retried), 2 if the spec is invalid (then nothing is written).
        """)

    @Argument(help: ArgumentHelp("The experiment spec (JSON).", valueName: "spec"))
    var spec: String

    @OptionGroup var execution: ExecutionOptions
    @OptionGroup var common: CommonOptions

    func run() throws {
        let s = try CLI.loadSpec(spec)
        try CLI.execute(spec: s, common: common, execution: execution)
    }
}
