import ArgumentParser
import Datasets
import Experiments
import Foundation

struct SweepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract: "Vary one DMN parameter (tpc, tv, tfrac or filters) over a list of values.",
        discussion: """
        Takes a spec, replaces one parameter by the given values (a grid), keeps the models dmn and \
        baseline and one dataset, and runs it like `repro run` into results/sweep-<param>/. Any \
        override of that parameter for the dataset is dropped so the sweep values apply.

        Default values:
          tpc      0.5,0.6,0.7,0.8,0.9,0.95,1.0
          tv       0.9,0.95,0.98,0.99,1.0     (the same T_v for every layer)
          tfrac    0.1,0.2,0.3,0.5,0.7,1.0
          filters  2,4,8,16                   (separate with ';' for several layers: "4;8;4,15")

        Examples:
          repro sweep --param tpc
          repro sweep --param tfrac --dataset mnist --values 0.1,0.3,1.0 --jobs 2
          repro sweep --param filters --values "4;8;4,15" --spec experiments/fig3.json --dataset cifar10
        """)

    @Option(name: .long, help: ArgumentHelp("The parameter to vary.", valueName: "name"))
    var param: SweepParameter

    // .unconditional: "--values -0.1" is a (negative) value, not a missing one followed by a flag.
    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("Comma-separated values (';'-separated when values contain commas).",
                                            valueName: "v1,v2,…"))
    var values: String?

    @Option(name: .long, help: ArgumentHelp("The spec to start from.", valueName: "file"))
    var spec: String = Sweep.defaultSpecPath

    @Option(name: .long, help: ArgumentHelp("The dataset (default: the spec's first).", valueName: "name"))
    var dataset: DatasetName?

    @OptionGroup var execution: ExecutionOptions
    @OptionGroup var common: CommonOptions

    func run() throws {
        let s: ExperimentSpec
        do {
            s = try Sweep.makeSpec(specPath: spec, param: param, values: values.map(Sweep.splitValues), dataset: dataset)
        } catch let e as SpecError {
            CLI.err(e.description)
            throw ExitCode(2)
        }
        try CLI.execute(spec: s, common: common, execution: execution, pcaCache: .on)
    }
}
