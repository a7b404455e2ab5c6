import XCTest
@testable import Numerics

/// Naive Double matmul of row-major op(A)·op(B), the independent reference for sgemm.
func naiveMatmul(_ a: [Float], _ b: [Float], m: Int, n: Int, k: Int, transA: Bool, transB: Bool) -> [Double] {
    var c = [Double](repeating: 0, count: m * n)
    for i in 0..<m {
        for j in 0..<n {
            var s = 0.0
            for p in 0..<k {
                let av = transA ? a[p * m + i] : a[i * k + p]
                let bv = transB ? b[j * k + p] : b[p * n + j]
                s += Double(av) * Double(bv)
            }
            c[i * n + j] = s
        }
    }
    return c
}

func randomFloats(_ n: Int, seed: UInt64, scale: Double = 1) -> [Float] {
    var rng = SeededRandom(seed: seed)
    return (0..<n).map { _ in Float(rng.nextGaussian() * scale) }
}

final class BLASTests: XCTestCase {
    /// Tolerance: `Float32Bound.dot`, the worst case of any summation order, from Σ|a||b|.
    func testSgemmMatchesNaiveForAllTransposes() {
        let (m, n, k) = (7, 5, 40)
        for transA in [false, true] {
            for transB in [false, true] {
                let a = randomFloats(m * k, seed: 1), b = randomFloats(k * n, seed: 2)
                var c = [Float](repeating: 0, count: m * n)
                sgemm(transA, transB, m: m, n: n, k: k, a, b, &c)
                let ref = naiveMatmul(a, b, m: m, n: n, k: k, transA: transA, transB: transB)
                let absRef = naiveMatmul(a.map(abs), b.map(abs), m: m, n: n, k: k, transA: transA, transB: transB)
                for i in 0..<(m * n) {
                    XCTAssertEqual(Double(c[i]), ref[i], accuracy: Float32Bound.dot(terms: k, absSum: absRef[i]),
                                   "transA \(transA) transB \(transB) at \(i)")
                }
            }
        }
    }

    func testSgemmAlphaBetaAccumulate() {
        let (m, n, k) = (3, 4, 6)
        let a = randomFloats(m * k, seed: 3), b = randomFloats(k * n, seed: 4)
        let c0 = randomFloats(m * n, seed: 5)
        var c = c0
        sgemm(false, false, m: m, n: n, k: k, alpha: 2, a, b, beta: 0.5, &c)
        let ref = naiveMatmul(a, b, m: m, n: n, k: k, transA: false, transB: false)
        let absRef = naiveMatmul(a.map(abs), b.map(abs), m: m, n: n, k: k, transA: false, transB: false)
        for i in 0..<(m * n) {
            // α·AB + β·C₀: k products, the scaling and the final addition (k + 2 roundings).
            let bound = Float32Bound.dot(terms: k + 2, absSum: 2 * absRef[i] + 0.5 * abs(Double(c0[i])))
            XCTAssertEqual(Double(c[i]), 2 * ref[i] + 0.5 * Double(c0[i]), accuracy: bound)
        }
    }

    func testGramAccumulationMatchesNaive() {
        let (rows, n) = (50, 9)
        let a = randomFloats(rows * n, seed: 6)
        var rho = [Double](repeating: 0, count: n * n)
        var scratch = [Float](repeating: 0, count: n * n)
        accumulateDensity(block: a, rows: rows, n: n, scratch: &scratch, into: &rho)
        accumulateDensity(block: a, rows: rows, n: n, scratch: &scratch, into: &rho)
        let ref = naiveMatmul(a, a, m: n, n: n, k: rows, transA: true, transB: false)
        let absRef = naiveMatmul(a.map(abs), a.map(abs), m: n, n: n, k: rows, transA: true, transB: false)
        // Each call sums `rows` Float products, then adds them to the Double accumulator.
        for i in 0..<n {
            for j in i..<n {
                XCTAssertEqual(rho[i * n + j], 2 * ref[i * n + j], accuracy: 2 * Float32Bound.dot(terms: rows, absSum: absRef[i * n + j]))
            }
        }
    }

