@testable import Datasets
import XCTest
@testable import Models
@testable import Numerics

/// Batch normalisation (`BatchNorm`, `training.batchNorm`): the forward in both modes against a
/// Double reference, the backward against finite differences, the running averages against a
/// direct computation over a trainer's steps, and a DMN+BN network that trains γ and β only.
///
/// Error bounds (u = 2⁻²⁴; x, γ, β are Floats, the reference is Double, whose own rounding
/// (~1e-16 relative) is covered by a 1e-12 relative slack). The layer rounds the Double mean μ
/// and inverse std s = 1/√(σ² + ε) to Float (u each), then per entry d = x − μ', x̂ = d·s',
/// y = γ·x̂ + β. To first order |x̂' − x̂| ≤ u·s·(|μ| + 3|x − μ|) ≤ γ₄·s·(|μ| + |x − μ|) =: δx̂ and
/// |y' − y| ≤ |γ|·δx̂ + γ₃·(|γx̂| + |β|) =: E (two more roundings, one of them on |γx̂ + β|).
final class BatchNormTests: XCTestCase {
    let eps = 1e-3

    struct Reference {
        var mean: [Double], invStd: [Double], xhat: [Double], y: [Double]
        /// Per-entry bounds on the Float layer's x̂ and y (type comment).
        var xhatBound: [Double], yBound: [Double]
    }

    /// The Double reference of a BN forward over x[rows, c]: the batch's statistics, or `fixed`
    /// (mean, variance) for evaluation mode.
    func reference(_ x: [Float], channels c: Int, gamma: [Float], beta: [Float], eps: Double,
                   fixed: (mean: [Float], variance: [Float])? = nil) -> Reference {
        let rows = x.count / c
        var mean = [Double](repeating: 0, count: c), variance = [Double](repeating: 0, count: c)
        if let fixed {
            mean = fixed.mean.map(Double.init); variance = fixed.variance.map(Double.init)
        } else {
            for j in 0..<rows { for ch in 0..<c { mean[ch] += Double(x[j * c + ch]) } }
            for ch in 0..<c { mean[ch] /= Double(rows) }
            for j in 0..<rows { for ch in 0..<c { let d = Double(x[j * c + ch]) - mean[ch]; variance[ch] += d * d } }
            for ch in 0..<c { variance[ch] /= Double(rows) }
        }
        let invStd = variance.map { 1 / ($0 + eps).squareRoot() }
        var r = Reference(mean: mean, invStd: invStd, xhat: [], y: [], xhatBound: [], yBound: [])
        for (i, v) in x.enumerated() {
            let ch = i % c, g = Double(gamma[ch]), b = Double(beta[ch])
            let h = (Double(v) - mean[ch]) * invStd[ch]
            r.xhat.append(h)
            r.y.append(g * h + b)
            let dh = Float32Bound.gamma(4) * invStd[ch] * (abs(mean[ch]) + abs(Double(v) - mean[ch])) + 1e-12 * (abs(h) + 1)
            r.xhatBound.append(dh)
            r.yBound.append(abs(g) * dh + Float32Bound.gamma(3) * (abs(g * h) + abs(b)) + 1e-12 * (abs(g * h) + abs(b)))
        }
        return r
    }

    func gaussians(_ n: Int, seed: UInt64, scale: Double = 1, offset: Double = 0) -> [Float] {
        var rng = SeededRandom(seed: seed)
        return (0..<n).map { _ in Float(offset + scale * rng.nextGaussian()) }
    }

    /// A layer with γ, β away from 1 and 0, and per-channel offsets in x (so μ matters).
    func sample(shape: Shape3 = Shape3(3, 3, 4), batch: Int = 3) -> (BatchNorm, [Float]) {
        let c = shape.channels
        let gamma = gaussians(c, seed: 61, scale: 0.3, offset: 1), beta = gaussians(c, seed: 62, scale: 0.5)
        let bn = BatchNorm(name: "bn1", shape: shape, settings: BatchNormSettings(momentum: 0.9, epsilon: eps), gamma: gamma, beta: beta)
        var x = gaussians(batch * shape.count, seed: 63)
        // Channel means −1.5 … 1.5; on a grid of 2⁻¹⁰ (|x| < 8), so x ± 1/16 is exact and the
        // finite differences are centred on x itself.
        for i in x.indices { x[i] = ((x[i] + Float(i % c % 4) - 1.5) * 1024).rounded() / 1024 }
        return (bn, x)
    }

