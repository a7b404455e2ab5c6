import Foundation
import Numerics

/// The datasets repro reads in their standard distribution formats (the paper's four).
public enum BuiltinDataset: String, CaseIterable, Codable, Sendable {
    case mnist
    case fashionMNIST = "fashion-mnist"
    case cifar10
    case cifar100

    /// Height, width and channels of every image (what `validate` checks architectures against).
    var imageShape: (height: Int, width: Int, channels: Int) {
        switch self {
        case .mnist, .fashionMNIST: return (28, 28, 1)
        case .cifar10, .cifar100: return (32, 32, 3)
        }
    }

    /// The name as papers print it ("CIFAR-10").
    var displayName: String {
        switch self {
        case .mnist: return "MNIST"
        case .fashionMNIST: return "Fashion-MNIST"
        case .cifar10: return "CIFAR-10"
        case .cifar100: return "CIFAR-100"
        }
    }
}

/// Where a dataset given by path is and what it holds, found when a spec is loaded (the
/// data is read and checked then) or when a run file is read back.
public struct OwnDataSource: Hashable, Sendable {
    /// Absolute path of the `.npz` file (where it is read from).
    public var path: String
    /// The path as the spec wrote it (what run files record: absolute paths name one machine).
    public var written: String
    var height: Int
    var width: Int
    var channels: Int
    public var numClasses: Int
    /// Why the images cannot be used at their own size (an image folder whose images differ in
    /// size: the two files and sizes), or nil; `height` and `width` are then the first image's,
    /// and every run of the dataset needs `data.resize`.
    public var mixedSizes: String?
    /// Whether the archive has its own validation split (x_val, y_val).
    public var hasValidationSplit: Bool
    public init(path: String, written: String, height: Int, width: Int, channels: Int, numClasses: Int,
                mixedSizes: String? = nil, hasValidationSplit: Bool = false) {
        self.path = path; self.written = written; self.height = height; self.width = width; self.channels = channels; self.numClasses = numClasses
        self.mixedSizes = mixedSizes; self.hasValidationSplit = hasValidationSplit
    }
}

/// A dataset a run uses: one of the built-in four, or a dataset given by path (a NumPy archive
/// or an image folder), named by its file or folder name and identified by a hash of its
/// contents. The raw value is the name specs, tables and folders use; for the built-in four it
/// is what it always was, so run ids and tables of committed results do not change.
///
/// (A struct rather than an enum with a path case, so that the many places that use
/// `.mnist`, `.rawValue`, `allCases` and `DatasetName(rawValue:)` for the built-in four keep
/// working unchanged.)
public struct DatasetName: Hashable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: String
    /// nil for a dataset given by path.
    public let builtin: BuiltinDataset?
    /// Hex SHA-256 of the data (file bytes, or the folder's sorted file list and contents), for a
    /// dataset given by path; it enters the run id.
    public let contentHash: String?
    /// Where the data is, for a dataset given by path (nil when read back from a table).
    public let source: OwnDataSource?

    public static let mnist = DatasetName(BuiltinDataset.mnist)
    public static let fashionMNIST = DatasetName(BuiltinDataset.fashionMNIST)
    public static let cifar10 = DatasetName(BuiltinDataset.cifar10)
    public static let cifar100 = DatasetName(BuiltinDataset.cifar100)

    /// The built-in datasets, in their fixed order.
    public static let allCases: [DatasetName] = BuiltinDataset.allCases.map { DatasetName($0) }

    init(_ b: BuiltinDataset) {
        rawValue = b.rawValue; builtin = b; contentHash = nil; source = nil
    }

    /// A built-in dataset by name; nil for any other name.
    public init?(rawValue: String) {
        guard let b = BuiltinDataset(rawValue: rawValue) else { return nil }
        self.init(b)
    }

    /// A dataset given by path: its name (file or folder name), content hash and source.
    public init(ownData name: String, contentHash: String, source: OwnDataSource?) {
        rawValue = name; builtin = nil; self.contentHash = contentHash; self.source = source
    }

    /// The dataset a results table names: a built-in one, else a dataset given by path known by
    /// its name and (when the table has it) its hash. nil for an empty name.
    public init?(tableName name: String, contentHash: String? = nil) {
        if let b = BuiltinDataset(rawValue: name) { self.init(b); return }
        guard !name.isEmpty else { return nil }
        self.init(ownData: name, contentHash: contentHash ?? "", source: nil)
    }

    public var isBuiltin: Bool { builtin != nil }

    /// Position in the order tables and figures list datasets: the built-in four in their
    /// order, then datasets given by path.
    public var rank: Int { builtin.map { BuiltinDataset.allCases.firstIndex(of: $0)! } ?? BuiltinDataset.allCases.count }

    /// The built-in names, in order: what a spec may write besides a path.
    public static var spellings: [String] { BuiltinDataset.allCases.map(\.rawValue) }

    /// Height, width and channels of every image. For a dataset given by path this needs its
    /// source (found when the spec or run file was read).
    public var imageShape: (height: Int, width: Int, channels: Int) {
        if let builtin { return builtin.imageShape }
        guard let s = source else { preconditionFailure("imageShape of \(rawValue): the data was not read") }
        return (s.height, s.width, s.channels)
    }

    /// The name as papers print it ("CIFAR-10"); a dataset given by path goes by its name.
    public var displayName: String { builtin?.displayName ?? rawValue }

    public var description: String { rawValue }

    /// Equal when the names and contents are: where the data lies does not matter.
    public static func == (a: DatasetName, b: DatasetName) -> Bool {
        a.rawValue == b.rawValue && (a.contentHash ?? "") == (b.contentHash ?? "")
    }

    public func hash(into h: inout Hasher) {
        h.combine(rawValue)
        h.combine(contentHash ?? "")
    }

    /// Coded as the name alone, which suits the built-in datasets; run files code a dataset
    /// given by path with its hash and path beside it (`ResolvedRun`'s coding).
    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(rawValue)
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        let s = try c.decode(String.self)
        guard let d = DatasetName(rawValue: s) else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "found \"\(s)\"; expected one of " + BuiltinDataset.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", "))
        }
        self = d
    }
}