    func testEigenReconstructsAndIsOrthonormal() throws {
        let n = 12
        let g = randomFloats(n * n, seed: 7).map(Double.init)
        // A = G Gᵀ: symmetric positive semi-definite, like a density matrix.
        var a = [Double](repeating: 0, count: n * n)
        for i in 0..<n { for j in 0..<n { for p in 0..<n { a[i * n + j] += g[i * n + p] * g[j * n + p] } } }
        let e = try symmetricEigen(a, n: n)
        // LAPACK's Double symmetric eigensolver is backward stable: ‖VᵀV − I‖ and ‖A − VΛVᵀ‖/‖A‖ are ≤ p(n)·ε with p(n)
        // a modest polynomial; we take p(n) = 64n (1.7e-13 at n = 12) and ‖A‖₂ ≤ trace(A) (A is PSD).
        let tol = 64 * Double(n) * Double.ulpOfOne, normA = (0..<n).reduce(0.0) { $0 + a[$1 * n + $1] }
        for i in 1..<n { XCTAssertGreaterThanOrEqual(e.values[i - 1], e.values[i], "eigenvalues must be descending") }
        for i in 0..<n {
            for j in 0..<n {
                var dot = 0.0, rec = 0.0
                for p in 0..<n {
                    dot += e.vectors[i * n + p] * e.vectors[j * n + p]
                    rec += e.vectors[p * n + i] * e.values[p] * e.vectors[p * n + j]
                }
                XCTAssertEqual(dot, i == j ? 1 : 0, accuracy: tol, "VᵀV at (\(i),\(j))")
                XCTAssertEqual(rec, a[i * n + j], accuracy: tol * normA, "V·diag(λ)·Vᵀ at (\(i),\(j))")
            }
        }
        // Each vector satisfies A v = λ v.
        for r in 0..<n {
            for i in 0..<n {
                var av = 0.0
                for p in 0..<n { av += a[i * n + p] * e.vectors[r * n + p] }
                XCTAssertEqual(av, e.values[r] * e.vectors[r * n + i], accuracy: tol * normA)
            }
        }
    }

    func testRandomIsReproducibleAndStreamsDiffer() {
        var a = SeededRandom(seed: 42), b = SeededRandom(seed: 42), c = SeededRandom(seed: 42, stream: "x")
        let xs = (0..<5).map { _ in a.next() }
        XCTAssertEqual(xs, (0..<5).map { _ in b.next() })
        XCTAssertNotEqual(xs, (0..<5).map { _ in c.next() })
        // Pinned values from an independent Python implementation of SplitMix64 + xoshiro256**:
        // the same seed must give the same numbers on every machine and release.
        var p = SeededRandom(seed: 1)
        XCTAssertEqual((0..<3).map { _ in p.next() }, [12966619160104079557, 9600361134598540522, 10590380919521690900])
        var g = SeededRandom(seed: 9)
        let mean = (0..<20000).map { _ in g.nextGaussian() }.reduce(0, +) / 20000
        // Statistical: the mean of 20 000 N(0, 1) draws has σ = 1/√20000 ≈ 0.0071; 0.03 is 4.2σ (p ≈ 3e-5 for a correct
        // generator). The value itself is deterministic (pinned seed, integer generator), so it cannot vary by CPU.
        XCTAssertEqual(mean, 0, accuracy: 0.03)
    }
}

final class OpenBLASCoreTests: XCTestCase {
    let sapphireRapidsFlags = "processor\t: 0\nflags\t\t: fpu sse2 avx avx2 fma avx512f avx512dq avx512bw avx512vl avx512_bf16 amx_tile\nbogomips\t: 4200.00\n"

    func testForcesTheWidestKnownKernelsOnlyAfterAGenericFallback() {
        let flags = OpenBLASCore.cpuFlags(cpuinfo: sapphireRapidsFlags)
        XCTAssertTrue(flags.contains("avx512_bf16"))
        XCTAssertFalse(flags.contains("bogomips"))
        XCTAssertEqual(OpenBLASCore.override(current: "Prescott", cpuFlags: flags, environment: [:]), "Cooperlake")
        XCTAssertEqual(OpenBLASCore.override(current: "Prescott", cpuFlags: flags.subtracting(["avx512_bf16"]), environment: [:]), "SkylakeX")
        XCTAssertEqual(OpenBLASCore.override(current: "Prescott", cpuFlags: ["sse2", "avx", "avx2", "fma"], environment: [:]), "Haswell")
        XCTAssertEqual(OpenBLASCore.override(current: "Prescott", cpuFlags: ["sse2", "avx"], environment: [:]), "Sandybridge")
        // OpenBLAS knew the CPU, the CPU has nothing wider, or the user chose: leave it alone.
        XCTAssertNil(OpenBLASCore.override(current: "Haswell", cpuFlags: flags, environment: [:]))
        XCTAssertNil(OpenBLASCore.override(current: "Prescott", cpuFlags: ["sse2", "sse3"], environment: [:]))
        XCTAssertNil(OpenBLASCore.override(current: "Prescott", cpuFlags: flags, environment: ["OPENBLAS_CORETYPE": "Prescott"]))
        XCTAssertEqual(OpenBLASCore.cpuFlags(cpuinfo: "no flags here"), [])
    }
}
