import Foundation

/// Where the datasets live: the `--data-dir` style flag, else $REPRO_DATA, else
/// ~/.cache/repro-data.
public enum DataDirectory {
    static let environmentVariable = "REPRO_DATA"
    /// Where the Debian package `dataset-fashion-mnist` installs its (gzipped) files; used for
    /// Fashion-MNIST when the data directory has no `fashion-mnist/`.
    public static let systemFashionMNISTPath = "/usr/share/datasets/fashion-mnist"

    /// "$HOME/.cache/repro-data".
    static var defaultPath: String { defaultPath(environment: ProcessInfo.processInfo.environment) }

    static func defaultPath(environment: [String: String]) -> String {
        var home = environment["HOME"] ?? ""
        if home.isEmpty { home = NSHomeDirectory() }
        return (home as NSString).appendingPathComponent(".cache/repro-data")
    }

    /// The flag if given (and not empty), else $REPRO_DATA if set (and not empty), else the default.
    public static func resolve(flag: String?) -> URL {
        resolve(flag: flag, environment: ProcessInfo.processInfo.environment)
    }

    static func resolve(flag: String?, environment: [String: String]) -> URL {
        let path: String
        if let flag, !flag.isEmpty {
            path = flag
        } else if let env = environment[environmentVariable], !env.isEmpty {
            path = env
        } else {
            path = defaultPath(environment: environment)
        }
        return URL(fileURLWithPath: (path as NSString).expandingTildeInPath, isDirectory: true)
    }
}

/// The files of each dataset, as the standard distributions name them.
enum DatasetLayout {
    static let idxFiles = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                           "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]
    static let cifar10Directory = "cifar-10-batches-bin"
    static let cifar10Train = (1...5).map { "data_batch_\($0).bin" }
    static let cifar10Test = "test_batch.bin"
    static let cifar100Directory = "cifar-100-binary"

    static func subdirectory(_ name: BuiltinDataset) -> String {
        switch name {
        case .mnist: return "mnist"
        case .fashionMNIST: return "fashion-mnist"
        case .cifar10: return cifar10Directory
        case .cifar100: return cifar100Directory
        }
    }

    static func fileNames(_ name: BuiltinDataset) -> [String] {
        switch name {
        case .mnist, .fashionMNIST: return idxFiles
        case .cifar10: return cifar10Train + [cifar10Test]
        case .cifar100: return ["train.bin", "test.bin"]
        }
    }

    /// The existing file for `base` in `dir`: the raw file if present, else `base.gz`.
    static func existingFile(_ dir: String, _ base: String) -> String? {
        let raw = (dir as NSString).appendingPathComponent(base)
        if FileReader.isRegularFile(raw) { return raw }
        if FileReader.isRegularFile(raw + ".gz") { return raw + ".gz" }
        return nil
    }

    /// The directory to read `name` from. For Fashion-MNIST: `dataDir/fashion-mnist` if it holds
    /// any of the four files, else the system directory if it does, else `dataDir/fashion-mnist`
    /// (so missing-file errors point where the user should put the files).
    static func directory(_ name: BuiltinDataset, dataDir: URL, fashionFallback: String?) -> String {
        let primary = dataDir.appendingPathComponent(subdirectory(name)).path
        guard name == .fashionMNIST, let fallback = fashionFallback else { return primary }
        let files = fileNames(name)
        if files.contains(where: { existingFile(primary, $0) != nil }) { return primary }
        if files.contains(where: { existingFile(fallback, $0) != nil }) { return fallback }
        return primary
    }

    /// Exactly what to download or install, and where to put it.
    static func advice(_ name: BuiltinDataset, dataDir: URL) -> String {
        let d = dataDir.path
        let sub = (d as NSString).appendingPathComponent(subdirectory(name))
        let files = idxFiles.map { $0 + ".gz" }.joined(separator: ", ")
        let elsewhere = "(or point --data-dir / $\(DataDirectory.environmentVariable) at a directory that has them)"
        switch name {
        case .mnist:
            return "Download the 4 MNIST files \(files) from http://yann.lecun.com/exdb/mnist/ into \(sub)/ (gzipped or uncompressed, no conversion) \(elsewhere)."
        case .fashionMNIST:
            return "Install the Debian package: `apt-get install dataset-fashion-mnist` (puts the files in \(DataDirectory.systemFashionMNISTPath)), or download the 4 Zalando files \(files) from http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/ (see https://github.com/zalandoresearch/fashion-mnist) into \(sub)/ \(elsewhere)."
        case .cifar10:
            return "Download https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz and extract it into \(d): `tar -xzf cifar-10-binary.tar.gz -C \(d)` creates \(sub)/ with data_batch_1.bin … data_batch_5.bin and test_batch.bin \(elsewhere)."
        case .cifar100:
            return "Download https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz and extract it into \(d): `tar -xzf cifar-100-binary.tar.gz -C \(d)` creates \(sub)/ with train.bin and test.bin \(elsewhere)."
        }
    }

