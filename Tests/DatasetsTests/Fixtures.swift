import CZlib
@testable import Datasets
import Foundation
import XCTest

/// Tiny datasets in the standard formats, written into a fresh temporary directory per test.
final class TempDir {
    let url: URL
    var path: String { url.path }

    init() {
        url = URL(fileURLWithPath: NSTemporaryDirectory())
            .appendingPathComponent("repro-datasets-tests-\(UUID().uuidString)", isDirectory: true)
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    /// Creates `sub` (if needed) and returns its path.
    func dir(_ sub: String) -> String {
        let p = url.appendingPathComponent(sub).path
        try! FileManager.default.createDirectory(atPath: p, withIntermediateDirectories: true)
        return p
    }
}

/// A small deterministic byte generator for fixture content (independent of the code under test).
struct FixtureBytes {
    var state: UInt64
    init(_ seed: UInt64) { state = seed &* 0x9E37_79B9_7F4A_7C15 | 1 }
    mutating func next() -> UInt8 {
        state ^= state << 13; state ^= state >> 7; state ^= state << 17
        return UInt8(truncatingIfNeeded: state >> 24)
    }
    mutating func bytes(_ n: Int) -> [UInt8] { (0..<n).map { _ in next() } }
    mutating func labels(_ n: Int, below k: Int) -> [UInt8] { (0..<n).map { _ in UInt8(Int(next()) % k) } }
}

enum Fixture {
    static func be32(_ v: UInt32) -> [UInt8] {
        [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)]
    }

    static func idxImages(_ pixels: [UInt8], count: Int, rows: Int = 28, cols: Int = 28,
                          magic: UInt32 = 0x0000_0803) -> [UInt8] {
        be32(magic) + be32(UInt32(count)) + be32(UInt32(rows)) + be32(UInt32(cols)) + pixels
    }

    static func idxLabels(_ labels: [UInt8], magic: UInt32 = 0x0000_0801, count: Int? = nil) -> [UInt8] {
        be32(magic) + be32(UInt32(count ?? labels.count)) + labels
    }

    static func write(_ bytes: [UInt8], to path: String) {
        precondition(FileManager.default.createFile(atPath: path, contents: Data(bytes)), "cannot write \(path)")
    }

    /// gzip with zlib's gzopen/gzwrite.
    static func writeGzip(_ bytes: [UInt8], to path: String) {
        guard let f = gzopen(path, "wb") else { fatalError("gzopen failed for \(path)") }
        var off = 0
        bytes.withUnsafeBytes { buf in
            while off < bytes.count {
                let n = min(1 << 20, bytes.count - off)
                let w = gzwrite(f, buf.baseAddress! + off, UInt32(n))
                precondition(w == Int32(n), "gzwrite failed")
                off += n
            }
        }
        precondition(gzclose(f) == Z_OK)
    }

    static func gzipped(_ bytes: [UInt8]) -> [UInt8] {
        let tmp = NSTemporaryDirectory() + "/repro-gz-\(UUID().uuidString).gz"
        writeGzip(bytes, to: tmp)
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        return [UInt8](FileManager.default.contents(atPath: tmp)!)
    }

    struct IDXSplit { var pixels: [UInt8]; var labels: [UInt8] }

    /// Writes the four MNIST-style files into `dir` (raw or .gz) and returns their content.
    @discardableResult
    static func writeIDXSet(into dir: String, train: Int = 13, test: Int = 7, gzip: Bool, seed: UInt64 = 1)
        -> (train: IDXSplit, test: IDXSplit) {
        var g = FixtureBytes(seed)
        let tr = IDXSplit(pixels: g.bytes(train * 784), labels: g.labels(train, below: 10))
        let te = IDXSplit(pixels: g.bytes(test * 784), labels: g.labels(test, below: 10))
        let files: [(String, [UInt8])] = [
            ("train-images-idx3-ubyte", idxImages(tr.pixels, count: train)),
            ("train-labels-idx1-ubyte", idxLabels(tr.labels)),
            ("t10k-images-idx3-ubyte", idxImages(te.pixels, count: test)),
            ("t10k-labels-idx1-ubyte", idxLabels(te.labels)),
        ]
        for (name, bytes) in files {
            let p = (dir as NSString).appendingPathComponent(name)
            if gzip { writeGzip(bytes, to: p + ".gz") } else { write(bytes, to: p) }
        }
        return (tr, te)
    }

    /// CIFAR records: label bytes then 3072 planar pixel bytes.
    struct CIFARRecord { var labelBytes: [UInt8]; var planar: [UInt8] }

    static func cifarFile(_ records: [CIFARRecord]) -> [UInt8] {
        records.flatMap { $0.labelBytes + $0.planar }
    }

    static func randomCIFARRecords(_ n: Int, limits: [Int], g: inout FixtureBytes) -> [CIFARRecord] {
        (0..<n).map { _ in CIFARRecord(labelBytes: limits.map { UInt8(Int(g.next()) % $0) }, planar: g.bytes(3072)) }
    }

    /// Writes cifar-10-batches-bin/ with `perBatch` records in each of the 6 files.
    @discardableResult
    static func writeCIFAR10(into root: TempDir, perBatch: [Int] = [2, 3, 1, 2, 2, 4], seed: UInt64 = 7)
        -> (train: [CIFARRecord], test: [CIFARRecord]) {
        var g = FixtureBytes(seed)
        let dir = root.dir("cifar-10-batches-bin")
        var train = [CIFARRecord]()
        for b in 1...5 {
            let recs = randomCIFARRecords(perBatch[b - 1], limits: [10], g: &g)
            write(cifarFile(recs), to: dir + "/data_batch_\(b).bin")
            train += recs
        }
        let test = randomCIFARRecords(perBatch[5], limits: [10], g: &g)
        write(cifarFile(test), to: dir + "/test_batch.bin")
        return (train, test)
    }

    @discardableResult
    static func writeCIFAR100(into root: TempDir, train: Int = 5, test: Int = 3, seed: UInt64 = 9)
        -> (train: [CIFARRecord], test: [CIFARRecord]) {
        var g = FixtureBytes(seed)
        let dir = root.dir("cifar-100-binary")
        let tr = randomCIFARRecords(train, limits: [20, 100], g: &g)
        let te = randomCIFARRecords(test, limits: [20, 100], g: &g)
        write(cifarFile(tr), to: dir + "/train.bin")
        write(cifarFile(te), to: dir + "/test.bin")
        return (tr, te)
    }

    /// The HWC image a planar record should become, computed the obvious way.
    static func hwc(_ planar: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 3072)
        for y in 0..<32 {
            for x in 0..<32 {
                for c in 0..<3 { out[(y * 32 + x) * 3 + c] = planar[c * 1024 + y * 32 + x] }
            }
        }
        return out
    }
}

/// Runs `body`, expecting a DatasetError; returns it (failing the test otherwise).
func expectDatasetError(_ body: () throws -> Void, file: StaticString = #filePath, line: UInt = #line) -> DatasetError? {
    do {
        try body()
        XCTFail("expected a DatasetError, but no error was thrown", file: file, line: line)
    } catch let e as DatasetError {
        return e
    } catch {
        XCTFail("expected a DatasetError, got \(error)", file: file, line: line)
    }
    return nil
}
