import Foundation
import Numerics

// One PCA for all thresholds: T_v, T_PC, the filter-count mode, the similarity measure, the
// visit order and the sign rule act only on a layer's spectra (`selectFilters`), never on the
// density matrices ρ_c they come from. So the eigendecompositions of a layer can be computed
// once and reused by every build that differs only in those options.

/// Keeps layers' class spectra between builds. `key` describes everything that determines the
/// spectra (`layerSpectraKey`); a store hands back spectra stored under an equal key, else
/// calls `compute` (which may throw; nothing is stored then).
public protocol SpectraStore: Sendable {
    func spectra(key: String, compute: () throws -> [ClassSpectrum]) throws -> [ClassSpectrum]
}

/// What `buildFeatureLayers` needs to reuse spectra: the store, and a description of the build
/// images and their preprocessing that only the caller knows (the data's content, the subset
/// taken of it and its seed, the fitted preprocessing). Two builds with equal `dataKey`s must
/// see the same images, in the same order, preprocessed the same way.
public struct SpectraReuse: Sendable {
    var store: any SpectraStore
    var dataKey: String
    public init(store: any SpectraStore, dataKey: String) { self.store = store; self.dataKey = dataKey }
}

/// The description of everything that determines the spectra of conv layer `layer` (0-based),
/// the key of `SpectraStore`:
/// - the build images and their preprocessing (`dataKey`);
/// - what the patches are: the layer's input shape, kernel, patch stride, the grouping (one
///   group per class for dmn, one for pca) and whether ρ is centred;
/// - the layers below, through which the images reach this layer: their filters (bit for bit)
///   and the options that shape them without being filters (activation, the standardisation of
///   outputs, batch normalisation and its settings); their statistics are functions of these
///   and the images;
/// - how the sums are formed: the chunk size (the order of the additions), the BLAS threads
///   and the OpenBLAS kernel family (SYRK and the eigen-solve may round differently).
/// Left out on purpose, as they act only after the spectra: T_v, T_PC, the filter-count mode and
/// the layer's filter count, the similarity measure, the visit order, the sign rule, and T_frac
/// (which enters through the images, so through `dataKey`).
func layerSpectraKey(dataKey: String, kind: FeatureFilters, groups: Int, layer: Int, input: Shape3, kernel: Int,
                     options: DMNOptions, batchNorm: BatchNormSettings?, filtersBelow: [[Float]]) -> String {
    var lines = [
        "repro layer spectra v1",
        "data: \(dataKey)",
        "filters: \(kind.rawValue), groups \(groups)",
        "layer: \(layer + 1), input \(input.height)x\(input.width)x\(input.channels), kernel \(kernel), patch stride \(options.patchStride.rawValue), centre \(options.centre)",
        "sums: chunk \(options.chunkImages) images, BLAS threads \(BLAS.threads), OpenBLAS core \(OpenBLASCore.current)",
    ]
    // The first layer sees the preprocessed images themselves: nothing below it to describe.
    if !filtersBelow.isEmpty {
        lines.append("below: activation \(options.activation.rawValue), normalization \(options.normalization.rawValue), batch norm "
                     + (batchNorm.map { "momentum \($0.momentum.bitPattern) epsilon \($0.epsilon.bitPattern)" } ?? "off"))
    }
    for (l, w) in filtersBelow.enumerated() {
        // The Float bits the layer computes with, in hex: equal text iff equal filters.
        lines.append("layer \(l + 1) weights: " + w.map { String($0.bitPattern, radix: 16) }.joined(separator: " "))
    }
    return lines.joined(separator: "\n")
}