    func output(_ bn: BatchNorm, _ x: [Float], batch: Int, training: Bool) -> [Float] {
        bn.training = training
        defer { bn.training = false }
        return x.withUnsafeBufferPointer { Array(UnsafeBufferPointer(start: bn.forward($0.baseAddress!, batch: batch), count: x.count)) }
    }

    func testTrainingForwardMatchesReference() {
        for (shape, batch) in [(Shape3(3, 3, 4), 3), (Shape3(10, 10, 3), 4), (Shape3(6, 6, 16), 5)] {
            let (bn, x) = sample(shape: shape, batch: batch)
            let c = shape.channels
            let y = output(bn, x, batch: batch, training: true)
            let ref = reference(x, channels: c, gamma: bn.gamma.value, beta: bn.beta.value, eps: eps)
            for i in x.indices { XCTAssertEqual(Double(y[i]), ref.y[i], accuracy: ref.yBound[i], "\(shape) entry \(i)") }
            // The batch moments it keeps for the running averages are the Double reference's.
            for ch in 0..<c {
                XCTAssertEqual(bn.batchMean[ch], ref.mean[ch], accuracy: 1e-12 * (abs(ref.mean[ch]) + 1))
                XCTAssertEqual(1 / (bn.batchVariance[ch] + eps).squareRoot(), ref.invStd[ch], accuracy: 1e-12 * ref.invStd[ch])
            }
            XCTAssertEqual(bn.batchRows, batch * shape.height * shape.width)
        }
    }

    /// Evaluation mode (any forward outside a training step, and a frozen BN even inside one)
    /// normalises with the running averages, not the batch.
    func testEvaluationUsesRunningAverages() {
        let (bn, x) = sample()
        bn.runningMean = [0.5, -0.25, 2, 0]
        bn.runningVariance = [4, 0.25, 1, 9]
        let ref = reference(x, channels: 4, gamma: bn.gamma.value, beta: bn.beta.value, eps: eps,
                            fixed: (bn.runningMean, bn.runningVariance))
        for training in [false, true] {
            bn.trainable = !training  // inside a training step only a frozen BN uses the running averages
            let y = output(bn, x, batch: 3, training: training)
            for i in x.indices { XCTAssertEqual(Double(y[i]), ref.y[i], accuracy: ref.yBound[i], "entry \(i)") }
        }
        // And it differs from batch normalisation (the batch's moments are far from these).
        bn.trainable = true
        let batchY = output(bn, x, batch: 3, training: true)
        XCTAssertGreaterThan(zip(batchY, ref.y).map { abs(Double($0) - $1) }.max()!, 0.1)
    }

    /// L = Σ r·y in Double.
    func loss(_ bn: BatchNorm, _ x: [Float], r: [Float], batch: Int) -> Double {
        zip(output(bn, x, batch: batch, training: true), r).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
    }

    /// Bound on a Float evaluation of L at x: Σ|r|·E plus the Double sum's rounding.
    func lossError(_ bn: BatchNorm, _ x: [Float], r: [Float]) -> Double {
        let ref = reference(x, channels: bn.channels, gamma: bn.gamma.value, beta: bn.beta.value, eps: eps)
        var e = 0.0, s = 0.0
        for i in r.indices { e += abs(Double(r[i])) * ref.yBound[i]; s += abs(Double(r[i]) * ref.y[i]) }
        return e + 2 * Double(r.count) * Double.ulpOfOne * s
    }

