import Foundation

extension ParameterDefinition {
    /// Whether `run` uses this parameter: false when `RunNormalization` resets it for this run
    /// (the `dmn` section on a convnet or baseline, `training.init` on a dmn, …), decided by
    /// setting it to each non-default value of `values` and normalising. `repro plan` prints
    /// only the parameters a run uses.
    public func isUsed(by run: ResolvedRun, trying values: [ParamValue]) -> Bool {
        let r = RunNormalization.normalize(run)
        if get(r) != defaultValue { return true }
        for v in values where v != defaultValue {
            var changed = r
            set(&changed, v)
            if get(RunNormalization.normalize(changed)) == v { return true }
        }
        return false
    }
}
