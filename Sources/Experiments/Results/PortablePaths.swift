import Foundation

/// Paths as committed artefacts show them: relative, so that a report or a provenance file
/// means the same on every machine (absolute paths name one machine's folders).
public enum PortablePaths {
    /// `target` relative to the folder `base` ("fig3", "../fig3", "."), or its absolute path
    /// when the two share nothing but the root.
    public static func relative(_ target: URL, from base: URL) -> String {
        let t = target.standardizedFileURL.resolvingSymlinksInPath().pathComponents
        let b = base.standardizedFileURL.resolvingSymlinksInPath().pathComponents
        var common = 0
        while common < min(t.count, b.count) && t[common] == b[common] { common += 1 }
        guard common > 1 else { return target.standardizedFileURL.path }
        let parts = Array(repeating: "..", count: b.count - common) + t[common...]
        return parts.isEmpty ? "." : parts.joined(separator: "/")
    }

    /// The command line as provenance records it: the program as `repro` (where it was built
    /// is a fact of one machine), and absolute paths below the working directory relative to it.
    static func command(_ arguments: [String], workingDirectory: URL) -> [String] {
        guard let first = arguments.first else { return [] }
        let name = URL(fileURLWithPath: first).lastPathComponent
        return [name.isEmpty ? first : name] + arguments.dropFirst().map { arg in
            guard arg.hasPrefix("/") else { return arg }
            let rel = relative(URL(fileURLWithPath: arg), from: workingDirectory)
            return rel.hasPrefix("..") || rel.hasPrefix("/") ? arg : rel
        }
    }
}
