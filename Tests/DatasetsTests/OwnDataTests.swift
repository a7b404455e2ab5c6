import CZlib
@testable import Datasets
import Foundation
import XCTest

/// NumPy archives written here byte by byte (the .npy format of NEP 1 and a zip container,
/// stored or deflated, with or without zip64), independent of the reader under test.
enum NPZFixture {
    /// One .npy array: format 1.0, the header padded to a multiple of 64 bytes as numpy does.
    static func npy(descr: String, shape: [Int], data: [UInt8], fortran: Bool = false) -> [UInt8] {
        let shapeText = "(" + shape.map(String.init).joined(separator: ", ") + (shape.count == 1 ? ",)" : ")")
        var header = "{'descr': '\(descr)', 'fortran_order': \(fortran ? "True" : "False"), 'shape': \(shapeText), }"
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        let n = header.utf8.count
        return [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(n & 0xFF), UInt8(n >> 8)] + Array(header.utf8) + data
    }

    static func u8(_ shape: [Int], _ data: [UInt8]) -> [UInt8] { npy(descr: "|u1", shape: shape, data: data) }

    static func i64(_ values: [Int64], shape: [Int]? = nil) -> [UInt8] {
        var d: [UInt8] = []
        for v in values { for k in 0..<8 { d.append(UInt8(truncatingIfNeeded: UInt64(bitPattern: v) >> (8 * UInt64(k)))) } }
        return npy(descr: "<i8", shape: shape ?? [values.count], data: d)
    }

    static func f32(_ values: [Float], shape: [Int]) -> [UInt8] {
        var d: [UInt8] = []
        for v in values { for k in 0..<4 { d.append(UInt8(truncatingIfNeeded: v.bitPattern >> (8 * UInt32(k)))) } }
        return npy(descr: "<f4", shape: shape, data: d)
    }

