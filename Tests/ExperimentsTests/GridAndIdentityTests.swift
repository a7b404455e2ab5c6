import Foundation
import XCTest
@testable import Experiments

final class GridAndIdentityTests: XCTestCase {
    func load(_ json: String) throws -> ExperimentSpec { try SpecLoader.load(data: Data(json.utf8), file: "grid.json") }

    func testDefaultsComeFromRunContract() throws {
        let s = try load(#"{"name": "d", "datasets": ["mnist"], "models": ["dmn"]}"#)
        let runs = s.plannedRuns()
        XCTAssertEqual(runs.count, 1)
        var expected = ResolvedRun()
        expected.dataset = .mnist
        XCTAssertEqual(runs[0].run, expected)
    }

    func testCartesianProductCounts() throws {
        let s = try load("""
        {"name": "g", "datasets": ["mnist", "cifar10"], "models": ["dmn", "hybrid"], "filters": ["4", "4,15"], "seeds": [1, 2, 3],
         "dmn": {"tpc": [0.5, 0.7, 0.9], "tv": [[0.9], [0.95, 0.99]], "centre": [false, true]},
         "training": {"optimizer": {"grid": ["sgd", "adam"]}}}
        """)
        XCTAssertEqual(s.plannedRuns().count, 2 * 2 * 2 * 3 * 3 * 2 * 2 * 2)
    }

    func testPerLayerTvIsOneValue() throws {
        let one = try load(#"{"name": "g", "datasets": ["mnist"], "models": ["dmn"], "dmn": {"tv": [0.95, 0.99]}}"#).plannedRuns()
        XCTAssertEqual(one.count, 1)
        XCTAssertEqual(one[0].run.dmn.tv, [0.95, 0.99])
        let scalar = try load(#"{"name": "g", "datasets": ["mnist"], "models": ["dmn"], "dmn": {"tv": 0.97}}"#).plannedRuns()
        XCTAssertEqual(scalar.map(\.run.dmn.tv), [[0.97]])
        let grid = try load(#"{"name": "g", "datasets": ["mnist"], "models": ["dmn"], "dmn": {"tv": {"grid": [0.9, 0.95, [0.95, 0.99]]}}}"#).plannedRuns()
        XCTAssertEqual(grid.map(\.run.dmn.tv), [[0.9], [0.95], [0.95, 0.99]])
        let lists = try load(#"{"name": "g", "datasets": ["mnist"], "models": ["dmn"], "dmn": {"tv": [[0.9], [1.0]]}}"#).plannedRuns()
        XCTAssertEqual(lists.map(\.run.dmn.tv), [[0.9], [1.0]])
    }

    func testOverridesReplaceAxesPerDataset() throws {
        let s = try load("""
        {"name": "o", "datasets": ["mnist", "cifar10", "cifar100"], "models": ["dmn"], "filters": ["4", "8"],
         "dmn": {"tfrac": [0.3, 0.5]},
         "overrides": {"cifar10": {"dmn": {"tfrac": 0.7}}, "cifar100": {"dmn": {"tfrac": 1.0}, "filters": ["16"], "data": {"cifar100Labels": "coarse"}}}}
        """)
        let runs = s.plannedRuns()
        let by = Dictionary(grouping: runs, by: \.run.dataset)
        XCTAssertEqual(Set(by[.mnist]!.map(\.run.dmn.tfrac)), [0.3, 0.5])
        XCTAssertEqual(by[.mnist]!.count, 4)
        XCTAssertEqual(by[.cifar10]!.map(\.run.dmn.tfrac), [0.7, 0.7])
        XCTAssertEqual(by[.cifar100]!.map(\.run.filters), [[16]])
        XCTAssertEqual(by[.cifar100]!.map(\.run.data.cifar100Labels), [.coarse])
        XCTAssertEqual(runs.count, 7)
    }

    func testOverrideForUnlistedDatasetWarns() throws {
        let s = try load(#"{"name": "o", "datasets": ["mnist"], "models": ["dmn"], "overrides": {"cifar10": {"dmn": {"tfrac": 0.7}}}}"#)
        XCTAssertEqual(s.plannedRuns().count, 1)
        XCTAssertEqual(s.warnings.count, 1)
        XCTAssertTrue(s.warnings[0].contains("overrides.cifar10"))
    }

    func testIgnoredParametersDoNotMultiplyRuns() throws {
        // T_PC does not matter for the baseline or the convnet; filters do not matter for the baseline.
        let s = try load("""
        {"name": "n", "datasets": ["mnist"], "models": ["dmn", "convnet", "baseline"], "filters": ["4", "8"],
         "dmn": {"tpc": [0.5, 0.9]}, "seeds": [1, 2]}
        """)
        let runs = s.plannedRuns()
        XCTAssertEqual(runs.filter { $0.run.model == .dmn }.count, 2 * 2 * 2)
        XCTAssertEqual(runs.filter { $0.run.model == .convnet }.count, 2 * 2)
        XCTAssertEqual(runs.filter { $0.run.model == .baseline }.count, 2)
        XCTAssertEqual(Set(runs.map(\.id)).count, runs.count)
    }

    /// `training.init` keys only the models that draw trained weights from it (convnet, mlp);
    /// a DMN trains only a softmax, Glorot-uniform under both schemes, so a grid over the
    /// initialiser does not repeat its runs.
    func testInitialiserKeysOnlyModelsThatUseIt() throws {
        let s = try load("""
        {"name": "n", "datasets": ["mnist"], "models": ["dmn", "convnet", "hybrid", "mlp"], "filters": ["4"],
         "training": {"init": ["he", "glorot-uniform"]}, "seeds": [1]}
        """)
        let runs = s.plannedRuns()
        XCTAssertEqual(runs.filter { $0.run.model == .convnet }.count, 2)
        XCTAssertEqual(runs.filter { $0.run.model == .mlp }.count, 2)
        XCTAssertEqual(runs.filter { $0.run.model == .dmn }.count, 1)
        XCTAssertEqual(runs.filter { $0.run.model == .hybrid }.count, 1)
        // The default (he) is left out of the id, so runs made before the option keep theirs.
        let he = try XCTUnwrap(runs.first { $0.run.model == .convnet && $0.run.training.initialization == .he })
        XCTAssertFalse(RunIdentity.canonicalJSON(of: he.run).contains("init"))
        let glorot = try XCTUnwrap(runs.first { $0.run.model == .convnet && $0.run.training.initialization == .glorotUniform })
        XCTAssertTrue(RunIdentity.canonicalJSON(of: glorot.run).contains(#""init":"glorot-uniform""#))
    }

    /// `training.batchNorm` keys only the models with conv layers (not the baseline on pixels
    /// nor the dense mlp), its momentum only runs with BN; off (the default) is left out of the
    /// id, so every run made before the option keeps its id.
    func testBatchNormKeysOnlyModelsThatUseIt() throws {
        let s = try load("""
        {"name": "n", "datasets": ["mnist"], "models": ["dmn", "convnet", "pca", "random", "hybrid", "baseline", "mlp"],
         "filters": ["4"], "training": {"batchNorm": [false, true], "batchNormMomentum": [0.99, 0.9]}, "seeds": [1]}
        """)
        let runs = s.plannedRuns()
        for model in [ModelKind.dmn, .convnet, .pca, .random, .hybrid] {
            // Off: one run (the momentum ignored); on: one per momentum.
            XCTAssertEqual(runs.filter { $0.run.model == model }.count, 3, "\(model)")
        }
        XCTAssertEqual(runs.filter { $0.run.model == .baseline }.count, 1)
        XCTAssertEqual(runs.filter { $0.run.model == .mlp }.count, 1)
        let off = try XCTUnwrap(runs.first { $0.run.model == .dmn && !$0.run.training.batchNorm })
        XCTAssertFalse(RunIdentity.canonicalJSON(of: off.run).contains("batchNorm"))
        let on = try XCTUnwrap(runs.first { $0.run.model == .dmn && $0.run.training.batchNorm && $0.run.training.batchNormMomentum == 0.99 })
        XCTAssertTrue(RunIdentity.canonicalJSON(of: on.run).contains(#""batchNorm":true"#))
        XCTAssertFalse(RunIdentity.canonicalJSON(of: on.run).contains("batchNormMomentum"))
    }

    func testShippedSpecCounts() throws {
        let dir = TestFiles.packageRoot.appendingPathComponent("experiments")
        func count(_ n: String) throws -> Int { try SpecLoader.load(path: dir.appendingPathComponent(n).path).plannedRuns().count }
        XCTAssertEqual(try count("quick.json"), 2 * 2 + 1)                 // dmn, convnet × 2 configs + baseline
        XCTAssertEqual(try count("ablations.json"), 2 * (5 * 2 * 3 + 3))   // 5 models × 2 configs × 3 seeds + baseline, 2 datasets
        XCTAssertEqual(try count("dmn-thresholds.json"), 2 * 2 * 3)
        XCTAssertEqual(try count("fig3-fashion.json"), 5 * 3 * 2 + 3)      // dmn, convnet × 5 configs × 3 seeds + baseline × 3
        XCTAssertEqual(try count("fig3.json"), 3 * (5 * 3 * 2 + 3))
        XCTAssertEqual(try count("fig3-tpc.json"), 7 * 3 + 3)
        XCTAssertEqual(try count("fig3-tv.json"), 5 * 3 + 3)
        XCTAssertEqual(try count("fig3-tfrac.json"), 6 * 3 + 3)
        XCTAssertEqual(try count("fig1.json"), 3)
        XCTAssertEqual(try count("fig2.json"), 1)
        let fig1 = try SpecLoader.load(path: dir.appendingPathComponent("fig1.json").path).plannedRuns()
        XCTAssertEqual(Dictionary(uniqueKeysWithValues: fig1.map { ($0.run.dataset, $0.run.filters) }),
                       [.mnist: [81, 81, 81, 81], .cifar10: [100, 100, 100, 100], .cifar100: [100, 100, 100, 100]])
        let fig3 = try SpecLoader.load(path: dir.appendingPathComponent("fig3.json").path).plannedRuns().filter { $0.run.model == .dmn }
        XCTAssertEqual(Set(fig3.filter { $0.run.dataset == .cifar10 }.map(\.run.dmn.tfrac)), [0.7])
        XCTAssertEqual(Set(fig3.filter { $0.run.dataset == .cifar100 }.map(\.run.dmn.tfrac)), [1.0])
    }

    func testRunIdIsStable() {
        var r = ResolvedRun()
        r.dataset = .mnist
        let id = RunIdentity.id(of: r)
        XCTAssertEqual(id.count, 12)
        XCTAssertTrue(id.allSatisfy { $0.isHexDigit })
        var copy = ResolvedRun()
        copy.dataset = .mnist
        XCTAssertEqual(RunIdentity.id(of: copy), id)
        // The canonical text pins the id across machines: the five core fields, sorted, and no
        // section parameter, since all are at their defaults.
        XCTAssertEqual(RunIdentity.canonicalJSON(of: r), #"{"dataset":"mnist","filters":[4],"kind":"classify","model":"dmn","seed":1}"#)
        XCTAssertEqual(id, StableHash.short(RunIdentity.canonicalJSON(of: r)))
        r.dmn.tv = [0.9]
        r.data.trainLimit = 1000
        XCTAssertEqual(RunIdentity.canonicalJSON(of: r),
                       #"{"data":{"trainLimit":1000},"dataset":"mnist","dmn":{"tv":[0.9]},"filters":[4],"kind":"classify","model":"dmn","seed":1}"#)
    }

    /// Adding a parameter whose default keeps today's behaviour leaves every id as it was;
    /// only runs that set it to another value get new ids. Simulated by hashing with the
    /// table as it was before each parameter existed (the table without it).
    func testAddingAParameterWithADefaultKeepsIds() throws {
        let runs = try SpecLoader.load(path: TestFiles.packageRoot.appendingPathComponent("experiments/ablations.json").path).plannedRuns()
        XCTAssertGreaterThan(runs.count, 10)
        for def in Parameters.all {
            let before = Parameters.all.filter { $0.path != def.path }
            for p in runs where def.isDefault(in: p.run) {
                XCTAssertEqual(CanonicalJSON.serialize(RunIdentity.canonicalParameters(of: p.run, table: before)),
                               RunIdentity.canonicalJSON(of: p.run), "\(def.path) at its default must not change \(p.id)")
            }
            var changed = runs[0].run
            changed.model = .hybrid  // every section counts for a hybrid convergence-recording run
            let other: ParamValue
            switch def.type {
            case .real(_, _, let hi, _): other = .real(def.defaultValue == .real(hi ?? 1) ? 0.5 : (hi ?? 2))
            case .integer(let m), .optionalInteger(let m): other = .integer(def.defaultValue == .integer(m + 7) ? m + 8 : m + 7)
            case .choice(let c): other = .text(c.first { ParamValue.text($0) != def.defaultValue }!)
            case .boolean: other = .flag(def.defaultValue != .flag(true))
            case .perLayerReal: other = .reals([0.5])
            case .optionalImageSize: other = .text("16x16")
            case let .realOrWord(_, _, hi, _, word): other = def.defaultValue == .text(word) ? .real(hi ?? 1) : .text(word)
            }
            def.set(&changed, other)
            XCTAssertNotEqual(RunIdentity.canonicalJSON(of: changed),
                              CanonicalJSON.serialize(RunIdentity.canonicalParameters(of: changed, table: before)),
                              "\(def.path) = \(other) must change the id")
        }
    }

    /// Run files written and read back give the same run; a missing parameter reads as its
    /// default (an older file), and an unknown spelling is refused with the key named.
    func testRunFileLayoutRoundTrips() throws {
        var r = ResolvedRun()
        r.dataset = .cifar100; r.model = .hybrid; r.filters = [4, 15]; r.seed = 3
        r.dmn.similarity = .pearson; r.dmn.tv = [0.9, 0.95]; r.training.optimizer = .sgd
        r.data.preprocessing = .standardize; r.data.testLimit = 500; r.convergence.lambdaEvery = 7
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys  // so that the edits below find their text
        let data = try encoder.encode(r)
        XCTAssertEqual(try JSONDecoder().decode(ResolvedRun.self, from: data), r)
        let text = String(decoding: data, as: UTF8.self)
        XCTAssertTrue(text.contains(#""data":{"#) && text.contains(#""testLimit":500"#), text)
        let older = text.replacingOccurrences(of: #""similarity":"pearson","#, with: "")
        XCTAssertNotEqual(older, text)
        XCTAssertEqual(try JSONDecoder().decode(ResolvedRun.self, from: Data(older.utf8)).dmn.similarity, .cosine)
        let bad = text.replacingOccurrences(of: #""similarity":"pearson""#, with: #""similarity":"pearsn""#)
        XCTAssertThrowsError(try JSONDecoder().decode(ResolvedRun.self, from: Data(bad.utf8))) { e in
            XCTAssertTrue(String(describing: e).contains("dmn.similarity"), String(describing: e))
        }
    }

    func testEveryParameterChangesTheId() {
        var base = ResolvedRun()
        base.kind = .convergence   // so that λ parameters count
        base.model = .hybrid       // so that dmn and training parameters count
        base.dataset = .cifar100   // so that cifar100Labels counts
        let id = RunIdentity.id(of: RunNormalization.normalize(base))
        var variants: [(String, ResolvedRun)] = []
        func v(_ label: String, _ f: (inout ResolvedRun) -> Void) { var r = base; f(&r); variants.append((label, r)) }
        v("kind") { $0.kind = .classify }
        v("dataset") { $0.dataset = .cifar10 }
        v("model") { $0.model = .dmn }
        v("filters") { $0.filters = [4, 15] }
        v("seed") { $0.seed = 2 }
        v("tpc") { $0.dmn.tpc = 0.91 }
        v("tv") { $0.dmn.tv = [0.95, 0.991] }
        v("tfrac") { $0.dmn.tfrac = 0.31 }
        v("tfrac auto") { $0.dmn.tfrac = .auto }
        v("tfracTolerance") { $0.dmn.tfrac = .auto; $0.dmn.tfracTolerance = 0.02 }
        v("filterCount") { $0.dmn.filterCount = .thresholds }
        v("similarity") { $0.dmn.similarity = .pearson }
        v("visitOrder") { $0.dmn.visitOrder = .classOrder }
        v("sign") { $0.dmn.sign = .both }
        v("centre") { $0.dmn.centre = true }
        v("optimizer") { $0.training.optimizer = .sgd }
        v("learningRate") { $0.training.learningRate = 0.002 }
        v("momentum") { $0.training.momentum = 0.8 }
        v("batchSize") { $0.training.batchSize = 32 }
        v("batchNorm") { $0.training.batchNorm = true }
        v("batchNormMomentum") { $0.training.batchNorm = true; $0.training.batchNormMomentum = 0.9 }
        v("epochs") { $0.training.epochs = 4 }
        v("preprocessing") { $0.data.preprocessing = .standardize }
        v("cifar100Labels") { $0.data.cifar100Labels = .coarse }
        v("trainLimit") { $0.data.trainLimit = 100 }
        v("testLimit") { $0.data.testLimit = 100 }
        v("lambdaEvery") { $0.convergence.lambdaEvery = 2 }
        v("smoothingWindow") { $0.convergence.smoothingWindow = 10 }
        var ids: Set<String> = [id]
        for (label, r) in variants {
            let other = RunIdentity.id(of: RunNormalization.normalize(r))
            XCTAssertNotEqual(other, id, label)
            ids.insert(other)
        }
        XCTAssertEqual(ids.count, variants.count + 1)
    }

    func testSHA256Vectors() {
        XCTAssertEqual(StableHash.sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(StableHash.sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(StableHash.sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
                       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        XCTAssertEqual(StableHash.sha256Hex(String(repeating: "a", count: 1000)),
                       "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3")
    }

    func testSpecHashIsOverFileBytes() throws {
        let json = #"{"name": "h", "datasets": ["mnist"], "models": ["dmn"]}"#
        let a = try load(json), b = try load(json + "\n")
        XCTAssertEqual(a.hash, StableHash.short(Data(json.utf8)))
        XCTAssertNotEqual(a.hash, b.hash)
        XCTAssertEqual(a.plannedRuns().map(\.id), b.plannedRuns().map(\.id))
    }

    func testSweepSpec() throws {
        let path = TestFiles.packageRoot.appendingPathComponent("experiments/fig3.json").path
        let s = try Sweep.makeSpec(specPath: path, param: SweepParameter("tfrac")!, values: nil, dataset: .cifar10)
        XCTAssertEqual(s.name, "sweep-tfrac")
        XCTAssertEqual(s.datasets, [.cifar10])
        XCTAssertEqual(s.models, [.dmn, .baseline])
        let runs = s.plannedRuns()
        // The cifar10 override (tfrac 0.7) must not win over the sweep values.
        XCTAssertEqual(Set(runs.filter { $0.run.model == .dmn }.map(\.run.dmn.tfrac)), [0.1, 0.2, 0.3, 0.5, 0.7, 1.0])
        XCTAssertEqual(runs.count, 6 * 5 * 3 + 3)
        let f = try Sweep.makeSpec(specPath: path, param: SweepParameter("filters")!, values: Sweep.splitValues("4;8;4,15"), dataset: nil)
        XCTAssertEqual(Set(f.plannedRuns().map(\.run.filters)), [[4], [8], [4, 15], []])
        XCTAssertThrowsError(try Sweep.makeSpec(specPath: path, param: SweepParameter("tpc")!, values: ["0.5", "1.5"], dataset: nil)) { e in
            let msg = String(describing: e)
            XCTAssertTrue(msg.contains("dmn.tpc.grid[1]") && msg.contains("[0, 1]") && msg.contains("sweep"), msg)
        }
        XCTAssertThrowsError(try Sweep.makeSpec(specPath: path, param: SweepParameter("tv")!, values: ["x"], dataset: nil))
    }
}
