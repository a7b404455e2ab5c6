@testable import Datasets
import Foundation
import XCTest

/// Pixel-exact loading of tiny generated files in every supported format.
final class FormatTests: XCTestCase {
    private func checkIDX(_ d: ImageDataset, _ expected: Fixture.IDXSplit, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(d.height, 28, file: file, line: line)
        XCTAssertEqual(d.width, 28, file: file, line: line)
        XCTAssertEqual(d.channels, 1, file: file, line: line)
        XCTAssertEqual(d.numClasses, 10, file: file, line: line)
        XCTAssertEqual(d.count, expected.labels.count, file: file, line: line)
        XCTAssertEqual(d.images, expected.pixels, file: file, line: line)
        XCTAssertEqual(d.labels, expected.labels.map(Int32.init), file: file, line: line)
    }

    func testIDXRawLoadsPixelExact() throws {
        let t = TempDir()
        let (tr, te) = Fixture.writeIDXSet(into: t.dir("mnist"), gzip: false)
        let s = try loadDataset(.mnist, from: t.url)
        XCTAssertEqual(s.name, .mnist)
        checkIDX(s.train, tr)
        checkIDX(s.test, te)
    }

    func testIDXGzipLoadsPixelExact() throws {
        let t = TempDir()
        let (tr, te) = Fixture.writeIDXSet(into: t.dir("mnist"), train: 40, test: 9, gzip: true, seed: 3)
        let s = try loadDataset(.mnist, from: t.url)
        checkIDX(s.train, tr)
        checkIDX(s.test, te)
    }

    func testIDXMixedRawAndGzip() throws {
        let t = TempDir()
        let dir = t.dir("mnist")
        let (tr, te) = Fixture.writeIDXSet(into: dir, gzip: true)
        // Replace two files by their raw form: each file may be raw or gz independently.
        for name in ["train-labels-idx1-ubyte", "t10k-images-idx3-ubyte"] {
            try FileManager.default.removeItem(atPath: dir + "/" + name + ".gz")
        }
        Fixture.write(Fixture.idxLabels(tr.labels), to: dir + "/train-labels-idx1-ubyte")
        Fixture.write(Fixture.idxImages(te.pixels, count: te.labels.count), to: dir + "/t10k-images-idx3-ubyte")
        let s = try loadDataset(.mnist, from: t.url)
        checkIDX(s.train, tr)
        checkIDX(s.test, te)
    }

    func testRawPreferredWhenBothExist() throws {
        let t = TempDir()
        let dir = t.dir("mnist")
        let (tr, _) = Fixture.writeIDXSet(into: dir, gzip: false)
        // A broken .gz next to a good raw file is never read.
        Fixture.write([0x1F, 0x8B, 1, 2, 3], to: dir + "/train-images-idx3-ubyte.gz")
        let s = try loadDataset(.mnist, from: t.url)
        checkIDX(s.train, tr)
    }

    func testGzipDetectedByContentNotName() throws {
        let t = TempDir()
        let dir = t.dir("mnist")
        let (tr, te) = Fixture.writeIDXSet(into: dir, gzip: false)
        // A raw file named .gz, and a gzip file without the suffix, both load.
        let imgs = dir + "/train-images-idx3-ubyte"
        try FileManager.default.moveItem(atPath: imgs, toPath: imgs + ".gz")
        let labels = dir + "/t10k-labels-idx1-ubyte"
        Fixture.write(Fixture.gzipped(Fixture.idxLabels(te.labels)), to: labels)
        let s = try loadDataset(.mnist, from: t.url)
        checkIDX(s.train, tr)
        checkIDX(s.test, te)
    }

    func testFashionMNISTFromDataDirectory() throws {
        let t = TempDir()
        let fallback = TempDir()
        let (tr, te) = Fixture.writeIDXSet(into: t.dir("fashion-mnist"), gzip: true, seed: 5)
        Fixture.writeIDXSet(into: fallback.path, gzip: true, seed: 6)
        let s = try loadDataset(.fashionMNIST, from: t.url, fashionMNISTFallback: fallback.path)
        XCTAssertEqual(s.name, .fashionMNIST)
        checkIDX(s.train, tr)
        checkIDX(s.test, te)
    }

    func testFashionMNISTFallsBackToSystemDirectory() throws {
        let t = TempDir()
        let fallback = TempDir()
        let (tr, te) = Fixture.writeIDXSet(into: fallback.path, gzip: true, seed: 6)
        let s = try loadDataset(.fashionMNIST, from: t.url, fashionMNISTFallback: fallback.path)
        checkIDX(s.train, tr)
        checkIDX(s.test, te)
        // Without a fallback the same call reports the missing files in the data directory.
        let e = expectDatasetError { _ = try loadDataset(.fashionMNIST, from: t.url, fashionMNISTFallback: nil) }
        XCTAssertTrue(e?.file.hasSuffix("fashion-mnist/train-images-idx3-ubyte") ?? false, "\(String(describing: e))")
    }

