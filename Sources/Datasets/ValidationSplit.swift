import Numerics

extension ImageDataset {
    /// A seeded stratified hold-out: from each class c with n_c images, k_c = round(fraction × n_c)
    /// images (at most n_c − 1, so every class keeps at least one training image; 0 when
    /// n_c < 2) go to the held-out set, the rest stay. The two index lists are disjoint, each
    /// ascending, and together cover every image once.
    ///
    /// Selection, exactly: one generator `SeededRandom(seed: seed, stream: "validation-split")`;
    /// for each class in label order, its indices in ascending order and k_c steps of a
    /// partial Fisher–Yates shuffle (step i swaps position i with i + nextInt(below: n_c − i));
    /// the first k_c positions are held out.
    func stratifiedSplitIndices(heldOutFraction fraction: Double, seed: UInt64) -> (kept: [Int], heldOut: [Int]) {
        precondition(fraction.isFinite && fraction > 0 && fraction < 1,
                     "stratifiedSplitIndices: fraction \(fraction) outside (0, 1)")
        var rng = SeededRandom(seed: seed, stream: "validation-split")
        var kept = [Int](), held = [Int]()
        for var list in indicesByClass() {
            let n = list.count
            let k = n < 2 ? 0 : min(n - 1, Int((fraction * Double(n)).rounded()))
            for i in 0..<k {
                let j = i + rng.nextInt(below: n - i)
                if i != j { list.swapAt(i, j) }
            }
            held.append(contentsOf: list[0..<k])
            kept.append(contentsOf: list[k...])
        }
        kept.sort()
        held.sort()
        return (kept, held)
    }

    /// `stratifiedSplitIndices` as two datasets: (training part, validation part).
    public func stratifiedSplit(heldOutFraction fraction: Double, seed: UInt64) -> (train: ImageDataset, validation: ImageDataset) {
        let (kept, held) = stratifiedSplitIndices(heldOutFraction: fraction, seed: seed)
        return (subset(indices: kept), subset(indices: held))
    }
}
