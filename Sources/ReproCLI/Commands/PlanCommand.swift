import ArgumentParser
import Experiments
import Foundation

struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "List the runs of a spec and whether each is done.",
        discussion: """
        One line per run: id, dataset, model, filters, the parameters that vary within the plan \
        (and the seed), and the state in the output folder: done (ok file), failed, infeasible, or pending.

        Examples:
          repro plan experiments/fig3.json
          repro plan experiments/fig3.json --shard 1/4 --out results/fig3-1
        """)

    @Argument(help: ArgumentHelp("The experiment spec (JSON).", valueName: "spec"))
    var spec: String

    @Option(name: .long, help: ArgumentHelp("Only shard I of N (as in `repro run`).", valueName: "I/N"))
    var shard: String?

    @OptionGroup var common: CommonOptions

    func validate() throws {
        if let s = shard, case .failure(let e) = Shard.parse(s) { throw ValidationError("--shard: \(e.message)") }
    }

    func run() throws {
        let s = try CLI.loadSpec(spec)
        var plan = s.plannedRuns()
        if let text = shard, case .success(let sh) = Shard.parse(text) { plan = sh.select(plan) }
        let folder = common.outputFolder(defaultName: s.name)
        let table = CLI.planTable(plan, folder: folder)
        for line in table.lines { CLI.out(line) }
        CLI.reportProblems(table.problems)
        let states = table.states
        CLI.out("\(plan.count) runs: \(states.filter { $0 == .done }.count) done, \(states.filter { $0 == .failed }.count) failed, "
                + "\(states.filter { $0 == .infeasible }.count) infeasible, "
                + "\(states.filter { $0 == .pending }.count) pending (\(folder.url.path))")
    }
}
