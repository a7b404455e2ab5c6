@testable import Datasets
import Foundation
import XCTest

final class DataDirectoryTests: XCTestCase {
    func testPrecedenceFlagThenEnvironmentThenDefault() {
        let env = ["HOME": "/home/someone", "REPRO_DATA": "/data/from-env"]
        XCTAssertEqual(DataDirectory.environmentVariable, "REPRO_DATA")
        XCTAssertEqual(DataDirectory.resolve(flag: "/data/flag", environment: env).path, "/data/flag")
        XCTAssertEqual(DataDirectory.resolve(flag: nil, environment: env).path, "/data/from-env")
        XCTAssertEqual(DataDirectory.resolve(flag: "", environment: env).path, "/data/from-env")
        XCTAssertEqual(DataDirectory.resolve(flag: nil, environment: ["HOME": "/home/someone"]).path,
                       "/home/someone/.cache/repro-data")
        XCTAssertEqual(DataDirectory.resolve(flag: nil, environment: ["HOME": "/h", "REPRO_DATA": ""]).path,
                       "/h/.cache/repro-data")
        XCTAssertEqual(DataDirectory.defaultPath(environment: ["HOME": "/h"]), "/h/.cache/repro-data")
    }

    func testResolveUsesProcessEnvironment() {
        let env = ProcessInfo.processInfo.environment
        XCTAssertEqual(DataDirectory.resolve(flag: nil), DataDirectory.resolve(flag: nil, environment: env))
        XCTAssertEqual(DataDirectory.resolve(flag: "/x/y").path, "/x/y")
        XCTAssertTrue(DataDirectory.defaultPath.hasSuffix("/.cache/repro-data"))
    }

    func testRelativeFlagIsKept() {
        let u = DataDirectory.resolve(flag: "some/relative/dir", environment: [:])
        XCTAssertTrue(u.path.hasSuffix("some/relative/dir"))
        XCTAssertTrue(u.path.hasPrefix("/"), "made absolute against the working directory")
    }
}
