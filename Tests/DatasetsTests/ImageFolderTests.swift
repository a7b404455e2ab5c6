import CImageCodecs
@testable import Datasets
import Foundation
import XCTest

final class ImageFolderTests: XCTestCase {
    static func writePNG(_ path: String, w: Int, h: Int, c: Int, _ px: [UInt8]) {
        var err = [CChar](repeating: 0, count: 256)
        precondition(ic_write_png(path, Int32(w), Int32(h), Int32(c), px, &err, err.count) == 0, String(cString: err))
    }

    static func writeJPEG(_ path: String, w: Int, h: Int, c: Int, _ px: [UInt8], quality: Int = 100) {
        var err = [CChar](repeating: 0, count: 256)
        precondition(ic_write_jpeg(path, Int32(w), Int32(h), Int32(c), px, Int32(quality), &err, err.count) == 0, String(cString: err))
    }

    /// train/{a,b}/ with 2 images each, test/{a,b}/ with 1 each: 5×4 grayscale PNGs from a
    /// fixed byte sequence. Returns the root and the pixels by relative path.
    static func folder(_ t: TempDir, w: Int = 5, h: Int = 4) -> (root: String, pixels: [String: [UInt8]]) {
        var g = FixtureBytes(3)
        var pixels: [String: [UInt8]] = [:]
        for (split, n) in [("train", 2), ("test", 1)] {
            for cls in ["a", "b"] {
                let dir = t.dir("imgs/\(split)/\(cls)")
                for i in 0..<n {
                    let px = g.bytes(w * h)
                    writePNG(dir + "/\(i).png", w: w, h: h, c: 1, px)
                    pixels["\(split)/\(cls)/\(i).png"] = px
                }
            }
        }
        return (t.path + "/imgs", pixels)
    }

    func testPNGFolderDecodesExactly() throws {
        let t = TempDir()
        let (root, px) = Self.folder(t)
        let s = try ImageFolder.load(path: root)
        XCTAssertEqual([s.train.count, s.train.height, s.train.width, s.train.channels, s.train.numClasses], [4, 4, 5, 1, 2])
        XCTAssertEqual(s.train.labels, [0, 0, 1, 1])
        XCTAssertEqual(s.test.labels, [0, 1])
        // Lossless: every byte as written, classes in sorted folder order, files by name.
        XCTAssertEqual(s.train.images, px["train/a/0.png"]! + px["train/a/1.png"]! + px["train/b/0.png"]! + px["train/b/1.png"]!)
        XCTAssertEqual(s.test.images, px["test/a/0.png"]! + px["test/b/0.png"]!)
        XCTAssertEqual(try ImageFolder.classes(root), ["a", "b"])
        // Through OwnData.load, as a spec entry reaches it.
        XCTAssertEqual(try OwnData.load(path: root).train.images, s.train.images)
    }

    func testColourAndGrayMixBecomeRGB() throws {
        let t = TempDir()
        let (root, px) = Self.folder(t)
        var g = FixtureBytes(9)
        let rgb = g.bytes(5 * 4 * 3)
        Self.writePNG(root + "/train/b/2.png", w: 5, h: 4, c: 3, rgb)
        let s = try ImageFolder.load(path: root)
        XCTAssertEqual(s.train.channels, 3)
        XCTAssertEqual(Array(s.train.images[(4 * 60)..<(5 * 60)]), rgb)
        // A grayscale image: each value repeated into R, G, B.
        XCTAssertEqual(Array(s.train.images[0..<60]), px["train/a/0.png"]!.flatMap { [$0, $0, $0] })
    }

