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
    func splits(_ name: DatasetName, dataDirectory: URL, labels: CIFAR100LabelSet) throws -> DatasetSplits {
        let key = "\(dataDirectory.path)|\(name.rawValue)|\(labels.rawValue)"
        lock.lock()
        defer { lock.unlock() }
        if let s = loaded[key] { return s }
        let s = try loadDataset(name, from: dataDirectory, cifar100Labels: labels)
        loaded[key] = s
        return s
    }
}