    func testCIFAR10PlanarToHWC() throws {
        let t = TempDir()
        let (train, test) = Fixture.writeCIFAR10(into: t)
        let s = try loadDataset(.cifar10, from: t.url)
        for (d, recs) in [(s.train, train), (s.test, test)] {
            XCTAssertEqual(d.height, 32)
            XCTAssertEqual(d.width, 32)
            XCTAssertEqual(d.channels, 3)
            XCTAssertEqual(d.numClasses, 10)
            XCTAssertEqual(d.count, recs.count)
            XCTAssertEqual(d.labels, recs.map { Int32($0.labelBytes[0]) })
            XCTAssertEqual(d.images, recs.flatMap { Fixture.hwc($0.planar) })
        }
        XCTAssertEqual(s.train.count, 10)
        // One explicit pixel: record 0, row 1, column 2, green = planar[1024 + 32 + 2].
        XCTAssertEqual(s.train.images[(1 * 32 + 2) * 3 + 1], train[0].planar[1024 + 34])
    }

    func testCIFAR100FineAndCoarseLabels() throws {
        let t = TempDir()
        let (train, test) = Fixture.writeCIFAR100(into: t)
        let fine = try loadDataset(.cifar100, from: t.url)
        let coarse = try loadDataset(.cifar100, from: t.url, cifar100Labels: .coarse)
        XCTAssertEqual(fine.train.numClasses, 100)
        XCTAssertEqual(coarse.train.numClasses, 20)
        XCTAssertEqual(fine.test.numClasses, 100)
        XCTAssertEqual(coarse.test.numClasses, 20)
        XCTAssertEqual(fine.train.labels, train.map { Int32($0.labelBytes[1]) })
        XCTAssertEqual(coarse.train.labels, train.map { Int32($0.labelBytes[0]) })
        XCTAssertEqual(fine.test.labels, test.map { Int32($0.labelBytes[1]) })
        XCTAssertEqual(coarse.test.labels, test.map { Int32($0.labelBytes[0]) })
        XCTAssertEqual(fine.train.images, train.flatMap { Fixture.hwc($0.planar) })
        XCTAssertEqual(coarse.test.images, test.flatMap { Fixture.hwc($0.planar) })
    }

    func testInventoryOfFixtures() throws {
        let t = TempDir()
        Fixture.writeIDXSet(into: t.dir("mnist"), train: 13, test: 7, gzip: true)
        Fixture.writeCIFAR10(into: t)
        let reports = datasetInventory(dataDir: t.url, computeChecksums: true, fashionMNISTFallback: nil)
        XCTAssertEqual(reports.map(\.name), DatasetName.allCases)

        let mnist = reports[0]
        XCTAssertTrue(mnist.found)
        XCTAssertTrue(mnist.isUsable, "\(mnist.problems)")
        XCTAssertEqual(mnist.trainCount, 13)
        XCTAssertEqual(mnist.testCount, 7)
        XCTAssertEqual(mnist.files.count, 4)
        XCTAssertTrue(mnist.missingFiles.isEmpty)
        for f in mnist.files {
            XCTAssertTrue(f.path.hasSuffix(".gz"))
            XCTAssertEqual(f.crc32.count, 8)
            XCTAssertTrue(f.crc32.allSatisfy { "0123456789abcdef".contains($0) })
            // The gzip trailer holds the CRC of the uncompressed data, not of the file; compare
            // against an independent computation of the file's CRC instead.
            let bytes = [UInt8](FileManager.default.contents(atPath: f.path)!)
            XCTAssertEqual(f.crc32, String(format: "%08x", referenceCRC32(bytes)))
            XCTAssertEqual(f.bytes, bytes.count)
        }

        let fashion = reports[1]
        XCTAssertFalse(fashion.found)
        XCTAssertEqual(fashion.missingFiles.count, 4)
        XCTAssertTrue(fashion.advice.contains("apt-get install dataset-fashion-mnist"))

        let c10 = reports[2]
        XCTAssertTrue(c10.isUsable, "\(c10.problems)")
        XCTAssertEqual(c10.trainCount, 10)
        XCTAssertEqual(c10.testCount, 4)
        XCTAssertEqual(c10.files.count, 6)

        let c100 = reports[3]
        XCTAssertFalse(c100.found)
        XCTAssertEqual(c100.missingFiles, ["train.bin", "test.bin"])
        XCTAssertNil(c100.trainCount)
        XCTAssertTrue(c100.advice.contains("https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz"))
        XCTAssertTrue(c100.advice.contains(t.path))
    }

    func testInventoryReportsHeaderProblems() throws {
        let t = TempDir()
        let dir = t.dir("mnist")
        let (tr, _) = Fixture.writeIDXSet(into: dir, gzip: false)
        // Cut the raw train images short: the inventory notices from the file size.
        Fixture.write(Fixture.idxImages(Array(tr.pixels.prefix(100)), count: tr.labels.count),
                      to: dir + "/train-images-idx3-ubyte")
        let r = datasetInventory(dataDir: t.url, computeChecksums: false, fashionMNISTFallback: nil)[0]
        XCTAssertTrue(r.found)
        XCTAssertFalse(r.isUsable)
        XCTAssertEqual(r.problems.count, 1)
        XCTAssertTrue(r.problems[0].contains("train-images-idx3-ubyte: truncated"), r.problems[0])
        XCTAssertEqual(r.files.first?.crc32, "")
    }
}

/// Bitwise CRC-32 (IEEE, reflected), independent of zlib.
func referenceCRC32(_ bytes: [UInt8]) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for b in bytes {
        crc ^= UInt32(b)
        for _ in 0..<8 { crc = (crc >> 1) ^ (0xEDB8_8320 & (0 &- (crc & 1))) }
    }
    return ~crc
}