    static func le16(_ v: Int) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF)] }
    static func le32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * UInt32($0))) } }
    static func le64(_ v: UInt64) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: v >> (8 * UInt64($0))) } }

    static func crc(_ b: [UInt8]) -> UInt32 { b.withUnsafeBufferPointer { UInt32(crc32(0, $0.baseAddress, uInt($0.count))) } }

    /// Raw deflate (no zlib header), as zip stores it.
    static func deflateRaw(_ b: [UInt8]) -> [UInt8] {
        var s = z_stream()
        precondition(deflateInit2_(&s, 6, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK)
        var out = [UInt8](repeating: 0, count: b.count + 1024)
        var input = b
        let produced = input.withUnsafeMutableBufferPointer { i in
            out.withUnsafeMutableBufferPointer { o -> Int in
                s.next_in = i.baseAddress; s.avail_in = uInt(i.count)
                s.next_out = o.baseAddress; s.avail_out = uInt(o.count)
                precondition(deflate(&s, Z_FINISH) == Z_STREAM_END)
                return o.count - Int(s.avail_out)
            }
        }
        deflateEnd(&s)
        return Array(out[0..<produced])
    }

    /// A zip archive of `members` (name → bytes), each stored or deflated; `zip64` writes the
    /// sizes as np.savez does (0xFFFFFFFF in the fixed fields, the values in a zip64 extra
    /// field) and ends with the zip64 end records.
    static func zip(_ members: [(String, [UInt8])], deflate: Bool = false, zip64: Bool = false) -> [UInt8] {
        var out: [UInt8] = []
        var central: [UInt8] = []
        for (name, data) in members {
            let body = deflate ? deflateRaw(data) : data
            let offset = out.count
            let method = deflate ? 8 : 0
            let extra = zip64 ? le16(1) + le16(24) + le64(UInt64(data.count)) + le64(UInt64(body.count)) + le64(UInt64(offset)) : []
            let csize: UInt32 = zip64 ? 0xFFFF_FFFF : UInt32(body.count)
            let usize: UInt32 = zip64 ? 0xFFFF_FFFF : UInt32(data.count)
            let off32: UInt32 = zip64 ? 0xFFFF_FFFF : UInt32(offset)
            let nameBytes = Array(name.utf8)
            out += le32(0x0403_4b50) + le16(45) + le16(0) + le16(method) + le16(0) + le16(0x21)
                + le32(crc(data)) + le32(csize) + le32(usize) + le16(nameBytes.count) + le16(extra.count) + nameBytes + extra + body
            central += le32(0x0201_4b50) + le16(45) + le16(45) + le16(0) + le16(method) + le16(0) + le16(0x21)
                + le32(crc(data)) + le32(csize) + le32(usize) + le16(nameBytes.count) + le16(extra.count) + le16(0)
                + le16(0) + le16(0) + le32(0) + le32(off32) + nameBytes + extra
        }
        let cdOffset = out.count
        out += central
        if zip64 {
            let z = out.count
            out += le32(0x0606_4b50) + le64(44) + le16(45) + le16(45) + le32(0) + le32(0)
                + le64(UInt64(members.count)) + le64(UInt64(members.count)) + le64(UInt64(central.count)) + le64(UInt64(cdOffset))
            out += le32(0x0706_4b50) + le32(0) + le64(UInt64(z)) + le32(1)
            out += le32(0x0605_4b50) + le16(0) + le16(0) + le16(0xFFFF) + le16(0xFFFF) + le32(0xFFFF_FFFF) + le32(0xFFFF_FFFF) + le16(0)
        } else {
            out += le32(0x0605_4b50) + le16(0) + le16(0) + le16(members.count) + le16(members.count)
                + le32(UInt32(central.count)) + le32(UInt32(cdOffset)) + le16(0)
        }
        return out
    }

    /// A valid small dataset: `k` classes, `perClassTrain` / `perClassTest` images each, h×w×c.
    static func arrays(k: Int = 3, perClassTrain: Int = 4, perClassTest: Int = 2, h: Int = 5, w: Int = 4, c: Int? = nil,
                       seed: UInt64 = 1) -> [String: [UInt8]] {
        var g = FixtureBytes(seed)
        let shapeTail = [h, w] + (c.map { [$0] } ?? [])
        let size = h * w * (c ?? 1)
        let ntr = k * perClassTrain, nte = k * perClassTest
        return [
            "x_train": u8([ntr] + shapeTail, g.bytes(ntr * size)),
            "y_train": i64((0..<ntr).map { Int64($0 % k) }),
            "x_test": u8([nte] + shapeTail, g.bytes(nte * size)),
            "y_test": i64((0..<nte).map { Int64($0 % k) }),
        ]
    }

    static let order = ["x_train", "y_train", "x_test", "y_test", "x_val", "y_val"]

    @discardableResult
    static func write(_ arrays: [String: [UInt8]], to path: String, deflate: Bool = false, zip64: Bool = false) -> String {
        let members = order.compactMap { n in arrays[n].map { (n + ".npy", $0) } }
            + arrays.keys.filter { !order.contains($0) }.sorted().map { ($0 + ".npy", arrays[$0]!) }
        Fixture.write(zip(members, deflate: deflate, zip64: zip64), to: path)
        return path
    }
}

final class OwnDataTests: XCTestCase {
    func refusal(_ arrays: [String: [UInt8]], file: StaticString = #filePath, line: UInt = #line) -> DatasetError? {
        let t = TempDir()
        let p = NPZFixture.write(arrays, to: t.path + "/bad.npz")
        do {
            _ = try OwnData.load(path: p)
            XCTFail("accepted a bad archive", file: file, line: line)
            return nil
        } catch let e as DatasetError {
            XCTAssertEqual(e.file, p, "the error names the file", file: file, line: line)
            return e
        } catch {
            XCTFail("\(error)", file: file, line: line)
            return nil
        }
    }

    func assertRefused(_ arrays: [String: [UInt8]], _ phrases: String..., file: StaticString = #filePath, line: UInt = #line) {
        guard let e = refusal(arrays, file: file, line: line) else { return }
        for p in phrases { XCTAssertTrue(e.problem.contains(p), "'\(e.problem)' should say '\(p)'", file: file, line: line) }
    }

    // MARK: happy path

