@testable import Datasets
import Foundation
import XCTest

/// The real datasets, where present: Fashion-MNIST from the Debian package (or the data
/// directory), MNIST and CIFAR from $REPRO_DATA or ~/.cache/repro-data. Absent data is a skip.
final class RealDataTests: XCTestCase {
    private var dataDir: URL { DataDirectory.resolve(flag: nil) }

    private func require(_ name: DatasetName, _ files: [String]) throws {
        let dir: String
        if name == .fashionMNIST {
            let own = dataDir.appendingPathComponent("fashion-mnist").path
            dir = FileManager.default.fileExists(atPath: own) ? own : DataDirectory.systemFashionMNISTPath
        } else {
            dir = dataDir.appendingPathComponent(name == .mnist ? "mnist" : name == .cifar10 ? "cifar-10-batches-bin" : "cifar-100-binary").path
        }
        for f in files {
            let p = dir + "/" + f
            if !FileManager.default.fileExists(atPath: p) && !FileManager.default.fileExists(atPath: p + ".gz") {
                let how = name == .fashionMNIST ? "apt-get install -y dataset-fashion-mnist"
                                                : "`repro data` to see where to get it (on this project's machines: shared/data/materialize \(dataDir.path))"
                throw XCTSkip("\(name.rawValue) not found at \(dir) (no \(f)); run \(how)")
            }
        }
    }

    private func checkLabels(_ d: ImageDataset, _ numClasses: Int, perClass: Int? = nil) {
        XCTAssertEqual(d.numClasses, numClasses)
        XCTAssertEqual(d.images.count, d.count * d.imageSize)
        let counts = d.classCounts()  // preconditions every label is in 0..<numClasses
        XCTAssertTrue(counts.allSatisfy { $0 > 0 }, "every class present")
        if let perClass { XCTAssertEqual(counts, Array(repeating: perClass, count: numClasses)) }
    }

    func testFashionMNIST() throws {
        try require(.fashionMNIST, ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"])
        let start = Date()
        let s = try loadDataset(.fashionMNIST, from: dataDir)
        let seconds = Date().timeIntervalSince(start)
        print("Fashion-MNIST load (gz): \(String(format: "%.3f", seconds)) s")
        XCTAssertEqual(s.train.count, 60000)
        XCTAssertEqual(s.test.count, 10000)
        XCTAssertEqual([s.train.height, s.train.width, s.train.channels], [28, 28, 1])
        checkLabels(s.train, 10, perClass: 6000)
        checkLabels(s.test, 10, perClass: 1000)
        let sub = s.train.stratifiedSubset(fraction: 0.1, seed: 1)
        XCTAssertEqual(sub.classCounts(), Array(repeating: 600, count: 10))
    }

    func testMNIST() throws {
        try require(.mnist, ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"])
        let start = Date()
        let s = try loadDataset(.mnist, from: dataDir)
        print("MNIST load: \(String(format: "%.3f", Date().timeIntervalSince(start))) s")
        XCTAssertEqual(s.train.count, 60000)
        XCTAssertEqual(s.test.count, 10000)
        checkLabels(s.train, 10)
        checkLabels(s.test, 10)
        let t0 = Date()
        let st = s.train.channelStatistics()
        print("MNIST channelStatistics: \(String(format: "%.3f", Date().timeIntervalSince(t0))) s")
        // Reference: exact rational arithmetic over the 47 040 000 training bytes (Σv / (255·N) and the population std),
        // printed to 17 digits. The kernel sums a 256-bin histogram in Double (≤ 512ε relative) and rounds to Float (≤ u).
        let relative = Double(Float.ulpOfOne) / 2 + 512 * Double.ulpOfOne
        XCTAssertEqual(Double(st.mean[0]), 0.13066047627384286, accuracy: relative * 0.13066047627384286)
        XCTAssertEqual(Double(st.std[0]), 0.3081078038564627, accuracy: relative * 0.3081078038564627)
    }

    func testCIFAR10() throws {
        try require(.cifar10, DatasetLayoutNames.cifar10)
        let start = Date()
        let s = try loadDataset(.cifar10, from: dataDir)
        print("CIFAR-10 load: \(String(format: "%.3f", Date().timeIntervalSince(start))) s")
        XCTAssertEqual(s.train.count, 50000)
        XCTAssertEqual(s.test.count, 10000)
        XCTAssertEqual([s.train.height, s.train.width, s.train.channels], [32, 32, 3])
        checkLabels(s.train, 10, perClass: 5000)
        checkLabels(s.test, 10, perClass: 1000)
    }

    func testCIFAR100() throws {
        try require(.cifar100, ["train.bin", "test.bin"])
        let start = Date()
        let fine = try loadDataset(.cifar100, from: dataDir)
        print("CIFAR-100 load: \(String(format: "%.3f", Date().timeIntervalSince(start))) s")
        XCTAssertEqual(fine.train.count, 50000)
        XCTAssertEqual(fine.test.count, 10000)
        checkLabels(fine.train, 100, perClass: 500)
        checkLabels(fine.test, 100, perClass: 100)
        let coarse = try loadDataset(.cifar100, from: dataDir, cifar100Labels: .coarse)
        checkLabels(coarse.train, 20, perClass: 2500)
        XCTAssertEqual(coarse.test.images, fine.test.images)
    }

    func testInventory() throws {
        try require(.mnist, ["train-images-idx3-ubyte"])
        let start = Date()
        let reports = datasetInventory(dataDir: dataDir)
        print("inventory: \(String(format: "%.3f", Date().timeIntervalSince(start))) s")
        for r in reports where r.found {
            XCTAssertTrue(r.isUsable, "\(r.name): \(r.problems)")
            XCTAssertEqual(r.trainCount, r.name == .mnist || r.name == .fashionMNIST ? 60000 : 50000)
            XCTAssertEqual(r.testCount, 10000)
            XCTAssertTrue(r.files.allSatisfy { $0.crc32.count == 8 })
        }
        XCTAssertTrue(reports[0].found)
    }
}

enum DatasetLayoutNames {
    static let cifar10 = (1...5).map { "data_batch_\($0).bin" } + ["test_batch.bin"]
}
