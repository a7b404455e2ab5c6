import XCTest
@testable import Models
@testable import Numerics

/// Central finite differences against each layer's backward pass.
///
/// The layers compute in Float32; the scalar probed is L = Σ r ⊙ y for a fixed random r,
/// accumulated in Double. Tolerances (issue #10):
/// - Conv2D and Dense are affine in x and in each parameter, so the central difference has no
///   truncation error (f‴ = 0) for any h: h = 1 makes the rounding term ε_L/h small, and each
///   entry is checked against a bound from the data: |fd − g| ≤ 2ε_L/step + γ_{K_b}·B, with
///   ε_L ≤ γ_K·(Σ|r|·A + h·B) (A = the layer run on |x| with |θ|: Σ|w·x| + |b| per output) and
///   B = its backward of |r| (Σ|terms| of each gradient entry); step = the Float step actually taken.
/// - ReLU and max-pool do no arithmetic (select/route only): they are checked with the same
///   per-entry bound at h = 1e-3, which requires that no kink lies within ±h (|x| > h, window
///   gaps > 2h; random Gaussian data, checked by the result).
/// - The fused block (conv + kinks) keeps a ‖·‖ criterion (statistical, see there).
final class GradientCheckTests: XCTestCase {
    func seededFloats(_ n: Int, _ seed: UInt64) -> [Float] {
        var rng = SeededRandom(seed: seed)
        return (0..<n).map { _ in Float(rng.nextGaussian()) }
    }

    /// L(x) = Σ r·layer(x), with the layer's output in Double.
    func probe(_ layer: Layer, _ x: [Float], batch: Int, r: [Float]) -> Double {
        let y = layer.forward(x, batch: batch)
        var s = 0.0
        for i in r.indices { s += Double(r[i]) * Double(y[i]) }
        return s
    }

