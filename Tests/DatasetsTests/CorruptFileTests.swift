@testable import Datasets
import Foundation
import XCTest

/// Every malformed-file case gives a DatasetError naming the file and the problem.
final class CorruptFileTests: XCTestCase {
    /// A good raw MNIST fixture (train 13, test 7) whose file `name` is then replaced by `bytes`.
    private func mnistError(replacing name: String, with bytes: (Fixture.IDXSplit, Fixture.IDXSplit) -> [UInt8],
                            gzip: Bool = false) -> (DatasetError?, TempDir) {
        let t = TempDir()
        let dir = t.dir("mnist")
        let (tr, te) = Fixture.writeIDXSet(into: dir, gzip: false)
        let path = dir + "/" + name
        try? FileManager.default.removeItem(atPath: path)
        if gzip { Fixture.writeGzip(bytes(tr, te), to: path + ".gz") } else { Fixture.write(bytes(tr, te), to: path) }
        let e = expectDatasetError { _ = try loadDataset(.mnist, from: t.url) }
        return (e, t)
    }

    private func assertError(_ e: DatasetError?, fileEndsWith suffix: String, contains parts: [String],
                             file: StaticString = #filePath, line: UInt = #line) {
        guard let e else { return }
        XCTAssertTrue(e.file.hasSuffix(suffix), "file \(e.file) should end with \(suffix)", file: file, line: line)
        for p in parts {
            XCTAssertTrue(e.problem.contains(p), "problem «\(e.problem)» should contain «\(p)»", file: file, line: line)
        }
        XCTAssertEqual(e.description, "\(e.file): \(e.problem)", file: file, line: line)
    }

    func testMissingFileNamesFileAndAdvice() {
        let t = TempDir()
        let dir = t.dir("mnist")
        Fixture.writeIDXSet(into: dir, gzip: true)
        try? FileManager.default.removeItem(atPath: dir + "/t10k-labels-idx1-ubyte.gz")
        let e = expectDatasetError { _ = try loadDataset(.mnist, from: t.url) }
        assertError(e, fileEndsWith: "mnist/t10k-labels-idx1-ubyte",
                    contains: ["missing file", "t10k-labels-idx1-ubyte.gz", "http://yann.lecun.com/exdb/mnist/"])
    }

    func testMissingDatasetListsAllFiles() {
        let t = TempDir()
        let e = expectDatasetError { _ = try loadDataset(.cifar10, from: t.url) }
        assertError(e, fileEndsWith: "cifar-10-batches-bin/data_batch_1.bin",
                    contains: ["missing file", "data_batch_5.bin", "test_batch.bin",
                               "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz", t.path])
        let e100 = expectDatasetError { _ = try loadDataset(.cifar100, from: t.url) }
        assertError(e100, fileEndsWith: "cifar-100-binary/train.bin",
                    contains: ["missing file", "test.bin", "cifar-100-binary.tar.gz"])
        let ef = expectDatasetError { _ = try loadDataset(.fashionMNIST, from: t.url, fashionMNISTFallback: "/nonexistent/fm") }
        assertError(ef, fileEndsWith: "fashion-mnist/train-images-idx3-ubyte",
                    contains: ["missing file", "/nonexistent/fm", "apt-get install dataset-fashion-mnist"])
    }

    func testTruncatedRawImages() {
        let (e, _) = mnistError(replacing: "train-images-idx3-ubyte") { tr, _ in
            Fixture.idxImages(Array(tr.pixels.prefix(984)), count: 13)
        }
        assertError(e, fileEndsWith: "mnist/train-images-idx3-ubyte",
                    contains: ["truncated: expected \(16 + 13 * 784) bytes of image data, found 1000"])
    }

    func testTruncatedRawLabels() {
        let (e, _) = mnistError(replacing: "t10k-labels-idx1-ubyte") { _, te in
            Fixture.idxLabels(Array(te.labels.prefix(4)), count: 7)
        }
        assertError(e, fileEndsWith: "mnist/t10k-labels-idx1-ubyte",
                    contains: ["truncated: expected 15 bytes of label data, found 12"])
    }

    func testTruncatedHeader() {
        let (e, _) = mnistError(replacing: "train-images-idx3-ubyte") { _, _ in [0, 0, 8, 3, 0] }
        assertError(e, fileEndsWith: "mnist/train-images-idx3-ubyte",
                    contains: ["truncated", "16-byte IDX images header, found 5 bytes"])
    }

    func testTrailingData() {
        let (e, _) = mnistError(replacing: "train-labels-idx1-ubyte") { tr, _ in
            Fixture.idxLabels(tr.labels + [1, 2], count: 13)
        }
        assertError(e, fileEndsWith: "mnist/train-labels-idx1-ubyte", contains: ["too long", "expected 21", "found 23"])
    }