/// Which of CIFAR-100's two label sets to use: 100 fine classes or 20 coarse superclasses.
public enum CIFAR100LabelSet: String, CaseIterable, Sendable {
    case fine, coarse
}

/// A set of labelled images, kept as bytes; floats are made per batch by `fillBatch`.
public struct ImageDataset: Sendable {
    /// count × height × width × channels bytes, NHWC (channels interleaved per pixel).
    public var images: [UInt8]
    /// One label per image, in 0..<numClasses.
    public var labels: [Int32]
    public let height: Int
    public let width: Int
    public let channels: Int
    public let numClasses: Int

    public var count: Int { labels.count }
    public var imageSize: Int { height * width * channels }

    /// Checks (with preconditions) that the sizes agree and every label is in 0..<numClasses.
    init(images: [UInt8], labels: [Int32], height: Int, width: Int, channels: Int, numClasses: Int) {
        precondition(height > 0 && width > 0 && channels > 0 && numClasses >= 0,
                     "ImageDataset: bad shape \(height)×\(width)×\(channels), \(numClasses) classes")
        precondition(images.count == labels.count * height * width * channels,
                     "ImageDataset: \(images.count) image bytes for \(labels.count) images of \(height)×\(width)×\(channels)")
        precondition(labels.allSatisfy { $0 >= 0 && Int($0) < numClasses },
                     "ImageDataset: a label is outside 0..<\(numClasses)")
        self.init(validated: images, labels: labels, height: height, width: width, channels: channels, numClasses: numClasses)
    }

    /// Unchecked, for the loaders, which have already validated everything.
    init(validated images: [UInt8], labels: [Int32], height: Int, width: Int, channels: Int, numClasses: Int) {
        self.images = images
        self.labels = labels
        self.height = height
        self.width = width
        self.channels = channels
        self.numClasses = numClasses
    }

    /// Indices (ascending) of the images whose label is `c`.
    public func indices(ofClass c: Int) -> [Int] {
        var out = [Int]()
        for (i, l) in labels.enumerated() where Int(l) == c { out.append(i) }
        return out
    }

    /// Number of images of each class, indexed by label.
    public func classCounts() -> [Int] {
        var counts = [Int](repeating: 0, count: numClasses)
        for l in labels {
            precondition(l >= 0 && Int(l) < numClasses, "ImageDataset: label \(l) outside 0..<\(numClasses)")
            counts[Int(l)] += 1
        }
        return counts
    }

