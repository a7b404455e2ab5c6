import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A per-run claim, so that two `repro run` into the same folder split the work instead of
/// both executing every run: an exclusive, non-blocking flock(2) on `<out>/.locks/<id>.lock`,
/// held while the run executes and its file is written. The kernel drops it when the process
/// dies (even by kill -9), so a stale lock never blocks a resume. The lock files themselves
/// stay: removing one while another process waits on it would let two holders coexist.
final class RunLock {
    private let fd: Int32

    private init(fd: Int32) { self.fd = fd }

    /// The lock if no other process holds it, nil if one does; throws when the lock file
    /// cannot be created (a read-only or full output folder).
    static func tryAcquire(_ id: String, in folder: ResultFolder) throws -> RunLock? {
        let dir = folder.url.appendingPathComponent(".locks", isDirectory: true)
        if mkdir(dir.path, 0o755) != 0 && errno != EEXIST {
            throw OutputFolderError(path: dir.path, action: "create the lock folder", reason: String(cString: strerror(errno)))
        }
        let path = dir.appendingPathComponent(id + ".lock").path
        let fd = open(path, O_RDWR | O_CREAT, 0o644)
        guard fd >= 0 else {
            throw OutputFolderError(path: path, action: "create a run lock", reason: String(cString: strerror(errno)))
        }
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            if errno == EINTR { continue }
            close(fd)
            return nil
        }
        return RunLock(fd: fd)
    }

    deinit { close(fd) }
}

/// The output folder cannot be created or written: names the path, what was attempted and
/// the system's reason. `repro` exits with status 73 for it, distinct from "a run failed".
public struct OutputFolderError: Error, CustomStringConvertible {
    let path: String
    let action: String
    let reason: String

    init(path: String, action: String, reason: String) {
        self.path = path; self.action = action; self.reason = reason
    }

    /// Wraps any error of `body` (Foundation's or POSIX's) as an OutputFolderError on `path`.
    static func guarding<T>(_ path: String, _ action: String, _ body: () throws -> T) throws -> T {
        do { return try body() } catch let e as OutputFolderError { throw e } catch {
            throw OutputFolderError(path: path, action: action, reason: plainReason(error))
        }
    }

    /// The POSIX text ("Read-only file system") under a Foundation error, else its description.
    public static func plainReason(_ error: Error) -> String {
        if let e = error as? AtomicFileError, case let .cannotWrite(_, reason) = e { return reason }
        let ns = error as NSError
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? Error, case let posix = underlying as NSError,
           posix.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(posix.code)))
        }
        if ns.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(ns.code))) }
        // Foundation on Linux reports some errnos only as Cocoa codes ("The volume is read only.").
        let errnoOfCocoaCode: [Int: Int32] = [CocoaError.fileWriteVolumeReadOnly.rawValue: EROFS,
                                              CocoaError.fileWriteOutOfSpace.rawValue: ENOSPC,
                                              CocoaError.fileWriteNoPermission.rawValue: EACCES,
                                              CocoaError.fileNoSuchFile.rawValue: ENOENT]
        if ns.domain == NSCocoaErrorDomain, let e = errnoOfCocoaCode[ns.code] { return String(cString: strerror(e)) }
        return ns.localizedDescription
    }

    public var description: String { "cannot \(action) \(path): \(reason)" }
}
