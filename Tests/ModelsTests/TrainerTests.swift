@testable import Datasets
import XCTest
@testable import Models
@testable import Numerics

final class TrainerTests: XCTestCase {
    func noise(count: Int = 96, side: Int = 10, classes: Int = 3) -> ImageDataset {
        var rng = SeededRandom(seed: 51)
        let images = (0..<(count * side * side)).map { _ in UInt8(rng.nextInt(below: 256)) }
        return ImageDataset(images: images, labels: (0..<count).map { Int32($0 % classes) }, height: side, width: side,
                            channels: 1, numClasses: classes)
    }

    func trainedWeights(shards: Int, threads: Int) throws -> [[Float]] {
        let data = noise()
        let arch = try Architecture(input: Shape3(10, 10, 1), classes: 3, convFilters: [3])
        var rng = SeededRandom(seed: 52)
        let net = arch.network(features: arch.randomFeatureLayers(rng: &rng), rng: &rng)
        var c = TrainingConfig()
        c.optimizer = .sgd; c.learningRate = 0.05; c.momentum = 0.9; c.batchSize = 32; c.epochs = 2
        c.gradientShards = shards
        _ = try Trainer(network: net, config: c, preprocessing: .scale01, threads: .run(threads: threads)).fit(train: data, test: nil)
        return net.weightSnapshots()
    }

    /// Splitting each batch into shards (run on two threads) gives the same training as whole
    /// batches, up to Float summation order. The thread count is checked exactly (`sharded ==
    /// serial`: same shards, same order). Whole vs sharded is NOT derivable from the arithmetic
    /// alone: each step's gradients differ by ≤ γ_K·Σ|terms| (K = 32·64 products per conv weight,
    /// γ_K ≈ 1.2e-4 relative to Σ|terms|), but 6 SGD+momentum steps feed those differences back
    /// through the loss's curvature. Statistically (independent roundings, RMS √K·u ≈ 3e-6 relative
    /// per step, ×1/(1−β) = 10 for momentum, ×√6 steps, weights and updates O(0.1–1)) the drift is
    /// ~1e-5; 1e-4 is ~10× that, while a real sharding bug (a shard dropped or mis-weighted) moves
    /// weights by O(lr·|g|) ≈ 1e-2. The measured maximum is printed.
    func testGradientShardsMatchWholeBatches() throws {
        let whole = try trainedWeights(shards: 1, threads: 1)
        let sharded = try trainedWeights(shards: 2, threads: 2)
        let serial = try trainedWeights(shards: 2, threads: 1)
        print("gradient shards vs whole batches: max |Δw| = \(zip(whole.joined(), sharded.joined()).map { abs($0 - $1) }.max()!)")
        for (a, b) in zip(whole.joined(), sharded.joined()) { XCTAssertEqual(a, b, accuracy: 1e-4) }
        XCTAssertEqual(sharded, serial, "the thread count must not change the result")
    }

    /// `training.loss: keras-clipped` reaches the trained network and its data-parallel workers:
    /// a softmax whose every training image is saturated on a wrong class (probability of the
    /// label below 1e-7) gets no gradient and does not move, while the logits loss moves it.
    func testKerasClippedLossFreezesASaturatedSoftmax() throws {
        // 2 pixels → 2 classes; weights send every image to class 1 with a margin of ≥ 40 logits.
        let images: [UInt8] = [255, 255, 200, 255, 255, 180, 220, 240]
        let data = ImageDataset(images: images, labels: [0, 0, 0, 0], height: 1, width: 2, channels: 1, numClasses: 2)
        func trained(_ loss: ClassificationLoss) throws -> [Float] {
            let net = Sequential([Dense(name: "softmax", input: Shape3(1, 2, 1), outputs: 2, weights: [0, 40, 0, 40])])
            var c = TrainingConfig()
            c.loss = loss; c.epochs = 2; c.batchSize = 2
            let trainer = Trainer(network: net, config: c, preprocessing: .scale01)
            XCTAssertEqual(net.replica().loss, loss)
            _ = try trainer.fit(train: data, test: nil)
            return net.weightSnapshots()[0]
        }
        XCTAssertEqual(try trained(.kerasClipped), [0, 40, 0, 40])
        XCTAssertNotEqual(try trained(.logits), [0, 40, 0, 40])
    }

