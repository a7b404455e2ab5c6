import Foundation

/// One data file found on disk.
public struct DatasetFileReport: Sendable, Equatable {
    /// Full path of the file used (raw or .gz).
    public let path: String
    /// Size on disk in bytes (compressed size for .gz files).
    public let bytes: Int
    /// zlib CRC-32 of the file as stored, 8 lowercase hex digits ("" when checksums were skipped).
    public let crc32: String
}

/// What `repro data` prints for one dataset.
public struct DatasetReport: Sendable {
    public let name: DatasetName
    /// Every file the dataset needs is present (it may still have `problems`).
    public let found: Bool
    /// The directory looked in (for Fashion-MNIST possibly /usr/share/datasets/fashion-mnist).
    public let directory: String
    /// Image counts from the file headers / sizes; nil when they cannot be determined.
    public let trainCount: Int?
    public let testCount: Int?
    /// The files present, in the dataset's canonical order.
    public let files: [DatasetFileReport]
    /// Canonical names of the files not found (for IDX files: neither raw nor .gz exists).
    public let missingFiles: [String]
    /// Problems seen in the headers and sizes of present files (a cheap check; loading
    /// validates everything).
    public let problems: [String]
    /// Exactly what to download or install and where to put it (always filled in, so it can be
    /// shown whenever `isUsable` is false).
    public let advice: String

    /// Found and no problems seen.
    public var isUsable: Bool { found && problems.isEmpty }
}

/// Reports, for every dataset in `DatasetName.allCases` order, which files are present under
/// `dataDir`, their CRC-32 checksums, and the train/test counts the headers give.
func datasetInventory(dataDir: URL) -> [DatasetReport] {
    datasetInventory(dataDir: dataDir, computeChecksums: true)
}

/// As `datasetInventory(dataDir:)`; checksums (which read every byte) can be skipped, and the
/// Fashion-MNIST fallback directory replaced (nil: none).
public func datasetInventory(dataDir: URL, computeChecksums: Bool,
                             fashionMNISTFallback: String? = DataDirectory.systemFashionMNISTPath) -> [DatasetReport] {
    BuiltinDataset.allCases.map {
        inventory($0, dataDir: dataDir, computeChecksums: computeChecksums, fashionFallback: fashionMNISTFallback)
    }
}

