import Datasets
import Experiments
import Foundation
import Models

/// Tables for the "look inside" figures, read from the weights runs saved
/// (`runs/<id>.weights/`, see `WeightFiles`): per dataset, a gallery of first-layer filters of
/// every model, the eigenvalue spectra of the DMN's class densities with T_v, and the
/// similarity matrix of the DMN's kept filters with T_PC.
public enum InsideTables {
    /// A run with saved weights and where its files are.
    struct SavedRun {
        var record: RunRecord
        var runs: URL
        var manifest: WeightManifest
        func url(_ file: String) -> URL { runs.appendingPathComponent(manifest.directory).appendingPathComponent(file) }
        /// The first conv layer's weights, shape (k, k, C, K).
        func firstLayer() throws -> (shape: [Int], values: [Float])? {
            guard let e = manifest.arrays.first(where: { $0.shape.count == 4 }) else { return nil }
            return try Npy.read(url(e.file))
        }
        func table(_ file: String?) throws -> ParsedTable? {
            guard let f = file else { return nil }
            return ParsedTable(csv: try String(contentsOf: url(f), encoding: .utf8))
        }
    }

    /// Ok classify runs with saved weights in `folders`, a run id once (first folder wins).
    static func savedRuns(_ folders: [URL]) -> [SavedRun] {
        var seen = Set<String>()
        var out: [SavedRun] = []
        for f in folders {
            let folder = ResultFolder(f)
            for id in folder.runIds() where !seen.contains(id) {
                guard let r = folder.record(id), r.status == .ok, r.run.kind == .classify, let m = r.weights,
                      m.isComplete(in: folder.runsDirectory) else { continue }
                seen.insert(id)
                out.append(SavedRun(record: r, runs: folder.runsDirectory, manifest: m))
            }
        }
        return out.sorted { ($0.record.run.dataset.rawValue, $0.record.run.filters.map(String.init).joined(separator: ","), $0.record.run.seed)
            < ($1.record.run.dataset.rawValue, $1.record.run.filters.map(String.init).joined(separator: ","), $1.record.run.seed) }
    }

    /// Models of the gallery, in its row order.
    static let galleryModels: [ModelKind] = [.dmn, .pca, .random, .convnet, .hybrid]

    /// One tile per first-layer filter: 0…255 RGB pixels of a (k, k) tile, the filter scaled by
    /// its own largest |w| so that 0 is mid-grey (128) and ±max are 0/255 (grey tiles for one
    /// channel, colour for three).
    static func tile(shape: [Int], values: [Float], filter f: Int) -> [[(r: Int, g: Int, b: Int)]] {
        let (k, c, kk) = (shape[0], shape[2], shape[3])
        func w(_ dy: Int, _ dx: Int, _ ch: Int) -> Double { Double(values[((dy * k + dx) * c + ch) * kk + f]) }
        var m = 0.0
        for dy in 0..<k { for dx in 0..<k { for ch in 0..<c { m = max(m, abs(w(dy, dx, ch))) } } }
        func byte(_ v: Double) -> Int { m > 0 ? Int((127.5 + 127.5 * v / m).rounded()) : 128 }
        return (0..<k).map { dy in
            (0..<k).map { dx in
                c >= 3 ? (byte(w(dy, dx, 0)), byte(w(dy, dx, 1)), byte(w(dy, dx, 2))) : (byte(w(dy, dx, 0)), byte(w(dy, dx, 0)), byte(w(dy, dx, 0)))
            }
        }
    }