    /// Per-class index lists (each ascending), in one pass.
    func indicesByClass() -> [[Int]] {
        let counts = classCounts()
        var lists = counts.map { c -> [Int] in var a = [Int](); a.reserveCapacity(c); return a }
        for (i, l) in labels.enumerated() { lists[Int(l)].append(i) }
        return lists
    }

    /// A new dataset holding the images at `indices`, in that order (repeats allowed).
    public func subset(indices: [Int]) -> ImageDataset {
        let s = imageSize
        let n = count
        var newLabels = [Int32]()
        newLabels.reserveCapacity(indices.count)
        let newImages = [UInt8](unsafeUninitializedCapacity: indices.count * s) { dst, initialized in
            guard indices.count * s > 0 else { initialized = 0; return }
            images.withUnsafeBufferPointer { src in
                var out = dst.baseAddress!
                for i in indices {
                    precondition(i >= 0 && i < n, "subset: index \(i) outside 0..<\(n)")
                    out.update(from: src.baseAddress! + i * s, count: s)
                    out += s
                }
            }
            initialized = indices.count * s
        }
        for i in indices { newLabels.append(labels[i]) }
        return ImageDataset(validated: newImages, labels: newLabels, height: height, width: width,
                            channels: channels, numClasses: numClasses)
    }

    /// Seeded stratified subsample: from each class c with n_c images take
    /// k_c = round(fraction × n_c) images (at least 1 when n_c > 0, at most n_c).
    ///
    /// Selection, exactly (so other implementations can reproduce it): one generator
    /// `SeededRandom(seed: seed, stream: "subsample")`; for each class c in 0..<numClasses with
    /// k_c > 0, take that class's indices in ascending order and run k_c steps of a partial
    /// Fisher–Yates shuffle (step i swaps position i with i + nextInt(below: n_c − i)); the first
    /// k_c positions are chosen. All chosen indices are then sorted, so the subset keeps the
    /// original relative order.
    public func stratifiedSubset(fraction: Double, seed: UInt64) -> ImageDataset {
        precondition(fraction.isFinite && fraction >= 0 && fraction <= 1,
                     "stratifiedSubset: fraction \(fraction) outside [0, 1]")
        let lists = indicesByClass()
        let quotas = lists.map { list -> Int in
            let n = list.count
            guard n > 0 else { return 0 }
            return min(n, max(1, Int((fraction * Double(n)).rounded())))
        }
        return pick(lists: lists, quotas: quotas, seed: seed)
    }

    /// Seeded stratified subset of exactly `count` images (0 ≤ count ≤ self.count).
    ///
    /// Class c gets ⌊count × n_c / N⌋ images; the remaining images go one each to the classes
    /// with the largest remainders (count × n_c mod N), ties to the lower class index (largest
    /// remainder method, computed in exact integer arithmetic). The images are then chosen as in
    /// `stratifiedSubset(fraction:seed:)`, with the same generator and stream.
    public func stratifiedSubset(count wanted: Int, seed: UInt64) -> ImageDataset {
        precondition(wanted >= 0 && wanted <= count, "stratifiedSubset: count \(wanted) outside 0...\(count)")
        let lists = indicesByClass()
        let quotas = Self.proportionalQuotas(classSizes: lists.map(\.count), total: wanted)
        return pick(lists: lists, quotas: quotas, seed: seed)
    }

    /// Largest-remainder apportionment of `total` over classes of the given sizes.
    static func proportionalQuotas(classSizes: [Int], total: Int) -> [Int] {
        let n = classSizes.reduce(0, +)
        guard n > 0, total > 0 else { return classSizes.map { _ in 0 } }
        var quotas = [Int]()
        var remainders = [(rem: Int, cls: Int)]()
        for (c, nc) in classSizes.enumerated() {
            // total ≤ n, so total × nc fits easily for any real dataset size.
            let (q, r) = (total * nc).quotientAndRemainder(dividingBy: n)
            quotas.append(q)
            remainders.append((r, c))
        }
        let left = total - quotas.reduce(0, +)
        remainders.sort { $0.rem != $1.rem ? $0.rem > $1.rem : $0.cls < $1.cls }
        for k in 0..<left { quotas[remainders[k].cls] += 1 }
        return quotas
    }