    /// A data-parallel worker computes with the trained network's current weights (shared, not
    /// copied) and keeps gradients of its own: after an optimiser step on the network, both
    /// give bit-identical logits, and a backward on the worker leaves the network's gradients alone.
    func testDataParallelWorkerSharesWeightsNotGradients() {
        var rng = SeededRandom(seed: 54)
        let net = multilayerPerceptron(input: Shape3(4, 4, 1), hidden: [5], classes: 3, rng: &rng)
        let worker = net.dataParallelWorker()
        let x = (0..<(2 * 16)).map { _ in Float(rng.nextGaussian()) }
        let labels: [Int32] = [0, 2]
        for p in net.trainableParameters { p.grad = p.value.map { $0 * 0.5 + 0.25 } }
        let before = net.weightSnapshots()
        Adam(learningRate: 0.01).step(net.trainableParameters)
        XCTAssertNotEqual(net.weightSnapshots(), before, "the step moved no weight")
        XCTAssertEqual(worker.weightSnapshots(), net.weightSnapshots(), "the worker does not see the stepped weights")
        let logits = { (n: Sequential) in Array(UnsafeBufferPointer(start: n.forward(x, batch: 2, from: 0), count: 6)) }
        XCTAssertEqual(logits(worker).map(\.bitPattern), logits(net).map(\.bitPattern))

        let netGrads = net.trainableParameters.map(\.grad)
        for p in worker.trainableParameters { p.zeroGrad() }
        _ = worker.lossAndGradients(x, labels: labels, batch: 2)
        XCTAssertEqual(net.trainableParameters.map(\.grad), netGrads, "the worker's backward wrote the network's gradients")
        XCTAssertTrue(worker.trainableParameters.contains { $0.grad.contains { $0 != 0 } }, "the worker's backward computed nothing")
    }

    /// λ from the recorder equals ‖w(N+δN) − w(N)‖ / ‖w(N)‖ computed from two snapshots taken
    /// by hand around the same steps; de-trending and smoothing follow their definitions.
    func testConvergenceRecorderMatchesSnapshots() throws {
        let data = noise(count: 64, side: 6)
        var rng = SeededRandom(seed: 53)
        let net = multilayerPerceptron(input: Shape3(6, 6, 1), hidden: [5, 4], classes: 3, rng: &rng)
        let recorder = ConvergenceRecorder(every: 2, window: 2, layers: ConvergenceRecorder.trackedLayers(of: net))
        XCTAssertEqual(recorder.layers, [0, 1], "the two hidden layers, not the softmax")
        recorder.start(net)
        var snapshots: [Int: [[Float]]] = [0: net.weightSnapshots()]
        var c = TrainingConfig()
        c.optimizer = .sgd; c.learningRate = 0.1; c.momentum = 0; c.batchSize = 8; c.epochs = 1
        let trainer = Trainer(network: net, config: c, preprocessing: .scale01)
        trainer.onStep = { info in
            recorder.observe(step: info.step, imagesSeen: info.imagesSeen, network: info.network)
            snapshots[info.step] = info.network.weightSnapshots()
        }
        _ = try trainer.fit(train: data, test: nil)
        XCTAssertEqual(recorder.records.count, 2 * 4, "8 steps, every 2nd, 2 layers")
        var previousDetrended: [Int: Double] = [:]
        var tolerance = 0.0
        for step in stride(from: 2, through: 8, by: 2) {
            let rs = recorder.records.filter { $0.step == step }
            var lambdas: [Double] = []
            for layer in 0..<2 {
                let old = snapshots[step - 2]![layer], new = snapshots[step]![layer]
                // The difference is taken in Double, as the recorder does: a Float subtraction
                // would round each term by up to 2⁻²⁴ relative, and how much that moves λ depends
                // on the weights, i.e. on the BLAS kernel that trained them (issue #10, item 1).
                let diff = zip(old, new).reduce(0.0) { $0 + (Double($1.1) - Double($1.0)) * (Double($1.1) - Double($1.0)) }.squareRoot()
                let norm = old.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
                lambdas.append(diff / norm)
                tolerance = doubleSumTolerance(terms: old.count)
                XCTAssertEqual(rs[layer].lambda, diff / norm, accuracy: tolerance * diff / norm)
                XCTAssertEqual(rs[layer].imagesSeen, step * 8)
            }
            let mean = lambdas.reduce(0, +) / 2
            for layer in 0..<2 {
                let d = lambdas[layer] / mean - 1
                // λ/λ̄ carries the relative error of λ and of λ̄ (at most 2·tolerance each).
                XCTAssertEqual(rs[layer].detrended, d, accuracy: 4 * tolerance * (abs(d) + 1))
                let expectedSmoothed = previousDetrended[layer].map { ($0 + d) / 2 } ?? d
                XCTAssertEqual(rs[layer].smoothed, expectedSmoothed, accuracy: 8 * tolerance * (abs(expectedSmoothed) + 2))
                previousDetrended[layer] = d
            }
        }
    }

    /// Relative error bound of a Double sum of `terms` non-negative terms, then a square root
    /// and a division: γₙ = n·ε/(1 − n·ε) (Higham, Accuracy and Stability, §3.1) plus a few ε.
    /// Both sides sum the same numbers in the same order, so they usually agree exactly; the
    /// bound only allows a compiler to contract or reorder differently.
    func doubleSumTolerance(terms: Int) -> Double {
        let u = Double.ulpOfOne
        return Double(terms) * u / (1 - Double(terms) * u) + 4 * u
    }

