import XCTest
@testable import Numerics

final class KernelTests: XCTestCase {
    /// The 7-loop definition of a valid, stride-1 NHWC convolution, in Double.
    func naiveConv(_ x: [Float], batch: Int, h: Int, w: Int, c: Int, k: Int, weights: [Float], bias: [Float], f: Int) -> [Double] {
        let oh = h - k + 1, ow = w - k + 1
        var y = [Double](repeating: 0, count: batch * oh * ow * f)
        for b in 0..<batch { for oy in 0..<oh { for ox in 0..<ow { for o in 0..<f {
            var s = Double(bias[o])
            for dy in 0..<k { for dx in 0..<k { for ci in 0..<c {
                s += Double(x[((b * h + oy + dy) * w + ox + dx) * c + ci]) * Double(weights[((dy * k + dx) * c + ci) * f + o])
            } } }
            y[((b * oh + oy) * ow + ox) * f + o] = s
        } } } }
        return y
    }

    func testConvForwardMatchesNaive() {
        for (batch, h, w, c, k, f) in [(2, 6, 5, 3, 3, 4), (1, 7, 7, 1, 3, 2), (3, 5, 6, 2, 2, 5)] {
            let x = randomFloats(batch * h * w * c, seed: 11)
            let wt = randomFloats(k * k * c * f, seed: 12)
            let bias = randomFloats(f, seed: 13)
            let rows = batch * (h - k + 1) * (w - k + 1)
            var cols = [Float](repeating: .nan, count: rows * k * k * c)
            im2col(x, batch: batch, height: h, width: w, channels: c, kernel: k, &cols)
            var y = [Float](repeating: .nan, count: rows * f)
            convForward(cols: cols, rows: rows, patchSize: k * k * c, weights: wt, bias: bias, filters: f, &y)
            let ref = naiveConv(x, batch: batch, h: h, w: w, c: c, k: k, weights: wt, bias: bias, f: f)
            // k²C products plus the bias per output: the Float32 sum bound from Σ|x||w| + |b|.
            let absRef = naiveConv(x.map(abs), batch: batch, h: h, w: w, c: c, k: k, weights: wt.map(abs), bias: bias.map(abs), f: f)
            for i in y.indices {
                XCTAssertEqual(Double(y[i]), ref[i], accuracy: Float32Bound.dot(terms: k * k * c + 1, absSum: absRef[i]),
                               "shape \((batch, h, w, c, k, f)) at \(i)")
            }
        }
    }

    /// col2im is im2col's adjoint: ⟨im2col(x), g⟩ = ⟨x, col2im(g)⟩.
    func testCol2imIsAdjointOfIm2col() {
        let (batch, h, w, c, k) = (2, 5, 6, 3, 3)
        let x = randomFloats(batch * h * w * c, seed: 14)
        let rows = batch * (h - k + 1) * (w - k + 1)
        let g = randomFloats(rows * k * k * c, seed: 15)
        var cols = [Float](repeating: 0, count: g.count)
        im2col(x, batch: batch, height: h, width: w, channels: c, kernel: k, &cols)
        var back = [Float](repeating: 0, count: x.count)
        col2imAdd(g, batch: batch, height: h, width: w, channels: c, kernel: k, &back)
        let lhs = zip(cols, g).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        let rhs = zip(x, back).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        // col2im adds up to k² Float contributions per pixel; ⟨x, ·⟩ is then taken in Double.
        let absSum = zip(cols, g).reduce(0.0) { $0 + abs(Double($1.0) * Double($1.1)) }
        XCTAssertEqual(lhs, rhs, accuracy: Float32Bound.dot(terms: k * k, absSum: absSum))
    }

    func testMaxPoolPicksWindowMaximaAndFirstOnTies() {
        // One 4×4 single-channel image with a tie in the top-left window.
        let x: [Float] = [1, 1, 0, 2,
                          0, 0, 3, 1,
                          5, 4, 0, 0,
                          4, 5, 0, -1]
        var y = [Float](repeating: 0, count: 4)
        var arg = [Int32](repeating: -1, count: 4)
        maxPool2Forward(x, batch: 1, height: 4, width: 4, channels: 1, &y, argmax: &arg)
        XCTAssertEqual(y, [1, 3, 5, 0])
        XCTAssertEqual(arg, [0, 6, 8, 10])
        var dx = [Float](repeating: 9, count: 16)
        maxPool2Backward(dy: [1, 2, 3, 4], argmax: arg, outputCount: 4, inputCount: 16, &dx)
        XCTAssertEqual(dx, [1, 0, 0, 0, 0, 0, 2, 0, 3, 0, 4, 0, 0, 0, 0, 0])
    }