    /// Training-mode gradients against central differences of L = Σ r·y.
    /// - γ and β: y is affine in each, so the difference has no truncation error at h = 1; the
    ///   per-entry tolerance is the two evaluations' rounding 2·ε_L/step plus the analytic sum's:
    ///   dβ = Σ r (Double, rounded once: u·|dβ|), dγ = Σ r·x̂' (Σ|r|·δx̂ from x̂', u·|dγ| once).
    /// - x: nonlinear (μ and σ² depend on x). fd − g = (fd − fd_exact) + (fd_exact − g_exact) +
    ///   (g_exact − g): the first is the rounding above at the perturbed inputs; the second is
    ///   the central difference's truncation (h²/6)·L‴, measured on the Double reference as
    ///   |fd_ref(h) − fd_ref(h/100)| (whose own truncation is 10⁻⁴ of it, covered by the factor
    ///   1.01, plus the Double noise 4·ulp·Σ|r·y|/step); the third is the backward's rounding:
    ///   dx' = k'·((r − a') − x̂'·b'), k' = fl(γ·s'), a' = fl(Σr/M), b' = fl(Σ r·x̂'/M); to first
    ///   order |dx' − dx| ≤ |γ|s·(δx̂·|b| + |x̂|·δb + γ₇·(|r| + |a| + |x̂·b|)), δb = Σ|r|δx̂/M + u|b|.
    func testGradientsMatchFiniteDifferences() {
        checkGradients(shape: Shape3(3, 3, 4), batch: 3)
        // Rows beyond one span of the kernels (85 pixels of 3 channels), with a ragged last span.
        checkGradients(shape: Shape3(10, 10, 3), batch: 4)
    }

    func checkGradients(shape: Shape3, batch: Int, file: StaticString = #filePath, line: UInt = #line) {
        let c = shape.channels
        let (bn, x) = sample(shape: shape, batch: batch)
        let r = gaussians(x.count, seed: 64)
        let rows = x.count / c, m = Double(rows)
        for p in bn.parameters { p.zeroGrad() }
        bn.training = true
        let dx = x.withUnsafeBufferPointer { xp -> [Float] in
            _ = bn.forward(xp.baseAddress!, batch: batch)
            let d = bn.backward(r, batch: batch, needInputGrad: true)!
            return Array(UnsafeBufferPointer(start: d, count: x.count))
        }
        bn.training = false
        let ref = reference(x, channels: c, gamma: bn.gamma.value, beta: bn.beta.value, eps: eps)
        // Per-channel sums of the analytic gradient's exact form.
        var a = [Double](repeating: 0, count: c), b = [Double](repeating: 0, count: c)
        var absR = [Double](repeating: 0, count: c), rDxhat = [Double](repeating: 0, count: c)
        for i in x.indices {
            let ch = i % c
            a[ch] += Double(r[i]) / m; b[ch] += Double(r[i]) * ref.xhat[i] / m
            absR[ch] += abs(Double(r[i])); rDxhat[ch] += abs(Double(r[i])) * ref.xhatBound[i]
        }

        // γ and β.
        for (p, isGamma) in [(bn.gamma, true), (bn.beta, false)] {
            for ch in 0..<c {
                let v = p.value[ch]
                p.value[ch] = v + 1; let vp = p.value[ch]; let lp = loss(bn, x, r: r, batch: batch); let ep = lossError(bn, x, r: r)
                p.value[ch] = v - 1; let vm = p.value[ch]; let lm = loss(bn, x, r: r, batch: batch); let em = lossError(bn, x, r: r)
                p.value[ch] = v
                let step = Double(vp) - Double(vm)
                let analytic = Double(p.grad[ch])
                let sumBound = isGamma ? rDxhat[ch] + Float32Bound.u * abs(analytic) + 1e-12 * absR[ch]
                                       : Float32Bound.u * abs(analytic) + 1e-12 * absR[ch]
                XCTAssertEqual((lp - lm) / step, analytic, accuracy: (ep + em) / step + sumBound, "\(p.name)[\(ch)]",
                               file: file, line: line)
            }
        }

        // x.
        let h: Float = 1.0 / 16
        func refLoss(_ xs: [Double]) -> Double {
            // The reference on Double inputs (the Float reference above takes Floats).
            var mean = [Double](repeating: 0, count: c), variance = [Double](repeating: 0, count: c)
            for i in xs.indices { mean[i % c] += xs[i] / m }
            for i in xs.indices { let d = xs[i] - mean[i % c]; variance[i % c] += d * d / m }
            var l = 0.0
            for i in xs.indices {
                let ch = i % c
                l += Double(r[i]) * (Double(bn.gamma.value[ch]) * (xs[i] - mean[ch]) / (variance[ch] + eps).squareRoot()
                                     + Double(bn.beta.value[ch]))
            }
            return l
        }
        let sumRY = zip(r, ref.y).reduce(0.0) { $0 + abs(Double($1.0) * $1.1) }
        var worst = 0.0
        for i in x.indices {
            let ch = i % c
            var xp = x, xm = x
            xp[i] += h; xm[i] -= h
            let step = Double(xp[i]) - Double(xm[i])
            let fd = (loss(bn, xp, r: r, batch: batch) - loss(bn, xm, r: r, batch: batch)) / step
            let xd = x.map(Double.init)
            func refFD(_ s: Double) -> Double {
                var up = xd, down = xd
                up[i] += s / 2; down[i] -= s / 2
                return (refLoss(up) - refLoss(down)) / s
            }
            let truncation = 1.01 * abs(refFD(step) - refFD(step / 100)) + 4 * Double.ulpOfOne * sumRY * (1 / step + 100 / step)
            let rounding = (lossError(bn, xp, r: r) + lossError(bn, xm, r: r)) / step
            let g = abs(Double(bn.gamma.value[ch])) * ref.invStd[ch]
            let db = rDxhat[ch] / m + Float32Bound.u * abs(b[ch])
            let backward = g * (ref.xhatBound[i] * abs(b[ch]) + abs(ref.xhat[i]) * db
                                + Float32Bound.gamma(7) * (abs(Double(r[i])) + abs(a[ch]) + abs(ref.xhat[i] * b[ch])))
            XCTAssertEqual(step, Double(2 * h), file: file, line: line)
            XCTAssertEqual(fd, Double(dx[i]), accuracy: rounding + truncation + backward, "input \(i)", file: file, line: line)
            worst = max(worst, abs(fd - Double(dx[i])) / (rounding + truncation + backward))
        }
        print("BatchNorm \(shape)×\(batch) input gradient: worst |fd − g| / bound = \(worst)")
    }

