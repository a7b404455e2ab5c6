import XCTest
@testable import Numerics

/// The C kernels of the fused conv → ReLU → 2×2 max-pool block in every instruction set this
/// CPU runs, against scalar loops. Forward: each output is bias + x₀w₀ + x₁w₁ + … in im2col
/// order; backward: each weight gradient is 0 + x·g + x·g + … over the windows in order, each
/// input gradient a sum over windows of per-position sums over winning filters. Both
/// sides round once per multiply and per add (no fused multiply-add), so the results must be
/// equal bit for bit, on any finite values: the tolerance is zero by construction.
final class ConvBlockCKernelTests: XCTestCase {
    func naive(_ x: [Float], batch: Int, height: Int, width: Int, channels: Int, kernel k: Int,
               weights w: [Float], bias: [Float], filters f: Int) -> (y: [Float], winners: [UInt8]) {
        let ph = (height - k + 1) / 2, pw = (width - k + 1) / 2
        var y = [Float](repeating: .nan, count: batch * ph * pw * f)
        var winners = [UInt8](repeating: 0, count: y.count)
        for b in 0..<batch {
            for py in 0..<ph {
                for px in 0..<pw {
                    for o in 0..<f {
                        var best = -Float.infinity, at = 0
                        for q in 0..<4 {
                            let oy = 2 * py + q / 2, ox = 2 * px + q % 2
                            var z = bias[o]
                            for ky in 0..<k {
                                for kx in 0..<k {
                                    for c in 0..<channels {
                                        let xi = ((b * height + oy + ky) * width + ox + kx) * channels + c
                                        let wi = ((ky * k + kx) * channels + c) * f + o
                                        let product = x[xi] * w[wi]
                                        z = z + product
                                    }
                                }
                            }
                            if q == 0 || z > best { best = z; at = q }
                        }
                        let out = ((b * ph + py) * pw + px) * f + o
                        y[out] = best > 0 ? best : 0
                        winners[out] = best > 0 ? UInt8(at) : noGradient
                    }
                }
            }
        }
        return (y, winners)
    }

    func gaussians(_ n: Int, _ rng: inout SeededRandom) -> [Float] { (0..<n).map { _ in Float(rng.nextGaussian()) } }

    /// Gaussian, with every fifth 0: zero gradients are skipped by the kernels.
    func outputGradients(_ n: Int, _ rng: inout SeededRandom) -> [Float] {
        var dy = gaussians(n, &rng)
        for i in stride(from: 0, to: n, by: 5) { dy[i] = 0 }
        return dy
    }

    let isas = VectorISA.allCases.filter { $0 <= VectorISA.best }

    /// (H, W, C, k, F, batch): MNIST and CIFAR layer 1; odd conv outputs (the pool drops a row
    /// and a column); pooled rows wider than one vector of 16 windows (W = 40: 19); narrower
    /// than one of 4 (W = 6: 2); F not a multiple of 4 or of a group; k = 5. The forward's
    /// transposed write-out takes F = 4, 8 and 16 (fewer, as many and more filters than lanes,
    /// whole and partial blocks of windows: W = 40 with 8 and 16); the others the scalar loop.
    let shapes = [(28, 28, 1, 3, 4, 2), (32, 32, 3, 3, 16, 2), (11, 10, 3, 3, 5, 3), (9, 40, 2, 3, 7, 2),
                  (6, 6, 1, 3, 1, 1), (13, 17, 4, 5, 6, 2), (15, 15, 4, 3, 15, 1), (28, 28, 1, 3, 8, 2),
                  (9, 40, 1, 3, 8, 1), (9, 40, 2, 3, 16, 1), (6, 6, 1, 3, 4, 3)]

    /// Gaussian x, weights and bias of each shape, with the scalar loop's forward.
    func cases(seed: UInt64) -> [(h: Int, w: Int, c: Int, k: Int, f: Int, batch: Int, x: [Float], weights: [Float],
                                  bias: [Float], y: [Float], winners: [UInt8])] {
        var rng = SeededRandom(seed: seed)
        return shapes.map { (h, wd, c, k, f, batch) in
            let x = gaussians(batch * h * wd * c, &rng)
            let w = gaussians(k * k * c * f, &rng)
            let bias = gaussians(f, &rng)
            let r = naive(x, batch: batch, height: h, width: wd, channels: c, kernel: k, weights: w, bias: bias, filters: f)
            return (h, wd, c, k, f, batch, x, w, bias, r.y, r.winners)
        }
    }

    func testEveryInstructionSetMatchesTheScalarLoopBitForBit() {
        for (h, wd, c, k, f, batch, x, w, bias, refY, refWinners) in cases(seed: 7) {
            let reference = (y: refY, winners: refWinners)
            for isa in isas {
                var y = [Float](repeating: .nan, count: reference.y.count)
                var winners = [UInt8](repeating: 77, count: reference.y.count)
                convReluPool2Forward(x, batch: batch, height: h, width: wd, channels: c, kernel: k, weights: w, bias: bias,
                                     filters: f, &y, winners: &winners, isa: isa)
                let shape = "\(isa.name) \(h)×\(wd)×\(c) k\(k) F\(f)"
                XCTAssertEqual(y.map(\.bitPattern), reference.y.map(\.bitPattern), shape)
                XCTAssertEqual(winners, reference.winners, shape)
                // Both signs occur, so the ReLU and the winners' `noGradient` are exercised.
                XCTAssertTrue(y.contains(0) && y.contains { $0 > 0 }, shape)
            }
        }
    }

