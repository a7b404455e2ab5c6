import Foundation

/// The spec option `data.resize`: keep every image as it is (the default; images of different
/// sizes are then refused), or resize every image of a dataset given by path to one size.
public enum ImageResize: Hashable, Sendable, CustomStringConvertible {
    case keep
    case to(height: Int, width: Int)

    /// The largest height or width a spec may ask for (a bound against typos such as
    /// "2800x2800" for "28x28": one such image batch would not fit in memory).
    static let maxSide = 4096

    /// The spec's spelling, "HxW" (height first, as shapes are printed); nil for `keep`.
    public var spelling: String? {
        if case let .to(h, w) = self { return "\(h)x\(w)" }
        return nil
    }

    public var description: String { spelling ?? "none" }

    /// Parses "HxW" (e.g. "28x28", "32x48": height 32, width 48), each side 1…`maxSide`;
    /// nil for anything else.
    public init?(spelling s: String) {
        let parts = s.lowercased().split(separator: "x", omittingEmptySubsequences: false)
        guard parts.count == 2, let h = Int(parts[0]), let w = Int(parts[1]),
              parts.allSatisfy({ $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
              (1...Self.maxSide).contains(h), (1...Self.maxSide).contains(w) else { return nil }
        self = .to(height: h, width: w)
    }

    /// The allowed form, for error messages and the parameter's documentation.
    public static let expectation = "a size \"HxW\" (height x width in pixels, each 1…\(maxSide), e.g. \"28x28\"), or null for none"
}

/// Area-averaging resize of one image (a box filter with exact pixel overlaps): each output
/// pixel is the mean of the input over the rectangle it covers when both images span the
/// same square, every input pixel weighted by the area of its overlap with that rectangle.
///
/// Why area averaging: downscaling (the common case, large photos to a small network input)
/// then averages every input pixel, so nothing aliases and no pixel is skipped, which
/// bilinear sampling of 4 neighbours does once the factor exceeds 2; upscaling is pixel
/// replication with a linear blend where an output pixel straddles two input pixels. A
/// constant image stays constant, an identity resize is exact, and 2×2 → 1×1 is the mean.
///
/// Exact and deterministic: along an axis of input length N and output length n, both are
/// measured in units of 1/(N·n) of the side, so input pixel i spans [i·n, (i+1)·n) and output
/// pixel j spans [j·N, (j+1)·N); overlaps are integers. The output is
/// Σ overlapY · overlapX · pixel / (N_h · N_w) (the overlaps of an output pixel sum to N_h · N_w)
/// in 64-bit integers, rounded half up: no floating point, the same bits on every CPU.
///
/// `source`: inH × inW × channels uint8, row-major, channels interleaved (HWC).
/// `destination`: outH × outW × channels uint8, HWC, overwritten.
func resizeAreaAverage(_ source: UnsafeBufferPointer<UInt8>, inHeight inH: Int, inWidth inW: Int, channels: Int,
                              into destination: UnsafeMutableBufferPointer<UInt8>, outHeight outH: Int, outWidth outW: Int) {
    precondition(inH > 0 && inW > 0 && outH > 0 && outW > 0 && channels > 0)
    precondition(source.count == inH * inW * channels && destination.count == outH * outW * channels)
    let rows = areaOverlaps(input: inH, output: outH)
    let cols = areaOverlaps(input: inW, output: outW)
    let denominator = Int64(inH) * Int64(inW)
    // One output row at a time: the input rows it covers, weighted, summed per input column.
    var rowSums = [Int64](repeating: 0, count: inW * channels)   // inW × channels, ≤ 255 · inH each
    for j in 0..<outH {
        for k in rowSums.indices { rowSums[k] = 0 }
        for (i, weight) in rows[j] {
            let base = i * inW * channels
            for k in 0..<(inW * channels) { rowSums[k] += weight * Int64(source[base + k]) }
        }
        for l in 0..<outW {
            for ch in 0..<channels {
                var total: Int64 = 0   // ≤ 255 · inH · inW
                for (x, weight) in cols[l] { total += weight * rowSums[x * channels + ch] }
                // round(total / denominator), halves up, in integers.
                destination[(j * outW + l) * channels + ch] = UInt8((2 * total + denominator) / (2 * denominator))
            }
        }
    }
}

/// For each output pixel j of an axis (input length `input`, output length `output`), the
/// input pixels it overlaps and the overlap lengths in units of 1/(input·output) of the side;
/// each list's weights sum to `input`.
func areaOverlaps(input: Int, output: Int) -> [[(Int, Int64)]] {
    (0..<output).map { j in
        let lo = j * input, hi = (j + 1) * input   // output pixel j
        var out: [(Int, Int64)] = []
        for i in (lo / output)...((hi - 1) / output) {
            let overlap = min(hi, (i + 1) * output) - max(lo, i * output)
            if overlap > 0 { out.append((i, Int64(overlap))) }
        }
        return out
    }
}

extension ImageDataset {
    /// Every image resized to `height` × `width` (`resizeAreaAverage`); labels and classes unchanged.
    func resized(height outH: Int, width outW: Int) -> ImageDataset {
        let c = channels, inSize = height * width * c, outSize = outH * outW * c
        var out = [UInt8](repeating: 0, count: count * outSize)
        images.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for n in 0..<count {
                    resizeAreaAverage(UnsafeBufferPointer(rebasing: src[(n * inSize)..<((n + 1) * inSize)]),
                                      inHeight: height, inWidth: width, channels: c,
                                      into: UnsafeMutableBufferPointer(rebasing: dst[(n * outSize)..<((n + 1) * outSize)]),
                                      outHeight: outH, outWidth: outW)
                }
            }
        }
        return ImageDataset(validated: out, labels: labels, height: outH, width: outW, channels: c, numClasses: numClasses)
    }
}
