import ArgumentParser
import Experiments
import Foundation
import Report

struct PlotCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plot",
        abstract: "Draw the paper's figures (PNG and SVG) from results folders with gnuplot.",
        discussion: """
        Writes the small aggregated tables the gnuplot scripts read (fig1_lambda.csv, \
        fig2_histogram.csv, fig2_variance.csv, fig3_top.csv, fig3_sweep.csv, robustness_curves.csv; see \
        plot-scripts/README.md) into the output folder, then runs every script that has data:

          fig1.gp         Fig. 1: smoothed λ per layer vs images seen
          fig2.gp         Fig. 2 bottom: scaled increments; variance vs N
          fig3-top.gp     Fig. 3 top: DMN vs ConvNet per filter configuration
          fig3-bottom.gp  Fig. 3 bottom: accuracy vs T_PC, T_v, T_frac
          robustness.gp   DMN − ConvNet test accuracy vs epochs, a line per protocol

        and, per dataset, from the weights runs saved (runs/<id>.weights/):

          gallery.gp      first-layer filters of dmn, pca, random, convnet, hybrid
          spectra.gp      DMN: eigenvalue spectra of each class's ρ_c per layer, T_v marked
          similarity.gp   DMN: similarity matrix of the kept filters, T_PC marked

        as gallery-DATASET.png etc. (tables gallery_DATASET.csv, spectra_DATASET.csv, …).

        each as `gnuplot -c plot-scripts/NAME.gp OUT OUT`, giving OUT/NAME.png and OUT/NAME.svg. \
        Several folders are joined (a run id in several is counted once), so one call can draw \
        Fig. 3 bottom from the T_PC, T_v and T_frac sweeps.

        gnuplot must be on PATH (Debian/Ubuntu: apt-get install gnuplot-nox). The scripts are \
        looked up in this order: --scripts DIR; ./plot-scripts in the current directory; \
        plot-scripts/ in the folders above the repro executable (a build in <repo>/.build/… \
        finds <repo>/plot-scripts).

        Examples:
          repro plot results/quick
          repro plot results/fig1 results/fig2 results/fig3 --out figures
          repro plot results/fig3-tpc results/fig3-tv results/fig3-tfrac --out sweeps
          repro plot results/fig3 --tables-only

        Exit status: 0 when every figure that has data was drawn (also when none has); 1 when \
        a folder cannot be read, gnuplot or the scripts are missing, or a script fails.
        """)

    /// The figures, in order; each is plot-scripts/NAME.gp writing NAME.png and NAME.svg.
    static let figureNames = PlotTables.scripts.map(\.script)

    @OptionGroup var input: ResultsInput

    @Option(name: .long, help: ArgumentHelp("Folder for the tables and images (default: the first results folder).", valueName: "dir"))
    var out: String?

    @Option(name: .long, help: ArgumentHelp("Folder holding the gnuplot scripts (default: ./plot-scripts, else plot-scripts/ in a folder above the executable).", valueName: "dir"))
    var scripts: String?

    @Flag(name: .long, help: "Write the aggregated tables only; do not run gnuplot.")
    var tablesOnly = false

    @Flag(name: .long, help: "Print nothing but errors.")
    var quiet = false

    func validate() throws {
        if let s = scripts {
            var isDir: ObjCBool = false
            if !FileManager.default.fileExists(atPath: s, isDirectory: &isDir) || !isDir.boolValue {
                throw ValidationError("--scripts: \(s) is not a folder")
            }
        }
    }

    func run() throws {
        let outDir = URL(fileURLWithPath: out ?? input.results[0], isDirectory: true)
        let (set, beyond) = try input.load(relativeTo: outDir)
        let applicable: [String]
        let inside: [(script: String, dataset: String, args: [String])]
        do {
            applicable = try PlotTables.write(set, beyondFig3: beyond, to: outDir)
            inside = try InsideTables.write(folders: input.results.map { URL(fileURLWithPath: $0, isDirectory: true) }, to: outDir)
        } catch {
            CLI.err("error: cannot write the plot tables into \(outDir.path): \(error)")
            throw ExitCode(1)
        }
        if applicable.isEmpty && inside.isEmpty {
            if !quiet {
                CLI.err("nothing to plot: no convergence, fluctuation or classify (dmn/convnet) runs with data in " + input.results.joined(separator: ", "))
            }
            return
        }
        if tablesOnly {
            if !quiet { CLI.err("wrote the tables for \(applicable.joined(separator: ", ")) into \(outDir.path)") }
            return
        }
        guard let gnuplot = Self.findOnPath("gnuplot") else {
            CLI.err("error: gnuplot not found on PATH; install it (Debian/Ubuntu: apt-get install gnuplot-nox). The tables are written in \(outDir.path); `--tables-only` skips gnuplot.")
            throw ExitCode(1)
        }
        guard let scriptDir = Self.locateScripts(flag: scripts, needed: applicable) else {
            CLI.err("error: cannot find the gnuplot scripts (\(applicable.map { $0 + ".gp" }.joined(separator: ", "))): looked in "
                    + Self.scriptCandidates(flag: scripts).map(\.path).joined(separator: ", ") + "; give --scripts DIR")
            throw ExitCode(1)
        }
        var failed = false
        for name in applicable {
            let script = scriptDir.appendingPathComponent(name + ".gp")
            let (status, output) = Self.runProcess(gnuplot, ["-c", script.path, outDir.path, outDir.path])
            let png = outDir.appendingPathComponent(name + ".png"), svg = outDir.appendingPathComponent(name + ".svg")
            if status != 0 || !FileManager.default.fileExists(atPath: png.path) {
                CLI.err("error: \(script.path) failed (exit status \(status)):\n" + output)
                failed = true
            } else if !quiet {
                if !output.isEmpty { CLI.err(output) }
                CLI.err("wrote \(png.path), \(svg.path)")
            }
        }
        if !Self.plotInside(inside, outDir: outDir, gnuplot: gnuplot, scripts: scripts, quiet: quiet) { failed = true }
        if failed { throw ExitCode(1) }
    }

    /// The first executable `name` in the folders of $PATH.
    static func findOnPath(_ name: String) -> URL? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for dir in path.split(separator: ":") where !dir.isEmpty {
            let url = URL(fileURLWithPath: String(dir)).appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        return nil
    }

    /// Where the scripts are looked for, in order: --scripts; ./plot-scripts; plot-scripts/ in
    /// each folder above the (symlink-resolved) executable.
    static func scriptCandidates(flag: String?) -> [URL] {
        if let f = flag { return [URL(fileURLWithPath: f, isDirectory: true)] }
        var out = [URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("plot-scripts")]
        let selfExe = URL(fileURLWithPath: "/proc/self/exe")
        let exe = FileManager.default.fileExists(atPath: selfExe.path) ? selfExe.resolvingSymlinksInPath()
            : (Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0])).resolvingSymlinksInPath()
        var dir = exe.deletingLastPathComponent()
        while dir.path != "/" && !dir.path.isEmpty {
            out.append(dir.appendingPathComponent("plot-scripts"))
            dir = dir.deletingLastPathComponent()
        }
        return out
    }

    static func locateScripts(flag: String?, needed: [String]) -> URL? {
        scriptCandidates(flag: flag).first { dir in
            needed.allSatisfy { FileManager.default.fileExists(atPath: dir.appendingPathComponent($0 + ".gp").path) }
        }
    }

    /// Runs a program to completion; returns its status and its standard output and error together.
    static func runProcess(_ exe: URL, _ args: [String]) -> (Int32, String) {
        let p = Process()
        p.executableURL = exe
        p.arguments = args
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        p.standardInput = FileHandle(forReadingAtPath: "/dev/null")
        do { try p.run() } catch { return (-1, "cannot start \(exe.path): \(error)") }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
