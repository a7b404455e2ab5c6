/// A configuration the method cannot build by design (for example K distinct filters from
/// fewer than K directions at the given T_PC). It is a result, not a fault: the orchestrator
/// records the run as `infeasible` with this reason instead of `failed`.
public struct InfeasibleConfiguration: Error, CustomStringConvertible, Equatable {
    public let description: String
    init(description: String) { self.description = description }

    /// The same reason with where it happened in front ("layer 2: …").
    func prefixed(_ context: String) -> InfeasibleConfiguration {
        InfeasibleConfiguration(description: context + ": " + description)
    }
}
