@testable import Datasets
import Foundation
import XCTest

/// `resizeAreaAverage` against hand-computed tables and a Double-precision reference, and
/// `data.resize` on image folders and archives.
final class ResizeTests: XCTestCase {
    func resize(_ src: [UInt8], _ inH: Int, _ inW: Int, _ c: Int, to outH: Int, _ outW: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: outH * outW * c)
        src.withUnsafeBufferPointer { s in
            out.withUnsafeMutableBufferPointer { d in
                resizeAreaAverage(s, inHeight: inH, inWidth: inW, channels: c, into: d, outHeight: outH, outWidth: outW)
            }
        }
        return out
    }

    /// The mean over the rectangle each output pixel covers, in source-pixel coordinates and
    /// Doubles, written out directly in two dimensions (not separably, not in integer units).
    func reference(_ src: [UInt8], _ inH: Int, _ inW: Int, _ c: Int, to outH: Int, _ outW: Int) -> [Double] {
        let sy = Double(inH) / Double(outH), sx = Double(inW) / Double(outW)
        var out = [Double](repeating: 0, count: outH * outW * c)
        for j in 0..<outH {
            for l in 0..<outW {
                let y0 = Double(j) * sy, y1 = Double(j + 1) * sy, x0 = Double(l) * sx, x1 = Double(l + 1) * sx
                for ch in 0..<c {
                    var sum = 0.0
                    for i in 0..<inH {
                        let oy = min(y1, Double(i + 1)) - max(y0, Double(i))
                        if oy <= 0 { continue }
                        for k in 0..<inW {
                            let ox = min(x1, Double(k + 1)) - max(x0, Double(k))
                            if ox > 0 { sum += oy * ox * Double(src[(i * inW + k) * c + ch]) }
                        }
                    }
                    out[(j * outW + l) * c + ch] = sum / (sy * sx)
                }
            }
        }
        return out
    }

    func testIdentityResizeIsExact() {
        var g = FixtureBytes(11)
        for (h, w, c) in [(1, 1, 1), (4, 5, 1), (7, 3, 3), (6, 6, 2)] {
            let src = g.bytes(h * w * c)
            XCTAssertEqual(resize(src, h, w, c, to: h, w), src, "\(h)×\(w)×\(c)")
        }
    }

    /// 2×2 → 1×1 is the mean of the four, rounded half up (exact integer arithmetic).
    func testTwoByTwoToOneIsTheMean() {
        let table: [([UInt8], UInt8)] = [
            ([10, 20, 30, 41], 25),    // 25.25
            ([1, 2, 2, 2], 2),         // 1.75
            ([0, 0, 1, 0], 0),         // 0.25
            ([0, 1, 1, 0], 1),         // 0.5, half up
            ([255, 255, 255, 254], 255), // 254.75
        ]
        for (src, mean) in table { XCTAssertEqual(resize(src, 2, 2, 1, to: 1, 1), [mean], "\(src)") }
        // Channels are averaged separately: two interleaved channels.
        XCTAssertEqual(resize([0, 100, 4, 100, 8, 100, 12, 104], 2, 2, 2, to: 1, 1), [6, 101])
    }

    /// One-dimensional cases by hand, with two interleaved channels (the second reversed).
    /// 3 → 2: output 0 covers source [0, 1.5): (0·1 + 90·0.5)/1.5 = 30; output 1 covers
    /// [1.5, 3): (90·0.5 + 180·1)/1.5 = 150. 2 → 3: output 1 covers [2/3, 4/3):
    /// (0 + 90)·(1/3)/(2/3) = 45, the outer two the source pixels.
    func testHandComputedRows() {
        XCTAssertEqual(resize([0, 180, 90, 90, 180, 0], 1, 3, 2, to: 1, 2), [30, 150, 150, 30])
        XCTAssertEqual(resize([0, 90, 90, 0], 1, 2, 2, to: 1, 3), [0, 90, 45, 45, 90, 0])
        // The same along the other axis.
        XCTAssertEqual(resize([0, 90, 180], 3, 1, 1, to: 2, 1), [30, 150])
    }

    func testUpscaleOfAConstantImageIsConstant() {
        for (h, w, oh, ow) in [(1, 1, 5, 3), (3, 5, 7, 11), (2, 3, 9, 4)] {
            let src = [UInt8]((0..<(h * w)).flatMap { _ in [137, 0, 255] })
            XCTAssertEqual(resize(src, h, w, 3, to: oh, ow), [UInt8]((0..<(oh * ow)).flatMap { _ in [137, 0, 255] }))
        }
    }

    /// Random images and sizes (up and down, factors not dividing) against the Double
    /// reference rounded half up. The reference's value carries rounding errors of a few ulps
    /// of its terms (sides ≤ 40, values ≤ 255: far below 1e-9), so it decides the rounding
    /// except within 1e-9 of a half, where either neighbour is accepted.
    func testAgainstADoubleReference() {
        var g = FixtureBytes(21)
        for trial in 0..<60 {
            let inH = 1 + Int(g.next()) % 17, inW = 1 + Int(g.next()) % 17
            let outH = 1 + Int(g.next()) % 23, outW = 1 + Int(g.next()) % 23, c = 1 + trial % 3
            let src = g.bytes(inH * inW * c)
            let got = resize(src, inH, inW, c, to: outH, outW)
            let want = reference(src, inH, inW, c, to: outH, outW)
            for i in got.indices {
                let v = want[i], frac = v - v.rounded(.down)
                if abs(frac - 0.5) < 1e-9 {
                    XCTAssertTrue([v.rounded(.down), v.rounded(.up)].contains(Double(got[i])), "\(inH)×\(inW)→\(outH)×\(outW) at \(i)")
                } else {
                    XCTAssertEqual(Double(got[i]), (v + 0.5).rounded(.down), "\(inH)×\(inW)→\(outH)×\(outW)×\(c) at \(i)")
                }
            }
        }
    }

    func testSpelling() {
        XCTAssertEqual(ImageResize(spelling: "28x32"), .to(height: 28, width: 32))
        XCTAssertEqual(ImageResize(spelling: "28X32"), .to(height: 28, width: 32))
        XCTAssertEqual(ImageResize.to(height: 28, width: 32).spelling, "28x32")
        for bad in ["28", "28x", "x28", "0x5", "5x0", "28x28x3", "-1x5", "+1x5", " 28x28", "28×28", "4097x1"] {
            XCTAssertNil(ImageResize(spelling: bad), bad)
        }
    }

    // MARK: image folders

    /// The 5×4 grayscale fixture folder with one 6×7 colour image added to train/b.
    func mixedFolder(_ t: TempDir) -> (root: String, pixels: [String: [UInt8]], rgb: [UInt8]) {
        let (root, px) = ImageFolderTests.folder(t)
        var g = FixtureBytes(13)
        let rgb = g.bytes(7 * 6 * 3)
        ImageFolderTests.writePNG(root + "/train/b/2.png", w: 6, h: 7, c: 3, rgb)
        return (root, px, rgb)
    }

    func testMixedSizesAreRefusedWithoutResizeNamingFileAndKey() {
        let t = TempDir()
        let (root, _, _) = mixedFolder(t)
        do { _ = try ImageFolder.load(path: root); XCTFail("accepted") } catch let e as DatasetError {
            XCTAssertEqual(e.file, root + "/train/b/2.png")
            for phrase in ["image size 7×6 (height×width) differs from 4×5", root + "/train/a/0.png", "data.resize", "\"HxW\""] {
                XCTAssertTrue(e.problem.contains(phrase), "'\(e.problem)' should say '\(phrase)'")
            }
        } catch { XCTFail("\(error)") }
        let survey = try? ImageFolder.survey(root)
        XCTAssertNotNil(survey?.mixedSizes)
        XCTAssertEqual(survey?.channels, 3)
    }

    /// With a size, each PNG (lossless) is decoded at its own size, grayscale repeated into RGB
    /// because the folder mixes the two, and resized by the kernel.
    func testMixedFolderWithResize() throws {
        let t = TempDir()
        let (root, px, rgb) = mixedFolder(t)
        let s = try OwnData.load(path: root, resize: .to(height: 3, width: 2))
        XCTAssertEqual([s.train.count, s.train.height, s.train.width, s.train.channels], [5, 3, 2, 3])
        XCTAssertEqual([s.test.height, s.test.width, s.test.channels], [3, 2, 3])
        XCTAssertEqual(s.train.labels, [0, 0, 1, 1, 1])
        let rgbOfGray = { (p: [UInt8]) in p.flatMap { [$0, $0, $0] } }
        let expectedTrain = [px["train/a/0.png"]!, px["train/a/1.png"]!, px["train/b/0.png"]!, px["train/b/1.png"]!]
            .flatMap { resize(rgbOfGray($0), 4, 5, 3, to: 3, 2) } + resize(rgb, 7, 6, 3, to: 3, 2)
        XCTAssertEqual(s.train.images, expectedTrain)
        XCTAssertEqual(s.test.images, [px["test/a/0.png"]!, px["test/b/0.png"]!].flatMap { resize(rgbOfGray($0), 4, 5, 3, to: 3, 2) })
    }

    /// A folder of one size resized to its own size is the folder as decoded.
    func testResizeToTheOwnSizeChangesNothing() throws {
        let t = TempDir()
        let (root, _) = ImageFolderTests.folder(t)
        XCTAssertEqual(try ImageFolder.load(path: root, resize: .to(height: 4, width: 5)).train.images,
                       try ImageFolder.load(path: root).train.images)
    }

    // MARK: archives

    func testArchiveResizeAppliesToEverySplitIncludingValidation() throws {
        let t = TempDir()
        var a = NPZFixture.arrays(h: 5, w: 4)
        var g = FixtureBytes(17)
        let xv = g.bytes(3 * 5 * 4)
        a["x_val"] = NPZFixture.u8([3, 5, 4], xv)
        a["y_val"] = NPZFixture.i64([2, 0, 1])
        let p = NPZFixture.write(a, to: t.path + "/v.npz")
        let plain = try OwnData.load(path: p)
        let v = try XCTUnwrap(plain.validation)
        XCTAssertEqual([v.count, v.height, v.width, v.channels, v.numClasses], [3, 5, 4, 1, 3])
        XCTAssertEqual(v.images, xv)
        XCTAssertEqual(v.labels, [2, 0, 1])
        let r = try OwnData.load(path: p, resize: .to(height: 10, width: 2))
        XCTAssertEqual(r.train.images, plain.train.resized(height: 10, width: 2).images)
        XCTAssertEqual(r.test.images, (0..<plain.test.count).flatMap { n in
            resize(Array(plain.test.images[(n * 20)..<((n + 1) * 20)]), 5, 4, 1, to: 10, 2)
        })
        XCTAssertEqual(r.validation?.images, (0..<3).flatMap { n in resize(Array(xv[(n * 20)..<((n + 1) * 20)]), 5, 4, 1, to: 10, 2) })
        XCTAssertEqual([r.train.height, r.train.width], [10, 2])
    }

    func testValidationSplitRefusals() {
        let t = TempDir()
        var a = NPZFixture.arrays()
        a["x_val"] = NPZFixture.u8([0, 5, 4], [])
        a["y_val"] = NPZFixture.i64([])
        let p = NPZFixture.write(a, to: t.path + "/e.npz")
        XCTAssertThrowsError(try OwnData.load(path: p)) { e in
            XCTAssertTrue("\(e)".contains("empty split: x_val has 0 images"), "\(e)")
        }
        a["x_val"] = NPZFixture.u8([1, 5, 4], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20])
        a["y_val"] = NPZFixture.i64([3])
        NPZFixture.write(a, to: p)
        XCTAssertThrowsError(try OwnData.load(path: p)) { e in
            XCTAssertTrue("\(e)".contains("y_val: label out of range"), "\(e)")
        }
    }
}
