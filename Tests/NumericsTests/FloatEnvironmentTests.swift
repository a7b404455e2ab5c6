import Foundation
import XCTest
@testable import Numerics

final class FloatEnvironmentTests: XCTestCase {
    /// The smallest normal Float times `scale`, computed at run time: unoptimised, so that the
    /// compiler cannot fold the product into a constant.
    @_optimize(none) func smallestNormal(times scale: Float) -> Float { Float.leastNormalMagnitude * scale }

    /// Runs `body` on a new thread (the mode is per thread and must not leak into the test
    /// runner's thread) and returns its result.
    func onNewThread<T>(_ body: @escaping @Sendable () -> T) -> T {
        let box = Box<T>()
        let done = DispatchSemaphore(value: 0)
        let thread = Thread { box.value = body(); done.signal() }
        thread.start()
        done.wait()
        return box.value!
    }

    final class Box<T>: @unchecked Sendable { var value: T? }

    func testFlushingMakesSubnormalResultsAndInputsZero() throws {
        guard FloatEnvironment.flushesSubnormals != nil else { throw XCTSkip("CPU family not handled") }
        let results = onNewThread { () -> [String: Float] in
            // A thread may inherit either mode (whatever the thread that made it had): set each.
            FloatEnvironment.setFlushingSubnormals(false)
            let subnormal = self.smallestNormal(times: 0.5)               // IEEE: a true subnormal
            FloatEnvironment.flushSubnormals()
            let flushedResult = self.smallestNormal(times: 0.5)           // subnormal result → 0
            let flushedInput = subnormal * 4                              // subnormal input read as 0
            let normal = self.smallestNormal(times: 2)
            // A thread started by a flushing thread inherits the mode.
            let child: Float = self.onNewThread { FloatEnvironment.flushesSubnormals == true ? 1 : 0 }
            // withSubnormalsFlushed restores what the thread had.
            FloatEnvironment.setFlushingSubnormals(false)
            let inside = FloatEnvironment.withSubnormalsFlushed { self.smallestNormal(times: 0.5) }
            let after = self.smallestNormal(times: 0.5)
            return ["subnormal": subnormal, "flushedResult": flushedResult, "flushedInput": flushedInput,
                    "normal": normal, "child": child, "inside": inside, "after": after]
        }
        XCTAssertEqual(results["subnormal"], Float.leastNormalMagnitude / 2, "IEEE mode keeps a subnormal result")
        XCTAssertEqual(results["flushedResult"], 0)
        XCTAssertEqual(results["flushedInput"], 0)
        XCTAssertEqual(results["normal"], 2 * Float.leastNormalMagnitude, "normal values are unchanged")
        XCTAssertEqual(results["child"], 1)
        XCTAssertEqual(results["inside"], 0)
        XCTAssertEqual(results["after"], Float.leastNormalMagnitude / 2, "the thread's IEEE mode is restored")
    }
}
