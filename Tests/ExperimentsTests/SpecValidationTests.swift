import Foundation
import XCTest
@testable import Experiments

final class SpecValidationTests: XCTestCase {
    struct Case {
        var label: String
        var json: String
        /// Key path the message must name.
        var path: String
        /// Texts the message must contain (found value, allowed values, suggestion).
        var fragments: [String]
    }

    static func spec(datasets: String = #"["mnist"]"#, models: String = #"["dmn", "baseline"]"#, kind: String? = nil,
                     _ more: String = "") -> String {
        var parts = [#""name": "t""#, "\"datasets\": \(datasets)", "\"models\": \(models)"]
        if let k = kind { parts.append("\"kind\": \(k)") }
        if !more.isEmpty { parts.append(more) }
        return "{\n  " + parts.joined(separator: ",\n  ") + "\n}\n"
    }

    static let cases: [Case] = [
        Case(label: "tv zero", json: spec(#""dmn": {"tv": 0}"#), path: "dmn.tv", fragments: ["found 0", "(0, 1]"]),
        Case(label: "tpc above one", json: spec(#""dmn": {"tpc": 1.5}"#), path: "dmn.tpc", fragments: ["found 1.5", "[0, 1]"]),
        Case(label: "tfrac zero", json: spec(#""dmn": {"tfrac": 0}"#), path: "dmn.tfrac", fragments: ["found 0", "(0, 1]"]),
        Case(label: "tpc negative", json: spec(#""dmn": {"tpc": -0.1}"#), path: "dmn.tpc", fragments: ["found -0.1", "[0, 1]"]),
        Case(label: "epochs zero", json: spec(#""training": {"epochs": 0}"#), path: "training.epochs", fragments: ["found 0", "integer >= 1"]),
        Case(label: "epochs fractional", json: spec(#""training": {"epochs": 2.5}"#), path: "training.epochs", fragments: ["found 2.5", "integer >= 1"]),
        Case(label: "batch size zero", json: spec(#""training": {"batchSize": 0}"#), path: "training.batchSize", fragments: ["found 0", "integer >= 1"]),
        Case(label: "learning rate zero", json: spec(#""training": {"learningRate": 0}"#), path: "training.learningRate", fragments: ["found 0", "> 0"]),
        Case(label: "momentum one", json: spec(#""training": {"momentum": 1}"#), path: "training.momentum", fragments: ["found 1", "[0, 1)"]),
        Case(label: "unknown dmn key", json: spec(#""dmn": {"tcp": 0.9}"#), path: "dmn.tcp", fragments: ["unknown key \"tcp\"", "did you mean \"tpc\"?", "tfrac"]),
        Case(label: "unknown top key", json: spec(#""dataset": ["mnist"]"#), path: "dataset", fragments: ["unknown key \"dataset\"", "did you mean \"datasets\"?", "overrides"]),
        Case(label: "misspelt section", json: spec(#""trainig": {"epochs": 1}"#), path: "trainig", fragments: ["did you mean \"training\"?"]),
        Case(label: "snake case key", json: spec(#""training": {"learning_rate": 0.1}"#), path: "training.learning_rate", fragments: ["did you mean \"learningRate\"?", "batchSize"]),
        Case(label: "unknown key without suggestion", json: spec(#""zzzzzz": 1"#), path: "zzzzzz", fragments: ["unknown key \"zzzzzz\"", "Allowed keys here: name, description, kind"]),
        Case(label: "empty datasets", json: spec(datasets: "[]"), path: "datasets", fragments: ["empty list", "\"mnist\", \"fashion-mnist\", \"cifar10\", \"cifar100\""]),
        Case(label: "empty models", json: spec(models: "[]"), path: "models", fragments: ["empty list", "\"dmn\", \"convnet\", \"baseline\""]),
        Case(label: "unknown dataset", json: spec(datasets: #"["imagenet"]"#), path: "datasets[0]", fragments: ["found \"imagenet\"", "\"cifar100\""]),
        Case(label: "misspelt dataset", json: spec(datasets: #"["mnist", "cifar-10"]"#), path: "datasets[1]", fragments: ["did you mean \"cifar10\"?", "\"fashion-mnist\""]),
        Case(label: "unknown model", json: spec(models: #"["dmn", "resnet"]"#), path: "models[1]", fragments: ["found \"resnet\"", "\"convnet\", \"baseline\", \"pca\""]),
        Case(label: "datasets not a list", json: spec(datasets: "5"), path: "datasets", fragments: ["found 5", "\"mnist\""]),
        Case(label: "filters double comma", json: spec(#""filters": ["4", "4,,15"]"#), path: "filters[1]", fragments: ["\"4,,15\"", "comma-separated positive integers"]),
        Case(label: "filters zero", json: spec(#""filters": ["0"]"#), path: "filters[0]", fragments: ["\"0\"", "comma-separated positive integers"]),
        Case(label: "filters negative", json: spec(#""filters": ["-3"]"#), path: "filters[0]", fragments: ["\"-3\"", "comma-separated positive integers"]),
        Case(label: "filters letter", json: spec(#""filters": ["a"]"#), path: "filters[0]", fragments: ["\"a\"", "comma-separated positive integers"]),
        Case(label: "filters empty string", json: spec(#""filters": [""]"#), path: "filters[0]", fragments: ["found \"\"", "comma-separated positive integers"]),
        Case(label: "filters empty list", json: spec(#""filters": []"#), path: "filters", fragments: ["empty list", "comma-separated positive integers"]),
        Case(label: "filters trailing comma", json: spec(#""filters": ["4,"]"#), path: "filters[0]", fragments: ["empty count", "\"4\" or \"4,15\""]),
        Case(label: "tpc as string", json: spec(#""dmn": {"tpc": "0.9"}"#), path: "dmn.tpc", fragments: ["\"0.9\" (a string)", "a number in [0, 1]"]),
        Case(label: "unknown optimizer", json: spec(#""training": {"optimizer": "adamw"}"#), path: "training.optimizer", fragments: ["\"adamw\"", "\"sgd\", \"adam\"", "did you mean \"adam\"?"]),
        Case(label: "unknown filter count mode", json: spec(#""dmn": {"filterCount": "auto"}"#), path: "dmn.filterCount", fragments: ["\"auto\"", "\"thresholds\", \"fixed\""]),
        Case(label: "centre not boolean", json: spec(#""dmn": {"centre": "yes"}"#), path: "dmn.centre", fragments: ["\"yes\"", "true or false"]),
        Case(label: "empty explicit grid", json: spec(#""dmn": {"tpc": {"grid": []}}"#), path: "dmn.tpc.grid", fragments: ["empty grid", "a number in [0, 1]"]),
        Case(label: "empty list grid", json: spec(#""dmn": {"tfrac": []}"#), path: "dmn.tfrac", fragments: ["empty grid", "(0, 1]"]),
        Case(label: "grid object misspelt", json: spec(#""dmn": {"tpc": {"gird": [0.5]}}"#), path: "dmn.tpc", fragments: ["\"gird\"", "did you mean \"grid\"?", "[0, 1]"]),
        Case(label: "grid value out of range", json: spec(#""dmn": {"tpc": {"grid": [0.5, 2]}}"#), path: "dmn.tpc.grid[1]", fragments: ["found 2", "[0, 1]"]),
        Case(label: "tv layer out of range", json: spec(#""dmn": {"tv": [0.9, 1.5]}"#), path: "dmn.tv[1]", fragments: ["found 1.5", "(0, 1]", "layer 2"]),
        Case(label: "tv mixes numbers and lists", json: spec(#""dmn": {"tv": [0.9, [0.95]]}"#), path: "dmn.tv", fragments: ["mixing numbers and lists", "[[0.9], [0.95, 0.99]]"]),
        Case(label: "tv grid of lists with zero", json: spec(#""dmn": {"tv": [[0.9], [0]]}"#), path: "dmn.tv[1][0]", fragments: ["found 0", "(0, 1]"]),
        Case(label: "train limit zero", json: spec(#""data": {"trainLimit": 0}"#), path: "data.trainLimit", fragments: ["found 0", "integer >= 1, or null"]),
        Case(label: "unknown preprocessing", json: spec(#""data": {"preprocessing": "normalize"}"#), path: "data.preprocessing", fragments: ["\"normalize\"", "\"scale\", \"standardize\""]),
        Case(label: "lambda every zero", json: spec(#""convergence": {"lambdaEvery": 0}"#), path: "convergence.lambdaEvery", fragments: ["found 0", "integer >= 1"]),
        Case(label: "negative seed", json: spec(#""seeds": [1, -1]"#), path: "seeds[1]", fragments: ["found -1", "integer >= 0"]),
        Case(label: "section not an object", json: spec(#""dmn": 0.9"#), path: "dmn", fragments: ["found 0.9", "tpc, tv, tfrac"]),
        Case(label: "bad override dataset", json: spec(#""overrides": {"mnst": {"dmn": {"tfrac": 0.3}}}"#), path: "overrides.mnst", fragments: ["did you mean \"mnist\"?", "fashion-mnist, cifar10, cifar100"]),
        Case(label: "override unknown key", json: spec(#""overrides": {"mnist": {"models": ["dmn"]}}"#), path: "overrides.mnist.models", fragments: ["unknown key \"models\"", "filters, dmn, training, data, convergence"]),
        Case(label: "override bad value", json: spec(datasets: #"["mnist", "cifar10"]"#, #""overrides": {"cifar10": {"dmn": {"tfrac": 1.2}}}"#), path: "overrides.cifar10.dmn.tfrac", fragments: ["found 1.2", "(0, 1]"]),
        Case(label: "override bad filters", json: spec(#""overrides": {"mnist": {"filters": ["4,,15"]}}"#), path: "overrides.mnist.filters[0]", fragments: ["\"4,,15\"", "comma-separated positive integers"]),
        Case(label: "misspelt kind", json: spec(kind: #""classfy""#), path: "kind", fragments: ["\"classfy\"", "\"classify\", \"convergence\", \"fluctuation\"", "did you mean \"classify\"?"]),
        Case(label: "kind as a grid", json: spec(kind: #"["classify"]"#), path: "kind", fragments: ["\"classify\", \"convergence\"", "cannot be a grid"]),
        Case(label: "convergence needs mlp", json: spec(models: #"["dmn"]"#, kind: #""convergence""#), path: "models", fragments: ["found \"dmn\"", "\"mlp\""]),
        Case(label: "fluctuation needs dmn", json: spec(models: #"["convnet"]"#, kind: #""fluctuation""#), path: "models", fragments: ["found \"convnet\"", "\"dmn\""]),
        Case(label: "bad name", json: #"{"name": "a/b", "datasets": ["mnist"], "models": ["dmn"]}"#, path: "name", fragments: ["\"a/b\"", "letters, digits"]),
        Case(label: "missing name", json: #"{"datasets": ["mnist"], "models": ["dmn"]}"#, path: "name", fragments: ["missing", "a string"]),
        Case(label: "missing models", json: #"{"name": "x", "datasets": ["mnist"]}"#, path: "models", fragments: ["missing", "\"dmn\", \"convnet\""]),
        Case(label: "duplicate key", json: spec(#""dmn": {"tpc": 0.5, "tpc": 0.6}"#), path: "dmn.tpc", fragments: ["duplicate key \"tpc\""]),
        Case(label: "nested list in scalar grid", json: spec(#""dmn": {"tpc": [[0.5]]}"#), path: "dmn.tpc[0]", fragments: ["nested list", "[0, 1]"]),
    ]

    func testAtLeastThirtyMalformedCases() {
        XCTAssertGreaterThanOrEqual(Self.cases.count, 30)
    }

    /// Every malformed spec is rejected with a message naming the file, the key path, what
    /// was found and what is allowed.
    func testMalformedSpecsInProcess() {
        for (i, c) in Self.cases.enumerated() {
            let file = String(format: "case%02d.json", i)
            do {
                _ = try SpecLoader.load(data: Data(c.json.utf8), file: file)
                XCTFail("\(c.label): accepted")
            } catch let e as SpecError {
                let msg = e.description
                let relevant = e.issues.filter { $0.path == c.path }
                XCTAssertFalse(relevant.isEmpty, "\(c.label): no issue at \(c.path) in:\n\(msg)")
                for issue in relevant { XCTAssertTrue(issue.description.hasPrefix(file), "\(c.label): \(issue) does not name the file") }
                let text = relevant.map(\.description).joined(separator: "\n")
                XCTAssertTrue(text.contains(c.path + ": "), "\(c.label): message does not name \(c.path):\n\(text)")
                for f in c.fragments {
                    XCTAssertTrue(text.contains(f), "\(c.label): message lacks \(f):\n\(text)")
                }
            } catch {
                XCTFail("\(c.label): unexpected error \(error)")
            }
        }
    }

    /// Through the binary: exit status 2, the errors on stderr, and no output folder.
    func testMalformedSpecsThroughCLI() throws {
        let dir = TestFiles.tempDir(self, "cli-bad")
        for (i, c) in Self.cases.enumerated() {
            let name = String(format: "case%02d.json", i)
            TestFiles.write(c.json, name, in: dir)
            let out = dir.appendingPathComponent("out\(i)")
            let r = try ReproBinary.run(["run", name, "--out", out.path], cwd: dir)
            XCTAssertEqual(r.status, 2, "\(c.label): exit status \(r.status); stderr:\n\(r.stderr)")
            XCTAssertTrue(r.stderr.contains(name), "\(c.label): stderr does not name the file:\n\(r.stderr)")
            XCTAssertTrue(r.stderr.contains(c.path), "\(c.label): stderr does not name \(c.path):\n\(r.stderr)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: out.path), "\(c.label): output folder created")
        }
        // Default output folder (results/<name>/) is not created either, and validate/plan agree.
        let r = try ReproBinary.run(["run", "case00.json"], cwd: dir)
        XCTAssertEqual(r.status, 2)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("results").path))
        XCTAssertEqual(try ReproBinary.run(["validate", "case00.json"], cwd: dir).status, 2)
        XCTAssertEqual(try ReproBinary.run(["plan", "case01.json"], cwd: dir).status, 2)
        XCTAssertEqual(try ReproBinary.run(["run", "missing.json"], cwd: dir).status, 2)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("results").path))
    }

    func testAllErrorsAreCollected() {
        let json = Self.spec(datasets: #"["mnist", "svhn"]"#,
                             #""dmn": {"tpc": 2, "tv": 0, "tfrac": 0}, "training": {"epochs": 0, "batchSize": 0}, "filters": ["0", "a"]"#)
        XCTAssertThrowsError(try SpecLoader.load(data: Data(json.utf8), file: "many.json")) { e in
            let issues = (e as! SpecError).issues
            XCTAssertEqual(Set(issues.map(\.path)),
                           ["datasets[1]", "dmn.tpc", "dmn.tv", "dmn.tfrac", "training.epochs", "training.batchSize", "filters[0]", "filters[1]"])
            XCTAssertTrue((e as! SpecError).description.contains("8 errors"))
        }
    }

    func testInvalidJSONReportsLine() {
        let cases: [(String, Int, String)] = [
            ("{\n  \"name\": \"x\",\n  \"datasets\": [\"mnist\"]\n  \"models\": [\"dmn\"]\n}\n", 4, "expected ',' or '}'"),
            ("{\n  \"name\": \"x\",\n  \"models\": [\"dmn\",],\n}\n", 3, "trailing comma"),
            ("{\n  \"name\": 'x'\n}", 2, "expected a value"),
            ("", 1, "empty"),
            ("{\"name\": \"x\"} extra", 1, "after the end"),
            ("{\n\n  \"name\": \"unterminated\n}", 3, "string"),
        ]
        for (text, line, fragment) in cases {
            XCTAssertThrowsError(try SpecLoader.load(data: Data(text.utf8), file: "broken.json")) { e in
                let msg = (e as! SpecError).description
                XCTAssertTrue(msg.contains("broken.json:\(line):"), "no line \(line) in: \(msg)")
                XCTAssertTrue(msg.contains("line \(line), column"), msg)
                XCTAssertTrue(msg.contains(fragment), "lacks \(fragment): \(msg)")
            }
        }
    }

    func testRootMustBeObject() {
        XCTAssertThrowsError(try SpecLoader.load(data: Data("[1]".utf8), file: "list.json")) { e in
            XCTAssertTrue((e as! SpecError).description.contains("list.json:1: found a list; expected a JSON object"))
        }
    }

    func testShippedSpecsValidate() throws {
        let dir = TestFiles.packageRoot.appendingPathComponent("experiments")
        var names = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".json") && $0 != "spec.schema.json" }
        // A spec whose data a script writes (not committed) is refused until the data exists,
        // naming the missing folder; it is checked like the others once it does.
        let generated = ["digits-folder.json": "data/digits-folder"]  // scripts/digits-folder.py
        for (spec, folder) in generated where !FileManager.default.fileExists(atPath: dir.appendingPathComponent(folder).path) {
            XCTAssertThrowsError(try SpecLoader.load(path: dir.appendingPathComponent(spec).path)) { e in
                XCTAssertTrue("\(e)".contains(folder + ": no such file"), "\(e)")
            }
            names.removeAll { $0 == spec }
        }
        for required in ["quick.json", "fig1.json", "fig2.json", "fig3.json", "fig3-fashion.json", "fig3-tpc.json", "fig3-tv.json", "fig3-tfrac.json"] {
            XCTAssertTrue(names.contains(required), "experiments/\(required) missing")
        }
        for n in names {
            XCTAssertNoThrow(try SpecLoader.load(path: dir.appendingPathComponent(n).path), n)
        }
        let r = try ReproBinary.run(["validate"] + names.sorted().map { "experiments/" + $0 }, cwd: TestFiles.packageRoot)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout.split(separator: "\n").filter { $0.hasPrefix("ok: ") }.count, names.count)
    }
}
