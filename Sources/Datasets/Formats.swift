import Foundation

/// A problem with one data file, naming the file.
public struct DatasetError: Error, CustomStringConvertible, Equatable {
    let file: String
    let problem: String
    public var description: String { "\(file): \(problem)" }

    public init(file: String, problem: String) {
        self.file = file
        self.problem = problem
    }
}

extension DatasetError: LocalizedError {
    public var errorDescription: String? { description }
}

// MARK: - IDX (MNIST, Fashion-MNIST)

enum IDXFormat {
    static let imagesMagic: UInt32 = 0x0000_0803
    static let labelsMagic: UInt32 = 0x0000_0801
    static let imagesHeaderBytes = 16
    static let labelsHeaderBytes = 8

    static func be32(_ b: [UInt8], _ at: Int) -> UInt32 {
        UInt32(b[at]) << 24 | UInt32(b[at + 1]) << 16 | UInt32(b[at + 2]) << 8 | UInt32(b[at + 3])
    }

    static func hex(_ v: UInt32) -> String { "0x" + FileReader.hex8(v).uppercased() }

    private static func magicProblem(found: UInt32, images: Bool, contents: FileContents) -> String {
        let expected = images ? imagesMagic : labelsMagic
        var s = "wrong IDX magic number: expected \(hex(expected)) (\(images ? "images" : "labels")), found \(hex(found))"
        if found == (images ? labelsMagic : imagesMagic) {
            s += " (this looks like an IDX \(images ? "labels" : "images") file: are the files swapped?)"
        } else if found & 0xFFFF_0000 == 0x1F8B_0000 {
            s += " (this looks like gzip data inside an already decompressed file)"
        } else if contents.misnamedGz {
            s += " (note: the file is named .gz but is not gzip-compressed)"
        }
        return s
    }

    struct ImagesHeader {
        var count: Int, rows: Int, cols: Int
        /// Header + pixels; saturates instead of overflowing for absurd headers.
        var expectedBytes: Int {
            let (a, o1) = count.multipliedReportingOverflow(by: rows)
            let (b, o2) = a.multipliedReportingOverflow(by: cols)
            return o1 || o2 ? Int.max : b.addingReportingOverflow(IDXFormat.imagesHeaderBytes).overflow ? Int.max : b + IDXFormat.imagesHeaderBytes
        }
    }

    /// Validates the header of an IDX images file (magic, and the image size if required).
    static func imagesHeader(_ c: FileContents, path: String, requiredSize: (rows: Int, cols: Int)?) throws -> ImagesHeader {
        let b = c.bytes
        guard b.count >= imagesHeaderBytes else {
            throw DatasetError(file: path, problem: "truncated: expected a \(imagesHeaderBytes)-byte IDX images header, found \(b.count) bytes\(c.sizeNote)")
        }
        let magic = be32(b, 0)
        guard magic == imagesMagic else {
            throw DatasetError(file: path, problem: magicProblem(found: magic, images: true, contents: c))
        }
        let h = ImagesHeader(count: Int(be32(b, 4)), rows: Int(be32(b, 8)), cols: Int(be32(b, 12)))
        if let r = requiredSize, h.rows != r.rows || h.cols != r.cols {
            throw DatasetError(file: path, problem: "image dimensions are \(h.rows)×\(h.cols), expected \(r.rows)×\(r.cols)")
        }
        return h
    }

    static func labelsHeader(_ c: FileContents, path: String) throws -> Int {
        let b = c.bytes
        guard b.count >= labelsHeaderBytes else {
            throw DatasetError(file: path, problem: "truncated: expected an \(labelsHeaderBytes)-byte IDX labels header, found \(b.count) bytes\(c.sizeNote)")
        }
        let magic = be32(b, 0)
        guard magic == labelsMagic else {
            throw DatasetError(file: path, problem: magicProblem(found: magic, images: false, contents: c))
        }
        return Int(be32(b, 4))
    }

