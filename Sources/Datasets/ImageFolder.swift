import CImageCodecs
import Foundation

/// An image folder (torchvision's ImageFolder convention): `train/<class>/*.png|*.jpg` and
/// `test/<class>/*`, the classes the sorted folder names of `train/`. Decoded by the system's
/// libpng and libjpeg (`CImageCodecs`). All images must have one size (an image of another
/// size is refused, naming it) unless the spec's data.resize gives one, to which every image
/// is then resized. Grayscale when every image is, else RGB (a grayscale image's value
/// repeated into three channels: a folder may mix the two).
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

    /// What the headers say: every file's size, the channel count, and whether sizes differ.
    public struct Survey {
        var listing: Listing
        /// Per file of `listing.train + listing.test`: height and width.
        var sizes: [(height: Int, width: Int)]
        /// 3 when any image is colour, else 1.
        public var channels: Int
        public var numClasses: Int { listing.classes.count }
        /// The first image's height and width (every image's when `mixedSizes` is nil).
        public var height: Int { sizes[0].height }
        public var width: Int { sizes[0].width }
        /// The first image whose size differs from the first image's, and why (nil: one size).
        public var mixedSizes: DatasetError?
    }

    /// Lists the folder and reads every image's header (not its pixels).
    public static func survey(_ root: String) throws -> Survey {
        let l = try list(root)
        var error = [CChar](repeating: 0, count: 512)
        var sizes: [(height: Int, width: Int)] = []
        var channels = 1
        var mixed: DatasetError? = nil
        let files = (l.train + l.test).map(\.1)
        for p in files {
            var w: Int32 = 0, h: Int32 = 0, c: Int32 = 0
            guard ic_probe(p, &w, &h, &c, &error, error.count) == 0 else { throw DatasetError(file: p, problem: String(cString: error)) }
            sizes.append((Int(h), Int(w)))
            if mixed == nil, let first = sizes.first, first != (Int(h), Int(w)) {
                mixed = DatasetError(file: p, problem: "image size \(h)×\(w) (height×width) differs from \(first.height)×\(first.width) (\(files[0])); "
                    + "images of different sizes need the spec key data.resize, " + ImageResize.expectation.replacingOccurrences(of: ", or null for none", with: "")
                    + ", which resizes every image to one size (repro data PATH --resize HxW)")
            }
            if c == 3 { channels = 3 }
        }
        return Survey(listing: l, sizes: sizes, channels: channels, mixedSizes: mixed)
    }

    /// Decodes the folder. With `.keep` every image must have the first image's size (else the
    /// first that differs is refused, naming it and data.resize); with a size, each image is
    /// decoded at its own size and resized (`resizeAreaAverage`). Channels: grayscale when
    /// every image is, else RGB, a grayscale image's value repeated in its three channels.
    static func load(path root: String, resize: ImageResize = .keep) throws -> DatasetSplits {
        let survey = try survey(root)
        if case .keep = resize, let mixed = survey.mixedSizes { throw mixed }
        let l = survey.listing, channels = survey.channels
        let (h, w): (Int, Int)
        switch resize {
        case .keep: (h, w) = (survey.height, survey.width)
        case let .to(rh, rw): (h, w) = (rh, rw)
        }
        var error = [CChar](repeating: 0, count: 512)
        func decode(_ files: [(Int, String)], sizes: ArraySlice<(height: Int, width: Int)>) throws -> ImageDataset {
            let s = w * h * channels
            var pixels = [UInt8](repeating: 0, count: files.count * s)
            var native: [UInt8] = []
            for (i, ((_, p), size)) in zip(files, sizes).enumerated() {
                let status: Int32
                if case .keep = resize {
                    status = pixels.withUnsafeMutableBufferPointer { b in
                        ic_decode(p, Int32(w), Int32(h), Int32(channels), b.baseAddress! + i * s, &error, error.count)
                    }
                } else {
                    native = [UInt8](repeating: 0, count: size.height * size.width * channels)
                    status = native.withUnsafeMutableBufferPointer { b in
                        ic_decode(p, Int32(size.width), Int32(size.height), Int32(channels), b.baseAddress!, &error, error.count)
                    }
                    if status == 0 {
                        native.withUnsafeBufferPointer { src in
                            pixels.withUnsafeMutableBufferPointer { dst in
                                resizeAreaAverage(src, inHeight: size.height, inWidth: size.width, channels: channels,
                                                  into: UnsafeMutableBufferPointer(rebasing: dst[(i * s)..<((i + 1) * s)]),
                                                  outHeight: h, outWidth: w)
                            }
                        }
                    }
                }
                guard status == 0 else { throw DatasetError(file: p, problem: String(cString: error)) }
            }
            return ImageDataset(validated: pixels, labels: files.map { Int32($0.0) }, height: h, width: w,
                                channels: channels, numClasses: l.classes.count)
        }
        let nTrain = l.train.count
        return DatasetSplits(train: try decode(l.train, sizes: survey.sizes[0..<nTrain]),
                             test: try decode(l.test, sizes: survey.sizes[nTrain...]),
                             name: DatasetName(ownData: OwnData.name(ofPath: root), contentHash: "", source: nil))
    }

    /// The class names, in label order.
    static func classes(_ root: String) throws -> [String] { try list(root).classes }
}
