import Numerics

final class ReLU: Layer {
    let name: String
    let inputShape: Shape3
    var outputShape: Shape3 { inputShape }
    var parameters: [Parameter] { [] }
    var trainable = true
    private let out = Scratch<Float>()
    private let dIn = Scratch<Float>()

    init(name: String = "relu", shape: Shape3) { self.name = name; self.inputShape = shape }

    func replica() -> Layer { ReLU(name: name, shape: inputShape) }

    func forward(_ x: UnsafePointer<Float>, batch: Int) -> UnsafeMutablePointer<Float> {
        let n = batch * inputShape.count
        let y = out.ensure(n)
        reluForward(x, count: n, y)
        return y
    }

    func backward(_ dy: UnsafePointer<Float>, batch: Int, needInputGrad: Bool) -> UnsafeMutablePointer<Float>? {
        guard needInputGrad else { return nil }
        let n = batch * inputShape.count
        let dx = dIn.ensure(n)
        reluBackward(output: out.pointer, dy: dy, count: n, dx)
        return dx
    }
}

final class MaxPool2: Layer {
    let name: String
    let inputShape: Shape3
    let outputShape: Shape3
    var parameters: [Parameter] { [] }
    var trainable = true
    private let out = Scratch<Float>()
    private let argmax = Scratch<Int32>()
    private let dIn = Scratch<Float>()

    init(name: String = "pool", input: Shape3) {
        precondition(input.height >= 2 && input.width >= 2, "\(name): input \(input) too small to pool 2×2")
        self.name = name
        self.inputShape = input
        self.outputShape = Shape3(input.height / 2, input.width / 2, input.channels)
    }

    func replica() -> Layer { MaxPool2(name: name, input: inputShape) }

    func forward(_ x: UnsafePointer<Float>, batch: Int) -> UnsafeMutablePointer<Float> {
        let n = batch * outputShape.count
        let y = out.ensure(n)
        maxPool2Forward(x, batch: batch, height: inputShape.height, width: inputShape.width, channels: inputShape.channels,
                        y, argmax: argmax.ensure(n))
        return y
    }

    func backward(_ dy: UnsafePointer<Float>, batch: Int, needInputGrad: Bool) -> UnsafeMutablePointer<Float>? {
        guard needInputGrad else { return nil }
        let dx = dIn.ensure(batch * inputShape.count)
        maxPool2Backward(dy: dy, argmax: argmax.pointer, outputCount: batch * outputShape.count,
                         inputCount: batch * inputShape.count, dx)
        return dx
    }
}

/// Fully connected: y = x·W + b, W[in, out]. Flattening NHWC is free (the buffer is already
/// flat), so any input shape is accepted and read as a vector of `inputShape.count`.
final class Dense: WeightLayer {
    let name: String
    let inputShape: Shape3
    let outputShape: Shape3
    let weights: Parameter
    let bias: Parameter
    var trainable = true
    var parameters: [Parameter] { [weights, bias] }
    var inputs: Int { inputShape.count }
    var outputs: Int { outputShape.channels }
    private var lastInput: UnsafePointer<Float>?
    private let out = Scratch<Float>()
    private let dIn = Scratch<Float>()

    init(name: String = "dense", input: Shape3, outputs: Int, weights: [Float], bias: [Float]? = nil) {
        self.name = name
        self.inputShape = input
        self.outputShape = Shape3(1, 1, outputs)
        self.weights = Parameter(name: "\(name).w", shape: [input.count, outputs], value: weights)
        self.bias = Parameter(name: "\(name).b", shape: [outputs], value: bias ?? [Float](repeating: 0, count: outputs))
    }

    convenience init(name: String = "dense", input: Shape3, outputs: Int, initializer: Initializer, rng: inout SeededRandom) {
        self.init(name: name, input: input, outputs: outputs,
                  weights: initializer.values(count: input.count * outputs, fanIn: input.count, fanOut: outputs, rng: &rng))
    }

    func replica() -> Layer {
        let r = Dense(name: name, input: inputShape, outputs: outputs, weights: weights.value, bias: bias.value)
        r.trainable = trainable
        return r
    }

    /// The input pointer is kept for backward: callers must not overwrite it in between,
    /// which holds in a `Sequential` since every layer owns its output buffer.
    func forward(_ x: UnsafePointer<Float>, batch: Int) -> UnsafeMutablePointer<Float> {
        lastInput = x
        let y = out.ensure(batch * outputs)
        weights.value.withUnsafeBufferPointer { w in
            bias.value.withUnsafeBufferPointer { b in
                denseForward(x, batch: batch, inputs: inputs, outputs: outputs, weights: w.baseAddress!, bias: b.baseAddress!, y)
            }
        }
        return y
    }

    func backward(_ dy: UnsafePointer<Float>, batch: Int, needInputGrad: Bool) -> UnsafeMutablePointer<Float>? {
        let dx = needInputGrad ? dIn.ensure(batch * inputs) : nil
        weights.value.withUnsafeBufferPointer { w in
            if trainable {
                weights.grad.withUnsafeMutableBufferPointer { dw in
                    bias.grad.withUnsafeMutableBufferPointer { db in
                        denseBackward(lastInput!, dy: dy, batch: batch, inputs: inputs, outputs: outputs, weights: w.baseAddress!,
                                      dWeights: dw.baseAddress!, dBias: db.baseAddress!, dx: dx)
                    }
                }
            } else if let dx {
                sgemm(false, true, m: batch, n: inputs, k: outputs, dy, w.baseAddress!, beta: 0, dx)
            }
        }
        return dx
    }
}
