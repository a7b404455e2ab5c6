import Foundation

/// One problem found in a spec file.
struct SpecIssue: Hashable, Sendable, CustomStringConvertible {
    /// The file as the user named it.
    var file: String
    /// Key path such as `dmn.tpc`, `filters[2]`, `overrides.mnist.dmn.tfrac`; empty for the whole file.
    var path: String
    var line: Int?
    var message: String

    init(file: String, path: String, line: Int?, message: String) {
        self.file = file; self.path = path; self.line = line; self.message = message
    }

    var description: String {
        var s = file
        if let l = line, l > 0 { s += ":\(l)" }
        s += ": "
        if !path.isEmpty { s += path + ": " }
        return s + message
    }
}

/// All problems found in one or more spec files. The CLI prints them and exits with status 2.
public struct SpecError: Error, CustomStringConvertible, Sendable {
    var issues: [SpecIssue]
    init(issues: [SpecIssue]) { self.issues = issues }
    public var description: String {
        let n = issues.count
        return issues.map { "error: " + $0.description }.joined(separator: "\n")
            + "\n\(n) error\(n == 1 ? "" : "s") in spec"
    }
}
