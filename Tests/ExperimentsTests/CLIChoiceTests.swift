import ArgumentParser
import Datasets
import Foundation
import XCTest
@testable import Experiments
import Models
@testable import ReproCLI

/// The options that take one of a fixed set of values are parsed by the argument parser into
/// their types: `--help` lists the values, and a bad value is refused with the parser's error,
/// which names the option and the values allowed. The expected lists are written out here.
final class CLIChoiceTests: XCTestCase {
    /// The parser's error message for `args`, or nil when they parse.
    func refusal(_ args: [String]) -> String? {
        do { _ = try ReproCommand.parseAsRoot(args); return nil } catch { return ReproCommand.message(for: error) }
    }

    func parsed<C: ParsableCommand>(_ args: [String], as: C.Type) throws -> C {
        try XCTUnwrap(try ReproCommand.parseAsRoot(args) as? C)
    }

    /// Help text with its line wrapping undone.
    func help(_ command: ParsableCommand.Type) -> String {
        ReproCommand.helpMessage(for: command, columns: 200).split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }

    func assertRefused(_ args: [String], option: String, values: String, file: StaticString = #filePath, line: UInt = #line) {
        guard let message = refusal(args) else { return XCTFail("\(args) parsed", file: file, line: line) }
        XCTAssertTrue(message.contains("The value '\(args.last!)' is invalid for '\(option) <"), message, file: file, line: line)
        XCTAssertTrue(message.contains("Please provide one of \(values)."), message, file: file, line: line)
    }

    func testWeights() throws {
        XCTAssertEqual(try parsed(["run", "s.json"], as: RunCommand.self).execution.weights, .auto)
        XCTAssertEqual(try parsed(["run", "s.json", "--weights", "none"], as: RunCommand.self).execution.weights, WeightSaving.none)
        XCTAssertEqual(try parsed(["sweep", "--param", "tpc", "--weights", "all"], as: SweepCommand.self).execution.weights, .all)
        assertRefused(["run", "s.json", "--weights", "some"], option: "--weights", values: "'auto', 'all' or 'none'")
        assertRefused(["run", "s.json", "--weights", "None"], option: "--weights", values: "'auto', 'all' or 'none'")
        XCTAssertTrue(help(RunCommand.self).contains("(values: auto, all, none; default: auto)"), help(RunCommand.self))
    }

    func testSweepParam() throws {
        XCTAssertEqual(try parsed(["sweep", "--param", "tfrac"], as: SweepCommand.self).param.key, "tfrac")
        XCTAssertEqual(try parsed(["sweep", "--param", "filters"], as: SweepCommand.self).param.key, "filters")
        assertRefused(["sweep", "--param", "speed"], option: "--param", values: "'tpc', 'tv', 'tfrac' or 'filters'")
        // A parameter of the table that is not swept.
        assertRefused(["sweep", "--param", "tpc2"], option: "--param", values: "'tpc', 'tv', 'tfrac' or 'filters'")
        assertRefused(["sweep", "--param", "epochs"], option: "--param", values: "'tpc', 'tv', 'tfrac' or 'filters'")
        XCTAssertTrue(help(SweepCommand.self).contains("(values: tpc, tv, tfrac, filters)"), help(SweepCommand.self))
    }

    /// `--dataset` took the four built-in names and nothing else (no path) before it was typed;
    /// it takes the same now.
    func testSweepDataset() throws {
        for name in ["mnist", "fashion-mnist", "cifar10", "cifar100"] {
            let c = try parsed(["sweep", "--param", "tpc", "--dataset", name], as: SweepCommand.self)
            XCTAssertEqual(c.dataset?.rawValue, name)
            XCTAssertTrue(c.dataset?.isBuiltin ?? false)
        }
        XCTAssertNil(try parsed(["sweep", "--param", "tpc"], as: SweepCommand.self).dataset)
        let all = "'mnist', 'fashion-mnist', 'cifar10' or 'cifar100'"
        assertRefused(["sweep", "--param", "tpc", "--dataset", "imagenet"], option: "--dataset", values: all)
        assertRefused(["sweep", "--param", "tpc", "--dataset", "data/own.npz"], option: "--dataset", values: all)
        XCTAssertTrue(help(SweepCommand.self).contains("(values: mnist, fashion-mnist, cifar10, cifar100)"), help(SweepCommand.self))
    }

    /// Without --dataset the sweep takes the spec's first dataset; one given by path is refused
    /// by name, with the built-in names that --dataset takes.
    func testSweepOfASpecWhoseFirstDatasetIsAPath() throws {
        let dir = TestFiles.tempDir(self, "sweep-path")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("data"), withIntermediateDirectories: true)
        StoredNPZ.write(StoredNPZ.dataset(), to: dir.appendingPathComponent("data/tiny.npz"))
        let spec = TestFiles.write(#"{"name": "own", "datasets": ["data/tiny.npz", "mnist"], "models": ["dmn"]}"#, "own.json", in: dir)
        XCTAssertThrowsError(try Sweep.makeSpec(specPath: spec.path, param: SweepParameter("tpc")!, values: nil, dataset: nil)) { e in
            let message = String(describing: e)
            XCTAssertTrue(message.contains("--dataset"), message)
            XCTAssertTrue(message.contains("\"tiny.npz\" is given by path"), message)
            XCTAssertTrue(message.contains("\"mnist\", \"fashion-mnist\", \"cifar10\", \"cifar100\""), message)
        }
        XCTAssertEqual(try Sweep.makeSpec(specPath: spec.path, param: SweepParameter("tv")!, values: nil, dataset: .mnist).datasets, [.mnist])
    }

    func testBenchConvAlgorithm() throws {
        XCTAssertEqual(try parsed(["bench"], as: BenchCommand.self).convAlgorithm, .auto)
        XCTAssertNil(try parsed(["bench", "--conv-algorithm", "auto"], as: BenchCommand.self).convAlgorithm.algorithm)
        XCTAssertEqual(try parsed(["bench", "--conv-algorithm", "direct"], as: BenchCommand.self).convAlgorithm.algorithm, .direct)
        XCTAssertEqual(try parsed(["bench", "--conv-algorithm", "gemm"], as: BenchCommand.self).convAlgorithm.algorithm, .gemm)
        assertRefused(["bench", "--conv-algorithm", "fft"], option: "--conv-algorithm", values: "'auto', 'direct' or 'gemm'")
        XCTAssertTrue(help(BenchCommand.self).contains("(values: auto, direct, gemm; default: auto)"), help(BenchCommand.self))
    }

    /// The binary exits with the usage status (64) and the parser's message on stderr.
    func testBadChoiceThroughTheBinary() throws {
        let r = try ReproBinary.run(["sweep", "--param", "speed", "--dry-run"])
        XCTAssertEqual(r.status, 64, r.stderr)
        XCTAssertTrue(r.stderr.contains("The value 'speed' is invalid for '--param <name>'. Please provide one of 'tpc', 'tv', 'tfrac' or 'filters'."),
                      r.stderr)
    }
}