    func testTiesGoToTheFirstPositionAndClippedOutputsHaveNoWinner() {
        // A constant image: all four positions tie; the first wins. A negative bias clips.
        let x = [Float](repeating: 1, count: 2 * 4 * 4)
        for isa in isas {
            var y = [Float](repeating: .nan, count: 2 * 1 * 1 * 2)
            var winners = [UInt8](repeating: 77, count: 4)
            convReluPool2Forward(x, batch: 2, height: 4, width: 4, channels: 1, kernel: 3,
                                 weights: [Float](repeating: 0.5, count: 18), bias: [0, -10], filters: 2,
                                 &y, winners: &winners, isa: isa)
            XCTAssertEqual(y, [4.5, 0, 4.5, 0], isa.name)
            XCTAssertEqual(winners, [0, noGradient, 0, noGradient], isa.name)
        }
    }

    func testWeightGradientsOfEveryInstructionSetMatchTheScalarLoopBitForBit() {
        var rng = SeededRandom(seed: 9)
        for (h, wd, c, k, f, batch, x, w, _, y, winners) in cases(seed: 8) {
            let forward = (y: y, winners: winners)
            let dy = outputGradients(forward.y.count, &rng)
            let ph = (h - k + 1) / 2, pw = (wd - k + 1) / 2, rows = k * k * c
            let dW0 = gaussians(rows * f, &rng), dBias0 = gaussians(f, &rng)
            // The scalar loop: per entry, Σ over windows in order from 0, then added on.
            var dW = dW0, dBias = dBias0
            for o in 0..<f {
                var bSum: Float = 0
                var wSum = [Float](repeating: 0, count: rows)
                for b in 0..<batch { for py in 0..<ph { for px in 0..<pw {
                    let out = ((b * ph + py) * pw + px) * f + o
                    let q = Int(forward.winners[out])
                    if q == Int(noGradient) { continue }
                    let g = dy[out]
                    bSum = bSum + g
                    for ky in 0..<k { for kx in 0..<k { for ch in 0..<c {
                        let xi = ((b * h + 2 * py + q / 2 + ky) * wd + 2 * px + q % 2 + kx) * c + ch
                        let product = x[xi] * g
                        wSum[(ky * k + kx) * c + ch] = wSum[(ky * k + kx) * c + ch] + product
                    } } }
                } } }
                for r in 0..<rows { dW[r * f + o] += wSum[r] }
                dBias[o] += bSum
            }
            for isa in isas {
                var dWC = dW0, dBiasC = dBias0
                convReluPool2Backward(x, dy: dy, winners: forward.winners, batch: batch, height: h, width: wd,
                                      channels: c, kernel: k, weights: w, filters: f, dWeights: &dWC, dBias: &dBiasC,
                                      dx: nil, isa: isa)
                let shape = "\(isa.name) \(h)×\(wd)×\(c) k\(k) F\(f)"
                XCTAssertEqual(dWC.map(\.bitPattern), dW.map(\.bitPattern), shape)
                XCTAssertEqual(dBiasC.map(\.bitPattern), dBias.map(\.bitPattern), shape)
            }
        }
    }

    func testInputGradientsOfEveryInstructionSetMatchTheScalarLoopBitForBit() {
        var rng = SeededRandom(seed: 10)
        for (h, wd, c, k, f, batch, x, w, _, y, winners) in cases(seed: 11) {
            let forward = (y: y, winners: winners)
            let dy = outputGradients(forward.y.count, &rng)
            let ph = (h - k + 1) / 2, pw = (wd - k + 1) / 2, rows = k * k * c
            // The scalar loop: per window, each position's patch gradient is 0 + g·w + g·w + … over
            // its winning filters in order; the positions' gradients are added to dx in order 0…3.
            var dx = [Float](repeating: 0, count: x.count)
            for b in 0..<batch { for py in 0..<ph { for px in 0..<pw {
                let out = ((b * ph + py) * pw + px) * f
                var patches = [[Float]?](repeating: nil, count: 4)
                for o in 0..<f {
                    let q = Int(forward.winners[out + o])
                    if q == Int(noGradient) || dy[out + o] == 0 { continue }
                    var patch = patches[q] ?? [Float](repeating: 0, count: rows)
                    for r in 0..<rows {
                        let product = w[r * f + o] * dy[out + o]
                        patch[r] = patch[r] + product
                    }
                    patches[q] = patch
                }
                for q in 0..<4 {
                    guard let patch = patches[q] else { continue }
                    for ky in 0..<k { for kx in 0..<k { for ch in 0..<c {
                        let xi = ((b * h + 2 * py + q / 2 + ky) * wd + 2 * px + q % 2 + kx) * c + ch
                        dx[xi] = dx[xi] + patch[(ky * k + kx) * c + ch]
                    } } }
                }
            } } }
            XCTAssertTrue(dx.contains { $0 != 0 })
            for isa in isas {
                var dxC = [Float](repeating: .nan, count: x.count)
                convReluPool2Backward(x, dy: dy, winners: forward.winners, batch: batch, height: h, width: wd,
                                      channels: c, kernel: k, weights: w, filters: f, dWeights: nil, dBias: nil,
                                      dx: &dxC, isa: isa)
                XCTAssertEqual(dxC.map(\.bitPattern), dx.map(\.bitPattern), "\(isa.name) \(h)×\(wd)×\(c) k\(k) F\(f)")
            }
        }
    }
}
