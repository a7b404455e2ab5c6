import ArgumentParser
import Experiments
import Foundation

struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check spec files and count their runs.",
        discussion: """
        Prints "ok: N runs (FILE)" for each valid spec, or every problem found, each naming the \
        file, line, key path, what was found and what is allowed. Exit status 2 if any spec has \
        an error. Files named *.schema.json are skipped, so `experiments/*.json` works.

        Examples:
          repro validate experiments/quick.json
          repro validate experiments/*.json
        """)

    @Argument(help: ArgumentHelp("Spec files.", valueName: "spec"))
    var specs: [String]

    func validate() throws {
        if specs.isEmpty { throw ValidationError("give at least one spec file") }
    }

    func run() throws {
        var failed = false
        for path in specs {
            if path.hasSuffix(".schema.json") {
                CLI.out("skipped: \(path) (a JSON Schema, not a spec)")
                continue
            }
            do {
                let s = try SpecLoader.load(path: path)
                for w in s.warnings { CLI.err("warning: " + w) }
                let n = s.plannedRuns().count
                CLI.out("ok: \(n) run\(n == 1 ? "" : "s") (\(path))")
            } catch let e as SpecError {
                CLI.err(e.description)
                failed = true
            }
        }
        if failed { throw ExitCode(2) }
    }
}