    /// Checks that the content is exactly `expected` bytes long and the gzip stream complete.
    static func checkSize(_ c: FileContents, expected: Int, what: String, path: String) throws {
        let found = c.bytes.count
        if found < expected {
            throw DatasetError(file: path, problem: "truncated: expected \(expected) bytes of \(what), found \(found)\(c.sizeNote)")
        }
        if found > expected {
            throw DatasetError(file: path, problem: "too long: expected \(expected) bytes of \(what) (as its header says), found \(found): trailing data or a wrong header")
        }
        if c.gzipEndedEarly {
            throw DatasetError(file: path, problem: "corrupt gzip stream: unexpected end of file (the gzip trailer is missing; the file is cut short)")
        }
    }

    /// More images than any of these datasets has by far (MNIST: 60 000 per split); a header
    /// declaring more is corrupt, and believing it would allocate gigabytes.
    static let maxDeclaredCount = 1_000_000

    /// Only for gzip files: a raw file's size bounds what is read (and a short one gets the
    /// more useful "truncated" message).
    static func checkDeclaredCount(_ count: Int, path: String) throws {
        if count > maxDeclaredCount, try FileReader.hasGzipMagic(path) {
            throw DatasetError(file: path, problem: "the IDX header declares \(count) items; at most \(maxDeclaredCount) are accepted (a corrupt header)")
        }
    }

    /// Reads and validates an images file and a labels file, returning a dataset.
    static func load(imagesPath: String, labelsPath: String, numClasses: Int,
                     requiredSize: (rows: Int, cols: Int)?) throws -> ImageDataset {
        // Headers first, so that inflating stops one byte past the size the header declares:
        // a gzip bomb costs no more than an honest file (issue #10, item 9). The gzip trailer
        // is not trusted for this: a cut-short file has none, and its last bytes are data.
        let h = try imagesHeader(try FileReader.readContentPrefix(imagesPath, count: imagesHeaderBytes),
                                 path: imagesPath, requiredSize: requiredSize)
        try checkDeclaredCount(h.count, path: imagesPath)
        let ic = try FileReader.readAll(imagesPath, limit: h.expectedBytes + 1)
        try checkSize(ic, expected: h.expectedBytes, what: "image data", path: imagesPath)

        let n = try labelsHeader(try FileReader.readContentPrefix(labelsPath, count: labelsHeaderBytes), path: labelsPath)
        try checkDeclaredCount(n, path: labelsPath)
        let lc = try FileReader.readAll(labelsPath, limit: labelsHeaderBytes + n + 1)
        try checkSize(lc, expected: labelsHeaderBytes + n, what: "label data", path: labelsPath)
        guard n == h.count else {
            throw DatasetError(file: labelsPath, problem: "image/label count mismatch: this file has \(n) labels but \((imagesPath as NSString).lastPathComponent) has \(h.count) images")
        }

        let labels = try validatedLabels(lc.bytes, offset: labelsHeaderBytes, stride: 1, count: n,
                                         numClasses: numClasses, path: labelsPath, unit: "index")
        var pixels = ic.bytes
        pixels.removeFirst(imagesHeaderBytes)
        return ImageDataset(validated: pixels, labels: labels, height: h.rows, width: h.cols,
                            channels: 1, numClasses: numClasses)
    }
}

/// Label bytes at offset + i × stride for i in 0..<count, as Int32, each checked < numClasses.
func validatedLabels(_ b: [UInt8], offset: Int, stride: Int, count: Int, numClasses: Int,
                     path: String, unit: String, which: String = "label") throws -> [Int32] {
    var labels = [Int32](repeating: 0, count: count)
    var bad = -1
    b.withUnsafeBufferPointer { src in
        labels.withUnsafeMutableBufferPointer { dst in
            guard count > 0 else { return }
            let p = src.baseAddress! + offset
            let limit = UInt8(clamping: numClasses)
            let allBytesValid = numClasses > 255
            for i in 0..<count {
                let v = p[i &* stride]
                if !allBytesValid && v >= limit && bad < 0 { bad = i }
                dst[i] = Int32(v)
            }
        }
    }
    if bad >= 0 {
        let v = b[offset + bad * stride]
        throw DatasetError(file: path, problem: "\(which) out of range at \(unit) \(bad): value \(v), expected 0..<\(numClasses)")
    }
    return labels
}

