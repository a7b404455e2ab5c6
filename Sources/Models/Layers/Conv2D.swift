import Numerics

/// k×k convolution, stride 1, valid padding. Weights W[k·k·C, F] (a filter is a column),
/// the layout of im2col's rows, so a DMN eigenvector of patch space is a filter as is.
public final class Conv2D: WeightLayer {
    public let name: String
    public let inputShape: Shape3
    public let outputShape: Shape3
    public let kernel: Int
    public let weights: Parameter
    let bias: Parameter
    public var trainable = true
    public var parameters: [Parameter] { [weights, bias] }
    var patchSize: Int { kernel * kernel * inputShape.channels }
    public var filters: Int { outputShape.channels }

    private let cols = Scratch<Float>()
    private let out = Scratch<Float>()
    private let dCols = Scratch<Float>()
    private let dIn = Scratch<Float>()

    init(name: String = "conv", input: Shape3, filters: Int, kernel: Int = 3, weights: [Float], bias: [Float]? = nil) {
        precondition(input.height >= kernel && input.width >= kernel, "\(name): input \(input) smaller than kernel \(kernel)")
        self.name = name
        self.inputShape = input
        self.kernel = kernel
        self.outputShape = Shape3(input.height - kernel + 1, input.width - kernel + 1, filters)
        (self.weights, self.bias) = convParameters(name: name, input: input, filters: filters, kernel: kernel,
                                                   weights: weights, bias: bias)
    }

    convenience init(name: String = "conv", input: Shape3, filters: Int, kernel: Int = 3, initialization: WeightInitialization = .he,
                            rng: inout SeededRandom) {
        self.init(name: name, input: input, filters: filters, kernel: kernel,
                  weights: initialization.convWeights(input: input, filters: filters, kernel: kernel, rng: &rng))
    }

    public func replica() -> Layer {
        let r = Conv2D(name: name, input: inputShape, filters: filters, kernel: kernel, weights: weights.value, bias: bias.value)
        r.trainable = trainable
        return r
    }

    public func forward(_ x: UnsafePointer<Float>, batch: Int) -> UnsafeMutablePointer<Float> {
        let rows = batch * outputShape.height * outputShape.width
        let c = cols.ensure(rows * patchSize)
        im2col(x, batch: batch, height: inputShape.height, width: inputShape.width, channels: inputShape.channels,
               kernel: kernel, c)
        let y = out.ensure(rows * filters)
        weights.value.withUnsafeBufferPointer { w in
            bias.value.withUnsafeBufferPointer { b in
                convForward(cols: c, rows: rows, patchSize: patchSize, weights: w.baseAddress!, bias: b.baseAddress!,
                            filters: filters, y)
            }
        }
        return y
    }

    public func backward(_ dy: UnsafePointer<Float>, batch: Int, needInputGrad: Bool) -> UnsafeMutablePointer<Float>? {
        let rows = batch * outputShape.height * outputShape.width
        if trainable {
            weights.value.withUnsafeBufferPointer { w in
                weights.grad.withUnsafeMutableBufferPointer { dw in
                    bias.grad.withUnsafeMutableBufferPointer { db in
                        convBackward(cols: cols.pointer, dy: dy, rows: rows, patchSize: patchSize, weights: w.baseAddress!,
                                     filters: filters, dWeights: dw.baseAddress!, dBias: db.baseAddress!, dCols: nil)
                    }
                }
            }
        }
        guard needInputGrad else { return nil }
        let dc = dCols.ensure(rows * patchSize)
        weights.value.withUnsafeBufferPointer { w in
            sgemm(false, true, m: rows, n: patchSize, k: filters, dy, w.baseAddress!, beta: 0, dc)
        }
        let n = batch * inputShape.count
        let dx = dIn.ensure(n)
        dx.update(repeating: 0, count: n)
        col2imAdd(dc, batch: batch, height: inputShape.height, width: inputShape.width, channels: inputShape.channels,
                  kernel: kernel, dx)
        return dx
    }
}
