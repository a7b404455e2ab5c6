import ArgumentParser
import Experiments

/// The `repro` command. Verbs live in Commands/, one type per file; register new ones in
/// `subcommandList` below.
public struct ReproCommand: ParsableCommand {
    /// Every verb of `repro`, in the order `repro --help` lists them.
    static let subcommandList: [ParsableCommand.Type] = [
        RunCommand.self,
        SweepCommand.self,
        ValidateCommand.self,
        SchemaCommand.self,
        PlanCommand.self,
        MergeCommand.self,
        MigrateCommand.self,
        DataCommand.self,
        BenchCommand.self,
        ReportCommand.self, PlotCommand.self,
        VersionCommand.self,
    ]

    public static let configuration = CommandConfiguration(
        commandName: "repro",
        abstract: "Reproduce \"Direct estimation of weights and efficient training of deep neural networks without SGD\" (Density Matrix Networks, arXiv 1703.04757).",
        discussion: """
        An experiment is a JSON spec (see experiments/ and docs/spec-format.md) that expands to a \
        grid of runs. `repro run` executes the runs that are not done yet into an output folder \
        (default results/<spec name>/): one JSON file per run in runs/, tidy CSV tables \
        (runs.csv, history.csv, lambda.csv, …) rebuilt after every run, and provenance.json \
        (see docs/results-format.md). Interrupted runs are redone on the next `repro run`; \
        finished ones are never redone.

        Examples:
          repro validate experiments/*.json
          repro plan experiments/quick.json
          repro run experiments/quick.json
          repro run experiments/fig3.json --jobs 2 --shard 1/4 --out results/f3-1
          repro merge results/f3-* --out results/fig3
          repro sweep --param tpc --dataset mnist

        Exit status: 0 when every run is ok or infeasible, 1 when any run failed, 2 for spec \
        errors and refused merges, 64 for command-line usage errors, 73 when the output folder \
        cannot be created or written, 75 when runs were left to another process, 130/143 when \
        stopped by SIGINT/SIGTERM.
        """,
        version: ReproVersion.string,
        subcommands: subcommandList
    )

    public init() {}
}
