import Foundation
import Numerics
import XCTest

final class FloatEnvironmentTests: XCTestCase {
    /// The smallest normal Float times `scale`, computed at run time: unoptimised, so that the
    /// compiler cannot fold the product into a constant.
    @_optimize(none) func smallestNormal(times scale: Float) -> Float { Float.leastNormalMagnitude * scale }

    /// Runs `body` on a new thread (the flush setting is per thread and must not leak into
    /// the test runner's thread) and returns its result.
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
        let kept = onNewThread { () -> (Float, Bool?) in (self.smallestNormal(times: 0.5), FloatEnvironment.flushesSubnormals) }
        XCTAssertEqual(kept.0, Float.leastNormalMagnitude / 2, "IEEE default: a subnormal result is kept")
        XCTAssertEqual(kept.1, false)

        let flushed = onNewThread { () -> (Float, Float, Bool?, Bool?) in
            let subnormal = self.smallestNormal(times: 0.5)          // made before flushing: a true subnormal
            FloatEnvironment.flushSubnormals()
            let result = self.smallestNormal(times: 0.5)             // subnormal result → 0
            let input = subnormal * 4                               // subnormal input read as 0
            // A thread started by a flushing thread inherits the setting.
            let child = self.onNewThread { FloatEnvironment.flushesSubnormals }
            return (result, input, FloatEnvironment.flushesSubnormals, child)
        }
        XCTAssertEqual(flushed.0, 0)
        XCTAssertEqual(flushed.1, 0)
        XCTAssertEqual(flushed.2, true)
        XCTAssertEqual(flushed.3, true)
        let normal = onNewThread { () -> Float in
            FloatEnvironment.flushSubnormals()
            return self.smallestNormal(times: 2)
        }
        XCTAssertEqual(normal, 2 * Float.leastNormalMagnitude, "normal values are unchanged")
    }
}