    /// Without an input gradient (a DMN's lowest trainable layer) the parameter gradients are the same.
    func testParameterGradientsWithoutInputGradient() {
        let (bn, x) = sample()
        let r = gaussians(x.count, seed: 64)
        func grads(needInput: Bool) -> [[Float]] {
            for p in bn.parameters { p.zeroGrad() }
            bn.training = true
            defer { bn.training = false }
            x.withUnsafeBufferPointer { xp in
                _ = bn.forward(xp.baseAddress!, batch: 3)
                _ = bn.backward(r, batch: 3, needInputGrad: needInput)
            }
            return bn.parameters.map(\.grad)
        }
        XCTAssertEqual(grads(needInput: true), grads(needInput: false))
    }

    /// Running averages over a trainer's steps against a direct computation: a BN on the
    /// images themselves (so its input does not change as training goes), 100 images in batches
    /// of 32 (the last of 4: a ragged batch, 2 + 2 in the shards), two epochs, two gradient
    /// shards. Directly: each batch's mean and biased variance of all its values per channel, in
    /// Double, folded in as running = m·running + (1 − m)·batch once per step. The layer rounds
    /// the running averages to Float once a step; each rounding (≤ u·|running|) is damped by m
    /// afterwards, so after S steps the difference is ≤ S·u·max|running| (+ Double noise).
    /// Two runs on 1 and 2 threads give the same bits.
    func testRunningAveragesFollowTheWholeBatchOncePerStep() throws {
        let side = 5, c = 3, count = 100
        var rng = SeededRandom(seed: 65)
        let images = (0..<(count * side * side * c)).map { _ in UInt8(rng.nextInt(below: 256)) }
        let data = ImageDataset(images: images, labels: (0..<count).map { Int32($0 % 3) }, height: side, width: side,
                                channels: c, numClasses: 3)
        var config = TrainingConfig()
        config.batchSize = 32; config.epochs = 2; config.learningRate = 0.01; config.batchNormMomentum = 0.6
        config.batchNorm = true
        config.gradientShards = 2
        func train(threads: Int) throws -> BatchNorm {
            let shape = Shape3(side, side, c)
            let bn = BatchNorm(name: "bn1", shape: shape, settings: config.batchNormSettings ?? BatchNormSettings())
            var r = SeededRandom(seed: 66)
            let net = Sequential([bn, Dense(name: "softmax", input: shape, outputs: 3, initializer: .glorot, rng: &r)])
            _ = try Trainer(network: net, config: config, preprocessing: .scale01, threads: .run(threads: threads), featureCacheBudget: 0)
                .fit(train: data, test: nil)
            return bn
        }
        let bn = try train(threads: 2)

        // The direct computation, with the trainer's shuffle.
        let pixels = UnsafeMutablePointer<Float>.allocate(capacity: count * data.imageSize)
        defer { pixels.deallocate() }
        data.fillBatch(indices: 0..<count, preprocessing: .scale01, into: pixels)
        var runMean = [Double](repeating: 0, count: c), runVar = [Double](repeating: 1, count: c)
        var maxAbs = 1.0, steps = 0
        var order = Array(0..<count)
        for epoch in 1...2 {
            var shuffle = SeededRandom(seed: config.seed, stream: "shuffle-epoch-\(epoch)")
            shuffle.shuffle(&order)
            for start in stride(from: 0, to: count, by: 32) {
                let batch = order[start..<min(count, start + 32)]
                let values = Double(batch.count * side * side)
                for ch in 0..<c {
                    var mu = 0.0
                    for j in batch { for p in 0..<(side * side) { mu += Double(pixels[j * data.imageSize + p * c + ch]) } }
                    mu /= values
                    var v = 0.0
                    for j in batch { for p in 0..<(side * side) { let d = Double(pixels[j * data.imageSize + p * c + ch]) - mu; v += d * d } }
                    v /= values
                    runMean[ch] = 0.6 * runMean[ch] + 0.4 * mu
                    runVar[ch] = 0.6 * runVar[ch] + 0.4 * v
                    maxAbs = max(maxAbs, abs(runMean[ch]), runVar[ch])
                }
                steps += 1
            }
        }
        XCTAssertEqual(steps, 8)
        let tolerance = Double(steps) * Float32Bound.u * maxAbs + 1e-12
        for ch in 0..<c {
            XCTAssertEqual(Double(bn.runningMean[ch]), runMean[ch], accuracy: tolerance, "mean \(ch)")
            XCTAssertEqual(Double(bn.runningVariance[ch]), runVar[ch], accuracy: tolerance, "variance \(ch)")
        }
        let again = try train(threads: 1)
        XCTAssertEqual(again.runningMean.map(\.bitPattern), bn.runningMean.map(\.bitPattern))
        XCTAssertEqual(again.runningVariance.map(\.bitPattern), bn.runningVariance.map(\.bitPattern))
    }

