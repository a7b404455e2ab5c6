import Datasets
import Foundation
import Models
import Numerics

extension ModelRunExecutor {
    /// Images per class tracked when the spec sets no `trainLimit`.
    static let defaultFluctuationImages = 500

    /// Fig. 2 bottom: per class, eigenvalues of ρ_c(N) over 3×3 input patches as images are
    /// added in a seeded order; the increments table and a per-N-bucket summary.
    func densityFluctuations(_ run: ResolvedRun, train: ImageDataset) throws -> RunOutcome {
        let perClass = run.data.trainLimit.map { max(2, $0 / max(1, train.numClasses)) } ?? Self.defaultFluctuationImages
        var rows: [[String]] = []
        var buckets: [Int: [Double]] = [:]
        var rng = SeededRandom(seed: run.seed, stream: "fluctuation-order")
        let start = DispatchTime.now().uptimeNanoseconds
        for c in 0..<train.numClasses {
            var idx = train.indices(ofClass: c)
            rng.shuffle(&idx)
            let points = try Models.densityFluctuations(data: train, indices: Array(idx.prefix(perClass)), kernel: 3,
                                                        preprocessing: .scale01)
            for p in points {
                rows.append([String(c), String(p.images), String(p.mu), String(p.eigenvalue), String(p.scaledIncrement)])
                // Buckets of N by powers of two: [1,2), [2,4), …
                buckets[Int.bitWidth - 1 - p.images.leadingZeroBitCount, default: []].append(p.scaledIncrement)
            }
        }
        var summary: [[String]] = []
        for b in buckets.keys.sorted() {
            let v = buckets[b]!
            let mean = v.reduce(0, +) / Double(v.count)
            let variance = v.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(max(1, v.count - 1))
            summary.append([String(1 << b), String((1 << (b + 1)) - 1), String(v.count), String(mean), String(variance)])
        }
        var outcome = RunOutcome()
        outcome.buildSeconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        outcome.extraTables = [
            ExtraTable(name: "fluctuation", header: ["class", "n", "mu", "eigenvalue", "scaled_increment"], rows: rows),
            ExtraTable(name: "fluctuation_summary", header: ["n_from", "n_to", "count", "mean", "variance"], rows: summary),
        ]
        return outcome
    }
}
