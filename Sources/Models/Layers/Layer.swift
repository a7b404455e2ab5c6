import Numerics

/// Per-sample activation shape, NHWC without the batch (a dense activation is 1×1×C).
public struct Shape3: Hashable, Codable, Sendable, CustomStringConvertible {
    public var height: Int, width: Int, channels: Int
    public init(_ height: Int, _ width: Int, _ channels: Int) {
        self.height = height; self.width = width; self.channels = channels
    }
    var count: Int { height * width * channels }
    public var description: String { "\(height)×\(width)×\(channels)" }
}

/// A learnable tensor and its gradient, both flat.
public final class Parameter {
    public let name: String
    public let shape: [Int]
    /// The values live in a box that a data-parallel worker's copy of the parameter can share
    /// (`shareValues(with:)`), so the workers read the weights the optimiser steps where they are:
    /// copying them to every worker before every step was 3% of a CIFAR-100 DMN run.
    private final class Values {
        var array: [Float]
        init(_ array: [Float]) { self.array = array }
    }
    private var values: Values
    public var value: [Float] {
        get { values.array }
        _modify { yield &values.array }
    }
    var grad: [Float]
    init(name: String, shape: [Int], value: [Float]) {
        precondition(shape.reduce(1, *) == value.count, "\(name): shape \(shape) does not match \(value.count) values")
        self.name = name; self.shape = shape; self.values = Values(value)
        self.grad = [Float](repeating: 0, count: value.count)
    }
    func zeroGrad() { for i in grad.indices { grad[i] = 0 } }
    /// From now on reads and writes `other`'s values (the gradient stays this parameter's own).
    func shareValues(with other: Parameter) {
        precondition(other.shape == shape, "\(name): cannot share the values of \(other.name), shape \(other.shape)")
        values = other.values
    }
}

/// A batched layer. Buffers are owned by the layer and reused across steps; `forward` returns
/// the layer's own output buffer, valid until its next `forward`.
public protocol Layer: AnyObject {
    var name: String { get }
    var inputShape: Shape3 { get }
    var outputShape: Shape3 { get }
    var parameters: [Parameter] { get }
    /// Frozen layers still pass gradients down but never accumulate their own.
    var trainable: Bool { get set }
    func forward(_ x: UnsafePointer<Float>, batch: Int) -> UnsafeMutablePointer<Float>
    /// Accumulates parameter gradients (when trainable) and returns dL/dx when asked.
    func backward(_ dy: UnsafePointer<Float>, batch: Int, needInputGrad: Bool) -> UnsafeMutablePointer<Float>?
    /// A copy with its own buffers and its own parameters (values copied, gradients zero),
    /// for data-parallel training.
    func replica() -> Layer
}

/// A layer with a weight matrix (conv or dense): what Fig. 1's λ is computed over.
protocol WeightLayer: Layer {
    var weights: Parameter { get }
    var bias: Parameter { get }
}

/// Weight matrix W[k·k·C, F] and bias of a conv layer (`Conv2D` and `ConvBlock` share it).
func convParameters(name: String, input: Shape3, filters: Int, kernel: Int, weights: [Float],
                    bias: [Float]?) -> (Parameter, Parameter) {
    let p = kernel * kernel * input.channels
    return (Parameter(name: "\(name).w", shape: [p, filters], value: weights),
            Parameter(name: "\(name).b", shape: [filters], value: bias ?? [Float](repeating: 0, count: filters)))
}

/// A growable scratch buffer: reallocated only when a larger batch arrives.
final class Scratch<T> {
    private(set) var pointer: UnsafeMutablePointer<T>
    private(set) var capacity: Int
    init() { capacity = 0; pointer = UnsafeMutablePointer<T>.allocate(capacity: 1) }
    deinit { pointer.deallocate() }
    @discardableResult
    func ensure(_ n: Int) -> UnsafeMutablePointer<T> {
        if n > capacity {
            pointer.deallocate()
            pointer = UnsafeMutablePointer<T>.allocate(capacity: n)
            capacity = n
        }
        return pointer
    }
}

/// A distribution to draw a layer's weights from, given its fans. Seeded.
enum Initializer: String, Codable, Sendable {
    /// He-normal, N(0, 2/fanIn).
    case he
    /// Glorot-uniform, U(±√(6/(fanIn+fanOut))).
    case glorot

    func values(count: Int, fanIn: Int, fanOut: Int, rng: inout SeededRandom) -> [Float] {
        switch self {
        case .he:
            let std = (2.0 / Double(fanIn)).squareRoot()
            return (0..<count).map { _ in Float(rng.nextGaussian() * std) }
        case .glorot:
            let limit = (6.0 / Double(fanIn + fanOut)).squareRoot()
            return (0..<count).map { _ in Float((rng.nextDouble() * 2 - 1) * limit) }
        }
    }
}

/// How the trained layers of a network start (spec key `training.init`). The softmax layer is
/// Glorot-uniform under both schemes; they differ on the conv and hidden dense layers.
public enum WeightInitialization: String, Codable, Sendable, CaseIterable {
    /// He-normal for the conv and hidden dense layers (each feeds a ReLU), Glorot-uniform for
    /// the softmax: repro's original scheme.
    case he
    /// Keras's default for every layer (`glorot_uniform`, biases 0), with Keras's fans: a
    /// k×k conv from C to K channels has fanIn = k·k·C and fanOut = k·k·K; a dense layer
    /// fanIn = inputs, fanOut = outputs. The authors' code (Keras) ran with this.
    case glorotUniform = "glorot-uniform"

    /// Weights W[k·k·C, K] of a k×k conv layer from C = `input.channels` channels to K = `filters`.
    func convWeights(input: Shape3, filters: Int, kernel: Int, rng: inout SeededRandom) -> [Float] {
        let p = kernel * kernel * input.channels
        switch self {
        case .he: return Initializer.he.values(count: p * filters, fanIn: p, fanOut: filters, rng: &rng)
        case .glorotUniform:
            return Initializer.glorot.values(count: p * filters, fanIn: p, fanOut: kernel * kernel * filters, rng: &rng)
        }
    }

    /// The distribution of a hidden dense layer (one that feeds a ReLU).
    var hiddenDense: Initializer { self == .he ? .he : .glorot }
}
