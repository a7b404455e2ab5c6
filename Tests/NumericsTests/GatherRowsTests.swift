import XCTest
@testable import Numerics

/// The feature cache's row gather against indexing: a copy, so equal bits. Batches shorter and
/// longer than the prefetch distance (4 rows), repeated rows, the first and last row, and row
/// lengths that are not whole cache lines.
final class GatherRowsTests: XCTestCase {
    func testGatherEqualsIndexing() {
        for rowLength in [1, 7, 16, 676] {
            let rowCount = 50
            let src = randomFloats(rowCount * rowLength, seed: UInt64(rowLength))
            for rows in [[3], [0, 49, 49, 0], [5, 1, 44, 2, 9, 9, 30, 0, 49, 17, 23]] {
                var dst = [Float](repeating: .nan, count: rows.count * rowLength)
                src.withUnsafeBufferPointer { s in
                    rows.withUnsafeBufferPointer { r in gatherRows(s.baseAddress!, rowLength: rowLength, rows: r, into: &dst) }
                }
                let expected = rows.flatMap { src[($0 * rowLength)..<(($0 + 1) * rowLength)] }
                XCTAssertEqual(dst.map(\.bitPattern), expected.map(\.bitPattern), "rows \(rows), length \(rowLength)")
            }
        }
    }
}
