import ArgumentParser
import Experiments
import Foundation

struct SchemaCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schema",
        abstract: "Print the JSON Schema of experiment specs, generated from the parameter table.",
        discussion: """
        The schema (experiments/spec.schema.json) and the parameter table of docs/spec-format.md \
        are generated from the one table of parameters that also drives validation, the grid, \
        the runs.csv columns and run ids. After adding or changing a parameter, run \
        `repro schema --write` from the repository root; a test fails while either file is stale.

        Examples:
          repro schema > /tmp/spec.schema.json
          repro schema --markdown
          repro schema --write
        """)

    @Flag(name: .long, help: "Print the Markdown parameter table of docs/spec-format.md instead.")
    var markdown = false

    @Flag(name: .long, help: "Rewrite experiments/spec.schema.json and the table in docs/spec-format.md (run from the repository root).")
    var write = false

    func run() throws {
        if write {
            let doc = URL(fileURLWithPath: SpecSchema.docPath)
            let text = try String(contentsOf: doc, encoding: .utf8)
            try Data(SpecSchema.updatingDoc(text).utf8).write(to: doc)
            try Data(SpecSchema.schemaText().utf8).write(to: URL(fileURLWithPath: SpecSchema.schemaPath))
            CLI.out("wrote \(SpecSchema.schemaPath) and the parameter table of \(SpecSchema.docPath)")
        } else {
            print(markdown ? SpecSchema.markdownTable() : try SpecSchema.schemaText(), terminator: "")
        }
    }
}
