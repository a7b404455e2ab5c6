import Datasets
import Foundation
import Numerics

/// What a DMN layer's input vectors h are.
enum PatchSource: Sendable {
    /// Every k×k×C patch (stride 1) of the layer input: a conv layer.
    case conv(kernel: Int)
    /// The non-overlapping k×k×C patches (stride k) of the layer input.
    case convGrid(kernel: Int)
    /// The whole flattened layer input: a dense layer.
    case dense
}

/// Patch dimensions up to which the direct (im2col-free) density kernel is used; above it
/// the patches are formed in chunks and their Gram matrix taken by SYRK. The direct kernel
/// does about 15·C² products per pixel (k = 3) against SYRK's 40·C² per patch, but four wide
/// without FMA. Against OpenBLAS's AVX2/AVX-512 kernels it is 1.8–2.4× faster at n = 36, about even
/// at n = 72 and 0.5–0.8× at n = 144 (against the SSE3 kernel OpenBLAS falls back to on CPUs
/// it does not know, faster at every n up to 288).
let directDensityMaxDimension = 64

/// Streams `data` through the frozen `prefix` and accumulates one density matrix per group
/// (`groupOf(label)`; the identity for class-based DMN, a constant for plain PCA), chunk by
/// chunk, so no more than `chunkImages` images' activations exist at once per thread. Groups
/// are spread over `threads.workers` threads, each with its own replica of the prefix; the
/// densities do not depend on how many.
func accumulateDensities(data: ImageDataset, preprocessing: Preprocessing, prefix: [Layer],
                                source: PatchSource, groups: Int, groupOf: (Int) -> Int,
                                chunkImages: Int, threads: ThreadLayout = .serial) -> [ClassDensity] {
    var members = [[Int]](repeating: [], count: groups)
    for i in 0..<data.count { members[groupOf(Int(data.labels[i]))].append(i) }
    var densities = (0..<groups).map { _ in ClassDensity(dimension: patchDimension(data: data, prefix: prefix, source: source)) }
    addToDensities(&densities, images: members, data: data, preprocessing: preprocessing, prefix: prefix,
                   source: source, chunkImages: chunkImages, threads: threads)
    return densities
}

/// The dimension n of a layer's input vectors h.
func patchDimension(data: ImageDataset, prefix: [Layer], source: PatchSource) -> Int {
    let inShape = prefix.last?.outputShape ?? Shape3(data.height, data.width, data.channels)
    switch source {
    case .conv(let k), .convGrid(let k): return k * k * inShape.channels
    case .dense: return inShape.count
    }
}

/// Adds images `images[g]` of `data` (in that order) to `densities[g]`, as
/// `accumulateDensities` does: starting from empty densities it is that function. Adding
/// more images later continues the same sums (dmn.tfrac "auto" grows ρ_c step by step).
func addToDensities(_ densities: inout [ClassDensity], images members: [[Int]], data: ImageDataset,
                    preprocessing: Preprocessing, prefix: [Layer], source: PatchSource,
                    chunkImages: Int, threads: ThreadLayout = .serial) {
    let groups = densities.count
    precondition(members.count == groups, "addToDensities: \(members.count) image lists for \(groups) groups")
    let inShape = prefix.last?.outputShape ?? Shape3(data.height, data.width, data.channels)
    let n = patchDimension(data: data, prefix: prefix, source: source)
    let rowsPerImage: Int
    switch source {
    case .conv(let k): rowsPerImage = (inShape.height - k + 1) * (inShape.width - k + 1)
    case .convGrid(let k): rowsPerImage = (inShape.height / k) * (inShape.width / k)
    case .dense: rowsPerImage = 1
    }
    let workers = max(1, min(threads.workers, groups))
    let prefixes = [prefix] + (1..<workers).map { _ in prefix.map { $0.replica() } }

    func accumulate(group g: Int, prefix: [Layer], into density: inout ClassDensity) {
        let chunk = max(1, chunkImages)
        let x = UnsafeMutablePointer<Float>.allocate(capacity: chunk * data.imageSize)
        let cols = UnsafeMutablePointer<Float>.allocate(capacity: chunk * rowsPerImage * n)
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: n * n)
        defer { x.deallocate(); cols.deallocate(); scratch.deallocate() }
        let idx = members[g]
        var start = 0
        while start < idx.count {
            let b = min(chunk, idx.count - start)
            data.fillBatch(indices: idx[start..<(start + b)], preprocessing: preprocessing, into: x)
            var h = UnsafePointer(x)
            for layer in prefix { h = UnsafePointer(layer.forward(h, batch: b)) }
            switch source {
            case .conv(let k) where n <= directDensityMaxDimension:
                density.addPatches(of: h, batch: b, height: inShape.height, width: inShape.width, channels: inShape.channels, kernel: k)
            case .conv(let k):
                im2col(h, batch: b, height: inShape.height, width: inShape.width, channels: inShape.channels, kernel: k, cols)
                density.add(block: cols, rows: b * rowsPerImage, scratch: scratch)
            case .convGrid(let k):
                gridPatches(h, batch: b, height: inShape.height, width: inShape.width, channels: inShape.channels, kernel: k, cols)
                density.add(block: cols, rows: b * rowsPerImage, scratch: scratch)
            case .dense:
                density.add(block: h, rows: b, scratch: scratch)
            }
            start += b
        }
    }

    if workers == 1 {
        for g in 0..<groups { accumulate(group: g, prefix: prefix, into: &densities[g]) }
    } else {
        // Worker t takes groups t, t + workers, …; each writes only its own slots. OpenBLAS's
        // count is the layout's (1 with several workers), set before any run started.
        densities.withUnsafeMutableBufferPointer { out in
            let slots = out
            DispatchQueue.concurrentPerform(iterations: workers) { t in
                FloatEnvironment.withSubnormalsFlushed {  // GCD's pool threads need not have inherited it
                    for g in stride(from: t, to: groups, by: workers) { accumulate(group: g, prefix: prefixes[t], into: &slots[g]) }
                }
            }
        }
    }
}