    /// Per dataset: the gallery pixels (x, y, r, g, b; a complete grid, white between tiles)
    /// and its labels (x, y, text). Rows are models; for each the first run (one-layer
    /// configurations first) with the gallery's first-layer filter count: the count the most
    /// models have saved runs of, the largest among those (a DMN count that is infeasible on
    /// this dataset must not leave the DMN out of its own gallery).
    static func gallery(_ runs: [SavedRun], dataset: DatasetName) throws -> (pixels: CSVTable, labels: CSVTable)? {
        let mine = runs.filter { $0.record.run.dataset == dataset && galleryModels.contains($0.record.run.model) }
        let counts = Set(mine.compactMap { $0.record.run.filters.first })
        func models(_ k: Int) -> Int { Set(mine.filter { $0.record.run.filters.first == k }.map(\.record.run.model)).count }
        guard let kMax = counts.max(by: { (models($0), $0) < (models($1), $1) }) else { return nil }
        var rows: [(ModelKind, SavedRun, [Int], [Float])] = []
        for model in galleryModels {
            let cands = mine.filter { $0.record.run.model == model && $0.record.run.filters.first == kMax }
                .sorted { ($0.record.run.filters.count, $0.record.run.seed) < ($1.record.run.filters.count, $1.record.run.seed) }
            guard let r = cands.first, let w = try r.firstLayer() else { continue }
            rows.append((model, r, w.shape, w.values))
        }
        guard let k = rows.first?.2[0] else { return nil }
        let step = k + 1
        let width = kMax * step - 1, height = rows.count * step - 1
        var grid = [[(r: Int, g: Int, b: Int)]](repeating: [(r: Int, g: Int, b: Int)](repeating: (255, 255, 255), count: width), count: height)
        var labels = CSVTable(header: ["x", "y", "text"])
        for (m, row) in rows.enumerated() {
            let (model, run, shape, values) = row
            labels.append([CSVTable.number(-0.8), CSVTable.number(-Double(m * step) - Double(k - 1) / 2), model.rawValue])
            let origins = try run.table(run.manifest.filters)?.rows.filter { $0["layer"] == "1" } ?? []
            for f in 0..<min(shape[3], kMax) {
                let t = tile(shape: shape, values: values, filter: f)
                for dy in 0..<k { for dx in 0..<k { grid[m * step + dy][f * step + dx] = t[dy][dx] } }
                if model == .dmn || model == .hybrid, f < origins.count, !origins[f]["class"].isEmpty {
                    // Class of origin (and eigenvalue rank) under the tile.
                    labels.append([CSVTable.number(Double(f * step) + Double(k - 1) / 2), CSVTable.number(-Double(m * step + k) + 0.45),
                                   "c\(origins[f]["class"]) r\(origins[f]["rank"])"])
                }
            }
        }
        var pixels = CSVTable(header: ["x", "y", "r", "g", "b"])
        for y in 0..<height { for x in 0..<width {
            let p = grid[y][x]
            pixels.append([String(x), String(-y), String(p.r), String(p.g), String(p.b)])
        } }
        return (pixels, labels)
    }

    /// The DMN run whose spectra and similarity are shown: one with the most conv layers,
    /// then the most first-layer filters, then the lowest seed.
    static func spectraRun(_ runs: [SavedRun], dataset: DatasetName) -> SavedRun? {
        runs.filter { $0.record.run.dataset == dataset && $0.record.run.model == .dmn && $0.manifest.spectra != nil }
            .sorted { ($1.record.run.filters.count, $1.record.run.filters.first ?? 0, $0.record.run.seed)
                < ($0.record.run.filters.count, $0.record.run.filters.first ?? 0, $1.record.run.seed) }.first
    }

    /// Spectra of one DMN run: layer, class, rank (1-based), eigenvalue, share, cumulative, tv,
    /// and per layer and class the count T_v keeps (the first rank whose cumulative share
    /// reaches T_v, as `ClassSpectrum.keptCount` decides).
    static func spectra(_ run: SavedRun) throws -> (spectra: CSVTable, kept: CSVTable)? {
        guard let t = try run.table(run.manifest.spectra) else { return nil }
        var s = CSVTable(header: ["layer", "class", "rank", "eigenvalue", "share", "cumulative", "tv"])
        var kept = CSVTable(header: ["layer", "class", "kept", "tv", "cumulative_at_kept", "dimension"])
        var groups: [String: [ReportRow]] = [:]
        var order: [String] = []
        for r in t.rows {
            let key = r["layer"] + "," + r["group"]
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append(r)
            s.append([r["layer"], r["group"], String((Int(r["rank"]) ?? 0) + 1), r["eigenvalue"], r["share"], r["cumulative"], r["tv"]])
        }
        for key in order {
            let rs = groups[key]!
            let tv = rs[0].number("tv")
            let k = rs.firstIndex { $0.number("cumulative") >= tv * (1 - 1e-12) }.map { $0 + 1 } ?? rs.count
            kept.append([rs[0]["layer"], rs[0]["group"], String(k), rs[0]["tv"], rs[k - 1]["cumulative"], String(rs.count)])
        }
        return (s, kept)
    }