    /// JPEG is lossy, so the fixture is one JPEG can carry: 8×8 blocks of constant grey at
    /// quality 100. Such a block has only a DC coefficient, 8·(v − 128), an integer, which the
    /// quantiser's step of 1 keeps exactly; the inverse DCT of a DC-only block is the constant
    /// up to its final rounding, so every pixel decodes within 1 of its value.
    func testJPEGDecodesKnownPixels() throws {
        let t = TempDir()
        let (root, _) = Self.folder(t, w: 16, h: 16)
        let values: [UInt8] = [16, 80, 160, 240]
        var px = [UInt8](repeating: 0, count: 256)
        for y in 0..<16 { for x in 0..<16 { px[y * 16 + x] = values[(y / 8) * 2 + x / 8] } }
        try FileManager.default.removeItem(atPath: root + "/test/b/0.png")
        Self.writeJPEG(root + "/test/b/0.jpg", w: 16, h: 16, c: 1, px)
        let s = try ImageFolder.load(path: root)
        let decoded = Array(s.test.images[256..<512])
        for i in 0..<256 { XCTAssertLessThanOrEqual(abs(Int(decoded[i]) - Int(px[i])), 1, "pixel \(i)") }
    }

    func refused(_ root: String, _ file: String, _ phrase: String, line: UInt = #line) {
        do { _ = try ImageFolder.load(path: root); XCTFail("accepted", line: line) } catch let e as DatasetError {
            XCTAssertEqual(e.file, file, line: line)
            XCTAssertTrue(e.problem.contains(phrase), "'\(e.problem)' should say '\(phrase)'", line: line)
        } catch { XCTFail("\(error)", line: line) }
    }

    func testDifferentSizesAreRefusedNamingTheFile() {
        let t = TempDir()
        let (root, _) = Self.folder(t)
        Self.writePNG(root + "/test/b/0.png", w: 6, h: 4, c: 1, [UInt8](repeating: 7, count: 24))
        refused(root, root + "/test/b/0.png", "image size 4×6 (height×width) differs from 4×5")
    }

    func testUnreadableImages() throws {
        let t = TempDir()
        let (root, _) = Self.folder(t)
        Fixture.write(Array("not an image".utf8), to: root + "/train/a/0.png")
        refused(root, root + "/train/a/0.png", "unreadable image")
        let t2 = TempDir()
        let (root2, _) = Self.folder(t2, w: 16, h: 16)
        var g = FixtureBytes(5)
        Self.writeJPEG(root2 + "/train/b/9.jpg", w: 16, h: 16, c: 1, g.bytes(256), quality: 90)
        let jpg = [UInt8](FileManager.default.contents(atPath: root2 + "/train/b/9.jpg")!)
        Fixture.write(Array(jpg.prefix(jpg.count / 2)), to: root2 + "/train/b/9.jpg")
        refused(root2, root2 + "/train/b/9.jpg", "unreadable JPEG")
        let t3 = TempDir()
        let (root3, _) = Self.folder(t3)
        Fixture.write([1, 2, 3], to: root3 + "/train/a/notes.txt")
        refused(root3, root3 + "/train/a/notes.txt", "not a .png, .jpg or .jpeg file")
    }

    func testClassesAndSplits() throws {
        let t = TempDir()
        let (root, _) = Self.folder(t)
        try FileManager.default.removeItem(atPath: root + "/test/b/0.png")
        refused(root, root + "/test/b", "a class with no test images")
        try FileManager.default.removeItem(atPath: root + "/test/b")
        refused(root, root + "/test/b", "a class with no test images")
        let t2 = TempDir()
        let (root2, _) = Self.folder(t2)
        Self.writePNG(t2.dir("imgs/test/c") + "/0.png", w: 5, h: 4, c: 1, [UInt8](repeating: 0, count: 20))
        refused(root2, root2 + "/test/c", "labels out of range")
        let t3 = TempDir()
        let (root3, _) = Self.folder(t3)
        try FileManager.default.removeItem(atPath: root3 + "/train/b")
        try FileManager.default.removeItem(atPath: root3 + "/test/b")
        refused(root3, root3 + "/train", "fewer than 2 classes")
        let t4 = TempDir()
        let (root4, _) = Self.folder(t4)
        try FileManager.default.removeItem(atPath: root4 + "/test")
        refused(root4, root4 + "/test", "missing")
        let t5 = TempDir()
        let (root5, _) = Self.folder(t5)
        for i in 0..<2 { try FileManager.default.removeItem(atPath: root5 + "/train/a/\(i).png") }
        refused(root5, root5 + "/train/a", "has no training images")
    }
}
