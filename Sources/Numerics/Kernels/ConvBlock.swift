import CNumerics

// The paper's block, conv k×k (valid, stride 1) → ReLU → 2×2 max-pool (stride 2), fused.
//
// Why fused: pool(relu(y)) = relu(pool(y)), so only the conv outputs inside pooling windows
// are computed, nothing of conv size is written to memory, and the backward pass touches
// only the one conv output per window and filter that won (at most a quarter of them).
// The unfused layers (Conv2D, ReLU, MaxPool2) stay as the reference these are tested against.
//
// Layouts: x[B, H, W, C] NHWC; w[k·k·C, F] (the im2col row order); y[B, PH, PW, F] with
// PH = (H−k+1)/2, PW = (W−k+1)/2; win[B, PH, PW, F] is the winning position in the 2×2
// window (0…3, row-major) or `noGradient` where the output was clipped to 0 by the ReLU.

let noGradient: UInt8 = 255

/// The fused forward, in C so that it runs in the CPU's widest vectors (Swift's SIMD types
/// compile to the build's baseline, SSE2 on x86-64). Each output is bias + Σ x·w over the
/// patch in im2col order (ky, kx, c), one multiply and one add at a time: the order of the
/// SIMD4 Swift kernel it replaces, so results are unchanged, and every `isa` gives the same bits.
public func convReluPool2Forward(_ x: UnsafePointer<Float>, batch: Int, height: Int, width: Int, channels: Int,
                                 kernel k: Int, weights w: UnsafePointer<Float>, bias: UnsafePointer<Float>, filters f: Int,
                                 _ y: UnsafeMutablePointer<Float>, winners: UnsafeMutablePointer<UInt8>,
                                 isa: VectorISA = .best) {
    let status = repro_conv_relu_pool2_forward(isa.rawValue, x, Int32(batch), Int32(height), Int32(width),
                                               Int32(channels), Int32(k), w, bias, Int32(f), y, winners)
    precondition(status == 0, "convReluPool2Forward: out of memory for its scratch buffers")
}

/// The block's backward, in C like the forward, visiting only each window's winners: dW += Σ
/// dy·patch and dBias += Σ dy when given (both or neither), and dx ← Σ dy·W[:, filter] at the
/// winner's patch when given. The sums run in a fixed order (see conv_block.h), the same bits in
/// every instruction set.
public func convReluPool2Backward(_ x: UnsafePointer<Float>, dy: UnsafePointer<Float>, winners: UnsafePointer<UInt8>,
                                  batch: Int, height: Int, width: Int, channels: Int, kernel k: Int,
                                  weights w: UnsafePointer<Float>, filters f: Int,
                                  dWeights: UnsafeMutablePointer<Float>?, dBias: UnsafeMutablePointer<Float>?,
                                  dx: UnsafeMutablePointer<Float>?, isa: VectorISA = .best) {
    precondition((dWeights == nil) == (dBias == nil), "convReluPool2Backward: dWeights and dBias go together")
    if let dWeights, let dBias {
        let status = repro_conv_relu_pool2_backward_weights(isa.rawValue, x, dy, winners, Int32(batch), Int32(height),
                                                            Int32(width), Int32(channels), Int32(k), Int32(f),
                                                            dWeights, dBias)
        precondition(status == 0, "convReluPool2Backward: out of memory for its scratch buffers")
    }
    if let dx {
        let status = repro_conv_relu_pool2_backward_input(isa.rawValue, dy, winners, Int32(batch), Int32(height),
                                                          Int32(width), Int32(channels), Int32(k), w, Int32(f), dx)
        precondition(status == 0, "convReluPool2Backward: out of memory for its scratch buffers")
    }
}