    /// When the place of data file `base` (raw or .gz) holds something that is not a file (a
    /// folder, a FIFO, …): that path and the problem, as `repro run` and `repro data` both say it.
    static func notAFile(_ dir: String, _ base: String) -> (path: String, problem: String)? {
        let raw = (dir as NSString).appendingPathComponent(base)
        for p in [raw, raw + ".gz"] {
            if let kind = FileReader.nonRegularKind(p) {
                return (p, "found \(kind) where a file is expected: \(p) is \(kind), not the data file \(base)")
            }
        }
        return nil
    }

    /// Resolves every file of the dataset in `dir`, or throws for the first missing one.
    static func requireFiles(_ name: BuiltinDataset, dir: String, dataDir: URL, fashionFallback: String?) throws -> [String] {
        let names = fileNames(name)
        var found = [String]()
        var missing = [String]()
        for f in names {
            if let p = existingFile(dir, f) { found.append(p) } else { missing.append(f) }
        }
        guard let first = missing.first else { return found }
        let firstPath = (dir as NSString).appendingPathComponent(first)
        let isIDX = name == .mnist || name == .fashionMNIST
        var problem = isIDX ? "missing file: neither \(first) nor \(first).gz exists in \(dir)"
                            : "missing file: \(first) does not exist in \(dir)"
        if let p = notAFile(dir, first) { problem = p.problem }
        if missing.count > 1 {
            problem += " (also missing: \(missing.dropFirst().joined(separator: ", ")))"
        }
        if name == .fashionMNIST, let fb = fashionFallback, fb != dir {
            problem += "; also looked in \(fb)"
        }
        problem += ". " + advice(name, dataDir: dataDir)
        throw DatasetError(file: firstPath, problem: problem)
    }
}

/// Loads a dataset's train and test splits from the standard distribution files under `dataDir`
/// (see `DatasetLayout`: `mnist/`, `fashion-mnist/` with a fallback to
/// /usr/share/datasets/fashion-mnist, `cifar-10-batches-bin/`, `cifar-100-binary/`). IDX files
/// may be raw or gzipped. Throws a `DatasetError` naming the file for anything missing or malformed.
/// `resize` applies to a dataset given by path only (the built-in four keep their size).
public func loadDataset(_ name: DatasetName, from dataDir: URL,
                        cifar100Labels: CIFAR100LabelSet = .fine, resize: ImageResize = .keep) throws -> DatasetSplits {
    try loadDataset(name, from: dataDir, cifar100Labels: cifar100Labels,
                    fashionMNISTFallback: DataDirectory.systemFashionMNISTPath, resize: resize)
}

/// As `loadDataset(_:from:cifar100Labels:)` with another Fashion-MNIST fallback directory
/// (nil: none, only `dataDir/fashion-mnist`).
func loadDataset(_ dataset: DatasetName, from dataDir: URL, cifar100Labels: CIFAR100LabelSet = .fine,
                        fashionMNISTFallback fashionFallback: String?, resize: ImageResize = .keep) throws -> DatasetSplits {
    guard let name = dataset.builtin else {
        guard let source = dataset.source else {
            throw DatasetError(file: dataset.rawValue, problem: "a dataset given by path, but its path is not known")
        }
        return try OwnData.load(path: source.path, resize: resize).named(dataset)
    }
    let dir = DatasetLayout.directory(name, dataDir: dataDir, fashionFallback: fashionFallback)
    let files = try DatasetLayout.requireFiles(name, dir: dir, dataDir: dataDir, fashionFallback: fashionFallback)
    switch name {
    case .mnist, .fashionMNIST:
        let size = (rows: 28, cols: 28)
        let train = try IDXFormat.load(imagesPath: files[0], labelsPath: files[1], numClasses: 10, requiredSize: size)
        let test = try IDXFormat.load(imagesPath: files[2], labelsPath: files[3], numClasses: 10, requiredSize: size)
        return DatasetSplits(train: train, test: test, name: dataset)
    case .cifar10:
        func load(_ paths: [String]) throws -> ImageDataset {
            let batches = try paths.map {
                try CIFARFormat.read(file: $0, datasetTitle: "CIFAR-10", labelBytes: 1, labelLimits: [10],
                                     labelNames: ["label"], use: 0)
            }
            return CIFARFormat.assemble(batches, labelBytes: 1, numClasses: 10)
        }
        return DatasetSplits(train: try load(Array(files.prefix(5))), test: try load([files[5]]), name: dataset)
    case .cifar100:
        let use = cifar100Labels == .coarse ? 0 : 1
        func load(_ path: String) throws -> ImageDataset {
            let batch = try CIFARFormat.read(file: path, datasetTitle: "CIFAR-100", labelBytes: 2, labelLimits: [20, 100],
                                             labelNames: ["coarse label", "fine label"], use: use)
            return CIFARFormat.assemble([batch], labelBytes: 2, numClasses: use == 0 ? 20 : 100)
        }
        return DatasetSplits(train: try load(files[0]), test: try load(files[1]), name: dataset)
    }
}
