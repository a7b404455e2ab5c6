import XCTest
import Datasets
@testable import Experiments
import Models
import Numerics

/// `repro bench`'s measurements on a small generated data set: they must report the work
/// they were asked to time (not the speed, which lives in benchmarks/RESULTS.md).
final class BenchmarkTests: XCTestCase {
    func blobs(count: Int, side: Int, classes: Int) -> ImageDataset {
        var rng = SeededRandom(seed: 7)
        var images = [UInt8](repeating: 0, count: count * side * side)
        for i in 0..<count {
            // Each class brightens its own band of rows, so the classes differ in patch space.
            let c = i % classes
            for y in 0..<side { for x in 0..<side {
                let band = (y * classes / side) == c ? 160.0 : 30.0
                images[(i * side + y) * side + x] = UInt8(min(255, max(0, band + 40 * rng.nextGaussian())))
            } }
        }
        return ImageDataset(images: images, labels: (0..<count).map { Int32($0 % classes) }, height: side, width: side,
                            channels: 1, numClasses: classes)
    }

    func testPerLayerDMNBuildReportsEachLayerOfTheConfig() throws {
        let data = blobs(count: 200, side: 16, classes: 4)
        let layers = try measureDMNBuildPerLayer(config: [4, 6], data: data, tfrac: 0.5, repeats: 2)
        XCTAssertEqual(layers.map(\.task), ["dmn-build-4,6-layer1", "dmn-build-4,6-layer2"])
        XCTAssertEqual(layers.map(\.layer), [1, 2])
        XCTAssertEqual(layers.map(\.filters), [4, 6])
        XCTAssertEqual(layers.map(\.images), [100, 100])
        for l in layers { XCTAssertGreaterThan(l.seconds, 0); XCTAssertEqual(l.config, "4,6") }
    }

    func testThroughputRunsWithEitherConvAlgorithmAndNamesTheKernels() throws {
        let data = blobs(count: 128, side: 16, classes: 4)
        for algorithm in ConvBlockAlgorithm.allCases {
            let r = try measureThroughput(config: [4, 6], data: data, images: 128, repeats: 1, algorithm: algorithm)
            XCTAssertEqual(r.config, "4,6")
            XCTAssertEqual(r.images, 128)
            XCTAssertGreaterThan(r.trainImagesPerSecond, 0)
            XCTAssertEqual(r.blasCore, OpenBLASCore.current)
            let json = String(decoding: try JSONEncoder().encode(r), as: UTF8.self)
            XCTAssertTrue(json.contains("\"blas_core\""), json)
        }
    }
}
