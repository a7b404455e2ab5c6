import Datasets
import Foundation
import XCTest
@testable import Experiments

/// A stored (uncompressed) .npz written byte by byte: the .npy format (NEP 1) inside a plain
/// zip. Stored members keep each pixel at a fixed offset of the file, so a test can change one
/// byte of the data and keep the archive valid.
enum StoredNPZ {
    static func npy(descr: String, shape: [Int], data: [UInt8]) -> [UInt8] {
        let shapeText = "(" + shape.map(String.init).joined(separator: ", ") + (shape.count == 1 ? ",)" : ")")
        var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shapeText), }"
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        let n = header.utf8.count
        return [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(n & 0xFF), UInt8(n >> 8)] + Array(header.utf8) + data
    }

    static func le16(_ v: Int) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF)] }
    static func le32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * UInt32($0))) } }

    /// CRC-32 (IEEE, reflected 0xEDB88320), bit by bit.
    static func crc32(_ b: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for x in b {
            c ^= UInt32(x)
            for _ in 0..<8 { c = c & 1 != 0 ? (c >> 1) ^ 0xEDB8_8320 : c >> 1 }
        }
        return ~c
    }

    static func zip(_ members: [(String, [UInt8])]) -> [UInt8] {
        var out: [UInt8] = [], central: [UInt8] = []
        for (name, data) in members {
            let offset = out.count, nb = Array(name.utf8), crc = crc32(data)
            out += le32(0x0403_4b50) + le16(20) + le16(0) + le16(0) + le16(0) + le16(0x21) + le32(crc)
                + le32(UInt32(data.count)) + le32(UInt32(data.count)) + le16(nb.count) + le16(0) + nb + data
            central += le32(0x0201_4b50) + le16(20) + le16(20) + le16(0) + le16(0) + le16(0) + le16(0x21) + le32(crc)
                + le32(UInt32(data.count)) + le32(UInt32(data.count)) + le16(nb.count) + le16(0) + le16(0) + le16(0) + le16(0)
                + le32(0) + le32(UInt32(offset)) + nb
        }
        let cd = out.count
        out += central
        out += le32(0x0605_4b50) + le16(0) + le16(0) + le16(members.count) + le16(members.count)
            + le32(UInt32(central.count)) + le32(UInt32(cd)) + le16(0)
        return out
    }

    /// k classes of 8×8 images: class c is a bright c-th row plus a little deterministic noise,
    /// so that the models can learn it.
    static func dataset(k: Int = 3, train: Int = 60, test: Int = 30, h: Int = 8, w: Int = 8,
                        testLabels: [UInt8]? = nil) -> [UInt8] {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func noise() -> UInt8 { state ^= state << 13; state ^= state >> 7; state ^= state << 17; return UInt8(state >> 59) }
        func images(_ labels: [UInt8]) -> [UInt8] {
            var px: [UInt8] = []
            for l in labels { for y in 0..<h { for _ in 0..<w { px.append((y % k == Int(l) ? 200 : 20) + noise()) } } }
            return px
        }
        let ytr = (0..<train).map { UInt8($0 % k) }, yte = testLabels ?? (0..<test).map { UInt8($0 % k) }
        return zip([
            ("x_train.npy", npy(descr: "|u1", shape: [ytr.count, h, w], data: images(ytr))),
            ("y_train.npy", npy(descr: "|u1", shape: [ytr.count], data: ytr)),
            ("x_test.npy", npy(descr: "|u1", shape: [yte.count, h, w], data: images(yte))),
            ("y_test.npy", npy(descr: "|u1", shape: [yte.count], data: yte)),
        ])
    }

    static func write(_ bytes: [UInt8], to url: URL) {
        try! FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try! Data(bytes).write(to: url)
    }
}

final class OwnDataSpecTests: XCTestCase {
    static func spec(_ dataset: String, filters: [String] = ["2"], extra: String = "") -> String {
        """
        {"name": "own", "datasets": ["\(dataset)"], "models": ["dmn", "convnet", "baseline"],
         "filters": [\(filters.map { "\"\($0)\"" }.joined(separator: ", "))], "seeds": [1, 2],
         "training": {"epochs": 2, "batchSize": 16, "learningRate": 0.01}\(extra)}
        """
    }