    /// A DMN with BN (two layers): the frozen filters are Conv2D layers followed by trainable BN;
    /// the trainer caches only the first conv's outputs (the frozen prefix ends before bn1),
    /// training leaves every filter bit for bit as built and moves both layers' γ and β (bn1's
    /// through the frozen conv2), and the running statistics start at the build images'.
    func testDMNWithBatchNormTrainsOnlyGammaBetaAndSoftmax() throws {
        let side = 12, count = 120
        var rng = SeededRandom(seed: 67)
        let images = (0..<(count * side * side)).map { _ in UInt8(rng.nextInt(below: 256)) }
        let data = ImageDataset(images: images, labels: (0..<count).map { Int32($0 % 3) }, height: side, width: side,
                                channels: 1, numClasses: 3)
        let arch = try Architecture(input: Shape3(side, side, 1), classes: 3, convFilters: [2, 3])
        let settings = BatchNormSettings()
        let built = try buildFeatureLayers(arch: arch, data: data, preprocessing: .scale01, filters: .dmn,
                                           options: DMNOptions(), seed: 1, batchNorm: settings)
        XCTAssertEqual(built.layers.map(\.name), ["conv1", "bn1", "pool1", "relu1", "conv2", "bn2", "pool2", "relu2"])
        let convs = built.layers.compactMap { $0 as? Conv2D }, norms = built.layers.compactMap { $0 as? BatchNorm }
        XCTAssertTrue(convs.allSatisfy { !$0.trainable } && norms.allSatisfy(\.trainable))
        // bn1 starts from conv1's output statistics over the build images.
        let stats = channelStatistics(data: data, preprocessing: .scale01, prefix: [built.layers[0]],
                                      chunkImages: DMNOptions().chunkImages)
        XCTAssertEqual(norms[0].runningMean, stats.mean)
        XCTAssertEqual(norms[0].runningVariance, stats.std.map { $0 * $0 })

        var r = SeededRandom(seed: 68)
        let net = arch.network(features: built.layers, rng: &r)
        XCTAssertEqual(net.frozenPrefix, 1)
        let filters = convs.map { $0.weights.value + $0.bias.value }
        let gammaBeta = norms.map { $0.gamma.value + $0.beta.value }
        let running = norms.map { $0.runningMean + $0.runningVariance }
        var config = TrainingConfig()
        config.batchSize = 32; config.epochs = 2; config.learningRate = 0.01; config.batchNorm = true
        let trainer = Trainer(network: net, config: config, preprocessing: .scale01, threads: .run(threads: 2))
        _ = try trainer.fit(train: data, test: nil)
        XCTAssertEqual(trainer.featureCacheBytes, count * 10 * 10 * 2 * MemoryLayout<Float>.size, "conv1's outputs cached")
        XCTAssertEqual(convs.map { $0.weights.value + $0.bias.value }, filters, "a frozen filter moved")
        for (l, bn) in norms.enumerated() {
            XCTAssertNotEqual(bn.gamma.value + bn.beta.value, gammaBeta[l], "\(bn.name): γ and β did not train")
            XCTAssertNotEqual(bn.runningMean + bn.runningVariance, running[l], "\(bn.name): running averages did not move")
        }
    }

