import Foundation
import XCTest
@testable import Experiments

/// The committed schema and spec documentation are what the parameter table generates.
final class SpecSchemaTests: XCTestCase {
    func committed(_ path: String) throws -> String {
        try String(contentsOf: TestFiles.packageRoot.appendingPathComponent(path), encoding: .utf8)
    }

    func testCommittedSchemaIsGenerated() throws {
        XCTAssertEqual(try committed(SpecSchema.schemaPath), try SpecSchema.schemaText(),
                       "\(SpecSchema.schemaPath) is stale: run `repro schema --write`")
    }

    func testSpecFormatTableIsGenerated() throws {
        let doc = try committed(SpecSchema.docPath)
        XCTAssertEqual(doc, try SpecSchema.updatingDoc(doc), "\(SpecSchema.docPath) is stale: run `repro schema --write`")
        for def in Parameters.all { XCTAssertTrue(doc.contains("`\(def.path)`"), def.path) }
    }

    /// Every parameter appears in the schema with its default and the values the validator
    /// takes; a choice lists exactly the enum's spellings.
    func testSchemaFollowsTheTable() throws {
        let defs = SpecSchema.schema()["$defs"] as! [String: Any]
        for def in Parameters.all {
            let section = defs[def.section.rawValue] as! [String: Any]
            let p = (section["properties"] as! [String: Any])[def.key] as! [String: Any]
            XCTAssertEqual(p["description"] as? String, def.doc)
            if case .choice(let c) = def.type {
                let single = (p["oneOf"] as! [[String: Any]])[0]
                XCTAssertEqual(single["enum"] as? [String], c, def.path)
            }
        }
    }
}
