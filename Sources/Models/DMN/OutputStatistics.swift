import Datasets
import Numerics

/// Per-channel mean and population standard deviation, over every image of `data` and every
/// position, of the output of the frozen `prefix` (summed in Double, chunk by chunk). A
/// channel whose std is 0 (constant on these images) gets std 1. These are the statistics of
/// `DMNNormalization.standardize`: `data` is the DMN's own training subset, never test data.
func channelStatistics(data: ImageDataset, preprocessing: Preprocessing, prefix: [Layer],
                              chunkImages: Int) -> (mean: [Float], std: [Float]) {
    let shape = prefix.last?.outputShape ?? Shape3(data.height, data.width, data.channels)
    let c = shape.channels
    var sum = [Double](repeating: 0, count: c), sumSq = [Double](repeating: 0, count: c)
    let chunk = max(1, chunkImages)
    let x = UnsafeMutablePointer<Float>.allocate(capacity: chunk * data.imageSize)
    defer { x.deallocate() }
    var start = 0
    while start < data.count {
        let b = min(chunk, data.count - start)
        data.fillBatch(indices: start..<(start + b), preprocessing: preprocessing, into: x)
        var h = UnsafePointer(x)
        for layer in prefix { h = UnsafePointer(layer.forward(h, batch: b)) }
        let n = b * shape.count
        var i = 0
        while i < n {
            for ch in 0..<c {
                let v = Double(h[i + ch])
                sum[ch] += v
                sumSq[ch] += v * v
            }
            i += c
        }
        start += b
    }
    let count = Double(max(1, data.count * shape.height * shape.width))
    var means = [Float](), stds = [Float]()
    for ch in 0..<c {
        let m = sum[ch] / count
        // E[x²] − m² in Double; clamp the rounding below zero.
        let v = max(0, sumSq[ch] / count - m * m)
        let s = v.squareRoot()
        means.append(Float(m))
        stds.append(s > 0 && Float(s) > 0 ? Float(s) : 1)
    }
    return (means, stds)
}
