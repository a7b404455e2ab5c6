import CZlib
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file read into memory, decompressed if it was gzip-compressed.
struct FileContents {
    var bytes: [UInt8]
    /// The file began with the gzip magic bytes 1f 8b (and was decompressed).
    var isGzip: Bool
    /// The gzip stream ended before its end marker and trailer: the file is cut short.
    var gzipEndedEarly: Bool
    /// Name ends in ".gz" but the content is not gzip (it was read as it is).
    var misnamedGz: Bool

    /// A note appended to size errors so the user knows which layer is at fault.
    var sizeNote: String {
        if gzipEndedEarly { return " (the gzip stream ends early: the compressed file is cut short)" }
        if misnamedGz { return " (note: the file is named .gz but is not gzip-compressed)" }
        return ""
    }
}

enum FileReader {
    static let gzipMagic: (UInt8, UInt8) = (0x1F, 0x8B)

    /// Whether a regular file (or a symlink to one) exists at `path`.
    static func isRegularFile(_ path: String) -> Bool {
        var st = stat()
        guard stat(path, &st) == 0 else { return false }
        return (st.st_mode & S_IFMT) == S_IFREG
    }

    static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        guard stat(path, &st) == 0 else { return false }
        return (st.st_mode & S_IFMT) == S_IFDIR
    }

    /// What is at `path` when it exists and is not a regular file (symlinks followed): "a
    /// directory", "a FIFO (named pipe)", …; nil otherwise.
    static func nonRegularKind(_ path: String) -> String? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        switch st.st_mode & S_IFMT {
        case S_IFREG: return nil
        case S_IFDIR: return "a directory"
        case S_IFIFO: return "a FIFO (named pipe)"
        case S_IFSOCK: return "a socket"
        case S_IFCHR, S_IFBLK: return "a device"
        default: return "not a regular file"
        }
    }

    static func fileSize(_ path: String) -> Int? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return Int(st.st_size)
    }

    private static func errnoText() -> String { String(cString: strerror(errno)) }

    /// Reads up to `count` bytes from the start of the file as stored on disk.
    static func readRawPrefix(_ path: String, count: Int) throws -> [UInt8] {
        guard let f = fopen(path, "rb") else {
            throw DatasetError(file: path, problem: "cannot open: \(errnoText())")
        }
        defer { fclose(f) }
        var buf = [UInt8](repeating: 0, count: count)
        let n = buf.withUnsafeMutableBytes { fread($0.baseAddress, 1, count, f) }
        buf.removeLast(count - n)
        return buf
    }

    /// Whether the file starts with the gzip magic bytes.
    static func hasGzipMagic(_ path: String) throws -> Bool {
        let head = try readRawPrefix(path, count: 2)
        return head.count == 2 && head[0] == gzipMagic.0 && head[1] == gzipMagic.1
    }

    /// Reads the whole file, decompressing it if it starts with the gzip magic (whatever its
    /// name). Throws for unreadable files and corrupt gzip streams; a gzip stream that is cut
    /// short is reported through `gzipEndedEarly` so the caller can say how much was expected.
    /// `limit`: inflate at most this many bytes (the size the header declares, plus one to
    /// detect trailing data), so that a gzip bomb costs no more than an honest file.
    static func readAll(_ path: String, limit: Int? = nil) throws -> FileContents {
        guard isRegularFile(path) else {
            throw DatasetError(file: path, problem: nonRegularKind(path).map { "found \($0) where a file is expected" }
                                                    ?? "not found or not a regular file")
        }
        let gz = try hasGzipMagic(path)
        let misnamed = !gz && path.hasSuffix(".gz")
        if gz {
            return try readGzip(path, limit: limit)
        }
        return FileContents(bytes: try readRaw(path), isGzip: false, gzipEndedEarly: false,
                            misnamedGz: misnamed)
    }

    private static func readRaw(_ path: String) throws -> [UInt8] {
        guard let f = fopen(path, "rb") else {
            throw DatasetError(file: path, problem: "cannot open: \(errnoText())")
        }
        defer { fclose(f) }
        var st = stat()
        guard fstat(fileno(f), &st) == 0 else {
            throw DatasetError(file: path, problem: "cannot stat: \(errnoText())")
        }
        let size = Int(st.st_size)
        var readError: String?
        let bytes = [UInt8](unsafeUninitializedCapacity: size) { buf, initialized in
            var got = 0
            while got < size {
                let n = fread(buf.baseAddress! + got, 1, size - got, f)
                if n == 0 {
                    if ferror(f) != 0 { readError = errnoText() }
                    break
                }
                got += n
            }
            if got < size { memset(buf.baseAddress! + got, 0, size - got) }
            initialized = got
        }
        if let e = readError {
            throw DatasetError(file: path, problem: "read error: \(e)")
        }
        if bytes.count != size {
            throw DatasetError(file: path, problem: "read error: the file shrank while being read (expected \(size) bytes, got \(bytes.count))")
        }
        return bytes
    }

    /// The uncompressed size modulo 2^32 recorded in the last four bytes of a gzip file
    /// (exact for single-member files under 4 GiB). Used only as a capacity hint and for the
    /// inventory's cheap consistency check.
    static func gzipTrailerSize(_ path: String) -> UInt32? {
        guard let size = fileSize(path), size >= 18, let f = fopen(path, "rb") else { return nil }
        defer { fclose(f) }
        guard fseek(f, -4, SEEK_END) == 0 else { return nil }
        var b = [UInt8](repeating: 0, count: 4)
        guard b.withUnsafeMutableBytes({ fread($0.baseAddress, 1, 4, f) }) == 4 else { return nil }
        return UInt32(b[0]) | UInt32(b[1]) << 8 | UInt32(b[2]) << 16 | UInt32(b[3]) << 24
    }

    private static func gzipError(_ f: gzFile, path: String) -> DatasetError {
        var errnum: Int32 = 0
        let msg = gzerror(f, &errnum).map { String(cString: $0) } ?? "unknown zlib error"
        return DatasetError(file: path, problem: "corrupt gzip stream: \(msg)")
    }

    /// Decompresses a gzip file. `limit`: stop after this many uncompressed bytes (for reading
    /// headers only); nil reads to the end, which also makes zlib verify the CRC trailer.
    static func readGzip(_ path: String, limit: Int? = nil) throws -> FileContents {
        guard let f = gzopen(path, "rb") else {
            throw DatasetError(file: path, problem: "cannot open: \(errnoText())")
        }
        defer { gzclose_r(f) }
        gzbuffer(f, 1 << 20)
        var out = [UInt8]()
        let hint = limit ?? Int(gzipTrailerSize(path) ?? 0)
        out.reserveCapacity(min(max(hint, 1 << 16), 1 << 28))  // a hint only: the trailer may lie
        let chunkSize = 1 << 22
        let chunk = UnsafeMutablePointer<UInt8>.allocate(capacity: chunkSize)
        defer { chunk.deallocate() }
        var endedEarly = false
        while true {
            var want = chunkSize
            if let limit { want = min(want, limit - out.count) }
            if want <= 0 { break }
            let n = gzread(f, chunk, UInt32(want))
            if n < 0 { throw gzipError(f, path: path) }
            if n == 0 {
                var errnum: Int32 = 0
                _ = gzerror(f, &errnum)
                if errnum == Z_BUF_ERROR {
                    endedEarly = true
                } else if errnum != Z_OK {
                    throw gzipError(f, path: path)
                }
                break
            }
            out.append(contentsOf: UnsafeBufferPointer(start: chunk, count: Int(n)))
        }
        return FileContents(bytes: out, isGzip: true, gzipEndedEarly: endedEarly, misnamedGz: false)
    }

    /// Reads the first `count` bytes of content (decompressed if gzip), for headers.
    static func readContentPrefix(_ path: String, count: Int) throws -> FileContents {
        if try hasGzipMagic(path) {
            return try readGzip(path, limit: count)
        }
        return FileContents(bytes: try readRawPrefix(path, count: count), isGzip: false,
                            gzipEndedEarly: false, misnamedGz: path.hasSuffix(".gz"))
    }

    /// Total uncompressed size of a gzip file, by decompressing it without keeping the data.
    static func gzipUncompressedSize(_ path: String) throws -> (size: Int, endedEarly: Bool) {
        guard let f = gzopen(path, "rb") else {
            throw DatasetError(file: path, problem: "cannot open: \(errnoText())")
        }
        defer { gzclose_r(f) }
        gzbuffer(f, 1 << 20)
        let chunkSize = 1 << 22
        let chunk = UnsafeMutablePointer<UInt8>.allocate(capacity: chunkSize)
        defer { chunk.deallocate() }
        var total = 0
        while true {
            let n = gzread(f, chunk, UInt32(chunkSize))
            if n < 0 { throw gzipError(f, path: path) }
            if n == 0 {
                var errnum: Int32 = 0
                _ = gzerror(f, &errnum)
                if errnum == Z_BUF_ERROR { return (total, true) }
                if errnum != Z_OK { throw gzipError(f, path: path) }
                return (total, false)
            }
            total += Int(n)
        }
    }

    /// CRC-32 (zlib's, the same as gzip and PNG use) of the file as stored on disk.
    static func crc32OfFile(_ path: String) throws -> UInt32 {
        guard let f = fopen(path, "rb") else {
            throw DatasetError(file: path, problem: "cannot open: \(errnoText())")
        }
        defer { fclose(f) }
        let chunkSize = 1 << 20
        let chunk = UnsafeMutablePointer<UInt8>.allocate(capacity: chunkSize)
        defer { chunk.deallocate() }
        var crc = CZlib.crc32(0, nil, 0)
        while true {
            let n = fread(chunk, 1, chunkSize, f)
            if n == 0 {
                if ferror(f) != 0 { throw DatasetError(file: path, problem: "read error: \(errnoText())") }
                break
            }
            crc = CZlib.crc32(crc, chunk, uInt(n))
        }
        return UInt32(truncatingIfNeeded: crc)
    }

    static func hex8(_ v: UInt32) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: 8 - s.count) + s
    }
}
