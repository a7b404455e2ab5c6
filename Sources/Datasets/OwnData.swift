import Foundation

// Datasets given by path (issue #25): a NumPy archive (`.npz`, Keras's `load_data`
// convention: x_train, y_train, x_test, y_test, optionally x_val, y_val: the runs' validation
// set when present, see `DatasetSplits.validation`). The archive is a zip
// file (`ZipArchive`: stored or deflated members, zip64 as numpy writes them); the `.npy`
// members inside are parsed here: their format is a fixed magic, a version, a header length
// and a Python dict literal with three keys (NEP 1), too small a grammar to take a dependency
// for, and no maintained Swift package reads it.

/// Reading and checking a dataset given by path.
public enum OwnData {
    /// The archive members, in the order they are checked.
    static let requiredMembers = ["x_train", "y_train", "x_test", "y_test"]
    /// A bound on one member's uncompressed size (8 GiB): a larger one is refused before it is
    /// inflated (a corrupt or hostile archive).
    static let maxMemberBytes: UInt64 = 8 << 30

    /// Whether a `datasets` entry of a spec is a path rather than a built-in name: it contains
    /// a slash (`./flowers` for an image folder beside the spec) or ends in `.npz`.
    public static func looksLikePath(_ s: String) -> Bool {
        s.contains("/") || s.lowercased().hasSuffix(".npz")
    }

    /// The name a dataset given by path goes by: its file name.
    public static func name(ofPath path: String) -> String {
        var p = path
        while p.count > 1 && p.hasSuffix("/") { p.removeLast() }
        return (p as NSString).lastPathComponent
    }

    /// Loads and checks a `.npz` dataset or an image folder (`ImageFolder`), every image resized
    /// to `resize` when it gives a size (an archive's images already share one; resizing applies
    /// to them the same way, x_val included). Throws a `DatasetError` naming the file (and the
    /// member) and the problem.
    public static func load(path: String, resize: ImageResize = .keep) throws -> DatasetSplits {
        if FileReader.isDirectory(path) { return try ImageFolder.load(path: path, resize: resize) }
        guard FileManager.default.fileExists(atPath: path) else {
            throw DatasetError(file: path, problem: "no such file")
        }
        guard path.lowercased().hasSuffix(".npz") else {
            throw DatasetError(file: path, problem: "not a NumPy archive: expected a file ending in .npz (x_train, y_train, x_test, y_test)")
        }
        let archive: ZipArchive
        do {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            archive = try ZipArchive(bytes: [UInt8](data))
        } catch let e as ZipError {
            throw DatasetError(file: path, problem: e.message + " (a .npz file is a zip archive of .npy arrays, as np.savez writes it)")
        } catch {
            throw DatasetError(file: path, problem: "cannot read the file: \(error.localizedDescription)")
        }
        func member(_ name: String, required: Bool) throws -> NPYArray? {
            guard let entry = archive[name + ".npy"] ?? archive[name] else {
                if !required { return nil }
                let present = archive.entries.map(\.name).sorted()
                throw DatasetError(file: path, problem: "archive member \(name) missing (members: \(present.isEmpty ? "none" : present.joined(separator: ", "))); expected x_train, y_train, x_test, y_test as np.savez writes them")
            }
            let data: [UInt8]
            do {
                data = try archive.extract(entry, limit: maxMemberBytes)
            } catch let e as ZipError {
                throw DatasetError(file: path, problem: "archive " + e.message)
            }
            do {
                return try NPYArray.parse(data)
            } catch let e as NPYError {
                throw DatasetError(file: path, problem: "archive member \(entry.name): \(e.message)")
            }
        }
        var arrays: [String: NPYArray] = [:]
        for m in requiredMembers { arrays[m] = try member(m, required: true) }
        let xVal = try member("x_val", required: false)
        let yVal = try member("y_val", required: false)
        if (xVal == nil) != (yVal == nil) {
            throw DatasetError(file: path, problem: "archive member \(xVal == nil ? "x_val" : "y_val") missing: x_val and y_val come together")
        }
        return try assemble(file: path, xTrain: arrays["x_train"]!, yTrain: arrays["y_train"]!,
                            xTest: arrays["x_test"]!, yTest: arrays["y_test"]!,
                            val: xVal.map { ($0, yVal!) }).resized(resize)
    }

