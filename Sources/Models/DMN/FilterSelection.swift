import Foundation
import Numerics

/// One class's spectrum, as the selection step needs it.
public struct ClassSpectrum: Sendable {
    public let eigen: SymmetricEigen
    /// Class-mean input, for orienting signs.
    public let mean: [Double]

    public init(eigen: SymmetricEigen, mean: [Double]) {
        precondition(mean.count == eigen.n, "ClassSpectrum: mean of \(mean.count) entries for n = \(eigen.n)")
        self.eigen = eigen; self.mean = mean
    }

    /// Leading eigenvectors whose eigenvalues explain a fraction `tv` of the trace
    /// (negative round-off eigenvalues count as 0). At least one is kept.
    func keptCount(tv: Double) -> Int {
        let values = eigen.values.map { max($0, 0) }
        let trace = values.reduce(0, +)
        guard trace > 0 else { return 1 }
        var acc = 0.0
        for (i, v) in values.enumerated() {
            acc += v
            if acc >= tv * trace * (1 - 1e-12) { return i + 1 }
        }
        return values.count
    }
}

/// Where one filter of a built layer came from: its class (nil for class-agnostic PCA and for
/// random filters), its eigenvalue rank within that spectrum (0 = leading; nil for random),
/// and the share of the spectrum's trace its eigenvalue explains, alone and with the ranks
/// above it (the quantity T_v cuts).
public struct FilterOrigin: Sendable, Equatable {
    public var cls: Int?
    public var rank: Int?
    public var explained: Double?
    public var cumulative: Double?
    init(cls: Int? = nil, rank: Int? = nil, explained: Double? = nil, cumulative: Double? = nil) {
        self.cls = cls; self.rank = rank; self.explained = explained; self.cumulative = cumulative
    }

    /// Shares as `keptCount` computes them: negative round-off eigenvalues count as 0.
    init(spectrum: ClassSpectrum, cls: Int?, rank: Int) {
        let values = spectrum.eigen.values.map { max($0, 0) }
        let trace = values.reduce(0, +)
        self.init(cls: cls, rank: rank, explained: trace > 0 ? values[rank] / trace : nil,
                  cumulative: trace > 0 ? values[...rank].reduce(0, +) / trace : nil)
    }
}

struct FilterSelection: Sendable {
    /// Unit filters, each of the input dimension, in the order they were accepted.
    var filters: [[Double]]
    /// (class, rank) each filter came from; rank 0 is a class's leading eigenvector.
    var origins: [(cls: Int, rank: Int)]
    /// True when fixed-K mode had to look past the T_v cut to reach K.
    var relaxedTv: Bool
    /// Per-class count of eigenvectors within the T_v cut.
    var keptPerClass: [Int]
}

struct FilterSelectionError: Error, CustomStringConvertible {
    let description: String
}

/// |similarity| between two vectors under the chosen measure.
public func similarity(_ a: [Double], _ b: [Double], measure: SimilarityMeasure) -> Double {
    var x = a, y = b
    if measure == .pearson {
        let ma = x.reduce(0, +) / Double(x.count), mb = y.reduce(0, +) / Double(y.count)
        x = x.map { $0 - ma }
        y = y.map { $0 - mb }
    }
    var dot = 0.0, nx = 0.0, ny = 0.0
    for i in x.indices { dot += x[i] * y[i]; nx += x[i] * x[i]; ny += y[i] * y[i] }
    let denom = (nx * ny).squareRoot()
    // A constant vector has no Pearson correlation with anything; treat it as distinct.
    return denom > 0 ? abs(dot) / denom : 0
}

/// Merges the classes' eigenvectors into one filter bank (steps 3–7 of the method):
/// candidates in `visitOrder`, T_v cut per class, the T_PC duplicate test (a candidate is kept
/// only if its similarity to every kept filter is strictly below T_PC, so T_PC = 0 keeps one
/// filter and T_PC = 1 drops only exact duplicates), sign rule, and the filter-count mode. `fixedCount` is required for `.fixed`.
func selectFilters(_ spectra: [ClassSpectrum], tv: Double, options: DMNOptions,
                          fixedCount: Int?) throws -> FilterSelection {
    let kept = spectra.map { $0.keptCount(tv: tv) }
    // Filters are pairs (v, −v) under the "both" rule, so K filters need ⌈K/2⌉ directions.
    let target: Int? = options.filterCount == .fixed
        ? fixedCount.map { options.sign == .both ? ($0 + 1) / 2 : $0 } : nil
    if options.filterCount == .fixed && target == nil {
        throw FilterSelectionError(description: "filter-count mode 'fixed' needs a filter count")
    }

    var accepted: [[Double]] = []
    var origins: [(cls: Int, rank: Int)] = []
    func consider(_ c: Int, _ r: Int) {
        let v = Array(spectra[c].eigen.vector(r))
        for u in accepted where similarity(u, v, measure: options.similarity) >= options.tpc { return }
        accepted.append(v)
        origins.append((c, r))
    }
    func visit(ranks: (Int) -> Range<Int>) {
        switch options.visitOrder {
        case .roundRobin:
            let maxRank = spectra.indices.map { ranks($0).upperBound }.max() ?? 0
            for r in 0..<maxRank {
                for c in spectra.indices where ranks(c).contains(r) {
                    if let t = target, accepted.count >= t { return }
                    consider(c, r)
                }
            }
        case .classOrder:
            for c in spectra.indices {
                for r in ranks(c) {
                    if let t = target, accepted.count >= t { return }
                    consider(c, r)
                }
            }
        }
    }

    visit { 0..<kept[$0] }
    var relaxed = false
    if let t = target, accepted.count < t {
        // Relax T_v along the same order: the eigenvectors past each class's cut.
        relaxed = true
        visit { kept[$0]..<spectra[$0].eigen.n }
        if accepted.count < t {
            throw InfeasibleConfiguration(description:
                "fixed filter count \(fixedCount!) cannot be met: even with every eigenvector of every class, "
                + "T_PC = \(options.tpc) leaves only \(accepted.count) distinct directions"
                + (options.sign == .both ? " (each gives 2 filters with sign 'both')" : "")
                + "; raise dmn.tpc or lower the filter count")
        }
    }

    var filters: [[Double]] = []
    var filterOrigins: [(cls: Int, rank: Int)] = []
    for (v, o) in zip(accepted, origins) {
        let mu = spectra[o.cls].mean
        var dot = 0.0
        for i in v.indices { dot += v[i] * mu[i] }
        let oriented = dot < 0 ? v.map { -$0 } : v
        filters.append(oriented)
        filterOrigins.append(o)
        if options.sign == .both {
            filters.append(oriented.map { -$0 })
            filterOrigins.append(o)
        }
    }
    if let k = fixedCount, options.filterCount == .fixed, filters.count > k {
        filters.removeLast(filters.count - k)
        filterOrigins.removeLast(filterOrigins.count - k)
    }
    return FilterSelection(filters: filters, origins: filterOrigins, relaxedTv: relaxed, keptPerClass: kept)
}