    func testNonFiniteLossStopsTraining() throws {
        let data = noise(count: 32, side: 6)
        var rng = SeededRandom(seed: 54)
        let net = multilayerPerceptron(input: Shape3(6, 6, 1), hidden: [4], classes: 3, rng: &rng)
        (net.layers[0] as! Dense).weights.value[0] = .nan
        var c = TrainingConfig()
        c.epochs = 1
        XCTAssertThrowsError(try Trainer(network: net, config: c, preprocessing: .scale01).fit(train: data, test: nil)) {
            XCTAssertTrue("\($0)".contains("loss became"), "\($0)")
        }
    }

    // MARK: fixed steps (training.steps)

    /// The schedule by hand: 10 images in batches of 4 make a pass of 3 steps (4, 4, 2 images).
    func testTrainingScheduleByHand() {
        var c = TrainingConfig()
        c.batchSize = 4; c.epochs = 3
        XCTAssertEqual(TrainingSchedule(c, trainCount: 10), TrainingSchedule(steps: 9, checkpoints: [3, 6, 9]))
        c.steps = 7  // blocks end after ⌊7/3⌋ = 2, ⌊14/3⌋ = 4 and 7 steps
        XCTAssertEqual(TrainingSchedule(c, trainCount: 10), TrainingSchedule(steps: 7, checkpoints: [2, 4, 7]))
        c.steps = 2  // fewer steps than blocks: one row per step
        XCTAssertEqual(TrainingSchedule(c, trainCount: 10), TrainingSchedule(steps: 2, checkpoints: [1, 2]))
        c.steps = nil; c.batchSize = 5  // a pass of exactly 2 full batches
        XCTAssertEqual(TrainingSchedule(c, trainCount: 10), TrainingSchedule(steps: 6, checkpoints: [2, 4, 6]))
    }

    /// An MLP on 10 noise images, batches of 4 (passes of 4, 4, 2 images), SGD with momentum.
    func stepsRun(steps: Int?, epochs: Int, snapshotAt: Int? = nil) throws -> (history: [EpochStats], steps: [StepInfo], weights: [[Float]], snapshot: [[Float]]?) {
        let data = noise(count: 10, side: 4)
        var rng = SeededRandom(seed: 55)
        let net = multilayerPerceptron(input: Shape3(4, 4, 1), hidden: [5], classes: 3, rng: &rng)
        var c = TrainingConfig()
        c.optimizer = .sgd; c.learningRate = 0.05; c.batchSize = 4; c.epochs = epochs; c.steps = steps
        let trainer = Trainer(network: net, config: c, preprocessing: .scale01)
        var seen: [StepInfo] = [], snapshot: [[Float]]? = nil
        trainer.onStep = { info in
            seen.append(info)
            if info.step == snapshotAt { snapshot = info.network.weightSnapshots() }
        }
        let history = try trainer.fit(train: data, test: data)
        return (history, seen, net.weightSnapshots(), snapshot)
    }

    /// 7 fixed steps go on into a third pass and stop there: the images seen are the passes'
    /// batch sizes summed by hand, the weights are those an epoch run has after its 7th step (the
    /// same shuffles and batches, bit for bit), and 3 history rows are taken after steps 2, 4 and 7.
    func testFixedStepsStopMidPass() throws {
        let fixed = try stepsRun(steps: 7, epochs: 3)
        XCTAssertEqual(fixed.steps.map(\.step), Array(1...7))
        XCTAssertEqual(fixed.steps.map(\.imagesSeen), [4, 8, 10, 14, 18, 20, 24])
        XCTAssertEqual(fixed.steps.map(\.epoch), [1, 1, 1, 2, 2, 2, 3])
        XCTAssertEqual(fixed.history.map(\.epoch), [1, 2, 3])
        let passes = try stepsRun(steps: nil, epochs: 3, snapshotAt: 7)
        XCTAssertEqual(passes.steps.count, 9)
        XCTAssertEqual(try XCTUnwrap(passes.snapshot), fixed.weights)
    }

    /// Fixed steps equal to whole passes (3 passes of ⌈10/4⌉ = 3 steps) are the epoch run: the
    /// same history (loss, accuracies) and weights, bit for bit.
    func testFixedStepsOfWholePassesAreTheEpochRun() throws {
        let fixed = try stepsRun(steps: 9, epochs: 3), passes = try stepsRun(steps: nil, epochs: 3)
        XCTAssertEqual(fixed.weights, passes.weights)
        XCTAssertEqual(fixed.history.map(\.loss), passes.history.map(\.loss))
        XCTAssertEqual(fixed.history.map(\.trainAccuracy), passes.history.map(\.trainAccuracy))
        XCTAssertEqual(fixed.history.map(\.testAccuracy), passes.history.map(\.testAccuracy))
    }
}