    /// Checks the arrays against each other and builds the splits. The classes are 0..<K with
    /// K = 1 + the largest training label; every class must have training and test images.
    static func assemble(file: String, xTrain: NPYArray, yTrain: NPYArray, xTest: NPYArray, yTest: NPYArray,
                         val: (NPYArray, NPYArray)?) throws -> DatasetSplits {
        func fail(_ s: String) -> DatasetError { DatasetError(file: file, problem: s) }
        let train = try images(xTrain, member: "x_train", file: file)
        let test = try images(xTest, member: "x_test", file: file)
        guard train.shape == test.shape else {
            throw fail("x_test images are \(shapeText(test.shape)) but x_train images are \(shapeText(train.shape)); both splits need one image shape")
        }
        let ltrain = try labels(yTrain, member: "y_train", count: train.count, file: file)
        let ltest = try labels(yTest, member: "y_test", count: test.count, file: file)
        guard train.count > 0 else { throw fail("empty split: x_train has 0 images") }
        guard test.count > 0 else { throw fail("empty split: x_test has 0 images") }
        if let i = ltrain.firstIndex(where: { $0 < 0 }) {
            throw fail("y_train: label out of range at index \(i): value \(ltrain[i]); labels are class indices 0, 1, …, K−1")
        }
        let k = Int(ltrain.max()!) + 1
        guard k <= 65_536 else { throw fail("y_train: label \(k - 1) out of range: at most 65536 classes") }
        var trainCounts = [Int](repeating: 0, count: k)
        for l in ltrain { trainCounts[Int(l)] += 1 }
        let absent = trainCounts.indices.filter { trainCounts[$0] == 0 }
        if let a = absent.first {
            throw fail("y_train: labels not contiguous: class \(a) has no training images (\(absent.count) of 0…\(k - 1) absent); labels must be 0, 1, …, K−1 with every class present")
        }
        guard k >= 2 else { throw fail("y_train: fewer than 2 classes: every label is 0; classification needs at least 2") }
        func checkRange(_ ls: [Int64], _ member: String) throws {
            if let i = ls.firstIndex(where: { $0 < 0 || $0 >= Int64(k) }) {
                throw fail("\(member): label out of range at index \(i): value \(ls[i]), expected 0..<\(k) (the classes of y_train)")
            }
        }
        try checkRange(ltest, "y_test")
        var testCounts = [Int](repeating: 0, count: k)
        for l in ltest { testCounts[Int(l)] += 1 }
        if let c = testCounts.firstIndex(of: 0) {
            throw fail("y_test: class \(c) has no test images (it has \(trainCounts[c]) training images); every class needs at least one")
        }
        let (h, w, c) = train.shape
        func dataset(_ im: (bytes: [UInt8], count: Int, shape: (Int, Int, Int)), _ ls: [Int64]) -> ImageDataset {
            ImageDataset(validated: im.bytes, labels: ls.map { Int32($0) }, height: h, width: w, channels: c, numClasses: k)
        }
        var validation: ImageDataset? = nil
        if let (xv, yv) = val {
            let v = try images(xv, member: "x_val", file: file)
            guard v.shape == train.shape else {
                throw fail("x_val images are \(shapeText(v.shape)) but x_train images are \(shapeText(train.shape))")
            }
            let lv = try labels(yv, member: "y_val", count: v.count, file: file)
            guard v.count > 0 else { throw fail("empty split: x_val has 0 images (leave x_val and y_val out for none)") }
            try checkRange(lv, "y_val")
            validation = dataset(v, lv)
        }
        return DatasetSplits(train: dataset(train, ltrain), test: dataset(test, ltest), validation: validation,
                             name: DatasetName(ownData: name(ofPath: file), contentHash: "", source: nil))
    }

    static func shapeText(_ s: (Int, Int, Int)) -> String { "\(s.0)×\(s.1)×\(s.2)" }

    /// Images: uint8 of shape (N, H, W) or (N, H, W, C), C-ordered.
    static func images(_ a: NPYArray, member: String, file: String) throws -> (bytes: [UInt8], count: Int, shape: (Int, Int, Int)) {
        func fail(_ s: String) -> DatasetError { DatasetError(file: file, problem: "\(member): \(s)") }
        if a.kind == "f", let i = a.firstNaN() {
            throw fail("NaN at element \(i) (a float array; images must be uint8 0…255)")
        }
        guard a.kind == "u" && a.itemSize == 1 else {
            throw fail("wrong dtype \(a.dtypeName) (descr '\(a.descr)'): images must be uint8, 0…255 (np.asarray(x, dtype=np.uint8))")
        }
        guard a.shape.count == 3 || a.shape.count == 4 else {
            throw fail("wrong shape \(a.shapeText): images must be (N, H, W) or (N, H, W, C)")
        }
        let n = a.shape[0], h = a.shape[1], w = a.shape[2], c = a.shape.count == 4 ? a.shape[3] : 1
        guard h > 0 && w > 0 && c > 0 else { throw fail("wrong shape \(a.shapeText): H, W and C must be positive") }
        guard c <= 64 else { throw fail("wrong shape \(a.shapeText): \(c) channels; channels last, (N, H, W, C), at most 64") }
        return (a.data, n, (h, w, c))
    }

