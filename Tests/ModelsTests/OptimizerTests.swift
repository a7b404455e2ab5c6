import XCTest
@testable import Models
@testable import Numerics

/// The optimisers step on data-parallel shards' gradients, merged inside the step (two shards)
/// or summed first (more). Either way the result must be the bits of merging by hand (scale
/// shard 0 by its share, add each further shard times its share, in shard order) and stepping
/// on one parameter with that gradient: the same Float operations in the same order, so the
/// tolerance is zero.
final class OptimizerTests: XCTestCase {
    func floats(_ n: Int, seed: UInt64, scale: Double) -> [Float] {
        var rng = SeededRandom(seed: seed)
        return (0..<n).map { _ in Float(rng.nextGaussian() * scale) }
    }

    func testShardedStepsEqualSteppingOnTheMergedGradient() {
        let makers: [(String, () -> Optimizer)] = [
            ("adam", { Adam(learningRate: 0.003) }),
            ("sgd momentum", { SGD(learningRate: 0.05, momentum: 0.9) }),
            ("sgd", { SGD(learningRate: 0.05, momentum: 0) }),
        ]
        let n = 37
        for (name, make) in makers {
            for shardCount in 1...3 {
                // Shares of a batch of 7 + 8 + 9 (or fewer shards), not exactly representable.
                let sizes = [7, 8, 9].prefix(shardCount)
                let shares = sizes.map { Float($0) / Float(sizes.reduce(0, +)) }
                let start = floats(n, seed: 1, scale: 1)
                let sharded = (0..<shardCount).map { j in Parameter(name: "w\(j)", shape: [n], value: start) }
                let reference = Parameter(name: "w", shape: [n], value: start)
                let (a, b) = (make(), make())
                for step in 1...3 {
                    let grads = (0..<shardCount).map { j in floats(n, seed: UInt64(10 * step + j), scale: 0.1) }
                    for (p, g) in zip(sharded, grads) { p.grad = g }
                    var merged = grads[0]
                    if shardCount > 1 {
                        for i in 0..<n { merged[i] *= shares[0] }
                        for j in 1..<shardCount { for i in 0..<n { merged[i] += shares[j] * grads[j][i] } }
                    }
                    reference.grad = merged
                    a.step(sharded.map { [$0] }, shares: Array(shares))
                    b.step([reference])
                }
                XCTAssertEqual(sharded[0].value.map(\.bitPattern), reference.value.map(\.bitPattern),
                               "\(name), \(shardCount) shards")
                XCTAssertNotEqual(sharded[0].value, start, "\(name): no weight moved")
            }
        }
    }
}
