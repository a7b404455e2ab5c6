import CImageCodecs
import Datasets
import Foundation
import XCTest
@testable import Experiments

/// `data.resize` and an archive's own validation split (x_val, y_val) in specs, run ids,
/// feasibility, run files, execution and `repro data`.
final class ResizeSpecTests: XCTestCase {
    /// An image folder of grayscale PNGs of two sizes (8×8 and 12×10, alternating): 3 classes,
    /// class c bright in the c-th third of the rows, so that a resized image keeps its class.
    static func mixedFolder(_ root: URL, perClassTrain: Int = 12, perClassTest: Int = 4) {
        var state: UInt64 = 0x2545_F491_4F6C_DD1D
        func noise() -> UInt8 { state ^= state << 13; state ^= state >> 7; state ^= state << 17; return UInt8(state >> 60) }
        for (split, n) in [("train", perClassTrain), ("test", perClassTest)] {
            for c in 0..<3 {
                let dir = root.appendingPathComponent("\(split)/class\(c)")
                try! FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
                for i in 0..<n {
                    let (h, w) = i % 2 == 0 ? (8, 8) : (12, 10)
                    let px = (0..<(h * w)).map { p -> UInt8 in ((p / w) * 3 / h == c ? 200 : 30) + noise() }
                    var err = [CChar](repeating: 0, count: 256)
                    let path = dir.appendingPathComponent(String(format: "%03d.png", i)).path
                    precondition(ic_write_png(path, Int32(w), Int32(h), 1, px, &err, err.count) == 0, String(cString: err))
                }
            }
        }
    }

    static func spec(_ dataset: String, data: String = "", models: String = #""baseline", "dmn""#, filters: String = #""2""#) -> String {
        """
        {"name": "rs", "datasets": ["\(dataset)"], "models": [\(models)], "filters": [\(filters)], "seeds": [1],
         "training": {"epochs": 2, "batchSize": 8, "learningRate": 0.01}\(data.isEmpty ? "" : ", \"data\": {\(data)}")}
        """
    }

    func load(_ json: String, in dir: URL) throws -> ExperimentSpec {
        try SpecLoader.load(data: Data(json.utf8), file: dir.appendingPathComponent("s.json").path)
    }

    func refusal(_ json: String, in dir: URL, _ phrases: String..., line: UInt = #line) {
        XCTAssertThrowsError(try load(json, in: dir), line: line) { e in
            for p in phrases { XCTAssertTrue("\(e)".contains(p), "'\(e)' should say '\(p)'", line: line) }
        }
    }

