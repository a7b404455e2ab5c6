import Foundation
import XCTest
@testable import Datasets

/// Bad data is refused before it costs much, and `repro data` checks what `repro run` checks
/// (issue #10, item 9).
final class DataReliabilityTests: XCTestCase {
    func mnistSet(gzip: Bool) -> (TempDir, String) {
        let t = TempDir()
        let dir = t.dir("mnist")
        Fixture.writeIDXSet(into: dir, gzip: gzip)
        return (t, dir)
    }

    /// Before: a gzip whose content is far larger than its IDX header declares was inflated
    /// whole (3.27 GB for a 25 MB file) before being refused. Now inflating stops one byte
    /// past the declared size (testInflatingStopsAtTheLimit) and the file is refused as too long.
    func testGzipLargerThanItsHeaderIsRefused() {
        let (t, dir) = mnistSet(gzip: true)
        let path = dir + "/train-images-idx3-ubyte.gz"
        var g = FixtureBytes(3)
        let bomb = Fixture.idxImages(g.bytes(13 * 784), count: 13) + [UInt8](repeating: 0, count: 32 << 20)
        Fixture.writeGzip(bomb, to: path)
        let e = expectDatasetError { _ = try loadDataset(.mnist, from: t.url) }
        XCTAssertTrue(e?.problem.contains("too long: expected \(16 + 13 * 784) bytes") == true, e?.problem ?? "no error")
        XCTAssertTrue(e?.problem.contains("found \(16 + 13 * 784 + 1)") == true, "inflated past the limit: \(e?.problem ?? "")")
    }

    /// Even with a trailer that agrees (it only holds the size mod 2³²), inflating stops one
    /// byte past the declared size.
    func testInflatingStopsAtTheLimit() throws {
        let (t, dir) = mnistSet(gzip: true)
        let path = dir + "/big.gz"
        Fixture.writeGzip([UInt8](repeating: 7, count: 8 << 20), to: path)
        let c = try FileReader.readAll(path, limit: 1000)
        XCTAssertEqual(c.bytes.count, 1000)
        withExtendedLifetime(t) {}
    }

    /// A gzip whose header declares millions of items is refused by its count, before
    /// inflating (the limit would not help: it is the declared size).
    func testAbsurdDeclaredCountIsRefused() {
        let (t, dir) = mnistSet(gzip: false)
        try? FileManager.default.removeItem(atPath: dir + "/train-labels-idx1-ubyte")
        Fixture.writeGzip(Fixture.be32(0x0000_0801) + Fixture.be32(2_000_000) + [1, 2, 3], to: dir + "/train-labels-idx1-ubyte.gz")
        let e = expectDatasetError { _ = try loadDataset(.mnist, from: t.url) }
        XCTAssertTrue(e?.problem.contains("declares 2000000 items") == true, e?.problem ?? "no error")
    }

    /// Before: a folder where a data file is expected was reported as a missing file.
    func testDirectoryWhereAFileIsExpectedIsNamed() throws {
        let (t, dir) = mnistSet(gzip: false)
        let path = dir + "/t10k-labels-idx1-ubyte"
        try FileManager.default.removeItem(atPath: path)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        let e = expectDatasetError { _ = try loadDataset(.mnist, from: t.url) }
        XCTAssertTrue(e?.problem.contains("found a directory where a file is expected") == true, e?.problem ?? "no error")
        XCTAssertFalse(e?.problem.contains("missing file") == true, e?.problem ?? "")
    }

    /// Before: `repro data` said ok for files `repro run` refuses (a label out of range, a
    /// corrupt deflate body), because it read only the headers.
    func testInventoryChecksWhatLoadingChecks() {
        let (t, dir) = mnistSet(gzip: false)
        var g = FixtureBytes(5)
        var labels = g.labels(7, below: 10)
        labels[3] = 12
        Fixture.write(Fixture.idxLabels(labels), to: dir + "/t10k-labels-idx1-ubyte")
        XCTAssertNotNil(expectDatasetError { _ = try loadDataset(.mnist, from: t.url, fashionMNISTFallback: nil) })
        let report = datasetInventory(dataDir: t.url, computeChecksums: false, fashionMNISTFallback: nil)
            .first { $0.name == .mnist }!
        XCTAssertFalse(report.isUsable, "repro data would say ok")
        XCTAssertTrue(report.problems.contains { $0.contains("t10k-labels-idx1-ubyte") }, "\(report.problems)")
    }
}