    func sha256sum(_ url: URL) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
        p.arguments = [url.path]
        let pipe = Pipe()
        p.standardOutput = pipe
        try p.run()
        p.waitUntilExit()
        return String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).split(separator: " ").first.map(String.init) ?? ""
    }

    func testPathResolvedAgainstTheSpecAndHashedIntoTheId() throws {
        let dir = TestFiles.tempDir(self)
        let data = dir.appendingPathComponent("data/tiny.npz")
        StoredNPZ.write(StoredNPZ.dataset(), to: data)
        let specURL = TestFiles.write(Self.spec("data/tiny.npz"), "own.json", in: dir)
        let spec = try SpecLoader.load(path: specURL.path)
        let d = try XCTUnwrap(spec.datasets.first)
        XCTAssertEqual(d.rawValue, "tiny.npz")
        XCTAssertFalse(d.isBuiltin)
        // The hash is the file's SHA-256, as sha256sum (an independent implementation) prints it.
        XCTAssertEqual(d.contentHash, try sha256sum(data))
        XCTAssertEqual(d.source?.path, data.standardizedFileURL.path)
        XCTAssertEqual(d.imageShape.height, 8)
        let runs = spec.plannedRuns()
        XCTAssertEqual(runs.count, 6)
        XCTAssertTrue(RunIdentity.canonicalJSON(of: runs[0].run).contains("\"dataset_hash\":\"\(d.contentHash!)\""))

        // The same bytes elsewhere, by an absolute path: the same ids.
        let moved = dir.appendingPathComponent("elsewhere/tiny.npz")
        StoredNPZ.write(StoredNPZ.dataset(), to: moved)
        let same = try SpecLoader.load(data: Data(Self.spec(moved.path).utf8), file: "/nonexistent/own.json")
        XCTAssertEqual(same.plannedRuns().map(\.id), runs.map(\.id))

        // One byte of one pixel changed (the archive stays valid): every id changes.
        var bytes = StoredNPZ.dataset()
        let pixel = bytes.count / 3   // inside x_train's pixels
        bytes[pixel] ^= 1
        // The CRC of the member must follow, or the archive would be refused as corrupt.
        let changed = dir.appendingPathComponent("changed/tiny.npz")
        StoredNPZ.write(rebuiltWithCRC(bytes), to: changed)
        let other = try SpecLoader.load(data: Data(Self.spec(changed.path).utf8), file: "x.json")
        XCTAssertEqual(other.plannedRuns().count, runs.count)
        XCTAssertTrue(Set(other.plannedRuns().map(\.id)).isDisjoint(with: Set(runs.map(\.id))))
    }

    /// Re-zips the members of a stored archive (recomputing their CRCs).
    func rebuiltWithCRC(_ bytes: [UInt8]) -> [UInt8] {
        var members: [(String, [UInt8])] = []
        var p = 0
        func u16(_ o: Int) -> Int { Int(bytes[o]) | Int(bytes[o + 1]) << 8 }
        func u32(_ o: Int) -> Int { u16(o) | u16(o + 2) << 16 }
        while u32(p) == 0x0403_4b50 {
            let size = u32(p + 18), nl = u16(p + 26), xl = u16(p + 28)
            let name = String(decoding: bytes[(p + 30)..<(p + 30 + nl)], as: UTF8.self)
            let start = p + 30 + nl + xl
            members.append((name, Array(bytes[start..<(start + size)])))
            p = start + size
        }
        return StoredNPZ.zip(members)
    }

    func testOverridesByFileNameAndRunFileRoundTrip() throws {
        let dir = TestFiles.tempDir(self)
        StoredNPZ.write(StoredNPZ.dataset(), to: dir.appendingPathComponent("tiny.npz"))
        let json = Self.spec("tiny.npz", extra: #", "overrides": {"tiny.npz": {"filters": ["3"]}}"#)
        let spec = try SpecLoader.load(path: TestFiles.write(json, "o.json", in: dir).path)
        let runs = spec.plannedRuns()
        XCTAssertEqual(Set(runs.filter { $0.run.model != .baseline }.map(\.run.filters)), [[3]])
        // A run file keeps the name, hash, the path as written and the shape; the id survives.
        let data = try JSONEncoder().encode(runs[0].run)
        let text = String(decoding: data, as: UTF8.self)
        XCTAssertTrue(text.contains("\"dataset_path\":\"tiny.npz\""), text)
        let back = try JSONDecoder().decode(ResolvedRun.self, from: data)
        XCTAssertEqual(RunIdentity.id(of: back), runs[0].id)
        XCTAssertEqual(back.dataset.imageShape.width, 8)
        XCTAssertEqual(back.dataset.source?.numClasses, 3)
    }

    func testBadDataIsRefusedBeforeAnyRun() throws {
        let dir = TestFiles.tempDir(self)
        // Class 2 has no test images.
        StoredNPZ.write(StoredNPZ.dataset(testLabels: [0, 1, 0, 1]), to: dir.appendingPathComponent("bad.npz"))
        let url = TestFiles.write(Self.spec("bad.npz"), "bad.json", in: dir)
        XCTAssertThrowsError(try SpecLoader.load(path: url.path)) { e in
            let text = "\(e)"
            XCTAssertTrue(text.contains(dir.appendingPathComponent("bad.npz").path), text)
            XCTAssertTrue(text.contains("class 2 has no test images"), text)
        }
        XCTAssertThrowsError(try SpecLoader.load(data: Data(Self.spec("missing/none.npz").utf8), file: url.path)) { e in
            XCTAssertTrue("\(e)".contains("none.npz: no such file"), "\(e)")
        }
        XCTAssertThrowsError(try SpecLoader.load(data: Data(Self.spec("mnist-typo").utf8), file: url.path)) { e in
            XCTAssertTrue("\(e)".contains("or a path to a NumPy archive"), "\(e)")
        }
    }

    /// An 8×8 image allows one 3×3 conv + 2×2 pool layer; two are refused, naming the image size.
    func testArchitectureMustFitTheImageSize() throws {
        let dir = TestFiles.tempDir(self)
        StoredNPZ.write(StoredNPZ.dataset(), to: dir.appendingPathComponent("tiny.npz"))
        XCTAssertNoThrow(try SpecLoader.load(data: Data(Self.spec("tiny.npz", filters: ["4"]).utf8), file: dir.appendingPathComponent("s.json").path))
        let url = TestFiles.write(Self.spec("tiny.npz", filters: ["2,3"]), "s.json", in: dir)
        XCTAssertThrowsError(try SpecLoader.load(path: url.path)) { e in
            let text = "\(e)"
            XCTAssertTrue(text.contains("on tiny.npz"), text)
            XCTAssertTrue(text.contains("a 8×8 image allows at most 1 conv layers"), text)
        }
    }

    /// Through the binary: the runs work, runs.csv names the dataset and its hash, the report
    /// has its Fig. 3 table, and `repro data PATH` lists it.
    func testRunReportAndDataCommand() throws {
        _ = try ReproBinary.require()
        let dir = TestFiles.tempDir(self)
        let data = dir.appendingPathComponent("tiny.npz")
        StoredNPZ.write(StoredNPZ.dataset(), to: data)
        TestFiles.write(Self.spec("tiny.npz"), "own.json", in: dir)
        let r = try ReproBinary.run(["run", "own.json", "--out", "out", "--quiet"], cwd: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        let out = dir.appendingPathComponent("out")
        let ds = Tables.column("dataset", of: out), hash = Tables.column("dataset_hash", of: out)
        XCTAssertEqual(Set(ds.values), ["tiny.npz"])
        XCTAssertEqual(Set(hash.values), [try sha256sum(data)])
        for (id, s) in Tables.column("status", of: out) { XCTAssertEqual(s, "ok", id) }
        let rep = try ReproBinary.run(["report", "out"], cwd: dir)
        XCTAssertEqual(rep.status, 0, rep.stderr)
        let report = try String(contentsOf: out.appendingPathComponent("REPORT.md"), encoding: .utf8)
        XCTAssertTrue(report.contains("tiny.npz"), report)
        let listing = try ReproBinary.run(["data", data.path], cwd: dir)
        XCTAssertEqual(listing.status, 0, listing.stderr)
        XCTAssertTrue(listing.stdout.contains("images 8×8×1 uint8, 3 classes"), listing.stdout)
        XCTAssertTrue(listing.stdout.contains("train 60, test 30"), listing.stdout)
        XCTAssertTrue(listing.stdout.contains("sha256 " + (try sha256sum(data))), listing.stdout)
        StoredNPZ.write(StoredNPZ.dataset(testLabels: [0, 1]), to: data)
        let refused = try ReproBinary.run(["data", data.path], cwd: dir)
        XCTAssertEqual(refused.status, 1)
        XCTAssertTrue(refused.stdout.contains("REFUSED") && refused.stdout.contains("class 2 has no test images"), refused.stdout)
    }

    /// An image folder's hash covers its files' relative paths and bytes: one changed byte, a
    /// renamed file or a file moved to another class changes it; copying the folder does not.
    func testImageFolderHashCoversNamesAndBytes() throws {
        let dir = TestFiles.tempDir(self)
        func make(_ root: String, _ edit: (URL) throws -> Void = { _ in }) throws -> String {
            let r = dir.appendingPathComponent(root)
            for (split, cls, file) in [("train", "a", "0.png"), ("train", "b", "0.png"), ("test", "a", "1.png"), ("test", "b", "1.png")] {
                let d = r.appendingPathComponent("\(split)/\(cls)")
                try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
                try Data((0..<50).map { UInt8(($0 * 7 + cls.count + split.count) & 0xFF) }).write(to: d.appendingPathComponent(file))
            }
            try edit(r)
            return try OwnDataResolver.contentHash(path: r.path)
        }
        let base = try make("f1")
        XCTAssertEqual(try make("f2"), base)
        XCTAssertEqual(base.count, 64)
        XCTAssertNotEqual(try make("f3") { r in
            let f = r.appendingPathComponent("train/a/0.png")
            var b = [UInt8](try Data(contentsOf: f)); b[20] ^= 1
            try Data(b).write(to: f)
        }, base)
        XCTAssertNotEqual(try make("f4") { r in
            try FileManager.default.moveItem(at: r.appendingPathComponent("train/a/0.png"), to: r.appendingPathComponent("train/a/2.png"))
        }, base)
    }

    /// Fashion-MNIST written as .npz from the IDX files gives bit-identical accuracies to the
    /// IDX path on the same spec (the same bytes in the same order; the dataset's name and hash
    /// enter the run id, not any computation).
    func testFashionMNISTArchiveGivesBitIdenticalAccuracies() throws {
        try FashionMNIST.require()
        _ = try ReproBinary.require()
        let dir = TestFiles.tempDir(self)
        let idx = try loadDataset(.fashionMNIST, from: URL(fileURLWithPath: "/nonexistent"))
        func u8(_ d: ImageDataset) -> (x: [UInt8], y: [UInt8]) {
            (StoredNPZ.npy(descr: "|u1", shape: [d.count, 28, 28], data: d.images),
             StoredNPZ.npy(descr: "|u1", shape: [d.count], data: d.labels.map { UInt8($0) }))
        }
        let tr = u8(idx.train), te = u8(idx.test)
        StoredNPZ.write(StoredNPZ.zip([("x_train.npy", tr.x), ("y_train.npy", tr.y), ("x_test.npy", te.x), ("y_test.npy", te.y)]),
                        to: dir.appendingPathComponent("fashion-mnist.npz"))
        func spec(_ name: String, _ dataset: String) -> String {
            """
            {"name": "\(name)", "datasets": ["\(dataset)"], "models": ["dmn", "convnet", "baseline", "pca"],
             "filters": ["4"], "seeds": [1],
             "dmn": {"tpc": 0.9, "tv": 0.98, "tfrac": 0.3, "filterCount": "fixed"},
             "training": {"optimizer": "adam", "learningRate": 0.01, "batchSize": 32, "epochs": 1},
             "data": {"trainLimit": 500, "testLimit": 200}}
            """
        }
        TestFiles.write(spec("idx", "fashion-mnist"), "idx.json", in: dir)
        TestFiles.write(spec("npz", "fashion-mnist.npz"), "npz.json", in: dir)
        for s in ["idx", "npz"] {
            let r = try ReproBinary.run(["run", "\(s).json", "--out", s, "--quiet", "--jobs", "1"], cwd: dir)
            XCTAssertEqual(r.status, 0, r.stderr)
        }
        func accuracies(_ s: String) -> [String: [String]] {
            let out = dir.appendingPathComponent(s)
            let model = Tables.column("model", of: out), train = Tables.column("train_acc", of: out), test = Tables.column("test_acc", of: out)
            return Dictionary(uniqueKeysWithValues: model.map { id, m in (m, [train[id]!, test[id]!]) })
        }
        let a = accuracies("idx"), b = accuracies("npz")
        XCTAssertEqual(a.count, 4)
        // Exact equality of the printed numbers (CSVTable prints the shortest round-tripping
        // form, so equal strings are equal bits).
        XCTAssertEqual(a, b)
        XCTAssertEqual(Set(Tables.column("dataset", of: dir.appendingPathComponent("npz")).values), ["fashion-mnist.npz"])
    }
}
