import Foundation

/// CSV as RFC 4180 writes it: comma separated, a header line, fields quoted (with doubled
/// quotes inside) only when they contain a comma, quote, CR or LF, or leading/trailing
/// spaces. Numbers are written in Swift's shortest round-trip form; NaN as `nan`.
public struct CSVTable {
    var header: [String]
    public var rows: [[String]] = []

    public init(header: [String]) { self.header = header }

    public mutating func append(_ row: [String]) {
        precondition(row.count == header.count, "CSV row has \(row.count) fields, header \(header.count)")
        rows.append(row)
    }

    public var text: String {
        var out = CSVTable.line(header)
        for r in rows { out += CSVTable.line(r) }
        return out
    }

    static func line(_ fields: [String]) -> String {
        fields.map(quote).joined(separator: ",") + "\n"
    }

    static func quote(_ field: String) -> String {
        let needs = field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
            || field.hasPrefix(" ") || field.hasSuffix(" ")
        guard needs else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    public static func number(_ v: Double) -> String {
        if v.isNaN { return "nan" }
        if v.isInfinite { return v > 0 ? "inf" : "-inf" }
        return "\(v)"
    }

    static func number(_ v: Int?) -> String { v.map(String.init) ?? "nan" }

    /// Parses CSV text (RFC 4180) back into rows; used by tests and `merge` checks.
    public static func parse(_ text: String) -> [[String]] {
        var rows: [[String]] = []
        var row: [String] = []
        var field = ""
        var inQuotes = false
        var fieldStarted = false
        var it = Array(text).makeIterator()
        var pending: Character? = nil
        func next() -> Character? {
            if let p = pending { pending = nil; return p }
            return it.next()
        }
        while let c = next() {
            if inQuotes {
                if c == "\"" {
                    if let n = next() {
                        if n == "\"" { field.append("\"") } else { inQuotes = false; pending = n }
                    } else { inQuotes = false }
                } else { field.append(c) }
                continue
            }
            switch c {
            case "\"" where !fieldStarted: inQuotes = true; fieldStarted = true
            case ",": row.append(field); field = ""; fieldStarted = false
            case "\n", "\r\n":
                row.append(field); rows.append(row); row = []; field = ""; fieldStarted = false
            case "\r": break
            default: field.append(c); fieldStarted = true
            }
        }
        if fieldStarted || !row.isEmpty { row.append(field); rows.append(row) }
        return rows
    }
}