    func testReadsStoredDeflatedAndZip64Archives() throws {
        let a = NPZFixture.arrays(k: 3, h: 5, w: 4, c: 2)
        var results: [DatasetSplits] = []
        for (deflate, zip64) in [(false, false), (true, false), (false, true), (true, true)] {
            let t = TempDir()
            let p = NPZFixture.write(a, to: t.path + "/d.npz", deflate: deflate, zip64: zip64)
            results.append(try OwnData.load(path: p))
        }
        let tr = results[0].train
        XCTAssertEqual([tr.count, tr.height, tr.width, tr.channels, tr.numClasses], [12, 5, 4, 2, 3])
        XCTAssertEqual(results[0].test.count, 6)
        // The pixels are the bytes written, in order (NHWC = the C-ordered (N, H, W, C) array).
        XCTAssertEqual(tr.images, Array(a["x_train"]!.suffix(12 * 40)))
        XCTAssertEqual(tr.labels, (0..<12).map { Int32($0 % 3) })
        for r in results.dropFirst() {
            XCTAssertEqual(r.train.images, tr.images); XCTAssertEqual(r.train.labels, tr.labels)
            XCTAssertEqual(r.test.images, results[0].test.images); XCTAssertEqual(r.test.labels, results[0].test.labels)
        }
    }

    /// An archive written by numpy itself: `np.savez_compressed(f, x_train=np.arange(36,
    /// dtype=np.uint8).reshape(2,3,2,3)*7, y_train=np.array([1,0]), x_test=<2×3×2×3: the values
    /// 1…15, 250, 251, 252, then 255 minus them>, y_test=np.array([[1],[0]]))` with NumPy 2.4.6
    /// (zip64 local headers, deflate, int64 labels, labels of shape (N, 1)).
    func testArchiveWrittenByNumpy() throws {
        let b64 = "UEsDBC0AAAAIAAAAIQARtiZJ//////////8LABQAeF90cmFpbi5ucHkBABAApAAAAAAAAABwAAAAAAAAAJvsF+obEMnIUMZQrZ6SWpxcpG6loF5Taqiuo6Cell9UUpSYF59flJIKEndLzClOBYoXZyQWpAL5GkY6CsY6CiBSU0ehVoEMwMXAzicqo6xlaGHv5hsSnZRZUF7X2jN51sIV67ftPXL60s0Hz999BQBQSwMELQAAAAgAAAAhAHH7Oav//////////wsAFAB5X3RyYWluLm5weQEAEACQAAAAAAAAAEgAAAAAAAAAm+wX6hsQychQxlCtnpJanFykbqWgbpNpoa6joJ6WX1RSlJgXn1+UkgoSd0vMKU4FihdnJBakAvkaRjqaOgq1ChQALkYGVAAAUEsDBC0AAAAIAAAAIQA4HWgC//////////8KABQAeF90ZXN0Lm5weQEAEACkAAAAAAAAAHAAAAAAAAAAm+wX6hsQychQxlCtnpJanFykbqWgXlNqqK6joJ6WX1RSlJgXn1+UkgoSd0vMKU4FihdnJBakAvkaRjoKxjoKIFJTR6FWgQzAxcjEzMLKxs7BycXNw8vH/+v3n39///z+9fPH929fv3z+9PEDKwszAFBLAwQtAAAACAAAACEAiW6luv//////////CgAUAHlfdGVzdC5ucHkBABAAkAAAAAAAAABKAAAAAAAAAJvsF+obEMnIUMZQrZ6SWpxcpG6loG6TaaGuo6Cell9UUpSYF59flJIKEndLzClOBYoXZyQWpAL5GkY6CoaaOgq1CmQDLkYGVAAAUEsBAi0DLQAAAAgAAAAhABG2JklwAAAApAAAAAsAAAAAAAAAAAAAAIABAAAAAHhfdHJhaW4ubnB5UEsBAi0DLQAAAAgAAAAhAHH7OatIAAAAkAAAAAsAAAAAAAAAAAAAAIABrQAAAHlfdHJhaW4ubnB5UEsBAi0DLQAAAAgAAAAhADgdaAJwAAAApAAAAAoAAAAAAAAAAAAAAIABMgEAAHhfdGVzdC5ucHlQSwECLQMtAAAACAAAACEAiW6lukoAAACQAAAACgAAAAAAAAAAAAAAgAHeAQAAeV90ZXN0Lm5weVBLBQYAAAAABAAEAOIAAABkAgAAAAA="
        let t = TempDir()
        let p = t.path + "/numpy.npz"
        Fixture.write([UInt8](Data(base64Encoded: b64)!), to: p)
        let s = try OwnData.load(path: p)
        XCTAssertEqual([s.train.height, s.train.width, s.train.channels, s.train.numClasses], [3, 2, 3, 2])
        XCTAssertEqual(s.train.images, (0..<36).map { UInt8($0 * 7) })
        XCTAssertEqual(s.train.labels, [1, 0])
        let first = (1...15).map(UInt8.init) + [250, 251, 252]
        XCTAssertEqual(s.test.images, first + first.map { 255 - $0 })
        XCTAssertEqual(s.test.labels, [1, 0])
    }

