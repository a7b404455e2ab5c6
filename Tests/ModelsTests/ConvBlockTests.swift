import XCTest
@testable import Models
@testable import Numerics

/// The fused conv → ReLU → pool block, in both its algorithms, against the composition of the
/// reference layers (Conv2D on im2col + GEMM, ReLU, MaxPool2), forward and backward.
final class ConvBlockTests: XCTestCase {
    func floats(_ n: Int, _ seed: UInt64) -> [Float] {
        var rng = SeededRandom(seed: seed)
        return (0..<n).map { _ in Float(rng.nextGaussian()) }
    }

    /// Values j / 2^e, j ∈ −8…8: on this dyadic grid every product and every partial sum the
    /// block computes is exactly representable, so the result does not depend on the order.
    func grid(_ n: Int, _ seed: UInt64, exponent: Int) -> [Float] {
        var rng = SeededRandom(seed: seed)
        return (0..<n).map { _ in Float(rng.nextInt(below: 17) - 8) / Float(1 << exponent) }
    }

    func testFusedBlockMatchesReferenceLayers() {
        // Odd conv output (9×8) exercises the dropped last row of the pool; 28×28×16 at batch 7
        // runs the GEMM path in two chunks (5 images of 2¹⁹ / (4 · 169 · 144), then 2).
        for algorithm in ConvBlockAlgorithm.allCases {
        for (input, filters, batch) in [(Shape3(11, 10, 3), 5, 3), (Shape3(28, 28, 1), 4, 2), (Shape3(7, 7, 16), 32, 2),
                                        (Shape3(28, 28, 16), 8, 7)] {
            var rng = SeededRandom(seed: 41)
            let conv = Conv2D(input: input, filters: filters, kernel: 3, rng: &rng)
            // Exact by construction (issue #10): x, dy ∈ {j/8}, w ∈ {j/16}, b ∈ {−1/8, 0, 1/8}, |j| ≤ 8. Forward: ≤ 9·32 + 1
            // terms that are multiples of 2⁻⁷ with |z| ≤ 144·½ + ⅛, i.e. integers·2⁻⁷ below 2¹⁵; dx: ≤ 9·32 terms, multiples
            // of 2⁻⁷, |dx| ≤ 144; dW: ≤ 7·26·26 = 4732 terms, multiples of 2⁻⁶, |dW| ≤ 4732 < 2¹³; dBias: ≤ 4732 multiples of
            // 2⁻³. Every partial sum is an integer multiple of its grid below 2²⁴ (Float's significand), so direct SIMD,
            // im2col + any SGEMM kernel family, FMA or not, in any order, are all exact: the outputs must be equal.
            conv.weights.value = grid(conv.weights.value.count, 40, exponent: 4)
            for i in conv.bias.value.indices { conv.bias.value[i] = Float(i % 3) * 0.125 - 0.125 }
            let relu = ReLU(shape: conv.outputShape), pool = MaxPool2(input: conv.outputShape)
            let block = ConvBlock(input: input, filters: filters, kernel: 3, weights: conv.weights.value, bias: conv.bias.value)
            block.algorithm = algorithm
            XCTAssertEqual(block.outputShape, pool.outputShape)
            // Layers keep a pointer to their input for backward: the buffer must outlive it.
            let x = UnsafeMutablePointer<Float>.allocate(capacity: batch * input.count)
            defer { x.deallocate() }
            x.initialize(from: grid(batch * input.count, 42, exponent: 3), count: batch * input.count)
            let yRef = pool.forward(relu.forward(conv.forward(x, batch: batch), batch: batch), batch: batch)
            let y = block.forward(x, batch: batch)
            let n = batch * block.outputShape.count
            for i in 0..<n { XCTAssertEqual(y[i], yRef[i], "\(algorithm) \(input) output \(i)") }

            let dy = grid(n, 43, exponent: 3)
            let dxRef = conv.backward(relu.backward(pool.backward(dy, batch: batch, needInputGrad: true)!, batch: batch,
                                                    needInputGrad: true)!, batch: batch, needInputGrad: true)!
            let dx = block.backward(dy, batch: batch, needInputGrad: true)!
            for i in 0..<(batch * input.count) { XCTAssertEqual(dx[i], dxRef[i], "\(algorithm) \(input) dx \(i)") }
            for i in conv.weights.grad.indices {
                XCTAssertEqual(block.weights.grad[i], conv.weights.grad[i], "\(algorithm) dW \(i)")
            }
            for i in conv.bias.grad.indices { XCTAssertEqual(block.bias.grad[i], conv.bias.grad[i], "\(algorithm) dBias") }
        }
        }
    }

    func testPreferredAlgorithmFollowsLayerSize() {
        XCTAssertEqual(ConvBlockAlgorithm.preferred(patchSize: 9, filters: 4, pooledWidth: 13), .direct)
        XCTAssertEqual(ConvBlockAlgorithm.preferred(patchSize: 27, filters: 16, pooledWidth: 15), .direct)
        XCTAssertEqual(ConvBlockAlgorithm.preferred(patchSize: 36, filters: 3, pooledWidth: 5), .direct)
        XCTAssertEqual(ConvBlockAlgorithm.preferred(patchSize: 144, filters: 32, pooledWidth: 5), .gemm)
        var rng = SeededRandom(seed: 46)
        let block = ConvBlock(input: Shape3(13, 13, 16), filters: 32, kernel: 3, rng: &rng)
        XCTAssertEqual(block.algorithm, .gemm)
        block.algorithm = .direct
        XCTAssertEqual((block.replica() as! ConvBlock).algorithm, .direct)
    }

    func testFrozenBlockStillPassesGradientDown() {
        for algorithm in ConvBlockAlgorithm.allCases {
        var rng = SeededRandom(seed: 45)
        let block = ConvBlock(input: Shape3(6, 6, 1), filters: 2, kernel: 3, rng: &rng)
        block.trainable = false
        block.algorithm = algorithm
        let x = floats(36, 1)
        let dx = x.withUnsafeBufferPointer { xp -> UnsafeMutablePointer<Float>? in
            _ = block.forward(xp.baseAddress!, batch: 1)
            return block.backward(floats(8, 2), batch: 1, needInputGrad: true)
        }
        XCTAssertNotNil(dx)
        XCTAssertEqual(block.weights.grad, [Float](repeating: 0, count: 18))
        XCTAssertNil(block.backward(floats(8, 2), batch: 1, needInputGrad: false))
        }
    }
}