/// Eigen-decomposes each group's density matrix.
func spectra(of densities: [ClassDensity], centred: Bool) throws -> [ClassSpectrum] {
    try densities.map { d in
        ClassSpectrum(eigen: try symmetricEigen(d.densityMatrix(centred: centred), n: d.dimension), mean: d.mean)
    }
}

/// How one frozen, data-built layer came out.
public struct BuiltLayerReport: Sendable {
    public var layer: Int
    public var filters: Int
    public var relaxedTv: Bool
    var keptPerClass: [Int]
    public var seconds: Double
    /// Where each filter came from, in the layer's filter order (what a run saves beside the
    /// weights); empty for dense DMN layers.
    public var origins: [FilterOrigin] = []
    /// Each group's eigenvalues of ρ, largest first (one group per class for dmn, one for
    /// pca, none for random), and the T_v the layer used: the spectra figure's data.
    public var spectra: [[Double]] = []
    public var tv: Double = .nan
    /// With dmn.tfrac "auto": the fraction this layer's density matrices were built from and
    /// how ρ_c converged on the way; nil for a numeric T_frac and for random filters.
    public var fractionChoice: FractionChoice? = nil
    /// Whether this layer's spectra came from `reuse.store` instead of being computed in this
    /// build (false without reuse): the layer's `seconds` then measure no PCA.
    public var spectraReused = false
}

/// How `buildFeatureLayers` sets the filters of the frozen feature layers (models dmn, pca, random).
public enum FeatureFilters: String, Sendable, CaseIterable {
    /// Class-based PCA (the paper's DMN).
    case dmn
    /// Class-agnostic PCA of all patches, as PCANet does.
    case pca
    /// Random unit-norm filters (DMN filters are unit-norm too).
    case random
}

/// The filter matrix W[n, K] of a layer from unit filters.
func filterMatrix(_ filters: [[Double]], dimension n: Int) -> [Float] {
    var w = [Float](repeating: 0, count: n * filters.count)
    for (f, v) in filters.enumerated() { for i in 0..<n { w[i * filters.count + f] = Float(v[i]) } }
    return w
}

