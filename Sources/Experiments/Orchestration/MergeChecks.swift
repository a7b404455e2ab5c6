import Foundation

/// What `repro merge` checks in the run files it reads (issue #10, item 3).
enum MergeChecks {
    /// The fields (dotted paths such as `run.seed`, `outcome.testAccuracy`) in which two
    /// copies of a run differ, timings aside; each with both values.
    static func differences(_ a: RunRecord, _ b: RunRecord) -> [String] {
        guard let x = signatureObject(a), let y = signatureObject(b) else { return ["(unreadable signature)"] }
        var out: [String] = []
        compare(x, y, path: "", into: &out)
        return out
    }

    private static func signatureObject(_ r: RunRecord) -> Any? {
        guard let text = try? r.resultSignature() else { return nil }
        return try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
    }

    private static func compare(_ a: Any?, _ b: Any?, path: String, into out: inout [String]) {
        if let da = a as? [String: Any], let db = b as? [String: Any] {
            for key in Set(da.keys).union(db.keys).sorted() {
                compare(da[key], db[key], path: path.isEmpty ? key : path + "." + key, into: &out)
            }
            return
        }
        if let la = a as? [Any], let lb = b as? [Any], la.count == lb.count {
            for i in la.indices { compare(la[i], lb[i], path: "\(path)[\(i)]", into: &out) }
            return
        }
        let ta = text(a), tb = text(b)
        if ta != tb { out.append("\(path) \(ta) vs \(tb)") }
    }

    private static func text(_ v: Any?) -> String {
        guard let v, !(v is NSNull) else { return "null" }
        if let d = try? JSONSerialization.data(withJSONObject: v, options: [.fragmentsAllowed, .sortedKeys]) {
            return String(decoding: d, as: UTF8.self)
        }
        return "\(v)"
    }
}
