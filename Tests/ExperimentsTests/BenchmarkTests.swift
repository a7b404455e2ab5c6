import XCTest
import Datasets
@testable import Experiments
import Models
import Numerics

/// `repro bench`'s measurements on a small generated data set: they must report the work
/// they were asked to time (not the speed, which lives in benchmarks/RESULTS.md).
final class BenchmarkTests: XCTestCase {
    /// Each class brightens its own band of rows, so the classes differ in patch space.
    func blobs(count: Int, side: Int, classes: Int) -> ImageDataset {
        ThreadLayoutTests.blobs(count: count, side: side, classes: classes, seed: 7)
    }

    func testPerLayerDMNBuildReportsEachLayerOfTheConfig() throws {
        let data = blobs(count: 200, side: 16, classes: 4)
        let layers = try measureDMNBuildPerLayer(config: [4, 6], data: data, tfrac: 0.5, repeats: 2, threads: .run(threads: 2))
        XCTAssertEqual(layers.map(\.task), ["dmn-build-4,6-layer1", "dmn-build-4,6-layer2"])
        XCTAssertEqual(layers.map(\.layer), [1, 2])
        XCTAssertEqual(layers.map(\.filters), [4, 6])
        XCTAssertEqual(layers.map(\.images), [100, 100])
        for l in layers { XCTAssertGreaterThan(l.seconds, 0); XCTAssertEqual(l.config, "4,6") }
    }

    func testThroughputRunsWithEitherConvAlgorithmAndNamesTheKernels() throws {
        let data = blobs(count: 128, side: 16, classes: 4)
        for algorithm in ConvBlockAlgorithm.allCases {
            let r = try measureThroughput(config: [4, 6], data: data, images: 128, repeats: 1, algorithm: algorithm, threads: .run(threads: 2))
            XCTAssertEqual(r.config, "4,6")
            XCTAssertEqual(r.images, 128)
            XCTAssertEqual(r.threads, 2, "the layout's workers")
            XCTAssertGreaterThan(r.trainImagesPerSecond, 0)
            XCTAssertEqual(r.blasCore, OpenBLASCore.current)
            let json = String(decoding: try JSONEncoder().encode(r), as: UTF8.self)
            XCTAssertTrue(json.contains("\"blas_core\""), json)
            XCTAssertTrue(json.contains("\"vector_isa\":\"\(VectorISA.best.name)\""), json)
        }
    }

    /// The end-to-end comparison times a DMN whose features are cached once (7×7×4 floats
    /// per 16×16 image here) and a ConvNet on the same images; a DMN that cannot be built is
    /// reported with its reason, not dropped.
    func testEndToEndTimesBothModelsAndCachesTheDMNFeatures() throws {
        let data = blobs(count: 128, side: 16, classes: 4)
        let r = try measureEndToEnd(config: [4], data: data, dataset: .fashionMNIST, images: 128, epochs: 2, repeats: 2, threads: .run(threads: 2))
        XCTAssertEqual(r.config, "4")
        XCTAssertEqual(r.images, 128)
        XCTAssertEqual(r.tfrac, 0.3)
        XCTAssertNil(r.dmnError)
        XCTAssertEqual(r.featureCacheMiB ?? 0, Double(128 * 7 * 7 * 4 * 4) / Double(1 << 20))   // bytes / 2²⁰: exact
        XCTAssertGreaterThan(r.dmnBuildSeconds ?? 0, 0)
        XCTAssertGreaterThan(r.dmnFeatureSeconds ?? 0, 0)
        XCTAssertGreaterThanOrEqual(r.dmnTrainSeconds ?? 0, r.dmnFeatureSeconds ?? .infinity)
        XCTAssertGreaterThan(r.convnetSeconds, 0)
        XCTAssertEqual(r.speedup ?? 0, r.convnetSeconds / (r.dmnTotalSeconds ?? .nan))   // the same Double division: exact

        // 4 classes × 9 eigenvectors of 3×3 grayscale patches cannot give 40 filters.
        let failed = try measureEndToEnd(config: [40], data: data, dataset: .fashionMNIST, images: 128, epochs: 1, repeats: 1, threads: .serial)
        XCTAssertNotNil(failed.dmnError)
        XCTAssertNil(failed.dmnTotalSeconds)
        XCTAssertNil(failed.speedup)
        XCTAssertGreaterThan(failed.convnetSeconds, 0)
    }
}
