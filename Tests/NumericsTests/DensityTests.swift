import XCTest
@testable import Numerics

final class DensityTests: XCTestCase {
    /// Σ h hᵀ (full) and Σ h over explicitly built patches h in im2col order, in Double.
    func naivePatchDensity(_ x: [Float], batch: Int, h: Int, w: Int, c: Int, k: Int) -> (rho: [Double], sum: [Double]) {
        let n = k * k * c
        var rho = [Double](repeating: 0, count: n * n)
        var sum = [Double](repeating: 0, count: n)
        for b in 0..<batch { for oy in 0...(h - k) { for ox in 0...(w - k) {
            var v = [Double]()
            for dy in 0..<k { for dx in 0..<k { for ch in 0..<c {
                v.append(Double(x[((b * h + oy + dy) * w + ox + dx) * c + ch]))
            } } }
            for i in 0..<n {
                sum[i] += v[i]
                for j in 0..<n { rho[i * n + j] += v[i] * v[j] }
            }
        } } }
        return (rho, sum)
    }

    func uniformPixels(_ count: Int, seed: UInt64) -> [Float] {
        var rng = SeededRandom(seed: seed)
        return (0..<count).map { _ in Float(rng.nextDouble()) }
    }

    /// Shapes cover ragged and short rows (OW < 4), k = 1, 2, 5 and C = 2, 3, 16. The
    /// accumulators start nonzero, with a sentinel below the diagonal, so the test also checks
    /// that the kernel adds and leaves the lower triangle alone.
    /// Tolerance: `Float32Bound.dot` over every product of the entry, as if all were summed in
    /// Float (the kernel sums fewer in Float before the Double accumulation, so this holds for
    /// any chunking and any BLAS kernel). Pixels are ≥ 0, so Σ|products| is the entry itself.
    func testPatchDensityMatchesNaive() {
        let shapes = [(3, 1, 28, 28, 3), (3, 3, 32, 32, 2), (3, 1, 5, 6, 2), (3, 2, 4, 3, 1), (1, 1, 4, 4, 2),
                      (2, 2, 7, 5, 2), (5, 1, 9, 11, 2), (3, 16, 8, 9, 2), (3, 1, 3, 3, 1), (3, 1, 10, 10, 70)]
        for (index, (k, c, h, w, batch)) in shapes.enumerated() {
            let label = "k=\(k) C=\(c) H=\(h) W=\(w) B=\(batch)"
            let n = k * k * c
            let x = uniformPixels(batch * h * w * c, seed: 100 + UInt64(index))
            let (ref, refSum) = naivePatchDensity(x, batch: batch, h: h, w: w, c: c, k: k)
            let below = -12345.0
            var rho = [Double](repeating: 0, count: n * n)
            for i in 0..<n { for j in 0..<n { rho[i * n + j] = j < i ? below : Double(i + 2 * j) } }
            var sum = (0..<n).map { Double($0) + 0.5 }
            let rho0 = rho, sum0 = sum
            accumulatePatchDensity(x, batch: batch, height: h, width: w, channels: c, kernel: k, rho: &rho, sum: &sum,
                                   isa: .baseline)
            // Every wider instruction set does the same operations on each element in the same
            // order: equal bits, not just within the bound.
            for isa in VectorISA.allCases where isa > .baseline && isa <= VectorISA.best {
                var rhoWide = rho0, sumWide = sum0
                accumulatePatchDensity(x, batch: batch, height: h, width: w, channels: c, kernel: k, rho: &rhoWide,
                                       sum: &sumWide, isa: isa)
                XCTAssertEqual(rhoWide.map(\.bitPattern), rho.map(\.bitPattern), "\(label) \(isa.name): ρ")
                XCTAssertEqual(sumWide.map(\.bitPattern), sum.map(\.bitPattern), "\(label) \(isa.name): Σh")
            }

            let terms = batch * (h - k + 1) * (w - k + 1)
            for i in 0..<n {
                for j in 0..<n where j < i {
                    XCTAssertEqual(rho[i * n + j], below, "\(label): entry (\(i), \(j)) below the diagonal changed")
                }
                for j in i..<n {
                    // + the Double addition to the nonzero start value.
                    let bound = Float32Bound.dot(terms: terms, absSum: ref[i * n + j]) + 4 * Double.ulpOfOne * abs(rho[i * n + j])
                    XCTAssertEqual(rho[i * n + j] - rho0[i * n + j], ref[i * n + j], accuracy: bound, "\(label): ρ(\(i), \(j))")
                }
            }
            for i in 0..<n {
                let bound = Float32Bound.dot(terms: terms, absSum: refSum[i]) + 4 * Double.ulpOfOne * abs(sum[i])
                XCTAssertEqual(sum[i] - sum0[i], refSum[i], accuracy: bound, "\(label): Σh[\(i)]")
            }
        }
    }

    /// Splitting a batch across calls gives the same accumulators as one call.
    func testPatchDensityAccumulatesAcrossCalls() {
        let (k, c, h, w, batch) = (3, 3, 9, 8, 5)
        let n = k * k * c, image = h * w * c
        let x = uniformPixels(batch * image, seed: 7)
        var rhoOne = [Double](repeating: 0, count: n * n), sumOne = [Double](repeating: 0, count: n)
        accumulatePatchDensity(x, batch: batch, height: h, width: w, channels: c, kernel: k, rho: &rhoOne, sum: &sumOne)
        var rhoTwo = [Double](repeating: 0, count: n * n), sumTwo = [Double](repeating: 0, count: n)
        x.withUnsafeBufferPointer { p in
            accumulatePatchDensity(p.baseAddress!, batch: 2, height: h, width: w, channels: c, kernel: k, rho: &rhoTwo, sum: &sumTwo)
            accumulatePatchDensity(p.baseAddress! + 2 * image, batch: batch - 2, height: h, width: w, channels: c, kernel: k,
                                   rho: &rhoTwo, sum: &sumTwo)
        }
        // Both are within the Float32 bound of the exact value (entries ≥ 0), so within twice it of each other.
        let terms = batch * (h - k + 1) * (w - k + 1)
        for i in 0..<n {
            for j in i..<n {
                XCTAssertEqual(rhoTwo[i * n + j], rhoOne[i * n + j], accuracy: 2 * Float32Bound.dot(terms: terms, absSum: rhoOne[i * n + j]))
            }
            XCTAssertEqual(sumTwo[i], sumOne[i], accuracy: 2 * Float32Bound.dot(terms: terms, absSum: sumOne[i]))
        }
    }
}
