import ArgumentParser
import Experiments
import Foundation
import Report

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write REPORT.md: provenance, Fig. 3 tables, timings, and a verdict on each claim of the paper.",
        discussion: """
        Reads the tables of one or more results folders (runs.csv, lambda.csv, fluctuation.csv, \
        fluctuation_summary.csv, provenance.json; when runs.csv is missing, the run files in runs/) \
        and writes a Markdown report: the provenance of each folder (command, commit, host, BLAS \
        threads), test accuracy per dataset × filter configuration × model (n seeds, mean ± 95% t \
        interval), the median DMN build time against the median ConvNet SGD time, the parameter \
        sweeps, and each claim of the paper with a verdict computed from the data: supported, not \
        supported, or inconclusive (the rule of each claim is printed in the report). A run id \
        found in several folders is counted once. Images from `repro plot` lying beside the report \
        are linked. The verdicts are also printed, one line each, unless --quiet.

        Examples:
          repro report results/quick
          repro report results/fig1 results/fig2 results/fig3* --out REPORT.md
          repro report results/fig3 --out -    (to standard output)
          repro report results/fig3 --beyond-fig3 results/learning-curve --out REPORT.md

        Exit status: 0 when the report was written; 1 when a folder cannot be read.
        """)

    @OptionGroup var input: ResultsInput

    @Option(name: .long, help: ArgumentHelp("Report file, or - for standard output (default: REPORT.md in the first results folder).",
                                            valueName: "file"))
    var out: String?

    @Flag(name: .long, help: "Print nothing but errors.")
    var quiet = false

    func run() throws {
        let target = out ?? URL(fileURLWithPath: input.results[0], isDirectory: true).appendingPathComponent("REPORT.md").path
        let base = target == "-" ? URL(fileURLWithPath: FileManager.default.currentDirectoryPath, isDirectory: true)
            : URL(fileURLWithPath: target).deletingLastPathComponent()
        let (set, beyond) = try input.load(relativeTo: base)
        let analysis = ReportAnalysis(set, beyondFig3: beyond)
        // Figures beside the report, or in its figures/ subfolder (where a report over many
        // folders keeps them: results/REPORT.md), linked relative to the report.
        let folder = URL(fileURLWithPath: target).deletingLastPathComponent()
        let places = target == "-" ? [] : [("", folder), ("figures/", folder.appendingPathComponent("figures"))]
        let figures = places.flatMap { prefix, dir in
            PlotCommand.figureNames.map { "\($0).png" }
                .filter { FileManager.default.fileExists(atPath: dir.appendingPathComponent($0).path) }
                .map { prefix + $0 }
        }
        let inside = places.flatMap { prefix, dir in PlotCommand.insideFigures(in: dir).map { prefix + $0 } }
        let text = ReportWriter.markdown(analysis, generated: (beyond ?? set).newestFinish ?? "(no finished run recorded)", figures: figures + inside)
        if target == "-" {
            CLI.out(text)
        } else {
            do {
                let url = URL(fileURLWithPath: target)
                try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try AtomicFile.write(text, to: url)
            } catch {
                CLI.err("error: cannot write \(target): \(error)")
                throw ExitCode(1)
            }
        }
        if !quiet {
            for n in (beyond ?? set).notes { CLI.err("note: " + n) }
            for c in analysis.claims { CLI.err("\(c.verdict.rawValue): \(c.claim) — \(c.summary)") }
            if target != "-" { CLI.err("wrote \(target)") }
        }
    }
}
