import XCTest
@testable import Numerics

/// The GEMM form of the conv → ReLU → pool block's forward, kernel by kernel, against loops written
/// from the definitions.
final class PoolWindowsTests: XCTestCase {
    /// Odd conv outputs (the last row/column of the conv map belongs to no window) and C > 1.
    let shapes = [(batch: 2, h: 7, w: 8, c: 3, k: 3), (batch: 1, h: 6, w: 6, c: 1, k: 3), (batch: 2, h: 5, w: 7, c: 2, k: 2),
                  (batch: 1, h: 6, w: 5, c: 5, k: 3)]

    func testPatchRowsAreTheFourWindowPositions() {
        for s in shapes {
            let x = randomFloats(s.batch * s.h * s.w * s.c, seed: 21)
            let ph = (s.h - s.k + 1) / 2, pw = (s.w - s.k + 1) / 2, n = s.k * s.k * s.c
            var cols = [Float](repeating: .nan, count: s.batch * ph * pw * 4 * n)
            im2colPoolWindows(x, batch: s.batch, height: s.h, width: s.w, channels: s.c, kernel: s.k, &cols)
            var row = 0
            for b in 0..<s.batch { for py in 0..<ph { for px in 0..<pw { for q in 0..<4 {
                let oy = 2 * py + q / 2, ox = 2 * px + q % 2
                for dy in 0..<s.k { for dx in 0..<s.k { for ci in 0..<s.c {
                    let expected = x[((b * s.h + oy + dy) * s.w + ox + dx) * s.c + ci]
                    XCTAssertEqual(cols[row * n + (dy * s.k + dx) * s.c + ci], expected, "\(s) row \(row)")
                } } }
                row += 1
            } } } }
            XCTAssertEqual(row * n, cols.count)
        }
    }

    func testMaxOfFourRelu() {
        // Window 0: filter 0 has a tie between positions 1 and 3 (first wins); filter 1 is
        // clipped by the ReLU after its bias. Window 1: filter 0 wins at 3, filter 1 at 0.
        let z: [Float] = [0.5, 0.1,   2, -3,   1, 0.2,   2, 0.3,
                          -1, 4,    0, 1,    -2, 3,   7, 2]
        let bias: [Float] = [0.5, -1]
        var y = [Float](repeating: .nan, count: 4)
        var winners = [UInt8](repeating: 0, count: 4)
        maxOfFourRelu(z, windows: 2, filters: 2, bias: bias, &y, winners: &winners)
        XCTAssertEqual(y, [2.5, 0, 7.5, 3])
        XCTAssertEqual(winners, [1, noGradient, 3, 0])
    }
}