    func testMixedFolderNeedsResize() throws {
        let dir = TestFiles.tempDir(self)
        Self.mixedFolder(dir.appendingPathComponent("shapes"))
        // data.resize unset, null, or a grid with null in it: refused, naming the file, the key and the form.
        for data in ["", #""resize": null"#, #""resize": ["8x8", null]"#] {
            refusal(Self.spec("./shapes", data: data), in: dir, "shapes/train/class0/001.png", "shapes/train/class0/000.png",
                    "data.resize", "\"HxW\"", "12×10 (height×width) differs from 8×8")
        }
        refusal(Self.spec("./shapes", data: #""resize": "8""#), in: dir, "data.resize", "found \"8\"", "\"HxW\"")
        refusal(Self.spec("./shapes", data: #""resize": [8, 8]"#), in: dir, "data.resize", "\"HxW\"")
        // An override gives the size: accepted.
        XCTAssertNoThrow(try load(Self.spec("./shapes").replacingOccurrences(of: "\"seeds\"", with: #""overrides": {"shapes": {"data": {"resize": "6x6"}}}, "seeds""#), in: dir))

        let spec = try load(Self.spec("./shapes", data: #""resize": ["8x8", "6x5"]"#), in: dir)
        let runs = spec.plannedRuns()
        XCTAssertEqual(runs.count, 4)
        XCTAssertEqual(Set(runs.map(\.run.data.resize)), [.to(height: 8, width: 8), .to(height: 6, width: 5)])
        XCTAssertEqual(Set(runs.map { $0.run.imageShape.width }), [8, 5])
        // Both sizes were read when the spec was loaded, and the runs see them.
        let r = try XCTUnwrap(runs.first { $0.run.data.resize == .to(height: 6, width: 5) && $0.run.model == .baseline })
        let splits = try DatasetCache.shared.splits(r.run.dataset, dataDirectory: URL(fileURLWithPath: "/nonexistent"),
                                                    labels: .fine, resize: r.run.data.resize)
        XCTAssertEqual([splits.train.count, splits.train.height, splits.train.width, splits.train.channels], [36, 6, 5, 1])
        // A run file records the size and the shape the model saw; the id survives the round trip.
        let data = try JSONEncoder().encode(r.run)
        let text = String(decoding: data, as: UTF8.self)
        XCTAssertTrue(text.contains("\"resize\":\"6x5\""), text)
        XCTAssertTrue(text.contains("\"dataset_shape\":[6,5,1,3]"), text)
        XCTAssertEqual(RunIdentity.id(of: try JSONDecoder().decode(ResolvedRun.self, from: data)), r.id)
        // And one trains.
        let outcome = try ModelRunExecutor().execute(r.run, dataDirectory: URL(fileURLWithPath: "/nonexistent"), threads: .serial, progress: { _ in })
        XCTAssertEqual(outcome.history.count, 2)
        XCTAssertTrue(outcome.testAccuracy.isFinite)
    }

    /// Defaults are left out of ids: no resize and `"resize": null` give today's ids; a size
    /// (even the images' own) gives new ones; built-in datasets ignore it.
    func testRunIds() throws {
        let dir = TestFiles.tempDir(self)
        StoredNPZ.write(StoredNPZ.dataset(), to: dir.appendingPathComponent("tiny.npz"))
        let plain = try load(Self.spec("tiny.npz"), in: dir).plannedRuns().map(\.id)
        XCTAssertEqual(try load(Self.spec("tiny.npz", data: #""resize": null"#), in: dir).plannedRuns().map(\.id), plain)
        let own = try load(Self.spec("tiny.npz", data: #""resize": "8x8""#), in: dir).plannedRuns()
        XCTAssertTrue(Set(own.map(\.id)).isDisjoint(with: plain))
        XCTAssertTrue(RunIdentity.canonicalJSON(of: own[0].run).contains("\"resize\":\"8x8\""))
        XCTAssertEqual(try load(Self.spec("fashion-mnist", data: #""resize": "10x10""#), in: dir).plannedRuns().map(\.id),
                       try load(Self.spec("fashion-mnist"), in: dir).plannedRuns().map(\.id))
    }

    /// The architecture is checked against the resized shape.
    func testFeasibilityUsesTheResizedShape() throws {
        let dir = TestFiles.tempDir(self)
        StoredNPZ.write(StoredNPZ.dataset(), to: dir.appendingPathComponent("tiny.npz"))
        // 8×8 allows one conv layer; 16×16 two (16 → 14 → 7 → 5 → 2).
        refusal(Self.spec("tiny.npz", filters: #""2,3""#), in: dir, "a 8×8 image allows at most 1 conv layers")
        XCTAssertNoThrow(try load(Self.spec("tiny.npz", data: #""resize": "16x16""#, filters: #""2,3""#), in: dir))
        refusal(Self.spec("tiny.npz", data: #""resize": "3x3""#), in: dir, "on tiny.npz resized to 3x3", "a 3×3 image")
    }

    /// An archive with x_val, y_val: validation on them (here x_val = x_test, so each epoch's
    /// validation accuracy must equal its test accuracy exactly), no data.validation beside them.
    func testArchiveValidationSplit() throws {
        let dir = TestFiles.tempDir(self)
        let plain = StoredNPZ.dataset()
        StoredNPZ.write(plain, to: dir.appendingPathComponent("tiny.npz"))
        let splits = try OwnData.load(path: dir.appendingPathComponent("tiny.npz").path)
        func member(_ d: ImageDataset) -> (x: [UInt8], y: [UInt8]) {
            (StoredNPZ.npy(descr: "|u1", shape: [d.count, d.height, d.width], data: d.images),
             StoredNPZ.npy(descr: "|u1", shape: [d.count], data: d.labels.map { UInt8($0) }))
        }
        let tr = member(splits.train), te = member(splits.test)
        StoredNPZ.write(StoredNPZ.zip([("x_train.npy", tr.x), ("y_train.npy", tr.y), ("x_test.npy", te.x), ("y_test.npy", te.y),
                                       ("x_val.npy", te.x), ("y_val.npy", te.y)]),
                        to: dir.appendingPathComponent("val.npz"))
        refusal(Self.spec("val.npz", data: #""validation": 0.2"#), in: dir, "data.validation", "found 0.2", "val.npz", "x_val, y_val")
        refusal(Self.spec("val.npz", data: #""validation": [0, 0.1]"#), in: dir, "data.validation", "x_val")
        // best-validation needs a split: the archive's own will do; tiny.npz has none.
        refusal(Self.spec("tiny.npz", data: #""selection": "best-validation""#), in: dir, "best-validation", "no validation split")
        let spec = try load(Self.spec("val.npz", data: #""selection": "best-validation""#), in: dir)
        XCTAssertEqual(spec.datasets.first?.source?.hasValidationSplit, true)
        for planned in spec.plannedRuns() {
            let outcome = try ModelRunExecutor().execute(planned.run, dataDirectory: URL(fileURLWithPath: "/nonexistent"), threads: .serial, progress: { _ in })
            XCTAssertEqual(outcome.history.count, 2)
            for e in outcome.history { XCTAssertEqual(e.validationAccuracy, e.testAccuracy, planned.run.model.rawValue) }
        }
        // Without x_val no validation accuracy is recorded.
        let run = try load(Self.spec("tiny.npz", models: #""baseline""#), in: dir).plannedRuns()[0].run
        let outcome = try ModelRunExecutor().execute(run, dataDirectory: URL(fileURLWithPath: "/nonexistent"), threads: .serial, progress: { _ in })
        XCTAssertTrue(outcome.history.allSatisfy { $0.validationAccuracy == nil })
    }

    /// Through the binary: `repro data --resize` shows the resized shape, `repro run` runs the
    /// folder and runs.csv has the resize column.
    func testDataCommandAndRun() throws {
        _ = try ReproBinary.require()
        let dir = TestFiles.tempDir(self)
        Self.mixedFolder(dir.appendingPathComponent("shapes"), perClassTrain: 6, perClassTest: 2)
        let refused = try ReproBinary.run(["data", "shapes"], cwd: dir)
        XCTAssertEqual(refused.status, 1)
        XCTAssertTrue(refused.stdout.contains("REFUSED") && refused.stdout.contains("data.resize"), refused.stdout)
        let listed = try ReproBinary.run(["data", "--resize", "6x7", "shapes"], cwd: dir)
        XCTAssertEqual(listed.status, 0, listed.stderr)
        XCTAssertTrue(listed.stdout.contains("images 6×7×1 uint8, 3 classes (resized to 6x7 by area averaging)"), listed.stdout)
        XCTAssertTrue(listed.stdout.contains("train 18, test 6"), listed.stdout)
        let bad = try ReproBinary.run(["data", "--resize", "6", "shapes"], cwd: dir)
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("--resize") && bad.stderr.contains("\"HxW\""), bad.stderr)
        TestFiles.write(Self.spec("./shapes", data: #""resize": "6x7""#, models: #""baseline""#), "s.json", in: dir)
        let r = try ReproBinary.run(["run", "s.json", "--out", "out", "--quiet"], cwd: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        let out = dir.appendingPathComponent("out")
        XCTAssertEqual(Set(Tables.column("resize", of: out).values), ["6x7"])
        XCTAssertEqual(Set(Tables.column("status", of: out).values), ["ok"])
    }
}
