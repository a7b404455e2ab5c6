import Foundation

/// Whether runs keep the DMN layers' spectra (ρ_c's eigendecompositions) for the runs that
/// differ only in T_v, T_PC, the filter count or the visit order (`--pca-cache`).
public enum PCACacheMode: String, CaseIterable, Codable, Sendable {
    /// In memory for the process and on disk in the results folder's cache/pca/ (default).
    case on
    /// In memory for the process only.
    case memory
    /// Every run computes its spectra.
    case off
}

/// The executor `repro run` and `repro sweep` use; with a PCA cache, its disk entries go under
/// `folder`/cache/pca and its warnings (an unreadable entry, a failed write) to `warn`.
public func makeDefaultExecutor(pcaCache: PCACacheMode = .off, folder: URL? = nil,
                                warn: @escaping @Sendable (String) -> Void = { _ in }) -> any RunExecutor {
    switch pcaCache {
    case .off: return ModelRunExecutor()
    case .memory: return ModelRunExecutor(spectraCache: SpectraCache(directory: nil, warn: warn))
    case .on:
        return ModelRunExecutor(spectraCache: SpectraCache(directory: folder?.appendingPathComponent(SpectraCache.folder, isDirectory: true),
                                                           warn: warn))
    }
}
