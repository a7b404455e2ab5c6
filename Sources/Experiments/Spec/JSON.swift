import Foundation

// A small JSON reader that keeps what Foundation's does not: the line and column of every
// value (for error messages), the order of object members, duplicate keys, and the exact
// text of numbers (so 3 and 3.0 can be told apart when it matters). It also writes the
// canonical form used for hashing: sorted keys, no whitespace, one spelling per number.

struct JSONNode: Sendable {
    indirect enum Value: Sendable {
        case null
        case bool(Bool)
        /// The parsed value and the literal text as written.
        case number(Double, text: String)
        case string(String)
        case array([JSONNode])
        case object([JSONMember])
    }
    var value: Value
    var line: Int
    var column: Int
    init(_ value: Value, line: Int = 0, column: Int = 0) {
        self.value = value; self.line = line; self.column = column
    }

    /// Member lookup for objects (first match); nil for other values.
    subscript(key: String) -> JSONNode? {
        if case .object(let members) = value { return members.first { $0.key == key }?.value }
        return nil
    }

    /// Control characters escaped as JSON writes them (and DEL too), so that an error message
    /// about a string holding a newline stays on one line.
    static func visible(_ s: String) -> String {
        String(CanonicalJSON.string(s).dropFirst().dropLast()).replacingOccurrences(of: "\u{7F}", with: "\\u007f")
    }

    /// A short description of the value for "found …" messages.
    /// A spec value as an error quotes it: at most `limit` characters, a longer one cut with
    /// "..." and its length (a 10,000-layer `filters` string must not fill the terminal).
    static func cut(_ s: String, limit: Int = 40) -> String {
        s.count > limit ? String(s.prefix(limit - 3)) + "... (\(s.count) characters)" : s
    }

    var shortDescription: String {
        switch value {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .number(_, let text): return JSONNode.cut(text)
        case .string(let s):
            return "\"\(JSONNode.visible(JSONNode.cut(s)))\" (a string)"
        case .array(let a): return a.isEmpty ? "an empty list" : "a list"
        case .object(let m): return m.isEmpty ? "an empty object" : "an object"
        }
    }
}

struct JSONMember: Sendable {
    var key: String
    var value: JSONNode
    var line: Int
    init(key: String, value: JSONNode, line: Int = 0) {
        self.key = key; self.value = value; self.line = line
    }
}

struct JSONSyntaxError: Error, CustomStringConvertible, Sendable {
    var line: Int
    var column: Int
    var message: String
    var description: String { "line \(line), column \(column): \(message)" }
}

enum JSONReader {
    static func parse(_ data: Data) throws -> JSONNode {
        var parser = Parser(bytes: [UInt8](data))
        return try parser.parseDocument()
    }

    static func parse(_ text: String) throws -> JSONNode {
        try parse(Data(text.utf8))
    }

    private struct Parser {
        let bytes: [UInt8]
        var index = 0
        var line = 1
        var lineStart = 0
        var depth = 0

        init(bytes: [UInt8]) {
            self.bytes = bytes
            if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3; lineStart = 3 }  // UTF-8 BOM
        }

        var column: Int { index - lineStart + 1 }

        func error(_ message: String) -> JSONSyntaxError {
            JSONSyntaxError(line: line, column: column, message: message)
        }

        mutating func skipWhitespace() {
            while index < bytes.count {
                switch bytes[index] {
                case 0x20, 0x09, 0x0D: index += 1
                case 0x0A: index += 1; line += 1; lineStart = index
                default: return
                }
            }
        }

        func describeCurrent() -> String {
            guard index < bytes.count else { return "end of file" }
            let b = bytes[index]
            if b >= 0x21 && b < 0x7F { return "'\(Character(UnicodeScalar(b)))'" }
            return String(format: "byte 0x%02X", b)
        }

        mutating func parseDocument() throws -> JSONNode {
            skipWhitespace()
            if index >= bytes.count { throw error("the file is empty; expected a JSON object") }
            let node = try parseValue()
            skipWhitespace()
            if index < bytes.count { throw error("unexpected \(describeCurrent()) after the end of the JSON value") }
            return node
        }

