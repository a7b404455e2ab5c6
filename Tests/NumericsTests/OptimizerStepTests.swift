import XCTest
@testable import Numerics

/// The C optimiser updates in every instruction set this CPU runs, against the scalar Swift
/// formulas they replaced. Each element is the same Float operations in the same order on both
/// sides, and division and square root are correctly rounded, so they must agree bit for bit:
/// the tolerance is zero by construction. Lengths that are not multiples of any vector width
/// exercise the vector loops' tails; several steps feed the state back in.
final class OptimizerStepTests: XCTestCase {
    let isas = VectorISA.allCases.filter { $0 <= VectorISA.best }
    let lengths = [1, 3, 17, 64, 1003]

    func testAdamStepMatchesScalarFormulaBitForBit() {
        let b1 = Float(0.9), b2 = Float(0.999), eps = Float(1e-7)
        for n in lengths {
            for isa in isas {
                var w = randomFloats(n, seed: 1), m = [Float](repeating: 0, count: n), v = m
                var rw = w, rm = m, rv = v
                for step in 1...4 {
                    // Gradients over many magnitudes, some exactly 0, so that √v + ε matters.
                    let g = randomFloats(n, seed: UInt64(10 + step), scale: pow(10, Double(step) - 3))
                        .enumerated().map { $0.offset % 7 == 3 ? 0 : $0.element }
                    let lrT = Float(0.001 * (1 - pow(0.999, Double(step))).squareRoot() / (1 - pow(0.9, Double(step))))
                    for i in 0..<n {
                        rm[i] = b1 * rm[i] + (1 - b1) * g[i]
                        rv[i] = b2 * rv[i] + (1 - b2) * g[i] * g[i]
                        rw[i] -= lrT * rm[i] / (rv[i].squareRoot() + eps)
                    }
                    w.withUnsafeMutableBufferPointer { w in
                        m.withUnsafeMutableBufferPointer { m in
                            v.withUnsafeMutableBufferPointer { v in
                                g.withUnsafeBufferPointer { g in
                                    adamStep(w, m: m, v: v, g: StepGradient(g), b1: b1, b2: b2, lrT: lrT, eps: eps, isa: isa)
                                }
                            }
                        }
                    }
                }
                XCTAssertEqual(w.map(\.bitPattern), rw.map(\.bitPattern), "weights, n \(n), \(isa.name)")
                XCTAssertEqual(m.map(\.bitPattern), rm.map(\.bitPattern), "first moment, n \(n), \(isa.name)")
                XCTAssertEqual(v.map(\.bitPattern), rv.map(\.bitPattern), "second moment, n \(n), \(isa.name)")
                XCTAssertNotEqual(w, randomFloats(n, seed: 1), "the step moved no weight")
            }
        }
    }

    func testMomentumStepMatchesScalarFormulaBitForBit() {
        let mu = Float(0.9), lr = Float(0.01)
        for n in lengths {
            for isa in isas {
                var w = randomFloats(n, seed: 2), v = [Float](repeating: 0, count: n)
                var rw = w, rv = v
                for step in 1...4 {
                    let g = randomFloats(n, seed: UInt64(20 + step), scale: pow(10, Double(step) - 3))
                    for i in 0..<n {
                        rv[i] = mu * rv[i] - lr * g[i]
                        rw[i] += rv[i]
                    }
                    w.withUnsafeMutableBufferPointer { w in
                        v.withUnsafeMutableBufferPointer { v in
                            g.withUnsafeBufferPointer { g in momentumStep(w, v: v, g: StepGradient(g), mu: mu, lr: lr, isa: isa) }
                        }
                    }
                }
                XCTAssertEqual(w.map(\.bitPattern), rw.map(\.bitPattern), "weights, n \(n), \(isa.name)")
                XCTAssertEqual(v.map(\.bitPattern), rv.map(\.bitPattern), "velocity, n \(n), \(isa.name)")
                XCTAssertNotEqual(w, randomFloats(n, seed: 2), "the step moved no weight")
            }
        }
    }

    /// Two shards' gradients merged inside the step: the same bits as scaling the first,
    /// adding the scaled second (the two passes the trainer made before) and stepping on that.
    func testStepsMergeTwoShardsBitForBit() {
        let b1 = Float(0.9), b2 = Float(0.999), eps = Float(1e-7), mu = Float(0.9), lr = Float(0.01)
        // Shares of an odd batch (21 + 22 of 43), not exactly representable.
        let s0 = Float(21) / Float(43), s1 = Float(22) / Float(43)
        for n in lengths {
            for isa in isas {
                let g0 = randomFloats(n, seed: 31, scale: 0.1), g1 = randomFloats(n, seed: 32, scale: 0.1)
                var merged = g0
                for i in 0..<n { merged[i] *= s0 }
                for i in 0..<n { merged[i] += s1 * g1[i] }
                var w = randomFloats(n, seed: 3), m = [Float](repeating: 0.5, count: n), v = [Float](repeating: 0.25, count: n)
                var rw = w, rm = m, rv = v
                var mw = w, mv = [Float](repeating: 0.1, count: n), rmw = mw, rmv = mv
                g0.withUnsafeBufferPointer { g0 in
                    g1.withUnsafeBufferPointer { g1 in
                        let g = StepGradient(g0, share: s0, g1, share: s1)
                        XCTAssertEqual((0..<n).map { g[$0].bitPattern }, merged.map(\.bitPattern), "subscript, n \(n)")
                        w.withUnsafeMutableBufferPointer { w in
                            m.withUnsafeMutableBufferPointer { m in
                                v.withUnsafeMutableBufferPointer { v in
                                    adamStep(w, m: m, v: v, g: g, b1: b1, b2: b2, lrT: 0.003, eps: eps, isa: isa)
                                }
                            }
                        }
                        mw.withUnsafeMutableBufferPointer { w in
                            mv.withUnsafeMutableBufferPointer { v in momentumStep(w, v: v, g: g, mu: mu, lr: lr, isa: isa) }
                        }
                    }
                }
                merged.withUnsafeBufferPointer { g in
                    rw.withUnsafeMutableBufferPointer { w in
                        rm.withUnsafeMutableBufferPointer { m in
                            rv.withUnsafeMutableBufferPointer { v in
                                adamStep(w, m: m, v: v, g: StepGradient(g), b1: b1, b2: b2, lrT: 0.003, eps: eps, isa: .baseline)
                            }
                        }
                    }
                    rmw.withUnsafeMutableBufferPointer { w in
                        rmv.withUnsafeMutableBufferPointer { v in
                            momentumStep(w, v: v, g: StepGradient(g), mu: mu, lr: lr, isa: .baseline)
                        }
                    }
                }
                XCTAssertEqual(w.map(\.bitPattern), rw.map(\.bitPattern), "Adam weights, n \(n), \(isa.name)")
                XCTAssertEqual(m.map(\.bitPattern), rm.map(\.bitPattern), "Adam first moment, n \(n), \(isa.name)")
                XCTAssertEqual(v.map(\.bitPattern), rv.map(\.bitPattern), "Adam second moment, n \(n), \(isa.name)")
                XCTAssertEqual(mw.map(\.bitPattern), rmw.map(\.bitPattern), "momentum weights, n \(n), \(isa.name)")
                XCTAssertEqual(mv.map(\.bitPattern), rmv.map(\.bitPattern), "velocity, n \(n), \(isa.name)")
            }
        }
    }
}
