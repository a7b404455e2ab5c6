import XCTest
@testable import Models
@testable import Numerics

/// `training.init` against its formulas. Each scheme's draw is checked by its sample mean and
/// variance and, for the uniform, by its bounds. Tolerances are statistical, from the draw's
/// own size n: the sample mean has standard deviation σ/√n; the sample variance s² has
/// standard deviation σ²·√((κ − 1)/n), κ the kurtosis (3 for a normal, 1.8 for a uniform).
/// Six standard deviations: a false failure has probability below 1e-8, and a wrong fan
/// convention (the alternative below) moves the variance by more than 60 of them.
final class InitializationTests: XCTestCase {
    /// (sample mean, sample variance, largest |w|) in Double.
    func moments(_ w: [Float]) -> (mean: Double, variance: Double, maxAbs: Double) {
        let n = Double(w.count)
        let mean = w.reduce(0.0) { $0 + Double($1) } / n
        let variance = w.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / (n - 1)
        return (mean, variance, w.map { abs(Double($0)) }.max() ?? 0)
    }

    func assertMoments(_ w: [Float], variance v: Double, kurtosis: Double, _ label: String) {
        let n = Double(w.count), m = moments(w)
        XCTAssertLessThan(abs(m.mean), 6 * (v / n).squareRoot(), "\(label): mean")
        XCTAssertLessThan(abs(m.variance - v), 6 * v * ((kurtosis - 1) / n).squareRoot(), "\(label): variance \(m.variance) vs \(v)")
    }

    /// A 3×3 conv from 64 to 256 channels: fan_in = 576, Keras's fan_out = 9·256 = 2304.
    let input = Shape3(8, 8, 64), filters = 256, kernel = 3

    func testHeIsNormalWithVarianceTwoOverFanIn() {
        var rng = SeededRandom(seed: 3, stream: "init-test")
        let w = WeightInitialization.he.convWeights(input: input, filters: filters, kernel: kernel, rng: &rng)
        XCTAssertEqual(w.count, 576 * 256)
        assertMoments(w, variance: 2.0 / 576, kurtosis: 3, "he")
        // The default of a ConvBlock drawn from a seed is He: today's runs keep their filters.
        var a = SeededRandom(seed: 9), b = SeededRandom(seed: 9)
        let block = ConvBlock(name: "c", input: Shape3(6, 6, 2), filters: 5, rng: &a)
        XCTAssertEqual(block.weights.value, WeightInitialization.he.convWeights(input: Shape3(6, 6, 2), filters: 5, kernel: 3, rng: &b))
    }

    func testGlorotUniformUsesKerasConvFans() {
        var rng = SeededRandom(seed: 4, stream: "init-test")
        let w = WeightInitialization.glorotUniform.convWeights(input: input, filters: filters, kernel: kernel, rng: &rng)
        let limit = (6.0 / Double(576 + 2304)).squareRoot()
        // U(−a, a) has variance a²/3.
        assertMoments(w, variance: limit * limit / 3, kurtosis: 1.8, "glorot-uniform conv")
        let m = moments(w)
        // Float(x·a) for |x| < 1 rounds to at most a (a Float), so the bound holds exactly;
        // among n = 147,456 draws the largest falls short of a by more than a·20/n with
        // probability (1 − 20/n)^n ≈ e^−20.
        XCTAssertLessThanOrEqual(m.maxAbs, Double(Float(limit)))
        XCTAssertGreaterThan(m.maxAbs, limit * (1 - 20 / Double(w.count)))
        // The fan convention matters: with fan_out = K (256) the variance would be 3.5× larger.
        let wrongLimit = (6.0 / Double(576 + 256)).squareRoot()
        XCTAssertGreaterThan(wrongLimit * wrongLimit / 3, 3 * m.variance)
    }

    func testMultilayerPerceptronHiddenLayersFollowTheScheme() {
        var rng = SeededRandom(seed: 5)
        let net = multilayerPerceptron(input: Shape3(20, 20, 1), hidden: [300], classes: 10, initialization: .glorotUniform, rng: &rng)
        let hidden = net.layers.compactMap { $0 as? Dense }
        XCTAssertEqual(hidden.count, 2)
        let limit = (6.0 / Double(400 + 300)).squareRoot()
        assertMoments(hidden[0].weights.value, variance: limit * limit / 3, kurtosis: 1.8, "glorot-uniform dense")
        XCTAssertLessThanOrEqual(moments(hidden[0].weights.value).maxAbs, Double(Float(limit)))
        var rng2 = SeededRandom(seed: 5)
        let he = multilayerPerceptron(input: Shape3(20, 20, 1), hidden: [300], classes: 10, rng: &rng2)
        assertMoments((he.layers.first as! Dense).weights.value, variance: 2.0 / 400, kurtosis: 3, "he dense")
    }
}