/// Builds the conv layers of `arch` one after another without SGD: each layer's filters come
/// from the propagated outputs of the layers below (conv → ReLU → max-pool), biases are 0.
/// `data` is the T_frac subset already when `options.tfrac` is a number; when it is auto,
/// `data` is the whole training set and each layer builds from the pick at the fraction
/// `chooseTrainingFraction` finds for it (the same pick, with `seed`, that a numeric T_frac
/// of that value makes). Returns the feature layers and a report per layer.
///
/// With `batchNorm` (`training.batchNorm`) each conv layer is followed by a trainable
/// `BatchNorm` before its activation (Conv2D → BN → ReLU → max-pool; the filters stay frozen,
/// γ and β train with the softmax). Its running mean and variance start at the conv outputs'
/// per-channel mean and population variance over `data` (the build images, `channelStatistics`)
/// rather than Keras's 0 and 1, and the next layer's filters are built from the outputs of
/// this normalised layer (γ = 1, β = 0, those statistics): what the network computes before
/// SGD moves γ and β.
///
/// `threads` is the run's layout: its workers accumulate the class densities in parallel.
///
/// With `reuse`, each dmn/pca layer's spectra come from `reuse.store` under a key naming
/// everything that determines them (`layerSpectraKey`), and are computed only when the store
/// does not have them; the layers are bit for bit those built without it. `data` is then
/// evaluated only when needed (densities not in the store, or statistics for batch
/// normalisation or standardisation), so a build from stored spectra does not form the subset.
/// Under `dmn.tfrac: "auto"` nothing is reused: each layer's images come from a search over
/// fractions (`chooseTrainingFraction`) that is itself the costly part and that the key does
/// not describe.
public func buildFeatureLayers(arch: Architecture, data makeData: @autoclosure () -> ImageDataset, preprocessing: Preprocessing,
                               filters kind: FeatureFilters, options: DMNOptions, seed: UInt64,
                               batchNorm: BatchNormSettings? = nil, threads: ThreadLayout = .serial,
                               reuse requestedReuse: SpectraReuse? = nil) throws
    -> (layers: [Layer], reports: [BuiltLayerReport]) {
    let reuse = options.tfrac == .auto ? nil : requestedReuse
    var layers: [Layer] = []
    var reports: [BuiltLayerReport] = []
    var shape = arch.input
    var filtersBelow: [[Float]] = []
    var formed: ImageDataset?
    func images() -> ImageDataset {
        if let d = formed { return d }
        let d = makeData()
        formed = d
        return d
    }
    for (l, count) in arch.convFilters.enumerated() {
        let start = DispatchTime.now().uptimeNanoseconds
        let n = arch.kernel * arch.kernel * shape.channels
        let selection: FilterSelection
        var layerSpectra: [ClassSpectrum] = []
        let source: PatchSource = options.patchStride == .kernel ? .convGrid(kernel: arch.kernel) : .conv(kernel: arch.kernel)
        let groups = kind == .dmn ? arch.classes : 1
        let groupOf: (Int) -> Int = kind == .dmn ? { $0 } : { _ in 0 }
        var spectraReused = false
        // The images of this layer's densities and statistics: the build images, or under
        // "auto" the subset this layer chose.
        var chosenImages: ImageDataset? = nil
        var fractionChoice: FractionChoice? = nil
        if options.tfrac == .auto && kind != .random {
            let choice = chooseTrainingFraction(train: images(), preprocessing: preprocessing, prefix: layers, source: source,
                                                groups: groups, groupOf: groupOf, options: options, seed: seed)
            chosenImages = images().stratifiedSubset(fraction: choice.fraction, seed: seed)
            fractionChoice = choice
        }
        func layerData() -> ImageDataset { chosenImages ?? images() }
        switch kind {
        case .random:
            var rng = SeededRandom(seed: seed, stream: "random-filters-layer-\(l)")
            let vs: [[Double]] = (0..<count).map { _ in
                let v = (0..<n).map { _ in rng.nextGaussian() }
                let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
                return v.map { $0 / norm }
            }
            selection = FilterSelection(filters: vs, origins: vs.indices.map { _ in (0, 0) }, relaxedTv: false, keptPerClass: [])
        case .dmn, .pca:
            let prefix = layers
            func computeSpectra() throws -> [ClassSpectrum] {
                let densities = accumulateDensities(data: layerData(), preprocessing: preprocessing, prefix: prefix,
                                                    source: source, groups: groups, groupOf: groupOf,
                                                    chunkImages: options.chunkImages, threads: threads)
                let empty = densities.indices.filter { densities[$0].count == 0 }
                guard empty.isEmpty else {
                    throw FilterSelectionError(description: "no training images of class \(empty.map(String.init).joined(separator: ", ")) in the T_frac subset; raise dmn.tfrac")
                }
                return try spectra(of: densities, centred: options.centre)
            }
            do {
                if let reuse {
                    let key = layerSpectraKey(dataKey: reuse.dataKey, kind: kind, groups: groups, layer: l, input: shape,
                                              kernel: arch.kernel, options: options, batchNorm: batchNorm, filtersBelow: filtersBelow)
                    var computed = false
                    layerSpectra = try reuse.store.spectra(key: key, compute: { computed = true; return try computeSpectra() })
                    spectraReused = !computed
                } else {
                    layerSpectra = try computeSpectra()
                }
                selection = try selectFilters(layerSpectra, tv: options.tv(forLayer: l), options: options, fixedCount: count)
            } catch let e as FilterSelectionError {
                throw FilterSelectionError(description: "layer \(l + 1): \(e.description)")
            } catch let e as InfeasibleConfiguration {
                throw e.prefixed("layer \(l + 1)")
            }
        }
        let k = selection.filters.count
        let weights = filterMatrix(selection.filters, dimension: n)
        filtersBelow.append(weights)
        switch options.activation {
        case let activation where batchNorm != nil:
            let conv = Conv2D(name: "conv\(l + 1)", input: shape, filters: k, kernel: arch.kernel, weights: weights)
            conv.trainable = false
            let (mean, std) = channelStatistics(data: layerData(), preprocessing: preprocessing, prefix: layers + [conv],
                                                chunkImages: options.chunkImages)
            layers += normalizedConv(conv, layer: l + 1, activation: activation == .relu, settings: batchNorm!,
                                     runningMean: mean, runningVariance: std.map { $0 * $0 })
        case .relu:
            let block = ConvBlock(name: "conv\(l + 1)", input: shape, filters: k, kernel: arch.kernel, weights: weights)
            block.trainable = false
            layers.append(block)
        case .none:
            let conv = Conv2D(name: "conv\(l + 1)", input: shape, filters: k, kernel: arch.kernel, weights: weights)
            conv.trainable = false
            let pool = MaxPool2(name: "pool\(l + 1)", input: conv.outputShape)
            pool.trainable = false
            layers += [conv, pool]
        }
        if options.normalization == .standardize {
            let (mean, std) = channelStatistics(data: layerData(), preprocessing: preprocessing, prefix: layers,
                                                chunkImages: options.chunkImages)
            let norm = ChannelStandardize(name: "standardize\(l + 1)", shape: layers.last!.outputShape,
                                          mean: mean, std: std)
            norm.trainable = false
            layers.append(norm)
        }
        shape = layers.last!.outputShape
        let origins: [FilterOrigin] = kind == .random
            ? Array(repeating: FilterOrigin(), count: k)
            : selection.origins.map { FilterOrigin(spectrum: layerSpectra[$0.cls], cls: kind == .dmn ? $0.cls : nil, rank: $0.rank) }
        reports.append(BuiltLayerReport(layer: l + 1, filters: k, relaxedTv: selection.relaxedTv,
                                        keptPerClass: selection.keptPerClass,
                                        seconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9,
                                        origins: origins, spectra: layerSpectra.map { $0.eigen.values },
                                        tv: kind == .random ? .nan : options.tv(forLayer: l), fractionChoice: fractionChoice,
                                        spectraReused: spectraReused))
    }
    return (layers, reports)
}