    /// The BN networks apply ReLU after the pool: the same values and input gradients, bit for bit,
    /// as ReLU then pool (no arithmetic either way), on data with all-negative windows and ties.
    func testPoolThenReLUIsReLUThenPool() {
        let shape = Shape3(6, 6, 3), batch = 2
        var x = gaussians(batch * shape.count, seed: 70)
        for i in stride(from: 0, to: x.count, by: 7) { x[i] = 0 }   // ties at 0
        for i in 0..<(shape.width * shape.channels) { x[i] = -abs(x[i]) - 1 }  // first image's top rows negative
        let dy = gaussians(batch * 3 * 3 * 3, seed: 71)
        func run(_ layers: [Layer]) -> ([UInt32], [UInt32]) {
            let xs = UnsafeMutablePointer<Float>.allocate(capacity: x.count), g0 = UnsafeMutablePointer<Float>.allocate(capacity: dy.count)
            defer { xs.deallocate(); g0.deallocate() }
            xs.update(from: x, count: x.count)
            g0.update(from: dy, count: dy.count)
            var h = UnsafePointer(xs)
            for l in layers { h = UnsafePointer(l.forward(h, batch: batch)) }
            let y = (0..<dy.count).map { h[$0].bitPattern }
            var g = UnsafePointer(g0)
            for l in layers.reversed() { g = UnsafePointer(l.backward(g, batch: batch, needInputGrad: true)!) }
            return (y, (0..<x.count).map { g[$0].bitPattern })
        }
        let pool = MaxPool2(name: "p", input: shape)
        let a = run([ReLU(name: "r", shape: shape), pool])
        let b = run([MaxPool2(name: "p", input: shape), ReLU(name: "r", shape: pool.outputShape)])
        XCTAssertEqual(a.0, b.0, "values")
        XCTAssertEqual(a.1, b.1, "input gradients")
    }

    /// With BN the ConvNet's blocks are Conv2D → BN → ReLU → pool with the filters the fused
    /// blocks would have had (the same draws), and an untrained BN network evaluates as
    /// BN with running mean 0 and variance 1 predicts: y = conv·/√(1 + ε).
    func testConvNetWithBatchNormKeepsItsFilters() throws {
        let arch = try Architecture(input: Shape3(10, 10, 1), classes: 3, convFilters: [3, 4])
        var r1 = SeededRandom(seed: 69), r2 = SeededRandom(seed: 69)
        let fused = arch.randomFeatureLayers(rng: &r1)
        let split = arch.randomFeatureLayers(batchNorm: BatchNormSettings(), rng: &r2)
        XCTAssertEqual(split.map(\.name), ["conv1", "bn1", "pool1", "relu1", "conv2", "bn2", "pool2", "relu2"])
        XCTAssertEqual(fused.compactMap { ($0 as? ConvBlock)?.weights.value }, split.compactMap { ($0 as? Conv2D)?.weights.value })
        XCTAssertEqual(split.last!.outputShape, fused.last!.outputShape)
        let bn = try XCTUnwrap(split[1] as? BatchNorm)
        XCTAssertEqual(bn.runningMean, [0, 0, 0]); XCTAssertEqual(bn.runningVariance, [1, 1, 1])
    }
}