    func relativeError(_ a: [Double], _ b: [Double]) -> Double {
        let diff = zip(a, b).reduce(0.0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot()
        let na = a.reduce(0.0) { $0 + $1 * $1 }.squareRoot(), nb = b.reduce(0.0) { $0 + $1 * $1 }.squareRoot()
        return diff / max(na, nb, 1e-12)
    }

    /// Per-entry bound for `checkLayer` (see the type comment). At |x|, |θ|, backpropagating |r|: S = Σ|r|·A and
    /// B = Σ|terms| of each gradient entry. Moving one input (or parameter) i by ±h raises Σ|r|·A by at most h·B_i, so
    /// an evaluation of L is within γ_K·(S + h·B_i) (plus the Double sum's n·ε), and the analytic entry within γ_{K_b}·B_i.
    func bound(_ layer: Layer, x: [Float], r: [Float], batch: Int, h: Float) -> (input: [(Double) -> Double], params: [[(Double) -> Double]]) {
        let saved = layer.parameters.map(\.value)
        for p in layer.parameters { p.zeroGrad(); for i in p.value.indices { p.value[i] = abs(p.value[i]) } }
        let ax = x.map { abs($0) }, ar = r.map { abs($0) }
        let (a, b) = ax.withUnsafeBufferPointer { xp -> ([Double], [Double]) in
            let y = layer.forward(xp.baseAddress!, batch: batch)
            let a = (0..<r.count).map { Double(y[$0]) }
            let dx = layer.backward(ar, batch: batch, needInputGrad: true)!
            return (a, (0..<x.count).map { Double(dx[$0]) })
        }
        let pa = layer.parameters.map { $0.grad.map(Double.init) }
        for (p, v) in zip(layer.parameters, saved) { p.value = v; p.zeroGrad() }
        // Each output sums k²·C products + bias (conv) or inputShape.count + bias (dense); the Float abs sums are
        // themselves within γ_K of exact. Layers without parameters (ReLU, max-pool) only select and route: γ = 0.
        let selects = layer.parameters.isEmpty
        let k = ((layer as? Conv2D).map { $0.kernel * $0.kernel * layer.inputShape.channels } ?? layer.inputShape.count) + 1
        let gk = selects ? 0 : Float32Bound.gamma(k) * (1 + Float32Bound.gamma(k))
        // Each gradient entry sums ≤ batch · outputShape.count products.
        let kb = batch * layer.outputShape.count + 1, gb = selects ? 0 : Float32Bound.gamma(kb) * (1 + Float32Bound.gamma(kb))
        let s = zip(ar, a).reduce(0.0) { $0 + Double($1.0) * $1.1 }, eps = 2 * Double(r.count) * Double.ulpOfOne
        func entry(_ bi: Double) -> (Double) -> Double {
            let lossError = (gk + eps) * (s + Double(h) * bi * (1 + gk))
            return { step in 2 * lossError / step + gb * bi }
        }
        return (b.map(entry), pa.map { $0.map(entry) })
    }

    /// Checks dL/dx and dL/dθ for every parameter of `layer`, entry by entry against the derived bound.
    func checkLayer(_ layer: Layer, batch: Int, h: Float = 1, file: StaticString = #filePath, line: UInt = #line) {
        let x = seededFloats(batch * layer.inputShape.count, 21)
        let r = seededFloats(batch * layer.outputShape.count, 22)
        let budget = bound(layer, x: x, r: r, batch: batch, h: h)
        for p in layer.parameters { p.zeroGrad() }
        // Layers keep a pointer to their input for backward: keep x's buffer alive across both.
        let dx = x.withUnsafeBufferPointer { xp -> UnsafeMutablePointer<Float> in
            _ = layer.forward(xp.baseAddress!, batch: batch)
            return layer.backward(r, batch: batch, needInputGrad: true)!
        }
        let analyticX = (0..<x.count).map { Double(dx[$0]) }
        for i in x.indices {
            var xp = x, xm = x
            xp[i] += h; xm[i] -= h
            let step = Double(xp[i]) - Double(xm[i])
            let fd = (probe(layer, xp, batch: batch, r: r) - probe(layer, xm, batch: batch, r: r)) / step
            XCTAssertEqual(fd, analyticX[i], accuracy: budget.input[i](step),
                           "\(layer.name): input gradient \(i)", file: file, line: line)
        }
        for (pi, p) in layer.parameters.enumerated() {
            let analytic = p.grad.map(Double.init)
            for i in p.value.indices {
                let v = p.value[i]
                p.value[i] = v + h; let vp = p.value[i]; let lp = probe(layer, x, batch: batch, r: r)
                p.value[i] = v - h; let vm = p.value[i]; let lm = probe(layer, x, batch: batch, r: r)
                p.value[i] = v
                let step = Double(vp) - Double(vm)
                XCTAssertEqual((lp - lm) / step, analytic[i], accuracy: budget.params[pi][i](step),
                               "\(p.name) gradient \(i)", file: file, line: line)
            }
        }
    }

    /// The fused block: conv rounding plus ReLU/max kinks, so neither a large h nor the per-entry worst case
    /// works (γ_K·Σ|r|·A/h at h = 1e-3 is ~1e-2 relative). Rounding errors of the ≤ 19-term dot products are
    /// statistically independent with RMS ≈ √K·u·|terms| ≈ 3e-7 per output, so the FD noise is ≈ √n·3e-7/h per
    /// entry for n ≈ 36 outputs, ≈ 2e-3 absolute against entries of order 1, ≈ 2e-4 in ‖·‖ relative over the
    /// ~100 entries: the 1e-3 threshold is ≈ 5σ; h = 1e-3 keeps kinks (|z| or window gaps < h) rare.
    func checkLayerStatistically(_ layer: Layer, batch: Int, h: Float, file: StaticString = #filePath, line: UInt = #line) {
        let x = seededFloats(batch * layer.inputShape.count, 21)
        let r = seededFloats(batch * layer.outputShape.count, 22)
        for p in layer.parameters { p.zeroGrad() }
        let dx = x.withUnsafeBufferPointer { xp -> UnsafeMutablePointer<Float> in
            _ = layer.forward(xp.baseAddress!, batch: batch)
            return layer.backward(r, batch: batch, needInputGrad: true)!
        }
        let analyticX = (0..<x.count).map { Double(dx[$0]) }
        var numericX = [Double](repeating: 0, count: x.count)
        for i in x.indices {
            var xp = x, xm = x
            xp[i] += h; xm[i] -= h
            numericX[i] = (probe(layer, xp, batch: batch, r: r) - probe(layer, xm, batch: batch, r: r)) / (Double(xp[i]) - Double(xm[i]))
        }
        XCTAssertLessThan(relativeError(analyticX, numericX), 1e-3, "\(layer.name): input gradient", file: file, line: line)
        for p in layer.parameters {
            let analytic = p.grad.map(Double.init)
            var numeric = [Double](repeating: 0, count: p.value.count)
            for i in p.value.indices {
                let v = p.value[i]
                p.value[i] = v + h; let vp = p.value[i]; let lp = probe(layer, x, batch: batch, r: r)
                p.value[i] = v - h; let vm = p.value[i]; let lm = probe(layer, x, batch: batch, r: r)
                p.value[i] = v
                numeric[i] = (lp - lm) / (Double(vp) - Double(vm))
            }
            XCTAssertLessThan(relativeError(analytic, numeric), 1e-3, "\(p.name) gradient", file: file, line: line)
        }
    }

    func testConvGradientsSeveralChannels() {
        var rng = SeededRandom(seed: 3)
        checkLayer(Conv2D(input: Shape3(6, 5, 3), filters: 4, kernel: 3, rng: &rng), batch: 2)
        checkLayer(Conv2D(input: Shape3(5, 5, 2), filters: 3, kernel: 2, rng: &rng), batch: 3)
    }

    func testFusedConvBlockGradients() {
        var rng = SeededRandom(seed: 44)
        for algorithm in ConvBlockAlgorithm.allCases {
            let block = ConvBlock(input: Shape3(8, 7, 2), filters: 3, kernel: 3, rng: &rng)
            block.algorithm = algorithm
            checkLayerStatistically(block, batch: 2, h: 1e-3)
        }
    }

    func testDenseGradients() {
        var rng = SeededRandom(seed: 4)
        checkLayer(Dense(input: Shape3(2, 3, 2), outputs: 5, initializer: .glorot, rng: &rng), batch: 3)
    }

    func testReLUGradients() {
        checkLayer(ReLU(shape: Shape3(3, 3, 2)), batch: 2, h: 1e-3)
    }

    func testMaxPoolGradientsWithoutTies() {
        checkLayer(MaxPool2(input: Shape3(4, 5, 3)), batch: 2, h: 1e-3)
    }

    /// At a tie the loss is not differentiable; the backward pass must give a subgradient
    /// consistent with one-sided differences: the winner's forward difference equals its
    /// gradient, the loser's backward difference equals its (zero) gradient, and moving all
    /// tied inputs together (a direction where L is differentiable) matches their sum.
    func testMaxPoolTiesGiveConsistentSubgradient() {
        let pool = MaxPool2(input: Shape3(2, 2, 1))
        let x: [Float] = [3, 3, 1, 3]  // three-way tie
        let r: [Float] = [2]
        _ = pool.forward(x, batch: 1)
        let g = Array(UnsafeBufferPointer(start: pool.backward(r, batch: 1, needInputGrad: true)!, count: 4))
        XCTAssertEqual(g, [2, 0, 0, 0])
        // Exact: max-pool does no arithmetic, L = 2·y is exact in Double, and dividing by the Float step actually
        // taken (3 ± h rounded) rather than h leaves no rounding at all.
        let h: Float = 1e-2
        let base = probe(pool, x, batch: 1, r: r)
        var up = x; up[0] += h
        XCTAssertEqual((probe(pool, up, batch: 1, r: r) - base) / (Double(up[0]) - Double(x[0])), Double(g[0]))
        for i in [1, 3] {
            var down = x; down[i] -= h
            XCTAssertEqual((base - probe(pool, down, batch: 1, r: r)) / (Double(x[i]) - Double(down[i])), Double(g[i]))
        }
        var all = x, allDown = x
        for i in [0, 1, 3] { all[i] += h; allDown[i] -= h }
        let fd = (probe(pool, all, batch: 1, r: r) - probe(pool, allDown, batch: 1, r: r)) / (Double(all[0]) - Double(allDown[0]))
        XCTAssertEqual(fd, Double(g[0] + g[1] + g[3]))
    }

    /// The whole stack (conv → ReLU → pool → conv → ReLU → pool → dense → softmax CE):
    /// Sequential's gradients against finite differences of the Double-summed loss.
    func testNetworkGradientsThroughLoss() throws {
        var rng = SeededRandom(seed: 5)
        let arch = try Architecture(input: Shape3(10, 10, 2), classes: 3, convFilters: [3, 2])
        let net = arch.network(features: arch.randomFeatureLayers(rng: &rng), rng: &rng)
        let batch = 2
        let x = seededFloats(batch * arch.input.count, 23)
        let labels: [Int32] = [0, 2]
        for p in net.trainableParameters { p.zeroGrad() }
        net.lossAndGradients(x, labels: labels, batch: batch)
        let h: Float = 1e-3
        func loss() -> Double {
            let logits = net.forward(x, batch: batch)
            return softmaxCrossEntropy(logits, labels: labels, batch: batch, classes: 3, dlogits: nil).loss / Double(batch)
        }
        for p in net.trainableParameters {
            var numeric = [Double](repeating: 0, count: p.value.count)
            for i in p.value.indices {
                let v = p.value[i]
                p.value[i] = v + h; let lp = loss()
                p.value[i] = v - h; let lm = loss()
                p.value[i] = v
                numeric[i] = (lp - lm) / Double(2 * h)
            }
            // Statistical, not a bound: truncation h²·|L‴|/6 ≈ 1e-7 (softmax-CE is smooth, |L‴| = O(1)); rounding of the
            // Float forward ≈ √K·u·|terms|/h ≈ 1e-4 per entry (K ≤ 145); but ReLU/max-pool kinks falling inside ±h give
            // O(|g|) errors in the few entries concerned (P ≈ 2h·density per unit), ≈ 1e-3 of ‖g‖: 1e-2 is ~10× that.
            XCTAssertLessThan(relativeError(p.grad.map(Double.init), numeric), 1e-2, p.name)
        }
    }

    /// The check itself must be able to fail: a wrong gradient is caught.
    func testGradientCheckDetectsAWrongGradient() {
        var rng = SeededRandom(seed: 6)
        let dense = Dense(input: Shape3(1, 1, 4), outputs: 3, initializer: .glorot, rng: &rng)
        let x = seededFloats(4, 1), r = seededFloats(3, 2)
        x.withUnsafeBufferPointer { xp in
            _ = dense.forward(xp.baseAddress!, batch: 1)
            _ = dense.backward(r, batch: 1, needInputGrad: false)
        }
        var numeric = [Double](repeating: 0, count: 12)
        for i in 0..<12 {
            let v = dense.weights.value[i]
            dense.weights.value[i] = v + 1e-2; let lp = probe(dense, x, batch: 1, r: r)
            dense.weights.value[i] = v - 1e-2; let lm = probe(dense, x, batch: 1, r: r)
            dense.weights.value[i] = v
            numeric[i] = (lp - lm) / 2e-2
        }
        var wrong = dense.weights.grad.map(Double.init)
        wrong[5] += 0.1
        XCTAssertGreaterThan(relativeError(wrong, numeric), 1e-3)
    }

    func testFrozenLayerAccumulatesNoGradient() {
        var rng = SeededRandom(seed: 7)
        let conv = Conv2D(input: Shape3(4, 4, 1), filters: 2, kernel: 3, rng: &rng)
        conv.trainable = false
        _ = conv.forward(seededFloats(16, 3), batch: 1)
        _ = conv.backward(seededFloats(8, 4), batch: 1, needInputGrad: false)
        XCTAssertEqual(conv.weights.grad, [Float](repeating: 0, count: 18))
    }
}
