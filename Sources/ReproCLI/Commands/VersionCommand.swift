import ArgumentParser
import Experiments
import Foundation

struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "version",
        abstract: "Print the version, the git commit of the current directory and the executor.")

    func run() throws {
        let git = GitInfo.current()
        CLI.out("repro \(ReproVersion.string)")
        CLI.out("commit \(git.commit)\(git.dirty == true ? " (with local changes)" : "")")
        CLI.out("executor \(String(describing: type(of: makeDefaultExecutor())))")
    }
}
