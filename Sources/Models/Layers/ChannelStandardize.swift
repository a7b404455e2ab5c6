import Numerics

/// y = (x − mean[c]) / std[c] per channel of an NHWC activation; fixed statistics (the DMN's
/// output standardisation, `DMNNormalization.standardize`). No parameters; backward is dy / std.
public final class ChannelStandardize: Layer {
    public let name: String
    public let inputShape: Shape3
    public var outputShape: Shape3 { inputShape }
    public var parameters: [Parameter] { [] }
    public var trainable = false
    public let mean: [Float]
    public let std: [Float]
    private let inverse: [Float]
    private let out = Scratch<Float>()
    private let dIn = Scratch<Float>()

    init(name: String = "standardize", shape: Shape3, mean: [Float], std: [Float]) {
        precondition(mean.count == shape.channels && std.count == shape.channels,
                     "\(name): \(mean.count) means and \(std.count) stds for \(shape.channels) channels")
        precondition(std.allSatisfy { $0 > 0 && $0.isFinite }, "\(name): every std must be positive and finite")
        self.name = name; self.inputShape = shape; self.mean = mean; self.std = std
        inverse = std.map { 1 / $0 }
    }

    public func replica() -> Layer {
        let r = ChannelStandardize(name: name, shape: inputShape, mean: mean, std: std)
        r.trainable = trainable
        return r
    }

    public func forward(_ x: UnsafePointer<Float>, batch: Int) -> UnsafeMutablePointer<Float> {
        let c = inputShape.channels, n = batch * inputShape.count
        let y = out.ensure(n)
        mean.withUnsafeBufferPointer { m in
            inverse.withUnsafeBufferPointer { s in
                var i = 0
                while i < n {
                    for ch in 0..<c { y[i &+ ch] = (x[i &+ ch] - m[ch]) * s[ch] }
                    i &+= c
                }
            }
        }
        return y
    }

    public func backward(_ dy: UnsafePointer<Float>, batch: Int, needInputGrad: Bool) -> UnsafeMutablePointer<Float>? {
        guard needInputGrad else { return nil }
        let c = inputShape.channels, n = batch * inputShape.count
        let dx = dIn.ensure(n)
        inverse.withUnsafeBufferPointer { s in
            var i = 0
            while i < n {
                for ch in 0..<c { dx[i &+ ch] = dy[i &+ ch] * s[ch] }
                i &+= c
            }
        }
        return dx
    }
}
