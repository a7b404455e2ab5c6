import Numerics

/// Conv k×k → ReLU → 2×2 max-pool as one layer, on the fused kernels. Weights W[k·k·C, F],
/// the same layout as `Conv2D`, so DMN filters drop in unchanged.
public final class ConvBlock: WeightLayer {
    public let name: String
    public let inputShape: Shape3
    public let outputShape: Shape3
    public let kernel: Int
    public let weights: Parameter
    public let bias: Parameter
    public var trainable = true
    public var parameters: [Parameter] { [weights, bias] }
    public var filters: Int { outputShape.channels }
    public var patchSize: Int { kernel * kernel * inputShape.channels }

    private var lastInput: UnsafePointer<Float>?
    private let out = Scratch<Float>()
    private let winners = Scratch<UInt8>()
    private let dIn = Scratch<Float>()
    private let acc = Scratch<Float>()

    public init(name: String = "block", input: Shape3, filters: Int, kernel: Int = 3, weights: [Float], bias: [Float]? = nil) {
        precondition(input.height - kernel + 1 >= 2 && input.width - kernel + 1 >= 2,
                     "\(name): input \(input) too small for a \(kernel)×\(kernel) conv and a 2×2 pool")
        self.name = name
        self.inputShape = input
        self.kernel = kernel
        self.outputShape = Shape3((input.height - kernel + 1) / 2, (input.width - kernel + 1) / 2, filters)
        (self.weights, self.bias) = convParameters(name: name, input: input, filters: filters, kernel: kernel,
                                                   weights: weights, bias: bias)
    }

    public convenience init(name: String = "block", input: Shape3, filters: Int, kernel: Int = 3, rng: inout SeededRandom) {
        self.init(name: name, input: input, filters: filters, kernel: kernel,
                  weights: heConvWeights(input: input, filters: filters, kernel: kernel, rng: &rng))
    }

    public func replica() -> Layer {
        let r = ConvBlock(name: name, input: inputShape, filters: filters, kernel: kernel, weights: weights.value, bias: bias.value)
        r.trainable = trainable
        return r
    }

    /// Keeps the input pointer for backward (every layer of a `Sequential` owns its output).
    public func forward(_ x: UnsafePointer<Float>, batch: Int) -> UnsafeMutablePointer<Float> {
        lastInput = x
        let n = batch * outputShape.count
        let y = out.ensure(n)
        weights.value.withUnsafeBufferPointer { w in
            bias.value.withUnsafeBufferPointer { b in
                convReluPool2Forward(x, batch: batch, height: inputShape.height, width: inputShape.width,
                                     channels: inputShape.channels, kernel: kernel, weights: w.baseAddress!,
                                     bias: b.baseAddress!, filters: filters, y, winners: winners.ensure(n),
                                     scratch: acc.ensure(convBlockScratchCount(patchSize: patchSize, filters: filters)))
            }
        }
        return y
    }

    public func backward(_ dy: UnsafePointer<Float>, batch: Int, needInputGrad: Bool) -> UnsafeMutablePointer<Float>? {
        guard trainable || needInputGrad else { return nil }
        let dx = needInputGrad ? dIn.ensure(batch * inputShape.count) : nil
        weights.value.withUnsafeBufferPointer { w in
            weights.grad.withUnsafeMutableBufferPointer { dw in
                bias.grad.withUnsafeMutableBufferPointer { db in
                    convReluPool2Backward(lastInput!, dy: dy, winners: winners.pointer, batch: batch,
                                          height: inputShape.height, width: inputShape.width, channels: inputShape.channels,
                                          kernel: kernel, weights: w.baseAddress!, filters: filters,
                                          dWeights: trainable ? dw.baseAddress! : nil, dBias: trainable ? db.baseAddress! : nil,
                                          dx: dx, scratch: acc.ensure(convBlockScratchCount(patchSize: patchSize, filters: filters)))
                }
            }
        }
        return dx
    }
}