    /// A gzip's declared count is checked before inflating (issue #10, item 9: a header that
    /// matched a bomb's content would otherwise be believed); a raw file's size is read as is.
    func testAbsurdImageCountIsRefusedNotCrash() {
        let (e, _) = mnistError(replacing: "train-images-idx3-ubyte", with: { tr, _ in
            Fixture.idxImages(tr.pixels, count: Int(UInt32.max))
        }, gzip: true)
        assertError(e, fileEndsWith: "mnist/train-images-idx3-ubyte.gz",
                    contains: ["the IDX header declares \(UInt32.max) items"])
        let (raw, _) = mnistError(replacing: "train-images-idx3-ubyte", with: { tr, _ in
            Fixture.idxImages(tr.pixels, count: Int(UInt32.max))
        })
        assertError(raw, fileEndsWith: "mnist/train-images-idx3-ubyte",
                    contains: ["truncated: expected \(16 + Int(UInt32.max) * 784) bytes of image data, found \(16 + 13 * 784)"])
    }

    func testTruncatedGzip() {
        let t = TempDir()
        let dir = t.dir("mnist")
        Fixture.writeIDXSet(into: dir, train: 200, test: 7, gzip: true)
        let p = dir + "/train-images-idx3-ubyte.gz"
        let full = [UInt8](FileManager.default.contents(atPath: p)!)
        Fixture.write(Array(full.prefix(full.count / 2)), to: p)
        let e = expectDatasetError { _ = try loadDataset(.mnist, from: t.url) }
        assertError(e, fileEndsWith: "mnist/train-images-idx3-ubyte.gz",
                    contains: ["truncated: expected \(16 + 200 * 784) bytes of image data, found", "gzip stream ends early"])
    }

    func testGzipMissingOnlyItsTrailer() {
        let t = TempDir()
        let dir = t.dir("mnist")
        Fixture.writeIDXSet(into: dir, gzip: true)
        let p = dir + "/train-labels-idx1-ubyte.gz"
        let full = [UInt8](FileManager.default.contents(atPath: p)!)
        Fixture.write(Array(full.dropLast(8)), to: p)  // data complete, CRC and length gone
        let e = expectDatasetError { _ = try loadDataset(.mnist, from: t.url) }
        assertError(e, fileEndsWith: "mnist/train-labels-idx1-ubyte.gz", contains: ["corrupt gzip stream"])
    }

    func testCorruptGzipChecksum() {
        let t = TempDir()
        let dir = t.dir("mnist")
        Fixture.writeIDXSet(into: dir, gzip: true)
        let p = dir + "/t10k-images-idx3-ubyte.gz"
        var bytes = [UInt8](FileManager.default.contents(atPath: p)!)
        bytes[bytes.count - 8] ^= 0xFF  // the CRC-32 in the trailer
        Fixture.write(bytes, to: p)
        let e = expectDatasetError { _ = try loadDataset(.mnist, from: t.url) }
        assertError(e, fileEndsWith: "mnist/t10k-images-idx3-ubyte.gz", contains: ["corrupt gzip stream", "incorrect data check"])
    }

    func testCorruptGzipData() {
        let t = TempDir()
        let dir = t.dir("mnist")
        Fixture.writeIDXSet(into: dir, gzip: true)
        // A valid gzip header followed by garbage where the deflate stream should be.
        var g = FixtureBytes(99)
        let header: [UInt8] = [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 3]
        Fixture.write(header + [0xFF, 0xFF] + g.bytes(500), to: dir + "/train-images-idx3-ubyte.gz")
        let e = expectDatasetError { _ = try loadDataset(.mnist, from: t.url) }
        assertError(e, fileEndsWith: "mnist/train-images-idx3-ubyte.gz", contains: ["corrupt gzip stream"])
    }

    func testWrongImagesMagic() {
        let (e, _) = mnistError(replacing: "train-images-idx3-ubyte") { tr, _ in
            Fixture.idxImages(tr.pixels, count: 13, magic: 0x0000_0801)
        }
        assertError(e, fileEndsWith: "mnist/train-images-idx3-ubyte",
                    contains: ["wrong IDX magic number: expected 0x00000803", "found 0x00000801", "swapped"])
    }

    func testWrongLabelsMagicInGzip() {
        let (e, _) = mnistError(replacing: "t10k-labels-idx1-ubyte", with: { _, te in
            Fixture.idxLabels(te.labels, magic: 0xDEAD_BEEF)
        }, gzip: true)
        assertError(e, fileEndsWith: "mnist/t10k-labels-idx1-ubyte.gz",
                    contains: ["wrong IDX magic number: expected 0x00000801", "found 0xDEADBEEF"])
    }

    func testCountMismatch() {
        let (e, _) = mnistError(replacing: "train-labels-idx1-ubyte") { tr, _ in
            Fixture.idxLabels(Array(tr.labels.prefix(12)))
        }
        assertError(e, fileEndsWith: "mnist/train-labels-idx1-ubyte",
                    contains: ["image/label count mismatch", "12 labels", "train-images-idx3-ubyte has 13 images"])
    }

