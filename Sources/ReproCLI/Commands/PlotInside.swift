import Datasets
import Experiments
import Foundation
import Report

extension PlotCommand {
    /// The look-inside figures present in `folder` (gallery, spectra, similarity per dataset,
    /// datasets in `DatasetName` order), for the report to link.
    static func insideFigures(in folder: URL) -> [String] {
        let present = Set((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [])
        return ["gallery", "spectra", "similarity"].flatMap { name -> [String] in
            let builtin = DatasetName.allCases.map { "\(name)-\($0.rawValue).png" }
            // Datasets given by path (`gallery-digits.npz.png`) after the built-in ones, by name.
            let own = present.filter { $0.hasPrefix(name + "-") && $0.hasSuffix(".png") && !builtin.contains($0) }.sorted()
            return builtin.filter(present.contains) + own
        }
    }

    /// The "look inside" figures, one per dataset and script, from the weights runs saved:
    /// `gnuplot -c plot-scripts/NAME.gp OUT OUT DATASET ARGS…` writes OUT/NAME-DATASET.png/.svg
    /// (NAME = gallery, spectra, similarity). Returns false when a script failed.
    static func plotInside(_ figures: [(script: String, dataset: String, args: [String])], outDir: URL,
                           gnuplot: URL, scripts: String?, quiet: Bool) -> Bool {
        guard !figures.isEmpty else { return true }
        let names = Array(Set(figures.map(\.script))).sorted()
        guard let scriptDir = locateScripts(flag: scripts, needed: names) else {
            CLI.err("error: cannot find the gnuplot scripts (\(names.map { $0 + ".gp" }.joined(separator: ", "))); give --scripts DIR")
            return false
        }
        var ok = true
        for f in figures {
            let script = scriptDir.appendingPathComponent(f.script + ".gp")
            let (status, output) = runProcess(gnuplot, ["-c", script.path, outDir.path, outDir.path, f.dataset] + f.args)
            let png = outDir.appendingPathComponent("\(f.script)-\(f.dataset).png")
            if status != 0 || !FileManager.default.fileExists(atPath: png.path) {
                CLI.err("error: \(script.path) \(f.dataset) failed (exit status \(status)):\n" + output)
                ok = false
            } else if !quiet {
                if !output.isEmpty { CLI.err(output) }
                CLI.err("wrote \(png.path)")
            }
        }
        return ok
    }
}