/// Dense DMN layers: each hidden layer's weights are the class-based principal directions
/// of its flattened input (the layer below's ReLU outputs), as for conv layers but with the
/// whole input as the vector h. Returns frozen Dense → ReLU pairs, `widths[l]` units each.
func buildDenseFeatureLayers(input: Shape3, classes: Int, widths: [Int], data: ImageDataset,
                                    preprocessing: Preprocessing, options: DMNOptions, threads: ThreadLayout = .serial) throws
    -> (layers: [Layer], reports: [BuiltLayerReport]) {
    var layers: [Layer] = []
    var reports: [BuiltLayerReport] = []
    var shape = input
    for (l, width) in widths.enumerated() {
        let start = DispatchTime.now().uptimeNanoseconds
        let densities = accumulateDensities(data: data, preprocessing: preprocessing, prefix: layers, source: .dense,
                                            groups: classes, groupOf: { $0 }, chunkImages: options.chunkImages, threads: threads)
        let selection: FilterSelection
        do {
            selection = try selectFilters(try spectra(of: densities, centred: options.centre), tv: options.tv(forLayer: l),
                                          options: options, fixedCount: width)
        } catch let e as FilterSelectionError {
            throw FilterSelectionError(description: "dense layer \(l + 1): \(e.description)")
        } catch let e as InfeasibleConfiguration {
            throw e.prefixed("dense layer \(l + 1)")
        }
        let dense = Dense(name: "dense\(l + 1)", input: shape, outputs: selection.filters.count,
                          weights: filterMatrix(selection.filters, dimension: shape.count))
        dense.trainable = false
        layers += [dense, ReLU(name: "relu\(l + 1)", shape: dense.outputShape)]
        shape = dense.outputShape
        reports.append(BuiltLayerReport(layer: l + 1, filters: selection.filters.count, relaxedTv: selection.relaxedTv,
                                        keptPerClass: selection.keptPerClass,
                                        seconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9))
    }
    return (layers, reports)
}