    func testWrongDimensions() {
        let (e, _) = mnistError(replacing: "t10k-images-idx3-ubyte") { _, _ in
            Fixture.idxImages([UInt8](repeating: 0, count: 7 * 32 * 32), count: 7, rows: 32, cols: 32)
        }
        assertError(e, fileEndsWith: "mnist/t10k-images-idx3-ubyte",
                    contains: ["image dimensions are 32×32, expected 28×28"])
    }

    func testLabelOutOfRange() {
        let (e, _) = mnistError(replacing: "train-labels-idx1-ubyte") { tr, _ in
            var l = tr.labels
            l[3] = 10
            l[5] = 200
            return Fixture.idxLabels(l)
        }
        assertError(e, fileEndsWith: "mnist/train-labels-idx1-ubyte",
                    contains: ["label out of range at index 3: value 10, expected 0..<10"])
    }

    func testCIFARSizeNotMultipleOfRecord() {
        let t = TempDir()
        Fixture.writeCIFAR10(into: t)
        let p = t.path + "/cifar-10-batches-bin/data_batch_3.bin"
        var b = [UInt8](FileManager.default.contents(atPath: p)!)
        b.removeLast(10)
        Fixture.write(b, to: p)
        let e = expectDatasetError { _ = try loadDataset(.cifar10, from: t.url) }
        assertError(e, fileEndsWith: "cifar-10-batches-bin/data_batch_3.bin",
                    contains: ["size \(b.count) bytes is not a multiple of the 3073-byte CIFAR-10 record size"])

        let t2 = TempDir()
        Fixture.writeCIFAR100(into: t2)
        Fixture.write([UInt8](repeating: 1, count: 3073 * 2), to: t2.path + "/cifar-100-binary/test.bin")
        let e2 = expectDatasetError { _ = try loadDataset(.cifar100, from: t2.url) }
        assertError(e2, fileEndsWith: "cifar-100-binary/test.bin",
                    contains: ["size 6146 bytes is not a multiple of the 3074-byte CIFAR-100 record size"])
    }

    func testCIFAREmptyFile() {
        let t = TempDir()
        Fixture.writeCIFAR10(into: t)
        Fixture.write([], to: t.path + "/cifar-10-batches-bin/test_batch.bin")
        let e = expectDatasetError { _ = try loadDataset(.cifar10, from: t.url) }
        assertError(e, fileEndsWith: "cifar-10-batches-bin/test_batch.bin", contains: ["empty"])
    }

    func testCIFARLabelOutOfRange() {
        let t = TempDir()
        var g = FixtureBytes(4)
        Fixture.writeCIFAR10(into: t)
        var recs = Fixture.randomCIFARRecords(3, limits: [10], g: &g)
        recs[1].labelBytes = [10]
        Fixture.write(Fixture.cifarFile(recs), to: t.path + "/cifar-10-batches-bin/data_batch_2.bin")
        let e = expectDatasetError { _ = try loadDataset(.cifar10, from: t.url) }
        assertError(e, fileEndsWith: "cifar-10-batches-bin/data_batch_2.bin",
                    contains: ["label out of range at record 1: value 10, expected 0..<10"])

        let t2 = TempDir()
        Fixture.writeCIFAR100(into: t2)
        var r100 = Fixture.randomCIFARRecords(4, limits: [20, 100], g: &g)
        r100[2].labelBytes = [3, 100]
        Fixture.write(Fixture.cifarFile(r100), to: t2.path + "/cifar-100-binary/train.bin")
        let e2 = expectDatasetError { _ = try loadDataset(.cifar100, from: t2.url) }
        assertError(e2, fileEndsWith: "cifar-100-binary/train.bin",
                    contains: ["fine label out of range at record 2: value 100, expected 0..<100"])
        r100[2].labelBytes = [20, 5]
        Fixture.write(Fixture.cifarFile(r100), to: t2.path + "/cifar-100-binary/train.bin")
        // A bad coarse byte is an error even when the fine labels are used.
        let e3 = expectDatasetError { _ = try loadDataset(.cifar100, from: t2.url, cifar100Labels: .fine) }
        assertError(e3, fileEndsWith: "cifar-100-binary/train.bin",
                    contains: ["coarse label out of range at record 2: value 20, expected 0..<20"])
    }

    func testDatasetErrorDescription() {
        let e = DatasetError(file: "/x/train-images-idx3-ubyte.gz", problem: "truncated: expected 47040016 bytes of image data, found 1000")
        XCTAssertEqual(e.description, "/x/train-images-idx3-ubyte.gz: truncated: expected 47040016 bytes of image data, found 1000")
        XCTAssertEqual(e.localizedDescription, e.description)
    }
}