        mutating func parseValue() throws -> JSONNode {
            skipWhitespace()
            guard index < bytes.count else { throw error("unexpected end of file; expected a value") }
            let l = line, c = column
            switch bytes[index] {
            case UInt8(ascii: "{"): return JSONNode(try parseObject(), line: l, column: c)
            case UInt8(ascii: "["): return JSONNode(try parseArray(), line: l, column: c)
            case UInt8(ascii: "\""): return JSONNode(.string(try parseString()), line: l, column: c)
            case UInt8(ascii: "t"): try expectLiteral("true"); return JSONNode(.bool(true), line: l, column: c)
            case UInt8(ascii: "f"): try expectLiteral("false"); return JSONNode(.bool(false), line: l, column: c)
            case UInt8(ascii: "n"): try expectLiteral("null"); return JSONNode(.null, line: l, column: c)
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                return JSONNode(try parseNumber(), line: l, column: c)
            default:
                throw error("unexpected \(describeCurrent()); expected a value (object, list, string, number, true, false or null)")
            }
        }

        mutating func expectLiteral(_ word: String) throws {
            let w = Array(word.utf8)
            if index + w.count <= bytes.count && Array(bytes[index..<index + w.count]) == w {
                index += w.count
                return
            }
            throw error("invalid literal; expected '\(word)' (strings need double quotes)")
        }

        mutating func parseObject() throws -> JSONNode.Value {
            depth += 1
            defer { depth -= 1 }
            if depth > 200 { throw error("nesting too deep") }
            index += 1  // {
            var members: [JSONMember] = []
            skipWhitespace()
            if index < bytes.count && bytes[index] == UInt8(ascii: "}") { index += 1; return .object(members) }
            while true {
                skipWhitespace()
                guard index < bytes.count else { throw error("unexpected end of file inside an object; expected a key or '}'") }
                guard bytes[index] == UInt8(ascii: "\"") else {
                    if bytes[index] == UInt8(ascii: "}") { throw error("trailing comma before '}' is not allowed in JSON") }
                    throw error("unexpected \(describeCurrent()); expected a key in double quotes")
                }
                let keyLine = line
                let key = try parseString()
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else {
                    throw error("unexpected \(describeCurrent()); expected ':' after the key \"\(key)\"")
                }
                index += 1
                let value = try parseValue()
                members.append(JSONMember(key: key, value: value, line: keyLine))
                skipWhitespace()
                guard index < bytes.count else { throw error("unexpected end of file inside an object; expected ',' or '}'") }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                if bytes[index] == UInt8(ascii: "}") { index += 1; return .object(members) }
                throw error("unexpected \(describeCurrent()); expected ',' or '}' after the value of \"\(key)\"")
            }
        }

        mutating func parseArray() throws -> JSONNode.Value {
            depth += 1
            defer { depth -= 1 }
            if depth > 200 { throw error("nesting too deep") }
            index += 1  // [
            var items: [JSONNode] = []
            skipWhitespace()
            if index < bytes.count && bytes[index] == UInt8(ascii: "]") { index += 1; return .array(items) }
            while true {
                skipWhitespace()
                if index < bytes.count && bytes[index] == UInt8(ascii: "]") {
                    throw error("trailing comma before ']' is not allowed in JSON")
                }
                items.append(try parseValue())
                skipWhitespace()
                guard index < bytes.count else { throw error("unexpected end of file inside a list; expected ',' or ']'") }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                if bytes[index] == UInt8(ascii: "]") { index += 1; return .array(items) }
                throw error("unexpected \(describeCurrent()); expected ',' or ']' in a list")
            }
        }

        mutating func parseHex4() throws -> UInt32 {
            guard index + 4 <= bytes.count else { throw error("unexpected end of file in a \\u escape") }
            var v: UInt32 = 0
            for _ in 0..<4 {
                let b = bytes[index]
                let d: UInt32
                switch b {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt32(b - UInt8(ascii: "0"))
                case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt32(b - UInt8(ascii: "a") + 10)
                case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt32(b - UInt8(ascii: "A") + 10)
                default: throw error("invalid hex digit in a \\u escape")
                }
                v = v * 16 + d
                index += 1
            }
            return v
        }