    /// |similarity| (the run's measure) between the DMN run's kept first-layer filters, as
    /// (i, j, value) rows, and the filter labels "class:rank".
    static func similarity(_ run: SavedRun) throws -> (matrix: CSVTable, labels: CSVTable, tpc: Double)? {
        guard let w = try run.firstLayer() else { return nil }
        let n = w.shape[0] * w.shape[1] * w.shape[2], kk = w.shape[3]
        let filters: [[Double]] = (0..<kk).map { f in (0..<n).map { Double(w.values[$0 * kk + f]) } }
        var m = CSVTable(header: ["i", "j", "similarity"])
        for i in 0..<kk { for j in 0..<kk {
            m.append([String(i), String(j), CSVTable.number(i == j ? 1 : Models.similarity(filters[i], filters[j], measure: run.record.run.dmn.similarity))])
        } }
        let origins = try run.table(run.manifest.filters)?.rows.filter { $0["layer"] == "1" } ?? []
        var labels = CSVTable(header: ["i", "label"])
        for i in 0..<kk { labels.append([String(i), i < origins.count ? "c\(origins[i]["class"]):r\(origins[i]["rank"])" : String(i)]) }
        return (m, labels, run.record.run.dmn.tpc)
    }

    /// Writes every table into `out` and returns the figures to draw: (script, dataset, extra
    /// gnuplot argument). Tables: gallery_<d>.csv, gallery_<d>_labels.csv, spectra_<d>.csv,
    /// spectra_<d>_kept.csv, similarity_<d>.csv, similarity_<d>_labels.csv.
    public static func write(folders: [URL], to out: URL) throws -> [(script: String, dataset: String, args: [String])] {
        let runs = savedRuns(folders)
        guard !runs.isEmpty else { return [] }
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        func put(_ t: CSVTable, _ name: String) throws { try AtomicFile.write(t.text, to: out.appendingPathComponent(name + ".csv")) }
        var figures: [(String, String, [String])] = []
        let own = Set(runs.map(\.record.run.dataset).filter { !$0.isBuiltin }).sorted { $0.rawValue < $1.rawValue }
        for d in DatasetName.allCases + own {
            let ds = d.rawValue
            if let g = try gallery(runs, dataset: d) {
                try put(g.pixels, "gallery_\(ds)"); try put(g.labels, "gallery_\(ds)_labels")
                figures.append(("gallery", ds, [d.displayName]))
            }
            if let r = spectraRun(runs, dataset: d) {
                if let s = try spectra(r) {
                    try put(s.spectra, "spectra_\(ds)"); try put(s.kept, "spectra_\(ds)_kept")
                    figures.append(("spectra", ds, ["\(d.displayName), dmn filters \(r.record.run.filters.map(String.init).joined(separator: ",")), run \(r.record.runId)"]))
                }
            }
            // The similarity matrix is most telling with the most first-layer filters.
            if let r = runs.filter({ $0.record.run.dataset == d && $0.record.run.model == .dmn })
                .sorted(by: { ($1.record.run.filters.first ?? 0, $0.record.run.filters.count, $0.record.run.seed)
                    < ($0.record.run.filters.first ?? 0, $1.record.run.filters.count, $1.record.run.seed) }).first {
                if let s = try similarity(r) {
                    try put(s.matrix, "similarity_\(ds)"); try put(s.labels, "similarity_\(ds)_labels")
                    figures.append(("similarity", ds, ["\(d.displayName), dmn filters \(r.record.run.filters.map(String.init).joined(separator: ",")), run \(r.record.runId), |\(r.record.run.dmn.similarity.rawValue)|", CSVTable.number(s.tpc)]))
                }
            }
        }
        return figures
    }
}