    /// A dataset written as .npz and as IDX gives the same `ImageDataset`.
    func testNPZAndIDXGiveTheSameDataset() throws {
        let t = TempDir()
        var g = FixtureBytes(7)
        let ntr = 30, nte = 20
        let trainPixels = g.bytes(ntr * 784), testPixels = g.bytes(nte * 784)
        let trainLabels = (0..<ntr).map { UInt8($0 % 10) }, testLabels = (0..<nte).map { UInt8(($0 * 3) % 10) }
        let dir = t.dir("mnist")
        Fixture.write(Fixture.idxImages(trainPixels, count: ntr), to: dir + "/train-images-idx3-ubyte")
        Fixture.write(Fixture.idxLabels(trainLabels), to: dir + "/train-labels-idx1-ubyte")
        Fixture.write(Fixture.idxImages(testPixels, count: nte), to: dir + "/t10k-images-idx3-ubyte")
        Fixture.write(Fixture.idxLabels(testLabels), to: dir + "/t10k-labels-idx1-ubyte")
        let idx = try loadDataset(.mnist, from: t.url)
        let p = NPZFixture.write([
            "x_train": NPZFixture.u8([ntr, 28, 28], trainPixels), "y_train": NPZFixture.u8([ntr], trainLabels),
            "x_test": NPZFixture.u8([nte, 28, 28], testPixels), "y_test": NPZFixture.u8([nte], testLabels),
        ], to: t.path + "/mnist-like.npz", deflate: true)
        let npz = try OwnData.load(path: p)
        for (a, b) in [(idx.train, npz.train), (idx.test, npz.test)] {
            XCTAssertEqual(a.images, b.images)
            XCTAssertEqual(a.labels, b.labels)
            XCTAssertEqual([a.height, a.width, a.channels, a.numClasses], [b.height, b.width, b.channels, b.numClasses])
        }
    }

    func testLabelDtypesAndShapes() throws {
        var a = NPZFixture.arrays(k: 2, perClassTrain: 2, perClassTest: 1)
        // Big-endian int16 labels of shape (N, 1); float labels holding whole numbers.
        a["y_train"] = NPZFixture.npy(descr: ">i2", shape: [4, 1], data: [0, 0, 0, 1, 0, 0, 0, 1])
        a["y_test"] = NPZFixture.f32([0, 1], shape: [2])
        let t = TempDir()
        let s = try OwnData.load(path: NPZFixture.write(a, to: t.path + "/d.npz"))
        XCTAssertEqual(s.train.labels, [0, 1, 0, 1])
        XCTAssertEqual(s.test.labels, [0, 1])
    }

    // MARK: refusals (each names the file and the problem)

    func testWrongDtype() {
        var a = NPZFixture.arrays()
        a["x_train"] = NPZFixture.f32([Float](repeating: 0.5, count: 12 * 20), shape: [12, 5, 4])
        assertRefused(a, "x_train", "wrong dtype float32", "uint8")
        var b = NPZFixture.arrays()
        b["y_train"] = NPZFixture.npy(descr: "|b1", shape: [12], data: [UInt8](repeating: 1, count: 12))
        assertRefused(b, "y_train", "wrong dtype bool", "integers")
    }

