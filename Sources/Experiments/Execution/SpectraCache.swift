import Datasets
import Foundation
import Models
import Numerics

/// The layers' class spectra of `repro run` and `repro sweep` (`--pca-cache on`), kept in
/// memory for the process and on disk in `<results folder>/cache/pca/<sha256 of key>.bin`, so
/// that runs differing only in T_v, T_PC, the filter count or the visit order compute each
/// layer's ρ_c and their eigendecompositions once (`SpectraStore`, `layerSpectraKey`).
///
/// Reused spectra are the bytes computed before, so a build from them is bit for bit the build
/// without them. A file is trusted only when its header holds the whole key (not only its hash)
/// and its SHA-256 trailer matches; otherwise it is ignored with a warning, recomputed and
/// written again. Files are written atomically (`AtomicFile`), so a kill -9 leaves either no
/// file or a whole one, and two processes writing the same entry write the same bytes. Within
/// a process, a run asking for an entry that another job is computing waits for it.
final class SpectraCache: SpectraStore, @unchecked Sendable {
    /// Where the cache lives inside a results folder (not under runs/, so tables, merge and
    /// report never read it).
    static let folder = "cache/pca"
    static let fileExtension = "bin"

    let directory: URL?
    /// Spectra kept in memory at most (bytes of their Doubles); the oldest go first.
    let memoryLimit: Int
    private let warn: @Sendable (String) -> Void

    private let condition = NSCondition()
    private var entries: [String: (key: String, spectra: [ClassSpectrum], bytes: Int)] = [:]
    private var insertionOrder: [String] = []
    private var heldBytes = 0
    private var inFlight: Set<String> = []
    /// How the requests were answered.
    struct Counts: Equatable { var memory = 0, disk = 0, computed = 0 }
    private var answered = Counts()
    var counts: Counts { condition.lock(); defer { condition.unlock() }; return answered }

    /// `directory` nil keeps the spectra in memory only.
    init(directory: URL?, memoryLimit: Int = 1 << 30, warn: @escaping @Sendable (String) -> Void) {
        self.directory = directory
        self.memoryLimit = memoryLimit
        self.warn = warn
        if let directory { AtomicFile.removeStaleTemps(in: directory) }
    }

    func spectra(key: String, compute: () throws -> [ClassSpectrum]) throws -> [ClassSpectrum] {
        let digest = StableHash.sha256Hex(key)
        condition.lock()
        while inFlight.contains(digest) { condition.wait() }
        if let e = entries[digest], e.key == key {
            answered.memory += 1
            condition.unlock()
            return e.spectra
        }
        inFlight.insert(digest)
        condition.unlock()
        defer {
            condition.lock()
            inFlight.remove(digest)
            condition.broadcast()
            condition.unlock()
        }

        let file = directory?.appendingPathComponent("\(digest).\(Self.fileExtension)")
        if let file, let data = try? Data(contentsOf: file) {
            switch Self.decode(data, key: key) {
            case .success(let spectra):
                remember(digest, key: key, spectra: spectra, from: \.disk)
                return spectra
            case .failure(let problem):
                warn("\(file.path): \(problem.description); ignored, computing the spectra again")
            }
        }
        let spectra = try compute()
        remember(digest, key: key, spectra: spectra, from: \.computed)
        if let file, let directory {
            do {
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
                try AtomicFile.write(Self.encode(spectra, key: key), to: file)
            } catch {
                // The run goes on without a disk entry: the cache saves time, not results.
                warn("cannot write the PCA cache entry \(file.path): \(error)")
            }
        }
        return spectra
    }

    private func remember(_ digest: String, key: String, spectra: [ClassSpectrum],
                          from source: WritableKeyPath<Counts, Int>) {
        let bytes = spectra.reduce(0) { $0 + 8 * ($1.eigen.n * ($1.eigen.n + 2)) }
        condition.lock()
        defer { condition.unlock() }
        answered[keyPath: source] += 1
        guard bytes <= memoryLimit, entries[digest] == nil else { return }
        while heldBytes + bytes > memoryLimit, let oldest = insertionOrder.first {
            insertionOrder.removeFirst()
            heldBytes -= entries.removeValue(forKey: oldest)?.bytes ?? 0
        }
        entries[digest] = (key, spectra, bytes)
        insertionOrder.append(digest)
        heldBytes += bytes
    }

