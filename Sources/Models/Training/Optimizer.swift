import Foundation
import Numerics

public enum OptimizerKind: String, Codable, Sendable, CaseIterable { case sgd, adam }

/// Updates parameters from their accumulated gradients.
public protocol Optimizer: AnyObject {
    func step(_ parameters: [Parameter])
}

/// SGD with (heavy-ball) momentum: v ← μv − ηg; w ← w + v.
public final class SGD: Optimizer {
    public let learningRate: Float
    public let momentum: Float
    private var velocity: [ObjectIdentifier: [Float]] = [:]
    public init(learningRate: Double, momentum: Double) {
        self.learningRate = Float(learningRate); self.momentum = Float(momentum)
    }
    public func step(_ parameters: [Parameter]) {
        for p in parameters {
            let n = p.value.count
            if momentum == 0 {
                let lr = learningRate
                p.value.withUnsafeMutableBufferPointer { w in
                    p.grad.withUnsafeBufferPointer { g in for i in 0..<n { w[i] -= lr * g[i] } }
                }
                continue
            }
            let key = ObjectIdentifier(p)
            var v = velocity[key] ?? [Float](repeating: 0, count: n)
            velocity[key] = nil  // keep the array uniquely referenced while updating in place
            let mu = momentum, lr = learningRate
            v.withUnsafeMutableBufferPointer { v in
                p.value.withUnsafeMutableBufferPointer { w in
                    p.grad.withUnsafeBufferPointer { g in momentumStep(w, v: v, g: g, mu: mu, lr: lr) }
                }
            }
            velocity[key] = v
        }
    }
}

/// Adam (Kingma & Ba) with bias correction, Keras's default ε = 1e-7.
public final class Adam: Optimizer {
    public let learningRate: Double
    let beta1: Double, beta2: Double, epsilon: Double
    private var t = 0
    private var moments: [ObjectIdentifier: (m: [Float], v: [Float])] = [:]
    public init(learningRate: Double, beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-7) {
        self.learningRate = learningRate; self.beta1 = beta1; self.beta2 = beta2; self.epsilon = epsilon
    }
    public func step(_ parameters: [Parameter]) {
        t += 1
        let lrT = Float(learningRate * (1 - pow(beta2, Double(t))).squareRoot() / (1 - pow(beta1, Double(t))))
        let b1 = Float(beta1), b2 = Float(beta2), eps = Float(epsilon)
        for p in parameters {
            let n = p.value.count
            let key = ObjectIdentifier(p)
            var (m, v) = moments[key] ?? ([Float](repeating: 0, count: n), [Float](repeating: 0, count: n))
            moments[key] = nil  // keep the arrays uniquely referenced while updating in place
            m.withUnsafeMutableBufferPointer { m in
                v.withUnsafeMutableBufferPointer { v in
                    p.value.withUnsafeMutableBufferPointer { w in
                        p.grad.withUnsafeBufferPointer { g in
                            adamStep(w, m: m, v: v, g: g, b1: b1, b2: b2, lrT: lrT, eps: eps)
                        }
                    }
                }
            }
            moments[key] = (m, v)
        }
    }
}

func makeOptimizer(_ kind: OptimizerKind, learningRate: Double, momentum: Double) -> Optimizer {
    switch kind {
    case .sgd: return SGD(learningRate: learningRate, momentum: momentum)
    case .adam: return Adam(learningRate: learningRate)
    }
}
