import Datasets
import Foundation

/// Datasets loaded once per process and shared by the runs of a sweep (read-only).
final class DatasetCache: @unchecked Sendable {
    static let shared = DatasetCache()
    private let lock = NSLock()
    private var loaded: [String: DatasetSplits] = [:]

    func splits(_ name: DatasetName, dataDirectory: URL, labels: CIFAR100LabelSet) throws -> DatasetSplits {
        let key = "\(dataDirectory.path)|\(name.rawValue)|\(labels.rawValue)"
        lock.lock()
        if let s = loaded[key] { lock.unlock(); return s }
        lock.unlock()
        // Concurrent jobs may ask for the same set at once: loading twice costs only time.
        let s = try loadDataset(name, from: dataDirectory, cifar100Labels: labels)
        lock.lock()
        loaded[key] = s
        lock.unlock()
        return s
    }
}
