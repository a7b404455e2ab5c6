import ArgumentParser
import Experiments
import Foundation

struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Join the output folders of shards into one.",
        discussion: """
        Copies the run files of every DIR into --out and rebuilds the CSV tables there. The same \
        run id in two folders is fine when the outcomes agree apart from timings (an ok record \
        wins over a failed one); otherwise the merge is refused, nothing is written, and the exit \
        status is 2.

        Examples:
          repro merge results/fig3-1 results/fig3-2 results/fig3-3 --out results/fig3
        """)

    @Argument(help: ArgumentHelp("Output folders of `repro run` (shards).", valueName: "dir"))
    var dirs: [String]

    @OptionGroup var common: CommonOptions

    func validate() throws {
        if dirs.isEmpty { throw ValidationError("give at least one folder to merge") }
        if common.out == nil { throw ValidationError("--out is required: the folder to merge into") }
    }

    func run() throws {
        do {
            let s = try ResultMerger.merge(sources: dirs.map { URL(fileURLWithPath: $0, isDirectory: true) },
                                           into: URL(fileURLWithPath: common.out!, isDirectory: true))
            if !common.quiet {
                CLI.err("merged \(s.runs) runs from \(s.sources) folders (\(s.duplicates) duplicates) into \(common.out!)")
            }
        } catch let e as MergeError {
            CLI.err("error: \(e)")
            throw ExitCode(2)
        } catch {
            CLI.err("error: cannot write the merged folder \(common.out!): \(OutputFolderError.plainReason(error))")
            throw ExitCode(ExitStatus.outputFolder)
        }
    }
}