    // MARK: File format
    //
    //   magic      "repro spectra cache v1\n" (ASCII)
    //   key        UInt64 byte count, then the key's UTF-8 bytes
    //   groups     UInt64 count, then per group: UInt64 n; n eigenvalues, n·n eigenvector
    //              entries (row i = vector i), n mean entries, each a Float64
    //   checksum   SHA-256 of every byte before it
    // Integers and Float64 bit patterns are little-endian.

    static let magic = Data("repro spectra cache v1\n".utf8)

    struct FormatProblem: Error, CustomStringConvertible {
        let description: String
    }

    static func encode(_ spectra: [ClassSpectrum], key: String) -> Data {
        var out = magic
        func putWord(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
        func putDoubles(_ vs: [Double]) {
            var words = vs.map { $0.bitPattern.littleEndian }
            words.withUnsafeMutableBytes { out.append(contentsOf: $0) }
        }
        let keyBytes = Data(key.utf8)
        putWord(UInt64(keyBytes.count))
        out.append(keyBytes)
        putWord(UInt64(spectra.count))
        for s in spectra {
            putWord(UInt64(s.eigen.n))
            putDoubles(s.eigen.values)
            putDoubles(s.eigen.vectors)
            putDoubles(s.mean)
        }
        out.append(Data(StableHash.digest(out)))
        return out
    }

    static func decode(_ data: Data, key: String) -> Result<[ClassSpectrum], FormatProblem> {
        let bytes = [UInt8](data)
        guard bytes.count >= magic.count + 32, bytes.starts(with: magic) else {
            return .failure(FormatProblem(description: "not a PCA cache file (no \"repro spectra cache v1\" header)"))
        }
        let body = bytes[..<(bytes.count - 32)]
        guard StableHash.digest(Data(body)) == Array(bytes[(bytes.count - 32)...]) else {
            return .failure(FormatProblem(description: "checksum mismatch (a truncated or altered file)"))
        }
        var at = magic.count
        func word() -> UInt64? {
            guard at + 8 <= body.count else { return nil }
            var v: UInt64 = 0
            for i in 0..<8 { v |= UInt64(bytes[at + i]) << (8 * UInt64(i)) }
            at += 8
            return v
        }
        func doubles(_ count: Int) -> [Double]? {
            guard count >= 0, count <= (body.count - at) / 8 else { return nil }
            var out = [Double](repeating: 0, count: count)
            for i in 0..<count { out[i] = Double(bitPattern: word()!) }
            return out
        }
        let truncated = FormatProblem(description: "sizes do not fit the file")
        guard let keyCount = word(), keyCount <= UInt64(body.count - at) else { return .failure(truncated) }
        let storedKey = String(decoding: bytes[at..<(at + Int(keyCount))], as: UTF8.self)
        at += Int(keyCount)
        guard storedKey == key else {
            return .failure(FormatProblem(description: "holds the spectra of another key (a hash collision or a renamed file)"))
        }
        guard let groups = word(), groups <= UInt64(body.count) else { return .failure(truncated) }
        var spectra: [ClassSpectrum] = []
        for _ in 0..<Int(groups) {
            guard let n64 = word(), n64 <= UInt64(1 << 20) else { return .failure(truncated) }
            let n = Int(n64)
            guard let values = doubles(n), let vectors = doubles(n * n), let mean = doubles(n) else { return .failure(truncated) }
            spectra.append(ClassSpectrum(eigen: SymmetricEigen(n: n, values: values, vectors: vectors), mean: mean))
        }
        guard at == body.count else { return .failure(FormatProblem(description: "\(body.count - at) bytes past the last group")) }
        return .success(spectra)
    }
}

/// The training images a run starts from, identified by content: SHA-256 of the loaded
/// training split (images, labels, shape), computed once per process and dataset.
enum TrainingSetFingerprint {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var known: [String: String] = [:]

    static func of(_ train: ImageDataset, cacheKey: String) -> String {
        lock.lock()
        defer { lock.unlock() }
        if let f = known[cacheKey] { return f }
        var header = Data("\(train.count) images \(train.height)x\(train.width)x\(train.channels) \(train.numClasses) classes\n".utf8)
        train.labels.withUnsafeBytes { header.append(contentsOf: $0) }
        let f = StableHash.sha256Hex(header + Data(train.images))
        known[cacheKey] = f
        return f
    }
}