// MARK: - CIFAR binary batches

enum CIFARFormat {
    static let pixelBytes = 3072  // 32 × 32 × 3, planar R, G, B

    /// One validated CIFAR binary file: its bytes, record count and the chosen labels.
    struct Batch { var bytes: [UInt8]; var records: Int; var labels: [Int32] }

    /// Reads and validates one CIFAR binary file. `labelBytes` is 1 (CIFAR-10) or 2 (CIFAR-100:
    /// coarse, fine); `labelLimits` gives the number of classes for each label byte (all are
    /// checked) and `use` which one becomes the label.
    static func read(file path: String, datasetTitle: String, labelBytes: Int, labelLimits: [Int],
                     labelNames: [String], use: Int) throws -> Batch {
        let c = try FileReader.readAll(path)
        let record = labelBytes + pixelBytes
        let size = c.bytes.count
        if c.gzipEndedEarly {
            throw DatasetError(file: path, problem: "truncated: the gzip stream ends early after \(size) bytes of record data (the compressed file is cut short)")
        }
        guard size % record == 0 else {
            throw DatasetError(file: path, problem: "size \(size) bytes is not a multiple of the \(record)-byte \(datasetTitle) record size (\(labelBytes) label byte\(labelBytes > 1 ? "s" : "") + \(pixelBytes) pixel bytes): the file is truncated or not a \(datasetTitle) binary file\(c.sizeNote)")
        }
        let n = size / record
        guard n > 0 else {
            throw DatasetError(file: path, problem: "empty: expected \(datasetTitle) records of \(record) bytes, found 0 bytes")
        }
        var chosen = [Int32]()
        for k in 0..<labelBytes {  // every label byte is checked, used or not
            let l = try validatedLabels(c.bytes, offset: k, stride: record, count: n, numClasses: labelLimits[k],
                                        path: path, unit: "record", which: labelNames[k])
            if k == use { chosen = l }
        }
        return Batch(bytes: c.bytes, records: n, labels: chosen)
    }

    /// Concatenates validated batches into one dataset, converting planar CHW to HWC.
    static func assemble(_ batches: [Batch], labelBytes: Int, numClasses: Int) -> ImageDataset {
        let total = batches.reduce(0) { $0 + $1.records }
        let images = [UInt8](unsafeUninitializedCapacity: total * pixelBytes) { dst, initialized in
            var offset = 0
            for b in batches {
                b.bytes.withUnsafeBufferPointer { src in
                    planarToInterleaved(src: src.baseAddress! + labelBytes, srcStride: labelBytes + pixelBytes,
                                        dst: dst.baseAddress! + offset, records: b.records)
                }
                offset += b.records * pixelBytes
            }
            initialized = total * pixelBytes
        }
        var labels = [Int32]()
        labels.reserveCapacity(total)
        for b in batches { labels.append(contentsOf: b.labels) }
        return ImageDataset(validated: images, labels: labels, height: 32, width: 32, channels: 3,
                            numClasses: numClasses)
    }

    /// Per record: 1024 R, 1024 G, 1024 B bytes → 1024 × (R, G, B).
    static func planarToInterleaved(src: UnsafePointer<UInt8>, srcStride: Int,
                                    dst: UnsafeMutablePointer<UInt8>, records: Int) {
        var s = src
        var d = dst
        for _ in 0..<records {
            let r = s, g = s + 1024, b = s + 2048
            var o = d
            var p = 0
            while p < 1024 {
                o[0] = r[p]
                o[1] = g[p]
                o[2] = b[p]
                o += 3
                p &+= 1
            }
            s += srcStride
            d += pixelBytes
        }
    }
}
