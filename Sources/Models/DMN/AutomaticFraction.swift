import Datasets
import Numerics

// dmn.tfrac "auto": the paper's "a reasonable fraction [T_frac] may be determined prior by
// checking … the convergence of ρ_c". Each layer adds training images in stratified steps of
// `automaticFractionStep` of each class, growing its ρ_c incrementally (the same sums a
// from-scratch build forms), and stops at the first step after which no class's ρ_c moved by
// `tfracTolerance` or more of its norm. The layer is then built from the T_frac pick at that
// fraction (`stratifiedSubset(fraction:seed:)`), so that an automatic layer is exactly the
// layer a numeric T_frac of that value builds.

/// The step of dmn.tfrac "auto": 5% of each class's images per step, so the candidate
/// fractions are 0.05, 0.1, …, 1 (the sweep values 0.1, 0.2, 0.3, 0.5, 0.7, 1 among them).
let automaticFractionStep = 0.05

/// The candidate fractions f_k = k · step, k = 1 … 1/step (exactly 1 last).
func automaticFractionCandidates(step: Double = automaticFractionStep) -> [Double] {
    let steps = Int((1 / step).rounded())
    return (1...steps).map { Double($0) / Double(steps) }
}

/// ‖new − old‖_F / ‖old‖_F of two n×n matrices, in Double; infinity when old is 0 and new is not.
func relativeFrobeniusChange(from old: [Double], to new: [Double]) -> Double {
    precondition(old.count == new.count, "relativeFrobeniusChange: \(old.count) against \(new.count) entries")
    var diff = 0.0, norm = 0.0
    for i in old.indices {
        let d = new[i] - old[i]
        diff += d * d
        norm += old[i] * old[i]
    }
    if norm == 0 { return diff == 0 ? 0 : .infinity }
    return (diff / norm).squareRoot()
}

/// The stopping rule. `changes[s]` holds every class's relative change of ρ_c over step
/// s + 2 (the first step has nothing to compare with). Returns the index s of the first step
/// whose every change is below `tolerance`, or nil when none is.
func firstConvergedStep(_ changes: [[Double]], tolerance: Double) -> Int? {
    changes.firstIndex { step in step.allSatisfy { $0 < tolerance } }
}

/// How dmn.tfrac "auto" chose one layer's fraction.
public struct FractionChoice: Sendable, Equatable {
    /// The fraction of each class's images the layer was built from.
    public var fraction: Double
    /// Per step from the second on, the largest relative change of any class's ρ_c.
    var largestChanges: [Double]
}

/// The order "auto" adds images in: per group, that group's images of `labels` in a seeded
/// random order (a permutation per group), taken in prefixes. Step k adds, per group, the
/// images from position q(f_{k−1}) to q(f_k), q(f) = min(n, max(1, round(f·n))) being the
/// count `stratifiedSubset(fraction:)` takes from a class of n images: after step k each group
/// holds as many images as the T_frac = f_k pick (the pick itself is not nested across
/// fractions, its later classes' draws depending on the earlier classes' counts, so the steps
/// cannot be its images).
func automaticFractionSteps(labels: [Int32], groups: Int, groupOf: (Int) -> Int, seed: UInt64,
                            candidates: [Double]) -> [[[Int]]] {
    var members = [[Int]](repeating: [], count: groups)
    for (i, label) in labels.enumerated() { members[groupOf(Int(label))].append(i) }
    var rng = SeededRandom(seed: seed, stream: "tfrac-auto")
    for g in 0..<groups where members[g].count > 1 {
        for i in stride(from: members[g].count - 1, to: 0, by: -1) {
            members[g].swapAt(i, rng.nextInt(below: i + 1))
        }
    }
    func quota(_ f: Double, _ n: Int) -> Int { n == 0 || f == 0 ? 0 : min(n, max(1, Int((f * Double(n)).rounded()))) }
    var previous = 0.0
    return candidates.map { f in
        defer { previous = f }
        return members.map { list in Array(list[quota(previous, list.count)..<quota(f, list.count)]) }
    }
}

/// Chooses one layer's T_frac from the convergence of its ρ_c: `train` is the whole training
/// set, `prefix` the layers built below (their outputs are this layer's inputs). The density
/// matrices compared are those the filters come from (centred with dmn.centre).
func chooseTrainingFraction(train: ImageDataset, preprocessing: Preprocessing, prefix: [Layer],
                            source: PatchSource, groups: Int, groupOf: (Int) -> Int,
                            options: DMNOptions, seed: UInt64) -> FractionChoice {
    let candidates = automaticFractionCandidates()
    let steps = automaticFractionSteps(labels: train.labels, groups: groups, groupOf: groupOf, seed: seed, candidates: candidates)
    let n = patchDimension(data: train, prefix: prefix, source: source)
    var densities = (0..<groups).map { _ in ClassDensity(dimension: n) }
    var previous: [[Double]]? = nil
    var largest: [Double] = []
    for (k, images) in steps.enumerated() {
        addToDensities(&densities, images: images, data: train, preprocessing: preprocessing, prefix: prefix,
                       source: source, chunkImages: options.chunkImages)
        let current = densities.map { $0.densityMatrix(centred: options.centre) }
        if let previous {
            let changes = zip(previous, current).map { relativeFrobeniusChange(from: $0, to: $1) }
            largest.append(changes.max() ?? 0)
            if firstConvergedStep([changes], tolerance: options.tfracTolerance) != nil {
                return FractionChoice(fraction: candidates[k], largestChanges: largest)
            }
        }
        previous = current
    }
    return FractionChoice(fraction: 1, largestChanges: largest)
}
