import Foundation
import Numerics

public enum OptimizerKind: String, Codable, Sendable, CaseIterable { case sgd, adam }

/// Updates parameters from their accumulated gradients.
protocol Optimizer: AnyObject {
    /// Steps `shards[0]` (the trained network's parameters) on the batch's gradient. One shard's
    /// gradients are used as they are; several data-parallel shards' gradients (`shards[j][i]` is
    /// parameter i of shard j's replica, each gradient its shard's mean) are weighted by their
    /// `shares` of the batch and summed in shard order, s₀·g₀ + s₁·g₁ + ….
    func step(_ shards: [[Parameter]], shares: [Float])
}

extension Optimizer {
    /// A step on one set of parameters' own gradients.
    func step(_ parameters: [Parameter]) { step([parameters], shares: [1]) }
}

/// Calls `body` with each parameter of `shards[0]` and its batch gradient. Two shards are
/// merged inside the step's own pass (`StepGradient`); more are first summed into shard 0's
/// gradient in the same order of operations.
private func forEachGradient(_ shards: [[Parameter]], shares: [Float], _ body: (Parameter, StepGradient) -> Void) {
    precondition(!shards.isEmpty && shares.count == shards.count, "optimizer step: \(shards.count) shards, \(shares.count) shares")
    for (i, p) in shards[0].enumerated() {
        switch shards.count {
        case 1:
            p.grad.withUnsafeBufferPointer { g in body(p, StepGradient(g)) }
        case 2:
            p.grad.withUnsafeBufferPointer { g0 in
                shards[1][i].grad.withUnsafeBufferPointer { g1 in
                    body(p, StepGradient(g0, share: shares[0], g1, share: shares[1]))
                }
            }
        default:
            p.grad.withUnsafeMutableBufferPointer { g in
                for j in g.indices { g[j] *= shares[0] }
                for (shard, share) in zip(shards.dropFirst(), shares.dropFirst()) {
                    shard[i].grad.withUnsafeBufferPointer { h in for j in g.indices { g[j] += share * h[j] } }
                }
            }
            p.grad.withUnsafeBufferPointer { g in body(p, StepGradient(g)) }
        }
    }
}

/// SGD with (heavy-ball) momentum: v ← μv − ηg; w ← w + v.
final class SGD: Optimizer {
    let learningRate: Float
    let momentum: Float
    private var velocity: [ObjectIdentifier: [Float]] = [:]
    init(learningRate: Double, momentum: Double) {
        self.learningRate = Float(learningRate); self.momentum = Float(momentum)
    }
    func step(_ shards: [[Parameter]], shares: [Float]) {
        let mu = momentum, lr = learningRate
        forEachGradient(shards, shares: shares) { p, g in
            if mu == 0 {
                p.value.withUnsafeMutableBufferPointer { w in for i in w.indices { w[i] -= lr * g[i] } }
                return
            }
            let key = ObjectIdentifier(p)
            var v = velocity[key] ?? [Float](repeating: 0, count: g.count)
            velocity[key] = nil  // keep the array uniquely referenced while updating in place
            v.withUnsafeMutableBufferPointer { v in
                p.value.withUnsafeMutableBufferPointer { w in momentumStep(w, v: v, g: g, mu: mu, lr: lr) }
            }
            velocity[key] = v
        }
    }
}

/// Adam (Kingma & Ba) with bias correction, Keras's default ε = 1e-7.
final class Adam: Optimizer {
    let learningRate: Double
    let beta1: Double, beta2: Double, epsilon: Double
    private var t = 0
    private var moments: [ObjectIdentifier: (m: [Float], v: [Float])] = [:]
    init(learningRate: Double, beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-7) {
        self.learningRate = learningRate; self.beta1 = beta1; self.beta2 = beta2; self.epsilon = epsilon
    }
    func step(_ shards: [[Parameter]], shares: [Float]) {
        t += 1
        let lrT = Float(learningRate * (1 - pow(beta2, Double(t))).squareRoot() / (1 - pow(beta1, Double(t))))
        let b1 = Float(beta1), b2 = Float(beta2), eps = Float(epsilon)
        forEachGradient(shards, shares: shares) { p, g in
            let key = ObjectIdentifier(p)
            var (m, v) = moments[key] ?? ([Float](repeating: 0, count: g.count), [Float](repeating: 0, count: g.count))
            moments[key] = nil  // keep the arrays uniquely referenced while updating in place
            m.withUnsafeMutableBufferPointer { m in
                v.withUnsafeMutableBufferPointer { v in
                    p.value.withUnsafeMutableBufferPointer { w in
                        adamStep(w, m: m, v: v, g: g, b1: b1, b2: b2, lrT: lrT, eps: eps)
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
