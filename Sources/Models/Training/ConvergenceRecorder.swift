/// Fig. 1's per-layer convergence rate λ_k = ‖w_k(N+δN) − w_k(N)‖ / ‖w_k(N)‖ (Frobenius),
/// taken every `every` steps, with the de-trended rate λ_k/λ̄ − 1 (λ̄ the mean over the
/// recorded layers at that step) and its trailing moving average over `window` records.
public final class ConvergenceRecorder {
    public struct Record: Codable, Hashable, Sendable {
        public let step: Int, imagesSeen: Int, layer: Int
        public let lambda: Double, detrended: Double, smoothed: Double
        init(step: Int, imagesSeen: Int, layer: Int, lambda: Double, detrended: Double, smoothed: Double) {
            self.step = step; self.imagesSeen = imagesSeen; self.layer = layer
            self.lambda = lambda; self.detrended = detrended; self.smoothed = smoothed
        }
    }

    let every: Int
    let window: Int
    /// Indices (into `Sequential.weightSnapshots()`) of the layers to record; 1-based layer
    /// numbers in the records follow this order.
    let layers: [Int]
    public private(set) var records: [Record] = []
    private var previous: [[Float]]?
    private var recent: [[Double]]

    public init(every: Int, window: Int, layers: [Int]) {
        self.every = max(1, every); self.window = max(1, window); self.layers = layers
        recent = layers.map { _ in [] }
    }

    /// The weight layers Fig. 1 tracks: every SGD-trained weight layer below the output
    /// layer, or the output layer alone when nothing below it is trained.
    public static func trackedLayers(of network: Sequential) -> [Int] {
        let weighted = network.layers.filter { $0 is WeightLayer }
        let trained = weighted.indices.filter { weighted[$0].trainable }
        let hidden = trained.filter { $0 < weighted.count - 1 }
        return hidden.isEmpty ? trained : hidden
    }

    public func start(_ network: Sequential) { previous = snapshot(network) }

    public func observe(step: Int, imagesSeen: Int, network: Sequential) {
        guard step % every == 0, let prev = previous else { return }
        let now = snapshot(network)
        let lambdas = zip(prev, now).map { old, new -> Double in
            var diff = 0.0, norm = 0.0
            for i in old.indices {
                let d = Double(new[i]) - Double(old[i])
                diff += d * d
                norm += Double(old[i]) * Double(old[i])
            }
            return norm > 0 ? (diff / norm).squareRoot() : .nan
        }
        let mean = lambdas.reduce(0, +) / Double(max(1, lambdas.count))
        for (k, lambda) in lambdas.enumerated() {
            let detrended = mean > 0 ? lambda / mean - 1 : .nan
            recent[k].append(detrended)
            if recent[k].count > window { recent[k].removeFirst(recent[k].count - window) }
            let smoothed = recent[k].reduce(0, +) / Double(recent[k].count)
            records.append(Record(step: step, imagesSeen: imagesSeen, layer: k + 1, lambda: lambda,
                                  detrended: detrended, smoothed: smoothed))
        }
        previous = now
    }

    private func snapshot(_ network: Sequential) -> [[Float]] {
        let all = network.weightSnapshots()
        return layers.map { all[$0] }
    }
}
