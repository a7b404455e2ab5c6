import Foundation
import XCTest
@testable import Datasets
#if canImport(Glibc)
import Glibc
#endif

/// `repro data` (the inventory) and `repro run` (loading) name a bad data file the same way
/// (issue #26): a FIFO or a folder in place of a file, and a gzip file cut short.
final class DataAndRunAgreeTests: XCTestCase {
    /// The inventory's problems and the loader's error for a data folder.
    func both(_ t: TempDir) -> (inventory: DatasetReport, load: String) {
        let report = datasetInventory(dataDir: t.url, computeChecksums: false, fashionMNISTFallback: nil).first { $0.name == .mnist }!
        var load = ""
        do { _ = try loadDataset(.mnist, from: t.url, fashionMNISTFallback: nil) } catch { load = "\(error)" }
        return (report, load)
    }

    /// Before: `repro data` said MISSING for a FIFO or a folder where a data file goes, and
    /// `repro run` said "missing file" for the FIFO. Now both name what is there.
    func testFIFOOrFolderInPlaceOfADataFileIsNamedByBoth() throws {
        for (kind, make) in [("a FIFO (named pipe)", { (p: String) in XCTAssertEqual(mkfifo(p, 0o644), 0) }),
                             ("a directory", { (p: String) in try! FileManager.default.createDirectory(atPath: p, withIntermediateDirectories: false) })] {
            let t = TempDir()
            let dir = t.dir("mnist")
            Fixture.writeIDXSet(into: dir, gzip: false)
            let path = dir + "/train-labels-idx1-ubyte"
            try FileManager.default.removeItem(atPath: path)
            make(path)
            let (report, load) = both(t)
            let expected = "found \(kind) where a file is expected: \(path) is \(kind)"
            XCTAssertFalse(report.isUsable)
            XCTAssertEqual(report.missingFiles, [], "repro data calls \(kind) missing")
            XCTAssertTrue(report.problems.contains { $0.contains(expected) }, "\(report.problems)")
            XCTAssertTrue(load.contains(expected), load)
        }
    }

    /// Before: `repro data` called a truncated .gz a "size mismatch" (the last bytes of a cut
    /// file are no gzip trailer) where `repro run` says truncated. Now both say truncated.
    func testTruncatedGzipIsTruncatedForBoth() throws {
        let t = TempDir()
        let dir = t.dir("mnist")
        Fixture.writeIDXSet(into: dir, train: 200, test: 7, gzip: true)
        let p = dir + "/train-images-idx3-ubyte.gz"
        let full = [UInt8](FileManager.default.contents(atPath: p)!)
        Fixture.write(Array(full.prefix(full.count / 2)), to: p)
        let (report, load) = both(t)
        let expected = "truncated: expected \(16 + 200 * 784) bytes of image data"
        XCTAssertTrue(report.problems.contains { $0.contains(expected) && $0.contains("gzip stream ends early") }, "\(report.problems)")
        XCTAssertFalse(report.problems.contains { $0.contains("size mismatch") }, "\(report.problems)")
        XCTAssertTrue(load.contains(expected), load)
    }
}
