import Datasets
import Foundation

/// Datasets loaded once per process and shared, read-only, by the runs of a sweep.
final class DatasetCache: @unchecked Sendable {
    static let shared = DatasetCache()
    private let lock = NSLock()
    private var loaded: [String: DatasetSplits] = [:]

    /// Loads under the lock, so concurrent jobs asking for the same set wait for one load
    /// instead of each decoding it (loads of different sets are serialised too; each takes
    /// well under a second).
    func splits(_ name: DatasetName, dataDirectory: URL, labels: CIFAR100LabelSet, resize: ImageResize = .keep) throws -> DatasetSplits {
        let key = Self.key(name, dataDirectory: dataDirectory, labels: labels, resize: resize)
        lock.lock()
        defer { lock.unlock() }
        if let s = loaded[key] { return s }
        let s = try loadDataset(name, from: dataDirectory, cifar100Labels: labels, resize: resize)
        loaded[key] = s
        return s
    }

    /// A dataset given by path is known by its content hash, wherever it lies and whatever the
    /// data folder, and the size its images are resized to; the built-in ones by the data
    /// folder, name and label set.
    static func key(_ name: DatasetName, dataDirectory: URL, labels: CIFAR100LabelSet, resize: ImageResize = .keep) -> String {
        if let hash = name.contentHash, !name.isBuiltin { return "own|\(name.rawValue)|\(hash)|\(resize)" }
        return "\(dataDirectory.path)|\(name.rawValue)|\(labels.rawValue)"
    }

    /// Keeps data already read and checked (a spec's dataset given by path, read when the spec
    /// is loaded), so that the runs do not read it again.
    func store(_ name: DatasetName, resize: ImageResize = .keep, splits: DatasetSplits) {
        lock.lock(); defer { lock.unlock() }
        loaded[Self.key(name, dataDirectory: URL(fileURLWithPath: "/"), labels: .fine, resize: resize)] = splits
    }
}
