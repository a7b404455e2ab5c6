import Foundation

/// The executor `repro run` and `repro sweep` use.
public func makeDefaultExecutor() -> any RunExecutor {
    ModelRunExecutor()
}
