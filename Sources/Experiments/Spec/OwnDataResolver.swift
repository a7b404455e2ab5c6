import Datasets
import Crypto
import Foundation

/// Turns a spec's path entry into a `DatasetName`: resolves the path (relative to the spec
/// file's folder, or absolute), reads and checks the data (`OwnData.load`), and hashes the
/// file's bytes (SHA-256, what `sha256sum FILE` prints), which enters the run ids. An image
/// folder whose images differ in size is only surveyed here (headers): its source records
/// why, and `load(_:resize:)` reads it once per `data.resize` the spec gives it.
public enum OwnDataResolver {
    /// `written` as the spec has it; `specFile` the spec's path (relative paths resolve against
    /// its folder; a spec read from memory resolves against the working directory).
    static func resolve(_ written: String, specFile: String) throws -> DatasetName {
        let absolute = absolutePath(written, specFile: specFile)
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: absolute, isDirectory: &isDirectory), isDirectory.boolValue {
            let survey = try ImageFolder.survey(absolute)
            if let mixed = survey.mixedSizes {
                let hash = try contentHash(path: absolute)
                let source = OwnDataSource(path: absolute, written: written, height: survey.height, width: survey.width,
                                           channels: survey.channels, numClasses: survey.numClasses,
                                           mixedSizes: "\(mixed)")
                return DatasetName(ownData: OwnData.name(ofPath: absolute), contentHash: hash, source: source)
            }
        }
        let splits = try OwnData.load(path: absolute)
        let hash = try contentHash(path: absolute)
        let t = splits.train
        let source = OwnDataSource(path: absolute, written: written, height: t.height, width: t.width,
                                   channels: t.channels, numClasses: t.numClasses,
                                   hasValidationSplit: splits.validation != nil)
        let name = DatasetName(ownData: OwnData.name(ofPath: absolute), contentHash: hash, source: source)
        DatasetCache.shared.store(name, splits: splits.named(name))
        return name
    }

    /// Reads and checks a resolved dataset with its images resized to `data.resize`'s size,
    /// keeping it for the runs (`.keep`: nothing to do, `resolve` read it).
    static func load(_ name: DatasetName, resize: ImageResize) throws {
        guard let source = name.source, case .to = resize else { return }
        let splits = try OwnData.load(path: source.path, resize: resize)
        DatasetCache.shared.store(name, resize: resize, splits: splits.named(name))
    }

    static func absolutePath(_ written: String, specFile: String) -> String {
        let expanded = (written as NSString).expandingTildeInPath
        if expanded.hasPrefix("/") { return URL(fileURLWithPath: expanded).standardizedFileURL.path }
        let specURL = URL(fileURLWithPath: specFile)
        let base = specFile == "(memory)"
            ? URL(fileURLWithPath: FileManager.default.currentDirectoryPath, isDirectory: true)
            : specURL.deletingLastPathComponent()
        return base.appendingPathComponent(expanded).standardizedFileURL.path
    }

    /// Hex SHA-256 of the file's bytes; for an image folder, of its data files in sorted
    /// order, each as its path relative to the folder, a newline, its size as 8 bytes
    /// little-endian, and its bytes (so a renamed, moved or changed image changes the hash).
    public static func contentHash(path: String) throws -> String {
        var digest = SHA256()
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            let root = URL(fileURLWithPath: path).standardizedFileURL.path
            for f in try ImageFolder.dataFiles(path) {
                let rel = String(URL(fileURLWithPath: f).standardizedFileURL.path.dropFirst(root.count + 1))
                let data = try Data(contentsOf: URL(fileURLWithPath: f))
                digest.update(data: Array(rel.utf8) + [0x0A])
                digest.update(data: (0..<8).map { UInt8(truncatingIfNeeded: UInt64(data.count) >> (8 * UInt64($0))) })
                digest.update(data: data)
            }
            return StableHash.hex(digest.finalize())
        }
        guard let h = FileHandle(forReadingAtPath: path) else {
            throw DatasetError(file: path, problem: "cannot read the file")
        }
        defer { try? h.close() }
        while true {
            let chunk = h.readData(ofLength: 1 << 20)
            if chunk.isEmpty { break }
            digest.update(data: chunk)
        }
        return StableHash.hex(digest.finalize())
    }
}
