import Datasets
import Foundation
import Numerics

/// The outputs of a network's frozen leading layers (`Sequential.frozenPrefix`) for every
/// image of one dataset, as Float32, computed once. The paper's §3.2 cost argument is that
/// frozen DMN layers are evaluated once, not at every SGD step; with this, a DMN run trains
/// its softmax on the cached features and never runs the conv layers again.
///
/// Exactness: each frozen layer computes every image's output from that image alone (the
/// direct conv kernel loops over images; the GEMM form gives each patch row its own dot
/// products). Whether those dot products round the same whichever rows share the sgemm call
/// depends on OpenBLAS's kernel family: on SkylakeX, Sandybridge and Prescott kernels they do,
/// and training on the cache gives the same loss, accuracies and weights bit for bit; on
/// Haswell and Zen kernels a row's last bits depend on where it falls in the call (up to
/// ~5e-7 relative, measured), so cached and recomputed features agree only to Float32
/// rounding — as recomputation in two different batchings does. `FeatureCacheTests` checks
/// bit-equality where the kernel family allows it (a probe decides) and says so where not.
final class FeatureCache {
    /// Kept so that its storage, whose address identifies the dataset, outlives the cache.
    let dataset: ImageDataset
    /// Floats per image: the frozen prefix's output shape.
    let featureSize: Int
    /// How many leading layers the values went through.
    let prefix: Int
    /// dataset.count × featureSize floats, image-major.
    let values: UnsafeMutablePointer<Float>
    var bytes: Int { dataset.count * featureSize * MemoryLayout<Float>.size }

    init(dataset: ImageDataset, prefix: Int, featureSize: Int) {
        self.dataset = dataset
        self.prefix = prefix
        self.featureSize = featureSize
        values = FeatureCache.allocateLarge(floats: max(1, dataset.count * featureSize))
    }
    deinit { free(values) }

    /// Memory for `floats` floats, in 2 MiB pages where the kernel offers them (Linux's
    /// transparent huge pages in `madvise` mode): a cache is hundreds of MB read a row at a
    /// time in random order, and with 4 KiB pages nearly every row costs a TLB miss and
    /// filling it a page fault per 4 KiB. Only the paging changes, never the values.
    private static func allocateLarge(floats: Int) -> UnsafeMutablePointer<Float> {
        let bytes = floats * MemoryLayout<Float>.size
        let hugePage = 2 << 20
        let alignment = bytes >= hugePage ? hugePage : 64  // small caches (tests) need no huge page
        var raw: UnsafeMutableRawPointer?
        guard posix_memalign(&raw, alignment, bytes) == 0, let raw else {
            fatalError("FeatureCache: out of memory for \(bytes) bytes of features")
        }
        #if os(Linux)
        if alignment == hugePage { _ = madvise(raw, bytes, MADV_HUGEPAGE) }  // advice only: ignored where unsupported
        #endif
        return raw.bindMemory(to: Float.self, capacity: floats)
    }

    /// Whether `data` is the dataset this cache was made from: the same image and label
    /// storage (arrays share storage until written, so copies of the dataset match too).
    func holds(_ data: ImageDataset) -> Bool {
        data.count == dataset.count && data.imageSize == dataset.imageSize
            && FeatureCache.address(data.images) == FeatureCache.address(dataset.images)
            && FeatureCache.address(data.labels) == FeatureCache.address(dataset.labels)
    }

    private static func address<T>(_ a: [T]) -> UnsafeRawPointer? {
        a.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress) }
    }

    /// Copies the rows of `indices` into `dst` (indices.count × featureSize).
    func gather(_ indices: UnsafeBufferPointer<Int>, into dst: UnsafeMutablePointer<Float>) {
        for j in indices {
            precondition(j >= 0 && j < dataset.count, "FeatureCache: index \(j) outside 0..<\(dataset.count)")
        }
        gatherRows(values, rowLength: featureSize, rows: indices, into: dst)
    }
}

/// How much memory one `Trainer` may spend on cached features.
public enum FeatureCacheBudget {
    /// 1 GiB, or `REPRO_FEATURE_CACHE_MIB` MiB when set (0 turns caching off). The largest
    /// fig3 cache, CIFAR-100 with one layer of 16 filters, is 50,000 × 15·15·16 floats of
    /// training features (720 MB) plus 144 MB for the test split; a run whose features do
    /// not fit recomputes them every step as before (the training split is cached first,
    /// then the test split if it still fits). Each concurrent job (`--jobs`) has its own.
    public static var defaultBytes: Int {
        if let s = ProcessInfo.processInfo.environment["REPRO_FEATURE_CACHE_MIB"], let mib = Int(s), mib >= 0 {
            return mib << 20
        }
        return 1 << 30
    }
}