    /// Labels: integers (any width, either byte order) or floats holding integers, of shape (N,)
    /// or (N, 1), N the image count.
    static func labels(_ a: NPYArray, member: String, count: Int, file: String) throws -> [Int64] {
        func fail(_ s: String) -> DatasetError { DatasetError(file: file, problem: "\(member): \(s)") }
        guard a.shape.count == 1 || (a.shape.count == 2 && a.shape[1] == 1) else {
            throw fail("wrong shape \(a.shapeText): labels must be (N,) or (N, 1)")
        }
        guard a.shape[0] == count else {
            let x = "x_" + member.dropFirst(2)
            throw fail("\(a.shape[0]) labels but \(x) has \(count) images")
        }
        if a.kind == "f", let i = a.firstNaN() { throw fail("NaN at index \(i)") }
        guard let values = a.integerValues() else {
            if a.kind == "f" { throw fail("a float label is not a whole number; labels must be class indices 0, 1, …, K−1") }
            throw fail("wrong dtype \(a.dtypeName) (descr '\(a.descr)'): labels must be integers")
        }
        return values
    }
}

/// A problem inside one `.npy` member.
struct NPYError: Error { let message: String }

/// One parsed `.npy` array (NEP 1, format versions 1–3): dtype, shape and the raw C-order bytes.
struct NPYArray {
    /// The dtype string as written ('<u1', '|u1', '<i8', '<f4', …).
    var descr: String
    var shape: [Int]
    var data: [UInt8]

    /// 'u', 'i', 'f', 'b', … (the descr's type letter).
    var kind: Character { descr.count >= 2 ? descr[descr.index(after: descr.startIndex)] : "?" }
    var itemSize: Int { Int(descr.dropFirst(2)) ?? 0 }
    var bigEndian: Bool { descr.first == ">" }
    var count: Int { shape.reduce(1, *) }
    var shapeText: String { "(" + shape.map(String.init).joined(separator: ", ") + (shape.count == 1 ? ",)" : ")") }
    var dtypeName: String {
        switch kind {
        case "u": return "uint\(itemSize * 8)"
        case "i": return "int\(itemSize * 8)"
        case "f": return "float\(itemSize * 8)"
        case "b": return "bool"
        default: return descr
        }
    }

