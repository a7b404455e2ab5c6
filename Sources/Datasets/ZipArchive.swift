import CZlib
import Foundation

// The zip container of a NumPy `.npz` archive. Its members are inflated by zlib (the
// existing CZlib bridge); only the zip directory records are parsed here. Hand-written
// because the well-kept Swift zip package (ZIPFoundation) declares its own clang module
// named `CZlib`, which clashes with this package's ("redefinition of module 'CZlib'"), and
// the directory format needed is small: the end-of-central-directory record (and its zip64
// form, which np.savez always writes), the central directory entries (with the zip64 extra
// field) and each member's local header (APPNOTE.TXT 6.3, sections 4.3 and 4.5.3).

/// A problem with the zip container, before the file is named.
struct ZipError: Error { let message: String }

struct ZipArchive {
    struct Entry {
        var name: String
        var method: UInt16
        var flags: UInt16
        var crc: UInt32
        var compressedSize: UInt64
        var uncompressedSize: UInt64
        var localHeaderOffset: UInt64
    }

    let bytes: [UInt8]
    private(set) var entries: [Entry] = []

    init(bytes: [UInt8]) throws {
        self.bytes = bytes
        try readDirectory()
    }

    subscript(name: String) -> Entry? { entries.first { $0.name == name } }

    private func u16(_ o: Int) -> UInt16 { UInt16(bytes[o]) | UInt16(bytes[o + 1]) << 8 }
    private func u32(_ o: Int) -> UInt32 { UInt32(u16(o)) | UInt32(u16(o + 2)) << 16 }
    private func u64(_ o: Int) -> UInt64 { UInt64(u32(o)) | UInt64(u32(o + 4)) << 32 }

    private mutating func readDirectory() throws {
        let n = bytes.count
        guard n >= 22 else { throw ZipError(message: "not a zip archive (\(n) bytes, too short for one)") }
        // The end-of-central-directory record: the last 0x06054b50 within the final 64 KiB + 22 bytes.
        var eocd = -1
        var o = n - 22
        let lowest = max(0, n - 22 - 65_535)
        while o >= lowest {
            if bytes[o] == 0x50 && bytes[o + 1] == 0x4b && bytes[o + 2] == 0x05 && bytes[o + 3] == 0x06 { eocd = o; break }
            o -= 1
        }
        guard eocd >= 0 else { throw ZipError(message: "not a zip archive (no end-of-central-directory record; truncated or another format)") }
        var count = UInt64(u16(eocd + 10))
        var cdSize = UInt64(u32(eocd + 12))
        var cdOffset = UInt64(u32(eocd + 16))
        if count == 0xFFFF || cdSize == 0xFFFF_FFFF || cdOffset == 0xFFFF_FFFF {
            // zip64: a locator right before the record points at the zip64 record.
            let loc = eocd - 20
            guard loc >= 0, u32(loc) == 0x0706_4b50 else { throw ZipError(message: "corrupt zip64 archive: no zip64 locator") }
            let z = u64(loc + 8)
            guard n >= 56, z <= UInt64(n - 56), u32(Int(z)) == 0x0606_4b50 else { throw ZipError(message: "corrupt zip64 archive: no zip64 end record at \(z)") }
            count = u64(Int(z) + 32); cdSize = u64(Int(z) + 40); cdOffset = u64(Int(z) + 48)
        }
        guard cdOffset <= UInt64(n), cdSize <= UInt64(n) - cdOffset else {
            throw ZipError(message: "truncated zip archive: the central directory (\(cdSize) bytes at \(cdOffset)) lies past the end of the \(n)-byte file")
        }
        var p = Int(cdOffset)
        let end = Int(cdOffset + cdSize)
        for i in 0..<count {
            guard p + 46 <= end, u32(p) == 0x0201_4b50 else { throw ZipError(message: "corrupt zip archive: central directory entry \(i) is damaged") }
            let nameLen = Int(u16(p + 28)), extraLen = Int(u16(p + 30)), commentLen = Int(u16(p + 32))
            guard p + 46 + nameLen + extraLen + commentLen <= end else { throw ZipError(message: "corrupt zip archive: central directory entry \(i) runs past the directory") }
            var e = Entry(name: String(decoding: bytes[(p + 46)..<(p + 46 + nameLen)], as: UTF8.self),
                          method: u16(p + 10), flags: u16(p + 8), crc: u32(p + 16),
                          compressedSize: UInt64(u32(p + 20)), uncompressedSize: UInt64(u32(p + 24)),
                          localHeaderOffset: UInt64(u32(p + 42)))
            // The zip64 extra field (id 1) holds, in this order, those of the three that are 0xFFFFFFFF.
            var x = p + 46 + nameLen
            let xEnd = x + extraLen
            while x + 4 <= xEnd {
                let id = u16(x), size = Int(u16(x + 2))
                if id == 1 {
                    var f = x + 4
                    if e.uncompressedSize == 0xFFFF_FFFF, f + 8 <= x + 4 + size { e.uncompressedSize = u64(f); f += 8 }
                    if e.compressedSize == 0xFFFF_FFFF, f + 8 <= x + 4 + size { e.compressedSize = u64(f); f += 8 }
                    if e.localHeaderOffset == 0xFFFF_FFFF, f + 8 <= x + 4 + size { e.localHeaderOffset = u64(f) }
                }
                x += 4 + size
            }
            entries.append(e)
            p += 46 + nameLen + extraLen + commentLen
        }
    }

