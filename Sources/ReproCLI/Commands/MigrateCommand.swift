import ArgumentParser
import Experiments
import Foundation

struct MigrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Convert results folders written by an older repro to the current run-file format and run ids.",
        discussion: """
        Rewrites each run file in the current layout, renames it to its current id (the hash of \
        its parameters with defaults left out; docs/spec-format.md) and rebuilds the tables. \
        Nothing is re-run: accuracies, histories and timings are carried over as they are. A \
        folder already current is left as it is, so running it twice is harmless. Afterwards \
        `repro run` on the spec that made the folder finds its runs done.

        Examples:
          repro migrate results/fig3
          repro migrate results/*/

        Exit status: 0 when every folder is current; 1 when a folder could not be converted \
        (nothing of that folder's old files is removed before its new files are written).
        """)

    @Argument(help: ArgumentHelp("Results folders (with a runs/ folder).", valueName: "results"))
    var results: [String]

    func validate() throws {
        if results.isEmpty { throw ValidationError("give at least one results folder") }
    }

    func run() throws {
        var failed = false
        for path in results {
            let folder = ResultFolder(URL(fileURLWithPath: path, isDirectory: true))
            guard FileManager.default.fileExists(atPath: folder.runsDirectory.path) else {
                CLI.err("\(path): no runs/ folder; not a results folder")
                failed = true
                continue
            }
            do {
                let s = try RunFileMigration.migrate(folder)
                CLI.out("\(path): \(s.renamed) renamed to new ids, \(s.rewritten) rewritten, \(s.current) already current")
            } catch {
                CLI.err("\(path): \(error)")
                failed = true
            }
        }
        if failed { throw ExitCode(1) }
    }
}
