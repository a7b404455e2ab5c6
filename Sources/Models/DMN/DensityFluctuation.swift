import Datasets
import Numerics

/// Fig. 2 (bottom): how a class's density matrix settles as images are added. After each
/// image N the eigenvalues λ_μ(N) of ρ(N) = (1/N_patches) Σ h hᵀ are taken; the scaled
/// increment s_μ(N) = (λ_μ(N+1) − λ_μ(N)) · N / λ_μ(N) is what the paper claims is Gaussian
/// with zero mean and a variance independent of N.
public struct FluctuationPoint: Equatable, Sendable {
    public let images: Int        // N
    public let mu: Int            // eigenvalue rank, 0 = largest
    public let eigenvalue: Double // λ_μ(N)
    public let scaledIncrement: Double
}

/// Walks `indices` of `data` in order, one image at a time, over k×k patches.
public func densityFluctuations(data: ImageDataset, indices: [Int], kernel k: Int,
                                preprocessing: Preprocessing) throws -> [FluctuationPoint] {
    let (h, w, c) = (data.height, data.width, data.channels)
    let n = k * k * c
    let rows = (h - k + 1) * (w - k + 1)
    var density = ClassDensity(dimension: n)
    var x = [Float](repeating: 0, count: data.imageSize)
    var cols = [Float](repeating: 0, count: rows * n)
    var scratch = [Float](repeating: 0, count: n * n)
    var previous: [Double]?
    var points: [FluctuationPoint] = []
    for (step, i) in indices.enumerated() {
        data.fillBatch(indices: [i], preprocessing: preprocessing, into: &x)
        im2col(x, batch: 1, height: h, width: w, channels: c, kernel: k, &cols)
        cols.withUnsafeBufferPointer { b in
            scratch.withUnsafeMutableBufferPointer { s in density.add(block: b.baseAddress!, rows: rows, scratch: s.baseAddress!) }
        }
        let values = try symmetricEigen(density.densityMatrix(centred: false), n: n).values
        if let prev = previous {
            let nImages = step  // images in ρ before this one was added
            for mu in 0..<n where prev[mu] > 0 {
                points.append(FluctuationPoint(images: nImages, mu: mu, eigenvalue: prev[mu],
                                               scaledIncrement: (values[mu] - prev[mu]) * Double(nImages) / prev[mu]))
            }
        }
        previous = values
    }
    return points
}
