import Foundation

/// NumPy `.npy` files, format version 1.0 (numpy.lib.format): the magic `\x93NUMPY`, version
/// bytes 1 0, a little-endian UInt16 header length, then an ASCII Python dict
/// `{'descr': '<f4', 'fortran_order': False, 'shape': (…), }` padded with spaces and ended by
/// '\n' so that magic + version + length + header is a multiple of 64 bytes, then the values
/// as little-endian float32 in C order. `numpy.load` reads it without repro.
public enum Npy {
    static let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)

    /// The header dict as numpy writes it; a 1-tuple needs its trailing comma, `(3,)`.
    static func headerDict(shape: [Int]) -> String {
        let dims = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        return "{'descr': '<f4', 'fortran_order': False, 'shape': \(dims), }"
    }

    /// The bytes of a float32 array of `shape` (row-major, `values.count` = product of shape).
    static func encode(_ values: [Float], shape: [Int]) throws -> Data {
        guard shape.allSatisfy({ $0 >= 0 }), shape.reduce(1, *) == values.count else {
            throw NpyError(description: "shape \(shape) does not hold \(values.count) values")
        }
        var header = headerDict(shape: shape)
        // 10 = magic (6) + version (2) + header length (2); pad with spaces, end with '\n'.
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        guard header.utf8.count <= Int(UInt16.max) else { throw NpyError(description: "shape \(shape): header too long for format 1.0") }
        var d = Data(magic + [1, 0])
        let len = UInt16(header.utf8.count)
        d.append(contentsOf: [UInt8(len & 0xFF), UInt8(len >> 8)])
        d.append(contentsOf: Array(header.utf8))
        d.reserveCapacity(d.count + 4 * values.count)
        for v in values {
            let b = v.bitPattern.littleEndian
            d.append(contentsOf: [UInt8(b & 0xFF), UInt8((b >> 8) & 0xFF), UInt8((b >> 16) & 0xFF), UInt8(b >> 24)])
        }
        return d
    }

    /// Reads what `encode` writes (version 1.0, '<f4', C order); anything else is refused
    /// with the problem named.
    static func decode(_ data: Data, name: String = "array") throws -> (shape: [Int], values: [Float]) {
        let b = [UInt8](data)
        func fail(_ why: String) -> NpyError { NpyError(description: "\(name): \(why)") }
        guard b.count >= 10, Array(b[0..<6]) == magic else { throw fail("not an .npy file (no \\x93NUMPY magic)") }
        guard b[6] == 1, b[7] == 0 else { throw fail("npy format version \(b[6]).\(b[7]); only 1.0 is read") }
        let hlen = Int(b[8]) | Int(b[9]) << 8
        guard b.count >= 10 + hlen, (10 + hlen) % 64 == 0 else { throw fail("header of \(hlen) bytes is truncated or not 64-byte aligned") }
        guard let header = String(bytes: b[10..<(10 + hlen)], encoding: .ascii) else { throw fail("header is not ASCII") }
        guard header.contains("'descr': '<f4'") else { throw fail("dtype is not '<f4' (header \(header.trimmingCharacters(in: .whitespacesAndNewlines)))") }
        guard header.contains("'fortran_order': False") else { throw fail("Fortran order is not read") }
        guard let open = header.range(of: "'shape': ("), let close = header[open.upperBound...].firstIndex(of: ")") else {
            throw fail("no shape in header")
        }
        let dims = header[open.upperBound..<close].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let shape = try dims.map { s -> Int in
            guard let v = Int(s), v >= 0 else { throw fail("bad dimension '\(s)' in shape") }
            return v
        }
        let count = shape.reduce(1, *)
        let start = 10 + hlen
        guard b.count == start + 4 * count else { throw fail("\(b.count - start) data bytes for shape \(shape); expected \(4 * count)") }
        var values = [Float](repeating: 0, count: count)
        for i in 0..<count {
            let o = start + 4 * i
            values[i] = Float(bitPattern: UInt32(b[o]) | UInt32(b[o + 1]) << 8 | UInt32(b[o + 2]) << 16 | UInt32(b[o + 3]) << 24)
        }
        return (shape, values)
    }

    public static func read(_ url: URL) throws -> (shape: [Int], values: [Float]) {
        try decode(Data(contentsOf: url), name: url.lastPathComponent)
    }
}

struct NpyError: Error, CustomStringConvertible {
    let description: String
}