        mutating func parseString() throws -> String {
            index += 1  // opening quote
            var out: [UInt8] = []
            while true {
                guard index < bytes.count else { throw error("unexpected end of file inside a string") }
                let b = bytes[index]
                if b == UInt8(ascii: "\"") { index += 1; break }
                if b == 0x0A { throw error("line break inside a string (missing closing quote?)") }
                if b < 0x20 { throw error("control character inside a string") }
                if b == UInt8(ascii: "\\") {
                    index += 1
                    guard index < bytes.count else { throw error("unexpected end of file in an escape") }
                    let e = bytes[index]
                    index += 1
                    switch e {
                    case UInt8(ascii: "\""): out.append(0x22)
                    case UInt8(ascii: "\\"): out.append(0x5C)
                    case UInt8(ascii: "/"): out.append(0x2F)
                    case UInt8(ascii: "b"): out.append(0x08)
                    case UInt8(ascii: "f"): out.append(0x0C)
                    case UInt8(ascii: "n"): out.append(0x0A)
                    case UInt8(ascii: "r"): out.append(0x0D)
                    case UInt8(ascii: "t"): out.append(0x09)
                    case UInt8(ascii: "u"):
                        var scalar = try parseHex4()
                        if scalar >= 0xD800 && scalar < 0xDC00 {
                            guard index + 6 <= bytes.count, bytes[index] == UInt8(ascii: "\\"),
                                  bytes[index + 1] == UInt8(ascii: "u") else { throw error("unpaired surrogate in a \\u escape") }
                            index += 2
                            let low = try parseHex4()
                            guard low >= 0xDC00 && low < 0xE000 else { throw error("invalid surrogate pair in a \\u escape") }
                            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        }
                        guard let u = UnicodeScalar(scalar) else { throw error("invalid \\u escape") }
                        out.append(contentsOf: Array(String(Character(u)).utf8))
                    default:
                        index -= 1
                        throw error("invalid escape '\\\(Character(UnicodeScalar(e)))' in a string")
                    }
                    continue
                }
                out.append(b)
                index += 1
            }
            guard let s = String(bytes: out, encoding: .utf8) else { throw error("string is not valid UTF-8") }
            return s
        }

        mutating func parseNumber() throws -> JSONNode.Value {
            let start = index
            if bytes[index] == UInt8(ascii: "-") { index += 1 }
            func digits(_ p: inout Parser) -> Int {
                var n = 0
                while p.index < p.bytes.count, p.bytes[p.index] >= UInt8(ascii: "0"), p.bytes[p.index] <= UInt8(ascii: "9") {
                    p.index += 1; n += 1
                }
                return n
            }
            let intStart = index
            let intDigits = digits(&self)
            if intDigits == 0 { throw error("invalid number: expected a digit") }
            if intDigits > 1 && bytes[intStart] == UInt8(ascii: "0") {
                index = intStart
                throw error("invalid number: leading zeros are not allowed")
            }
            if index < bytes.count && bytes[index] == UInt8(ascii: ".") {
                index += 1
                if digits(&self) == 0 { throw error("invalid number: expected a digit after '.'") }
            }
            if index < bytes.count && (bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E")) {
                index += 1
                if index < bytes.count && (bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-")) { index += 1 }
                if digits(&self) == 0 { throw error("invalid number: expected a digit in the exponent") }
            }
            let text = String(decoding: bytes[start..<index], as: UTF8.self)
            guard let v = Double(text), v.isFinite else { throw error("number \(text) is out of range") }
            return .number(v, text: text)
        }
    }
}

/// Canonical JSON: object keys sorted by their UTF-8 bytes, no insignificant whitespace,
/// integral numbers below 2^53 written as integers, others in Swift's shortest round-trip
/// form, strings with only the mandatory escapes. Two equal values always give equal text.
enum CanonicalJSON {
    static func serialize(_ node: JSONNode) -> String {
        var out = ""
        write(node, into: &out)
        return out
    }

    /// The canonical text of any Encodable value (through JSONEncoder, then re-read).
    static func serialize<T: Encodable>(encodable value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let data = try encoder.encode(value)
        return serialize(try JSONReader.parse(data))
    }

    static func number(_ v: Double) -> String {
        if v == v.rounded() && abs(v) < 9_007_199_254_740_992 {
            return v == 0 ? "0" : String(Int64(v))
        }
        return "\(v)"
    }

    static func string(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 {
                    out += String(format: "\\u%04x", u.value)
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }

    private static func write(_ node: JSONNode, into out: inout String) {
        switch node.value {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .number(let v, _): out += number(v)
        case .string(let s): out += string(s)
        case .array(let items):
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += "," }
                write(item, into: &out)
            }
            out += "]"
        case .object(let members):
            out += "{"
            let sorted = members.sorted { Array($0.key.utf8).lexicographicallyPrecedes(Array($1.key.utf8)) }
            for (i, m) in sorted.enumerated() {
                if i > 0 { out += "," }
                out += string(m.key)
                out += ":"
                write(m.value, into: &out)
            }
            out += "}"
        }
    }
}