    private func pick(lists: [[Int]], quotas: [Int], seed: UInt64) -> ImageDataset {
        var rng = SeededRandom(seed: seed, stream: "subsample")
        var chosen = [Int]()
        chosen.reserveCapacity(quotas.reduce(0, +))
        for c in 0..<lists.count {
            let k = quotas[c]
            guard k > 0 else { continue }
            var list = lists[c]
            let n = list.count
            for i in 0..<k {
                let j = i + rng.nextInt(below: n - i)
                if i != j { list.swapAt(i, j) }
            }
            chosen.append(contentsOf: list[0..<k])
        }
        chosen.sort()
        return subset(indices: chosen)
    }
}

/// A dataset's standard train/test split.
public struct DatasetSplits: Sendable {
    public var train: ImageDataset
    public var test: ImageDataset
    /// The dataset's own validation split (a NumPy archive's x_val, y_val), used whole as the
    /// runs' validation set; nil when it has none (`data.validation` may then hold one out).
    public var validation: ImageDataset?
    let name: DatasetName

    init(train: ImageDataset, test: ImageDataset, validation: ImageDataset? = nil, name: DatasetName) {
        self.train = train
        self.test = test
        self.validation = validation
        self.name = name
    }

    /// Every split's images resized (`ImageDataset.resized`); `.keep` leaves them as they are.
    func resized(_ resize: ImageResize) -> DatasetSplits {
        guard case let .to(h, w) = resize else { return self }
        return DatasetSplits(train: train.resized(height: h, width: w), test: test.resized(height: h, width: w),
                             validation: validation?.resized(height: h, width: w), name: name)
    }

    /// The same splits under another name.
    public func named(_ name: DatasetName) -> DatasetSplits {
        DatasetSplits(train: train, test: test, validation: validation, name: name)
    }
}

/// The preprocessing a run asks for (spec key `data.preprocessing`); `ImageDataset.preprocessing(_:)`
/// fits it to a training set.
public enum PreprocessingMethod: String, CaseIterable, Sendable {
    /// pixel / 255, in [0, 1] (the paper's text).
    case scale
    /// Per-channel zero mean and unit variance, statistics from the training set.
    case standardize
    /// The bytes as floats, 0…255, unscaled.
    case raw
    /// 0…255 plus U[0, 1) noise per pixel (the authors' code adds `rand` to every image once,
    /// to break degeneracies). The noise of an image is fixed: drawn from a generator keyed by
    /// the run seed and a hash of the image's bytes, so it does not depend on batch order,
    /// subset or epoch (every epoch sees the same noisy image, as in the authors' code).
    case rawNoise = "raw-noise"
}

/// How bytes become floats, fitted to a training set.
public enum Preprocessing: Sendable, Equatable {
    /// pixel / 255, in [0, 1].
    case scale01
    /// (pixel/255 − mean[c]) / std[c], per channel c.
    case standardize(mean: [Float], std: [Float])
    /// pixel, in 0…255.
    case raw255
    /// pixel + u, u ~ U[0, 1) from `RawNoise.generator(seed:image:)` (see `PreprocessingMethod.rawNoise`).
    case rawNoise(seed: UInt64)
}

extension ImageDataset {
    /// Per-channel mean and (population, divide-by-N) standard deviation of pixel/255 over the
    /// whole set, computed exactly from per-channel byte histograms in Double. Zeros when empty.
    func channelStatistics() -> (mean: [Float], std: [Float]) {
        let c = channels
        guard count > 0 else { return ([Float](repeating: 0, count: c), [Float](repeating: 0, count: c)) }
        var hist = [Int](repeating: 0, count: 256 * c)
        images.withUnsafeBufferPointer { src in
            hist.withUnsafeMutableBufferPointer { h in
                let p = src.baseAddress!
                let hp = h.baseAddress!
                let total = src.count
                if c == 1 {
                    var i = 0
                    while i < total { hp[Int(p[i])] += 1; i += 1 }
                } else {
                    var i = 0
                    while i < total {
                        for ch in 0..<c { hp[ch &* 256 &+ Int(p[i &+ ch])] += 1 }
                        i += c
                    }
                }
            }
        }
        var means = [Float]()
        var stds = [Float]()
        for ch in 0..<c {
            var n = 0.0
            var sum = 0.0
            for v in 0..<256 {
                let k = Double(hist[ch * 256 + v])
                n += k
                sum += k * (Double(v) / 255)
            }
            let mean = sum / n
            var ss = 0.0
            for v in 0..<256 {
                let d = Double(v) / 255 - mean
                ss += Double(hist[ch * 256 + v]) * d * d
            }
            means.append(Float(mean))
            stds.append(Float((ss / n).squareRoot()))
        }
        return (means, stds)
    }

