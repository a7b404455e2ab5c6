import CImageCodecs
import Foundation

/// An image folder (torchvision's ImageFolder convention): `train/<class>/*.png|*.jpg` and
/// `test/<class>/*`, the classes the sorted folder names of `train/`. Decoded by the system's
/// libpng and libjpeg (`CImageCodecs`). All images must have one size (an image of another
/// size is refused, naming it: repro does not resize). Grayscale when every image is,
/// else RGB (grayscale images repeated into three channels).
public enum ImageFolder {
    static let imageExtensions: Set<String> = ["png", "jpg", "jpeg"]

    /// One split's files: (class index, path), classes in order, files sorted by name.
    struct Listing { var classes: [String]; var train: [(Int, String)]; var test: [(Int, String)] }

    static func entries(_ dir: String) throws -> [String] {
        do {
            return try FileManager.default.contentsOfDirectory(atPath: dir).filter { !$0.hasPrefix(".") }.sorted()
        } catch {
            throw DatasetError(file: dir, problem: "cannot list the folder: \(error.localizedDescription)")
        }
    }

    static func list(_ root: String) throws -> Listing {
        func sub(_ name: String) throws -> String {
            let p = (root as NSString).appendingPathComponent(name)
            guard FileReader.isDirectory(p) else {
                throw DatasetError(file: p, problem: "missing: an image folder has train/<class>/ and test/<class>/ folders of PNG or JPEG images")
            }
            return p
        }
        let train = try sub("train"), test = try sub("test")
        var classes: [String] = []
        for e in try entries(train) {
            let p = (train as NSString).appendingPathComponent(e)
            guard FileReader.isDirectory(p) else {
                throw DatasetError(file: p, problem: "a file directly in train/: images go in one folder per class, train/<class>/")
            }
            classes.append(e)
        }
        guard classes.count >= 2 else {
            throw DatasetError(file: train, problem: "fewer than 2 classes: \(classes.count) class folder\(classes.count == 1 ? "" : "s"); classification needs at least 2")
        }
        for e in try entries(test) {
            let p = (test as NSString).appendingPathComponent(e)
            guard FileReader.isDirectory(p) else {
                throw DatasetError(file: p, problem: "a file directly in test/: images go in one folder per class, test/<class>/")
            }
            guard classes.contains(e) else {
                throw DatasetError(file: p, problem: "labels out of range: class \"\(e)\" is not one of train/'s classes (\(classes.joined(separator: ", ")))")
            }
        }
        func files(_ split: String, _ splitName: String) throws -> [(Int, String)] {
            var out: [(Int, String)] = []
            for (c, name) in classes.enumerated() {
                let dir = (split as NSString).appendingPathComponent(name)
                guard FileReader.isDirectory(dir) else {
                    throw DatasetError(file: dir, problem: splitName == "test" ? "a class with no test images: the folder is missing" : "missing class folder")
                }
                var n = 0
                for e in try entries(dir) {
                    let p = (dir as NSString).appendingPathComponent(e)
                    guard !FileReader.isDirectory(p) else {
                        throw DatasetError(file: p, problem: "a folder inside a class folder; images go directly in \(splitName)/<class>/")
                    }
                    guard imageExtensions.contains((e as NSString).pathExtension.lowercased()) else {
                        throw DatasetError(file: p, problem: "unreadable image: not a .png, .jpg or .jpeg file")
                    }
                    out.append((c, p)); n += 1
                }
                if n == 0 {
                    throw DatasetError(file: dir, problem: splitName == "test" ? "a class with no test images" : "class \"\(name)\" has no training images")
                }
            }
            return out
        }
        return Listing(classes: classes, train: try files(train, "train"), test: try files(test, "test"))
    }

    /// Every file the dataset consists of, sorted (what its content hash covers).
    public static func dataFiles(_ root: String) throws -> [String] {
        let l = try list(root)
        return (l.train + l.test).map(\.1).sorted()
    }

    public static func load(path root: String) throws -> DatasetSplits {
        let l = try list(root)
        var error = [CChar](repeating: 0, count: 512)
        func message() -> String { String(cString: error) }
        // Headers first: one size for all, and the channel count.
        var size: (w: Int32, h: Int32, file: String)? = nil
        var channels = 1
        for (_, p) in l.train + l.test {
            var w: Int32 = 0, h: Int32 = 0, c: Int32 = 0
            guard ic_probe(p, &w, &h, &c, &error, error.count) == 0 else { throw DatasetError(file: p, problem: message()) }
            if let s = size, s.w != w || s.h != h {
                throw DatasetError(file: p, problem: "image size \(w)×\(h) differs from \(s.w)×\(s.h) (\(s.file)); every image needs one size (repro does not resize)")
            }
            if size == nil { size = (w, h, p) }
            if c == 3 { channels = 3 }
        }
        let (w, h) = (Int(size!.w), Int(size!.h))
        func decode(_ files: [(Int, String)]) throws -> ImageDataset {
            let s = w * h * channels
            var pixels = [UInt8](repeating: 0, count: files.count * s)
            for (i, (_, p)) in files.enumerated() {
                let status = pixels.withUnsafeMutableBufferPointer { b in
                    ic_decode(p, Int32(w), Int32(h), Int32(channels), b.baseAddress! + i * s, &error, error.count)
                }
                guard status == 0 else { throw DatasetError(file: p, problem: message()) }
            }
            return ImageDataset(validated: pixels, labels: files.map { Int32($0.0) }, height: h, width: w,
                                channels: channels, numClasses: l.classes.count)
        }
        return DatasetSplits(train: try decode(l.train), test: try decode(l.test),
                             name: DatasetName(ownData: OwnData.name(ofPath: root), contentHash: "", source: nil))
    }

    /// The class names, in label order.
    public static func classes(_ root: String) throws -> [String] { try list(root).classes }
}