    func testWrongShape() {
        var a = NPZFixture.arrays()
        a["x_train"] = NPZFixture.u8([12, 20], [UInt8](repeating: 0, count: 240))
        assertRefused(a, "x_train", "wrong shape (12, 20)", "(N, H, W)")
        var b = NPZFixture.arrays()
        b["x_test"] = NPZFixture.u8([6, 4, 5], [UInt8](repeating: 0, count: 120))
        assertRefused(b, "x_test images are 4×5×1 but x_train images are 5×4×1")
        var c = NPZFixture.arrays()
        c["y_train"] = NPZFixture.i64((0..<12).map { Int64($0 % 3) }, shape: [6, 2])
        assertRefused(c, "y_train", "wrong shape (6, 2)")
        var d = NPZFixture.arrays()
        d["y_test"] = NPZFixture.i64([0, 1, 2, 0, 1])
        assertRefused(d, "y_test", "5 labels but x_test has 6 images")
        var e = NPZFixture.arrays()
        e["x_train"] = Array(e["x_train"]!.dropLast(3))
        assertRefused(e, "x_train", "truncated")
    }

    func testNaN() {
        var a = NPZFixture.arrays()
        var v = [Float](repeating: 1, count: 12 * 20); v[17] = .nan
        a["x_train"] = NPZFixture.f32(v, shape: [12, 5, 4])
        assertRefused(a, "x_train", "NaN at element 17")
        var b = NPZFixture.arrays()
        b["y_test"] = NPZFixture.f32([0, 1, 2, .nan, 1, 2], shape: [6])
        assertRefused(b, "y_test", "NaN at index 3")
        var c = NPZFixture.arrays()
        c["y_test"] = NPZFixture.f32([0, 1, 2, 0.5, 1, 2], shape: [6])
        assertRefused(c, "y_test", "not a whole number")
    }

    func testLabelsOutOfRangeOrNotContiguous() {
        var a = NPZFixture.arrays()
        a["y_test"] = NPZFixture.i64([0, 1, 2, 3, 1, 2])
        assertRefused(a, "y_test", "label out of range at index 3: value 3, expected 0..<3")
        var b = NPZFixture.arrays()
        b["y_train"] = NPZFixture.i64([0, 1, 2, -1, 1, 2, 0, 1, 2, 0, 1, 2])
        assertRefused(b, "y_train", "out of range at index 3: value -1")
        var c = NPZFixture.arrays()
        c["y_train"] = NPZFixture.i64((0..<12).map { Int64([0, 2, 3][$0 % 3]) })
        c["y_test"] = NPZFixture.i64([0, 2, 3, 0, 2, 3])
        assertRefused(c, "y_train", "not contiguous", "class 1 has no training images")
    }

    func testFewerThanTwoClasses() {
        var a = NPZFixture.arrays()
        a["y_train"] = NPZFixture.i64([Int64](repeating: 0, count: 12))
        a["y_test"] = NPZFixture.i64([Int64](repeating: 0, count: 6))
        assertRefused(a, "fewer than 2 classes")
    }

    func testEmptySplits() {
        var a = NPZFixture.arrays()
        a["x_test"] = NPZFixture.u8([0, 5, 4], [])
        a["y_test"] = NPZFixture.i64([])
        assertRefused(a, "empty split: x_test has 0 images")
        var b = NPZFixture.arrays()
        b["x_train"] = NPZFixture.u8([0, 5, 4], [])
        b["y_train"] = NPZFixture.i64([])
        assertRefused(b, "empty split: x_train has 0 images")
    }

    func testClassWithoutTestImages() {
        var a = NPZFixture.arrays()
        a["y_test"] = NPZFixture.i64([0, 1, 0, 1, 0, 1])
        assertRefused(a, "y_test", "class 2 has no test images")
    }