    static let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)

    static func parse(_ b: [UInt8]) throws -> NPYArray {
        guard b.count >= 10, Array(b[0..<6]) == magic else {
            throw NPYError(message: "not a .npy array (no \\x93NUMPY magic)")
        }
        let major = b[6]
        let headerLength: Int, start: Int
        switch major {
        case 1: headerLength = Int(b[8]) | Int(b[9]) << 8; start = 10
        case 2, 3:
            guard b.count >= 12 else { throw NPYError(message: "truncated .npy header") }
            headerLength = Int(b[8]) | Int(b[9]) << 8 | Int(b[10]) << 16 | Int(b[11]) << 24; start = 12
        default: throw NPYError(message: ".npy format version \(major) is not supported (1, 2, 3 are)")
        }
        guard b.count >= start + headerLength else { throw NPYError(message: "truncated .npy header") }
        guard let header = String(bytes: b[start..<(start + headerLength)], encoding: major == 3 ? .utf8 : .isoLatin1) else {
            throw NPYError(message: "unreadable .npy header")
        }
        guard let descr = field(header, "descr").flatMap(quoted) else {
            throw NPYError(message: "wrong dtype: a structured or unreadable dtype in the header \(header.trimmingCharacters(in: .whitespacesAndNewlines)); expected a plain numeric array")
        }
        guard let fortran = field(header, "fortran_order") else { throw NPYError(message: "header without fortran_order") }
        guard let shapeText = field(header, "shape"), let shape = tuple(shapeText) else {
            throw NPYError(message: "header without a readable shape")
        }
        var a = NPYArray(descr: descr, shape: shape, data: [])
        if fortran.hasPrefix("True") && shape.count > 1 {
            throw NPYError(message: "stored in Fortran order; save a C-ordered array (np.ascontiguousarray)")
        }
        guard "<>|=".contains(descr.first ?? "?"), a.itemSize > 0 else {
            throw NPYError(message: "wrong dtype '\(descr)': expected a plain numeric array")
        }
        let (n, o1) = shape.reduce((1, false)) { acc, d in
            let (m, o) = acc.0.multipliedReportingOverflow(by: d); return (m, acc.1 || o)
        }
        let (bytes, o2) = n.multipliedReportingOverflow(by: a.itemSize)
        let body = b.count - start - headerLength
        guard !o1 && !o2 && bytes == body else {
            throw NPYError(message: "truncated or too long: shape \(a.shapeText) of \(descr) needs \(o1 || o2 ? "more than Int.max" : String(bytes)) bytes, found \(body)")
        }
        a.data = Array(b[(start + headerLength)...])
        return a
    }

    /// The text after `'key':` up to the next top-level comma (a tuple's commas are inside parentheses).
    static func field(_ header: String, _ key: String) -> String? {
        guard let r = header.range(of: "'\(key)':") ?? header.range(of: "\"\(key)\":") else { return nil }
        var depth = 0
        var out = ""
        for ch in header[r.upperBound...] {
            if ch == "(" || ch == "[" { depth += 1 }
            if ch == ")" || ch == "]" { depth -= 1 }
            if (ch == "," || ch == "}") && depth == 0 { break }
            out.append(ch)
        }
        return out.trimmingCharacters(in: .whitespaces)
    }

    static func quoted(_ s: String) -> String? {
        guard s.count >= 2, let q = s.first, q == "'" || q == "\"", s.last == q else { return nil }
        return String(s.dropFirst().dropLast())
    }

    static func tuple(_ s: String) -> [Int]? {
        guard s.hasPrefix("("), s.hasSuffix(")") else { return nil }
        let parts = s.dropFirst().dropLast().split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        var out: [Int] = []
        for p in parts {
            guard let v = Int(p.hasSuffix("L") ? String(p.dropLast()) : p), v >= 0 else { return nil }
            out.append(v)
        }
        return out
    }

    /// Element `i` as an unsigned integer of `itemSize` bytes in the array's byte order.
    private func raw(_ i: Int) -> UInt64 {
        let s = itemSize
        var v: UInt64 = 0
        for k in 0..<s {
            let byte = UInt64(data[i * s + (bigEndian ? k : s - 1 - k)])
            v = v << 8 | byte
        }
        return v
    }

    private func float(_ i: Int) -> Double? {
        switch itemSize {
        case 4: return Double(Float(bitPattern: UInt32(truncatingIfNeeded: raw(i))))
        case 8: return Double(bitPattern: raw(i))
        case 2: return Double(Float16Bits.toFloat(UInt16(truncatingIfNeeded: raw(i))))
        default: return nil
        }
    }

    /// Index of the first NaN of a float array, or nil.
    func firstNaN() -> Int? {
        guard kind == "f" else { return nil }
        for i in 0..<count where float(i)?.isNaN ?? false { return i }
        return nil
    }

    /// The elements as integers: integer dtypes of 1–8 bytes, or floats that are all whole
    /// numbers in Int64's range; nil otherwise.
    func integerValues() -> [Int64]? {
        let n = count
        switch kind {
        case "u" where [1, 2, 4, 8].contains(itemSize):
            var out = [Int64](); out.reserveCapacity(n)
            for i in 0..<n {
                let v = raw(i)
                guard v <= UInt64(Int64.max) else { return nil }
                out.append(Int64(v))
            }
            return out
        case "i" where [1, 2, 4, 8].contains(itemSize):
            let shift = UInt64(64 - 8 * itemSize)
            return (0..<n).map { Int64(bitPattern: raw($0) << shift) >> Int64(shift) }
        case "f":
            var out = [Int64](); out.reserveCapacity(n)
            for i in 0..<n {
                guard let d = float(i), d.isFinite, d == d.rounded(), abs(d) < 9.0e18 else { return nil }
                out.append(Int64(d))
            }
            return out
        default:
            return nil
        }
    }
}

/// IEEE half precision → Float (Float16 is not available on every platform Swift targets).
enum Float16Bits {
    static func toFloat(_ h: UInt16) -> Float {
        let sign: Float = h & 0x8000 != 0 ? -1 : 1
        let e = Int((h >> 10) & 0x1F), m = Float(h & 0x3FF)
        if e == 0 { return sign * m * Float(sign: .plus, exponent: -24, significand: 1) }
        if e == 31 { return m == 0 ? sign * .infinity : .nan }
        return sign * (1 + m / 1024) * Float(sign: .plus, exponent: e - 15, significand: 1)
    }
}