func inventory(_ name: BuiltinDataset, dataDir: URL, computeChecksums: Bool, fashionFallback: String?) -> DatasetReport {
    let dir = DatasetLayout.directory(name, dataDir: dataDir, fashionFallback: fashionFallback)
    var files = [DatasetFileReport]()
    var missing = [String]()
    var problems = [String]()
    var paths = [String?]()
    for f in DatasetLayout.fileNames(name) {
        guard let p = DatasetLayout.existingFile(dir, f) else {
            // Something that is not a file is named as `repro run` names it, not as missing.
            if let bad = DatasetLayout.notAFile(dir, f) {
                problems.append("\(DatasetError(file: bad.path, problem: bad.problem))")
            } else {
                missing.append(f)
            }
            paths.append(nil)
            continue
        }
        paths.append(p)
        var crc = ""
        if computeChecksums {
            do { crc = FileReader.hex8(try FileReader.crc32OfFile(p)) } catch { problems.append("\(error)") }
        }
        files.append(DatasetFileReport(path: p, bytes: FileReader.fileSize(p) ?? 0, crc32: crc))
    }

    var trainCount: Int?
    var testCount: Int?
    func attempt<T>(_ body: () throws -> T) -> T? {
        do { return try body() } catch { problems.append("\(error)"); return nil }
    }
    switch name {
    case .mnist, .fashionMNIST:
        func count(_ images: String?, _ labels: String?) -> Int? {
            var n: Int?
            var m: Int?
            if let images {
                n = attempt { () throws -> Int in
                    let c = try FileReader.readContentPrefix(images, count: IDXFormat.imagesHeaderBytes)
                    let h = try IDXFormat.imagesHeader(c, path: images, requiredSize: (28, 28))
                    try checkStoredSize(images, expected: h.expectedBytes, what: "image data")
                    return h.count
                }
            }
            if let labels {
                m = attempt { () throws -> Int in
                    let c = try FileReader.readContentPrefix(labels, count: IDXFormat.labelsHeaderBytes)
                    let k = try IDXFormat.labelsHeader(c, path: labels)
                    try checkStoredSize(labels, expected: IDXFormat.labelsHeaderBytes + k, what: "label data")
                    return k
                }
            }
            if let n, let m, n != m, let labels, let images {
                problems.append("\(labels): image/label count mismatch: this file has \(m) labels but \((images as NSString).lastPathComponent) has \(n) images")
            }
            return n ?? m
        }
        trainCount = count(paths[0], paths[1])
        testCount = count(paths[2], paths[3])
    case .cifar10, .cifar100:
        let record = name == .cifar10 ? 3073 : 3074
        func records(_ p: String) throws -> Int {
            let size: Int
            if try FileReader.hasGzipMagic(p) {
                let r = try FileReader.gzipUncompressedSize(p)
                if r.endedEarly {
                    throw DatasetError(file: p, problem: "truncated: the gzip stream ends early after \(r.size) bytes")
                }
                size = r.size
            } else {
                size = FileReader.fileSize(p) ?? 0
            }
            guard size % record == 0, size > 0 else {
                throw DatasetError(file: p, problem: "size \(size) bytes is not a positive multiple of the \(record)-byte record size")
            }
            return size / record
        }
        let trainPaths = name == .cifar10 ? Array(paths.prefix(5)) : [paths[0]]
        let testPath = paths.last!
        if trainPaths.allSatisfy({ $0 != nil }) {
            var total = 0
            var ok = true
            for p in trainPaths {
                if let n = attempt({ try records(p!) }) { total += n } else { ok = false }
            }
            trainCount = ok ? total : nil
        }
        if let testPath { testCount = attempt { try records(testPath) } }
    }

    // What `repro run` checks beyond sizes (the deflate body, the CRC, every label in range):
    // read the files as a run would, so that `repro data` never says ok to a file `run` refuses.
    if missing.isEmpty && problems.isEmpty {
        do { _ = try loadDataset(DatasetName(name), from: dataDir, fashionMNISTFallback: fashionFallback) } catch { problems.append("\(error)") }
    }
    return DatasetReport(name: DatasetName(name), found: missing.isEmpty, directory: dir, trainCount: trainCount,
                         testCount: testCount, files: files, missingFiles: missing, problems: problems,
                         advice: DatasetLayout.advice(name, dataDir: dataDir))
}

/// Cheap size check without decompressing: raw files by their size, gzip files by the
/// uncompressed size (mod 2^32) in their trailer.
func checkStoredSize(_ path: String, expected: Int, what: String) throws {
    if try FileReader.hasGzipMagic(path) {
        if let isize = FileReader.gzipTrailerSize(path), isize != UInt32(truncatingIfNeeded: expected) {
            // A cut-short file's last bytes are no trailer: say truncated, as `repro run` does.
            let r = try FileReader.gzipUncompressedSize(path)
            if r.endedEarly {
                throw DatasetError(file: path, problem: "truncated: expected \(expected) bytes of \(what), found \(r.size)"
                                   + " (the gzip stream ends early: the compressed file is cut short)")
            }
            throw DatasetError(file: path, problem: "size mismatch: the header implies \(expected) bytes of \(what), but the gzip trailer records \(isize) uncompressed bytes")
        }
    } else if let size = FileReader.fileSize(path), size != expected {
        throw DatasetError(file: path, problem: "\(size < expected ? "truncated" : "too long"): expected \(expected) bytes of \(what), found \(size)")
    }
}
