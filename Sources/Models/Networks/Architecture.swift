import Numerics

struct ArchitectureError: Error, CustomStringConvertible {
    let description: String
}

/// The paper's ConvNet shape: for each filter count, conv k×k (valid) → ReLU → 2×2 max-pool
/// (one fused `ConvBlock`); then a dense softmax layer. "4,15" is two conv layers of 4 and 15 filters.
public struct Architecture: Sendable, Hashable {
    var input: Shape3
    var classes: Int
    var convFilters: [Int]
    var kernel = 3

    public init(input: Shape3, classes: Int, convFilters: [Int], kernel: Int = 3) throws {
        self.input = input; self.classes = classes; self.convFilters = convFilters; self.kernel = kernel
        var h = input.height, w = input.width
        for (l, f) in convFilters.enumerated() {
            guard f > 0 else { throw ArchitectureError(description: "layer \(l + 1) has \(f) filters; need at least 1") }
            guard h - kernel + 1 >= 2, w - kernel + 1 >= 2 else {
                throw ArchitectureError(description: "filters \(convFilters.map(String.init).joined(separator: ",")): layer \(l + 1) gets a \(h)×\(w) input, too small for a \(kernel)×\(kernel) conv and a 2×2 pool")
            }
            h = (h - kernel + 1) / 2; w = (w - kernel + 1) / 2
        }
    }

    /// Conv → ReLU → pool blocks with trainable filters drawn by `initialization`. With
    /// `batchNorm`, each block is Conv2D → BatchNorm → ReLU → MaxPool2 instead (the same
    /// filters: the same draws in the same order), BN with running mean 0 and variance 1.
    public func randomFeatureLayers(initialization: WeightInitialization = .he, batchNorm: BatchNormSettings? = nil,
                                    rng: inout SeededRandom) -> [Layer] {
        var layers: [Layer] = []
        var shape = input
        for (l, f) in convFilters.enumerated() {
            if let batchNorm {
                let conv = Conv2D(name: "conv\(l + 1)", input: shape, filters: f, kernel: kernel,
                                  initialization: initialization, rng: &rng)
                layers += normalizedConv(conv, layer: l + 1, activation: true, settings: batchNorm)
            } else {
                layers.append(ConvBlock(name: "conv\(l + 1)", input: shape, filters: f, kernel: kernel,
                                        initialization: initialization, rng: &rng))
            }
            shape = layers.last!.outputShape
        }
        return layers
    }

    /// Feature layers followed by a Glorot-initialised dense softmax layer.
    public func network(features: [Layer], rng: inout SeededRandom) -> Sequential {
        let top = features.last?.outputShape ?? input
        return Sequential(features + [Dense(name: "softmax", input: top, outputs: classes, initializer: .glorot, rng: &rng)])
    }
}

/// `conv` (layer `layer`, 1-based) → BatchNorm → ReLU (when `activation`) → 2×2 max-pool, the
/// BN network's form of a `ConvBlock`. BN is named `bn<layer>`, trainable whatever `conv` is.
/// The ReLU is applied after the pool: max and ReLU commute (relu(max(a, b, c, d)) =
/// max(relu(a), …) exactly, and the gradient reaches the same element: the first maximum when it
/// is positive, none otherwise), so the network is the same, with a quarter of the ReLU work.
func normalizedConv(_ conv: Conv2D, layer: Int, activation: Bool, settings: BatchNormSettings,
                    runningMean: [Float]? = nil, runningVariance: [Float]? = nil) -> [Layer] {
    let bn = BatchNorm(name: "bn\(layer)", shape: conv.outputShape, settings: settings,
                       runningMean: runningMean, runningVariance: runningVariance)
    let pool = MaxPool2(name: "pool\(layer)", input: conv.outputShape)
    pool.trainable = conv.trainable
    if !activation { return [conv, bn, pool] }
    let relu = ReLU(name: "relu\(layer)", shape: pool.outputShape)
    relu.trainable = conv.trainable
    return [conv, bn, pool, relu]
}

/// Dense ReLU network (Fig. 1): input → hidden widths (each dense → ReLU) → dense softmax.
public func multilayerPerceptron(input: Shape3, hidden: [Int], classes: Int, initialization: WeightInitialization = .he,
                                 rng: inout SeededRandom) -> Sequential {
    var layers: [Layer] = []
    var shape = input
    for (l, width) in hidden.enumerated() {
        let d = Dense(name: "dense\(l + 1)", input: shape, outputs: width, initializer: initialization.hiddenDense, rng: &rng)
        layers += [d, ReLU(name: "relu\(l + 1)", shape: d.outputShape)]
        shape = d.outputShape
    }
    layers.append(Dense(name: "softmax", input: shape, outputs: classes, initializer: .glorot, rng: &rng))
    return Sequential(layers)
}
