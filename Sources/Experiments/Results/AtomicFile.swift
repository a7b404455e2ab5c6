import Foundation
#if canImport(Glibc)
import Glibc
private let sysWrite = Glibc.write
#elseif canImport(Darwin)
import Darwin
private let sysWrite = Darwin.write
#endif

/// Crash-safe file writing: the bytes go to `tmp-<pid>-<n>-<name>.partial` in the same folder, are
/// flushed to disk, then renamed over the target. rename(2) is atomic within a file system,
/// so a reader (or a kill -9) sees either the old file or the new one, never a torn one.
public enum AtomicFile {
    nonisolated(unsafe) private static var counter = 0
    private static let counterLock = NSLock()

    static let tempPrefix = "tmp-"
    /// So that globs such as `*.csv` or `runs/*.json` never pick up a partial file.
    static let tempSuffix = ".partial"

    /// Writes in progress, and whether the process is about to exit (`seal`).
    nonisolated(unsafe) private static var active = 0
    nonisolated(unsafe) private static var sealed = false
    private static let activity = NSCondition()

    /// Waits for the writes in progress to finish and refuses new ones (they throw): called
    /// just before the process exits on a signal, so that it leaves no `.partial` file.
    static func seal() {
        activity.lock()
        sealed = true
        while active > 0 { activity.wait() }
        activity.unlock()
    }

    static func write(_ data: Data, to url: URL) throws {
        let dir = url.deletingLastPathComponent()
        activity.lock()
        if sealed { activity.unlock(); throw AtomicFileError.cannotWrite(url.path, "the process is exiting") }
        active += 1
        activity.unlock()
        defer { activity.lock(); active -= 1; activity.broadcast(); activity.unlock() }
        counterLock.lock(); counter += 1; let n = counter; counterLock.unlock()
        let tmp = dir.appendingPathComponent("\(tempPrefix)\(getpid())-\(n)-\(url.lastPathComponent)\(tempSuffix)")
        let fd = open(tmp.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw AtomicFileError.cannotWrite(tmp.path, String(cString: strerror(errno))) }
        var ok = true
        data.withUnsafeBytes { (buf: UnsafeRawBufferPointer) in
            var offset = 0
            while offset < buf.count {
                let w = sysWrite(fd, buf.baseAddress! + offset, buf.count - offset)
                if w < 0 { if errno == EINTR { continue }; ok = false; break }
                offset += w
            }
        }
        if ok && fsync(fd) != 0 { ok = false }
        let err = String(cString: strerror(errno))
        close(fd)
        guard ok else { unlink(tmp.path); throw AtomicFileError.cannotWrite(tmp.path, err) }
        if rename(tmp.path, url.path) != 0 {
            let e = String(cString: strerror(errno))
            unlink(tmp.path)
            throw AtomicFileError.cannotWrite(url.path, e)
        }
        // The rename lives in the directory: without this fsync a power cut can undo it, and
        // "reported ok" must mean "on disk".
        try syncDirectory(dir)
    }

    /// fsync(2) of a directory, so that the names created or renamed in it are durable.
    static func syncDirectory(_ dir: URL) throws {
        let fd = open(dir.path, O_RDONLY | O_DIRECTORY)
        guard fd >= 0 else { throw AtomicFileError.cannotWrite(dir.path, String(cString: strerror(errno))) }
        defer { close(fd) }
        if fsync(fd) != 0 && errno != EINVAL {   // EINVAL: a file system without directory sync
            throw AtomicFileError.cannotWrite(dir.path, String(cString: strerror(errno)))
        }
    }

    public static func write(_ text: String, to url: URL) throws { try write(Data(text.utf8), to: url) }

    /// Removes temp files left by processes that no longer exist (a kill -9 mid-write).
    static func removeStaleTemps(in dir: URL) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir.path) else { return }
        for name in names where name.hasPrefix(tempPrefix) {
            let rest = name.dropFirst(tempPrefix.count)
            guard let pidText = rest.split(separator: "-").first, let pid = Int32(pidText) else { continue }
            if pid != getpid() && kill(pid, 0) != 0 && errno == ESRCH {
                unlink(dir.appendingPathComponent(name).path)
            }
        }
    }
}

enum AtomicFileError: Error, CustomStringConvertible {
    case cannotWrite(String, String)
    var description: String {
        switch self { case let .cannotWrite(p, e): return "cannot write \(p): \(e)" }
    }
}

/// An exclusive advisory lock on a file (flock), released on close or process death, so two
/// processes sharing an output folder (shards) do not interleave their table rebuilds.
final class FileLock {
    private let fd: Int32
    init(path: String) throws {
        fd = open(path, O_RDWR | O_CREAT, 0o644)
        guard fd >= 0 else { throw AtomicFileError.cannotWrite(path, String(cString: strerror(errno))) }
    }
    func withLock<T>(_ body: () throws -> T) rethrows -> T {
        while flock(fd, LOCK_EX) != 0 && errno == EINTR {}
        defer { flock(fd, LOCK_UN) }
        return try body()
    }
    deinit { close(fd) }
}