    /// The float each byte value becomes, per channel: table[c × 256 + v], computed in Double.
    func lookupTable(for preprocessing: Preprocessing) -> [Float] {
        var table = [Float](repeating: 0, count: 256 * channels)
        switch preprocessing {
        case .scale01:
            for ch in 0..<channels {
                for v in 0..<256 { table[ch * 256 + v] = Float(Double(v) / 255) }
            }
        case let .standardize(mean, std):
            precondition(mean.count == channels && std.count == channels,
                         "standardize: \(mean.count) means and \(std.count) stds for \(channels) channels")
            for ch in 0..<channels {
                precondition(std[ch] > 0 && std[ch].isFinite, "standardize: std[\(ch)] = \(std[ch]) must be positive")
                let m = Double(mean[ch]), s = Double(std[ch])
                for v in 0..<256 { table[ch * 256 + v] = Float((Double(v) / 255 - m) / s) }
            }
        case .raw255, .rawNoise:
            for ch in 0..<channels {
                for v in 0..<256 { table[ch * 256 + v] = Float(v) }
            }
        }
        return table
    }

    /// Writes the images at `indices`, in order, as floats into `dst` (indices.count × H×W×C,
    /// NHWC), applying `preprocessing` through a 256-entry lookup table per channel.
    public func fillBatch<C: Collection>(indices: C, preprocessing: Preprocessing,
                                         into dst: UnsafeMutablePointer<Float>) where C.Element == Int {
        let table = lookupTable(for: preprocessing)
        let noiseSeed: UInt64? = if case .rawNoise(let seed) = preprocessing { seed } else { nil }
        let s = imageSize
        let c = channels
        let n = count
        images.withUnsafeBufferPointer { srcBuf in
            table.withUnsafeBufferPointer { tBuf in
                let t = tBuf.baseAddress!
                var out = dst
                for i in indices {
                    precondition(i >= 0 && i < n, "fillBatch: index \(i) outside 0..<\(n)")
                    let p = srcBuf.baseAddress! + i * s
                    switch c {
                    case 1:
                        var k = 0
                        while k < s { out[k] = t[Int(p[k])]; k &+= 1 }
                    case 3:
                        let t1 = t + 256, t2 = t + 512
                        var k = 0
                        while k < s {
                            out[k] = t[Int(p[k])]
                            out[k &+ 1] = t1[Int(p[k &+ 1])]
                            out[k &+ 2] = t2[Int(p[k &+ 2])]
                            k &+= 3
                        }
                    default:
                        var k = 0
                        while k < s {
                            for ch in 0..<c { out[k &+ ch] = t[ch &* 256 &+ Int(p[k &+ ch])] }
                            k &+= c
                        }
                    }
                    if let noiseSeed { RawNoise.add(to: out, image: p, count: s, seed: noiseSeed) }
                    out += s
                }
            }
        }
    }

    /// `fillBatch` into a new array.
    func batch<C: Collection>(indices: C, preprocessing: Preprocessing) -> [Float] where C.Element == Int {
        let n = indices.count * imageSize
        if n == 0 { return [] }
        return [Float](unsafeUninitializedCapacity: n) { buf, initialized in
            fillBatch(indices: indices, preprocessing: preprocessing, into: buf.baseAddress!)
            initialized = n
        }
    }

    /// `.standardize` with this set's channel statistics (the usual choice: the training set's).
    func standardization() -> Preprocessing {
        let s = channelStatistics()
        return .standardize(mean: s.mean, std: s.std)
    }

    /// The method fitted to this set (call it on the training set, never the test set).
    /// `seed` keys the noise of `.rawNoise` (a run passes its own seed); other methods ignore it.
    public func preprocessing(_ method: PreprocessingMethod, seed: UInt64 = 0) -> Preprocessing {
        switch method {
        case .scale: return .scale01
        case .standardize: return standardization()
        case .raw: return .raw255
        case .rawNoise: return .rawNoise(seed: seed)
        }
    }
}