    func testSoftmaxCrossEntropyMatchesDoubleReference() {
        let (batch, classes) = (4, 5)
        let logits = randomFloats(batch * classes, seed: 16, scale: 3)
        let labels: [Int32] = [0, 4, 2, 2]
        var d = [Float](repeating: 0, count: logits.count)
        let r = softmaxCrossEntropy(logits, labels: labels, batch: batch, classes: classes, dlogits: &d)
        // The kernel's only Float roundings: z_k − max (≤ u·|z_k − max|, which moves exp by that relative amount, and
        // the normaliser by at most the largest such), Float(p) (≤ u·p), p·(1/batch) (exact, batch = 4), d − 1/batch
        // (≤ u·|d|). exp, log and the sums are in Double: a few ε per operation on values ≤ classes·e^spread.
        let u = Float32Bound.u
        var loss = 0.0, lossBound = 0.0
        for b in 0..<batch {
            let z = (0..<classes).map { Double(logits[b * classes + $0]) }
            let spread = z.max()! - z.min()!
            let lse = log(z.map { exp($0) }.reduce(0, +))
            loss += lse - z[Int(labels[b])]
            lossBound += 2 * u * spread + 16 * Double.ulpOfOne * (abs(lse) + abs(z[Int(labels[b])]) + abs(loss))
            for k in 0..<classes {
                let p = exp(z[k] - lse) - (k == Int(labels[b]) ? 1 : 0)
                let q = exp(z[k] - lse)
                let bound = (q * (2 * u * spread + u) + u * abs(p)) * (1 + Float32Bound.gamma(4)) / Double(batch) + 16 * Double.ulpOfOne
                XCTAssertEqual(Double(d[b * classes + k]), p / Double(batch), accuracy: bound)
            }
        }
        XCTAssertEqual(r.loss, loss, accuracy: lossBound)
    }

    /// Keras's clipped loss: a sample whose label probability falls below ε (or above 1 − ε) adds
    /// −log of the bound and no gradient; the other samples' gradients are the unclipped kernel's,
    /// bit for bit (the same Float operations).
    func testClippedCrossEntropyZeroesSaturatedSamples() {
        let classes = 3
        // Row 0: label 0 at probability ~e^-30 ≈ 1e-13 < 1e-7 (saturated, wrong). Row 1: ordinary.
        // Row 2: label 2 at probability 1 − ~2e-9 > 1 − 1e-7 (saturated, right).
        let logits: [Float] = [0, 30, 0,   0.5, -1, 2,   0, 0, 20]
        let labels: [Int32] = [0, 1, 2]
        var clipped = [Float](repeating: 9, count: 9), plain = [Float](repeating: 9, count: 9)
        let c = softmaxCrossEntropy(logits, labels: labels, batch: 3, classes: classes, dlogits: &clipped, probabilityClip: 1e-7)
        let p = softmaxCrossEntropy(logits, labels: labels, batch: 3, classes: classes, dlogits: &plain)
        XCTAssertEqual(Array(clipped[0..<3]), [0, 0, 0])
        XCTAssertEqual(Array(clipped[6..<9]), [0, 0, 0])
        XCTAssertEqual(Array(clipped[3..<6]).map(\.bitPattern), Array(plain[3..<6]).map(\.bitPattern))
        XCTAssertNotEqual(Array(plain[0..<3]), [0, 0, 0])
        // Loss: −log(1e-7) for row 0, −log(Float(1 − 1e-7)) for row 2, −log(Float(p₁)) for row 1.
        // Row 1's p is rounded to Float (relative u) and the log of it is in Double.
        let z1 = [0.5, -1.0, 2.0]
        let p1 = exp(z1[1]) / z1.map(exp).reduce(0, +)
        let expected = -log(Double(Float(1e-7))) - log(Double(Float(1 - 1e-7) as Float)) - log(p1)
        XCTAssertEqual(c.loss, expected, accuracy: 2 * Double(Float32Bound.u) + 1e-12)
        XCTAssertEqual(c.correct, p.correct)
        XCTAssertEqual(c.correct, 1)  // row 2 only (row 1's largest logit is class 2)
    }
}
