import Numerics

/// How a `ConvBlock` computes its forward: both give the same block up to Float rounding
/// (tested). The backward is the direct kernels' in both cases: it visits only each window's
/// winners, a quarter of the work of the GEMM form's dense products.
public enum ConvBlockAlgorithm: String, CaseIterable, Sendable {
    /// The fused direct kernel: vectors hold neighbouring pooling windows, registers a
    /// window's four outputs for a group of filters.
    case direct
    /// Patches of the pooling windows into a matrix, then sgemm.
    case gemm

    /// Measured per kernel on the paper's layer shapes (benchmarks/PROFILING.md §10): the direct
    /// kernel wins while its vectors of neighbouring windows are mostly full (pooled rows of 8
    /// windows or more: every first layer here) or the layer is small; sgemm wins on the deeper
    /// layers' narrow maps (13×13×16 → 32 filters: 5 windows a row).
    static func preferred(patchSize: Int, filters: Int, pooledWidth: Int) -> ConvBlockAlgorithm {
        pooledWidth >= 8 || patchSize * filters < 128 ? .direct : .gemm
    }
}

/// Conv k×k → ReLU → 2×2 max-pool as one layer, on the fused kernels. Weights W[k·k·C, F],
/// the same layout as `Conv2D`, so DMN filters drop in unchanged.
public final class ConvBlock: WeightLayer {
    public let name: String
    public let inputShape: Shape3
    public let outputShape: Shape3
    public let kernel: Int
    public let weights: Parameter
    let bias: Parameter
    public var trainable = true
    public var algorithm: ConvBlockAlgorithm
    public var parameters: [Parameter] { [weights, bias] }
    public var filters: Int { outputShape.channels }
    var patchSize: Int { kernel * kernel * inputShape.channels }

    private var lastInput: UnsafePointer<Float>?
    private let out = Scratch<Float>()
    private let winners = Scratch<UInt8>()
    private let dIn = Scratch<Float>()
    private let cols = Scratch<Float>()
    private let z = Scratch<Float>()

    init(name: String = "block", input: Shape3, filters: Int, kernel: Int = 3, weights: [Float], bias: [Float]? = nil) {
        precondition(input.height - kernel + 1 >= 2 && input.width - kernel + 1 >= 2,
                     "\(name): input \(input) too small for a \(kernel)×\(kernel) conv and a 2×2 pool")
        self.name = name
        self.inputShape = input
        self.kernel = kernel
        self.outputShape = Shape3((input.height - kernel + 1) / 2, (input.width - kernel + 1) / 2, filters)
        (self.weights, self.bias) = convParameters(name: name, input: input, filters: filters, kernel: kernel,
                                                   weights: weights, bias: bias)
        self.algorithm = .preferred(patchSize: kernel * kernel * input.channels, filters: filters,
                                    pooledWidth: outputShape.width)
    }

    convenience init(name: String = "block", input: Shape3, filters: Int, kernel: Int = 3, initialization: WeightInitialization = .he,
                            rng: inout SeededRandom) {
        self.init(name: name, input: input, filters: filters, kernel: kernel,
                  weights: initialization.convWeights(input: input, filters: filters, kernel: kernel, rng: &rng))
    }

    public func replica() -> Layer {
        let r = ConvBlock(name: name, input: inputShape, filters: filters, kernel: kernel, weights: weights.value, bias: bias.value)
        r.trainable = trainable
        r.algorithm = algorithm
        return r
    }

    /// Keeps the input pointer for backward (every layer of a `Sequential` owns its output).
    public func forward(_ x: UnsafePointer<Float>, batch: Int) -> UnsafeMutablePointer<Float> {
        lastInput = x
        let n = batch * outputShape.count
        let y = out.ensure(n)
        if algorithm == .gemm { forwardGEMM(x, batch: batch, y); return y }
        weights.value.withUnsafeBufferPointer { w in
            bias.value.withUnsafeBufferPointer { b in
                convReluPool2Forward(x, batch: batch, height: inputShape.height, width: inputShape.width,
                                     channels: inputShape.channels, kernel: kernel, weights: w.baseAddress!,
                                     bias: b.baseAddress!, filters: filters, y, winners: winners.ensure(n))
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
                                          dx: dx)
                }
            }
        }
        return dx
    }

    private var windows: Int { outputShape.height * outputShape.width }

    /// The GEMM path works through a batch in chunks whose patch matrix is about 2 MiB (2¹⁹
    /// floats, an L2's worth; larger and smaller chunks both measured slower), so no 100 MB
    /// buffers appear at inference batch 1000.
    private var chunkImages: Int { max(1, (1 << 19) / (4 * windows * patchSize)) }

    private func forwardGEMM(_ x: UnsafePointer<Float>, batch: Int, _ y: UnsafeMutablePointer<Float>) {
        let win = winners.ensure(batch * outputShape.count)
        for first in stride(from: 0, to: batch, by: chunkImages) {
            let n = min(chunkImages, batch - first), rows = 4 * n * windows
            let c = cols.ensure(rows * patchSize), zz = z.ensure(rows * filters)
            im2colPoolWindows(x + first * inputShape.count, batch: n, height: inputShape.height, width: inputShape.width,
                              channels: inputShape.channels, kernel: kernel, c)
            weights.value.withUnsafeBufferPointer { w in
                sgemm(false, false, m: rows, n: filters, k: patchSize, c, w.baseAddress!, beta: 0, zz)
            }
            bias.value.withUnsafeBufferPointer { b in
                maxOfFourRelu(zz, windows: n * windows, filters: filters, bias: b.baseAddress!,
                              y + first * outputShape.count, winners: win + first * outputShape.count)
            }
        }
    }
}