    /// The member's bytes, inflated (stored or deflate), checked against its size and CRC-32.
    /// Refuses a member declaring more than `limit` bytes before inflating anything, and stops
    /// inflating one byte past the declared size.
    func extract(_ e: Entry, limit: UInt64) throws -> [UInt8] {
        guard e.flags & 1 == 0 else { throw ZipError(message: "member \(e.name) is encrypted") }
        guard e.uncompressedSize <= limit else {
            throw ZipError(message: "member \(e.name) declares \(e.uncompressedSize) bytes; at most \(limit) are accepted")
        }
        let h = Int(clamping: e.localHeaderOffset)
        guard h <= bytes.count - 30, u32(h) == 0x0403_4b50 else {
            throw ZipError(message: "member \(e.name): no local header at offset \(e.localHeaderOffset) (truncated or corrupt archive)")
        }
        let start = h + 30 + Int(u16(h + 26)) + Int(u16(h + 28))
        guard e.compressedSize <= UInt64(bytes.count), start <= bytes.count - Int(e.compressedSize) else {
            throw ZipError(message: "member \(e.name) is truncated: \(e.compressedSize) bytes declared, the file ends first")
        }
        let size = Int(e.uncompressedSize)
        var out: [UInt8]
        switch e.method {
        case 0:
            guard e.compressedSize == e.uncompressedSize else {
                throw ZipError(message: "member \(e.name): stored with \(e.compressedSize) bytes but \(e.uncompressedSize) declared")
            }
            out = Array(bytes[start..<(start + size)])
        case 8:
            out = try inflateRaw(from: start, count: Int(e.compressedSize), expected: size, name: e.name)
        default:
            throw ZipError(message: "member \(e.name) uses zip compression method \(e.method); stored (0) and deflate (8) are read (np.savez, np.savez_compressed)")
        }
        let crc = out.withUnsafeBufferPointer { b -> UInt32 in
            UInt32(CZlib.crc32(0, b.baseAddress, uInt(b.count)))
        }
        guard crc == e.crc else {
            throw ZipError(message: "member \(e.name) is corrupt: CRC-32 \(FileReader.hex8(crc)) but the archive records \(FileReader.hex8(e.crc))")
        }
        return out
    }

    private func inflateRaw(from start: Int, count: Int, expected: Int, name: String) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: expected + 1)   // one byte past: a longer stream is detected
        var stream = z_stream()
        guard inflateInit2_(&stream, -MAX_WBITS, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw ZipError(message: "member \(name): zlib could not start")
        }
        defer { inflateEnd(&stream) }
        var status: Int32 = Z_OK
        var produced = 0
        bytes.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                stream.next_in = UnsafeMutablePointer(mutating: src.baseAddress! + start)
                stream.avail_in = uInt(count)
                stream.next_out = dst.baseAddress!
                stream.avail_out = uInt(dst.count)
                status = inflate(&stream, Z_FINISH)
                produced = dst.count - Int(stream.avail_out)
            }
        }
        if produced > expected {
            throw ZipError(message: "member \(name) inflates to more than the \(expected) bytes it declares")
        }
        guard status == Z_STREAM_END else {
            let why = status == Z_DATA_ERROR ? "corrupt deflate data" : "the deflate stream ends early (truncated)"
            throw ZipError(message: "member \(name): \(why) after \(produced) of \(expected) bytes")
        }
        guard produced == expected else {
            throw ZipError(message: "member \(name) inflates to \(produced) bytes but declares \(expected)")
        }
        out.removeLast()
        return out
    }
}