    func testMemberMissing() {
        var a = NPZFixture.arrays()
        a["y_test"] = nil
        assertRefused(a, "archive member y_test missing", "members: x_test.npy, x_train.npy, y_train.npy")
        var b = NPZFixture.arrays()
        b["x_val"] = NPZFixture.u8([1, 5, 4], [UInt8](repeating: 0, count: 20))
        assertRefused(b, "y_val missing")
    }

    func testCorruptArchivesAndWrongFiles() throws {
        let t = TempDir()
        let good = NPZFixture.zip(NPZFixture.order.prefix(4).map { ($0 + ".npy", NPZFixture.arrays()[$0]!) }, deflate: true)
        func refused(_ bytes: [UInt8], _ name: String, _ phrase: String, line: UInt = #line) {
            let p = t.path + "/" + name
            Fixture.write(bytes, to: p)
            do { _ = try OwnData.load(path: p); XCTFail("accepted \(name)", line: line) } catch let e as DatasetError {
                XCTAssertEqual(e.file, p, line: line)
                XCTAssertTrue(e.problem.contains(phrase), "'\(e.problem)' should say '\(phrase)'", line: line)
            } catch { XCTFail("\(error)", line: line) }
        }
        refused(Array(good.prefix(good.count - 30)), "cut.npz", "no end-of-central-directory record")
        Fixture.write(good, to: t.path + "/good.npz")
        XCTAssertNoThrow(try OwnData.load(path: t.path + "/good.npz"))
        var flipped = good
        flipped[70] ^= 0xFF   // inside the first member's deflate data
        refused(flipped, "flipped.npz", "x_train.npy")
        refused(Array("x_train,y_train\n1,2\n".utf8), "text.npz", "not a zip archive")
        // Hostile directory records: a zip64 end record too short to hold its pointers, and
        // an end record pointing past the file.
        let locator = NPZFixture.le32(0x0706_4b50) + NPZFixture.le32(0) + NPZFixture.le64(0) + NPZFixture.le32(1)
        let eocd64 = NPZFixture.le32(0x0605_4b50) + [UInt8](repeating: 0, count: 4) + NPZFixture.le16(0xFFFF) + NPZFixture.le16(0xFFFF)
            + NPZFixture.le32(0xFFFF_FFFF) + NPZFixture.le32(0xFFFF_FFFF) + NPZFixture.le16(0)
        refused(locator + eocd64, "zip64.npz", "corrupt zip64 archive")
        let past = NPZFixture.le32(0x0605_4b50) + [UInt8](repeating: 0, count: 4) + NPZFixture.le16(4) + NPZFixture.le16(4)
            + NPZFixture.le32(100) + NPZFixture.le32(1000) + NPZFixture.le16(0)
        refused(past, "past.npz", "truncated zip archive")
        refused(Fixture.idxLabels([1, 2, 3]), "idx.npz", "not a zip archive")
        let notNpy = NPZFixture.zip([("x_train.npy", Array("hello".utf8))] + NPZFixture.order[1..<4].map { ($0 + ".npy", NPZFixture.arrays()[$0]!) })
        refused(notNpy, "notnpy.npz", "not a .npy array")
        let fortran = NPZFixture.zip([("x_train.npy", NPZFixture.npy(descr: "|u1", shape: [12, 5, 4], data: [UInt8](repeating: 0, count: 240), fortran: true))]
                                     + NPZFixture.order[1..<4].map { ($0 + ".npy", NPZFixture.arrays()[$0]!) })
        refused(fortran, "fortran.npz", "Fortran order")
        Fixture.write(good, to: t.path + "/wrong-suffix.csv")
        XCTAssertThrowsError(try OwnData.load(path: t.path + "/wrong-suffix.csv")) { XCTAssertTrue("\($0)".contains("not a NumPy archive")) }
        XCTAssertThrowsError(try OwnData.load(path: t.path + "/absent.npz")) { XCTAssertTrue("\($0)".contains("no such file")) }
        // A directory is read as an image folder (ImageFolderTests), whatever its name.
        XCTAssertThrowsError(try OwnData.load(path: t.dir("folder.npz"))) { XCTAssertTrue("\($0)".contains("folder.npz/train: missing"), "\($0)") }
    }
}
