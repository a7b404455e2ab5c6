import ArgumentParser
import Datasets
import Experiments
import Foundation

struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "Report which datasets repro finds, with counts and checksums, and how to get the missing ones.",
        discussion: """
        Looks in the data folder (--data-dir, else $REPRO_DATA, else ~/.cache/repro-data) for the \
        standard distribution formats:
          mnist/                 train-images-idx3-ubyte[.gz] … t10k-labels-idx1-ubyte[.gz]
          fashion-mnist/         the same four IDX names (else /usr/share/datasets/fashion-mnist,
                                 from the Debian package dataset-fashion-mnist)
          cifar-10-batches-bin/  data_batch_1.bin … data_batch_5.bin, test_batch.bin
          cifar-100-binary/      train.bin, test.bin
        Checksums are CRC-32 of the files as stored. Exit status 1 when a dataset is missing or \
        broken (the advice says what to download or install), 0 when all four are usable.

        With paths, lists those datasets of one's own instead (NumPy archives, .npz, with \
        x_train, y_train, x_test, y_test; or image folders, train/<class>/*.png|jpg and \
        test/<class>/*): image shape, counts per split and class, and the \
        SHA-256 of the file or folder (the hash runs.csv shows and run ids include). It reads and checks \
        them as `repro run` would; exit status 1 when one is refused (the file and the problem \
        named). --resize HxW reads them as a spec's data.resize would (every image resized to \
        H×W by area averaging; an image folder of mixed sizes needs it) and shows that shape.

        Examples:
          repro data
          repro data --data-dir /scratch/datasets --no-checksums
          repro data experiments/data/digits.npz
          repro data --resize 28x28 my-photos/
        """)

    @Option(name: .customLong("data-dir"), help: ArgumentHelp("Folder holding the datasets.", valueName: "dir"))
    var dataDir: String?

    @Flag(name: .customLong("no-checksums"), help: "Skip the CRC-32 of every file (faster).")
    var noChecksums = false

    @Option(name: .customLong("resize"), help: ArgumentHelp("With paths: resize every image to this size, as the spec key data.resize does.", valueName: "HxW"))
    var resize: String?

    @Argument(help: ArgumentHelp("Datasets given by path (.npz or image folder) to list instead of the built-in ones.", valueName: "path"))
    var paths: [String] = []

    func run() throws {
        if !paths.isEmpty { return try listOwnData() }
        if resize != nil { throw ValidationError("--resize applies to datasets given by path (repro data --resize HxW PATH…)") }
        let dir = DataDirectory.resolve(flag: dataDir)
        print("data folder: \(dir.path)")
        let reports = datasetInventory(dataDir: dir, computeChecksums: !noChecksums)
        for r in reports {
            let counts = r.trainCount.map { "train \($0), test \(r.testCount ?? 0)" } ?? "-"
            print("\n\(r.name.rawValue): \(r.isUsable ? "ok" : r.found ? "BROKEN" : "MISSING")  (\(counts))  \(r.directory)")
            for f in r.files { print("  \(f.crc32)  \(f.bytes) bytes  \(f.path)") }
            for m in r.missingFiles { print("  missing: \(m)") }
            for p in r.problems { print("  problem: \(p)") }
            if !r.isUsable { print("  → " + r.advice.replacingOccurrences(of: "\n", with: "\n    ")) }
        }
        if !reports.allSatisfy(\.isUsable) { throw ExitCode(1) }
    }

    /// `repro data PATH…`: each dataset given by path, read and checked as `run` would.
    func listOwnData() throws {
        var size = ImageResize.keep
        if let r = resize {
            guard let parsed = ImageResize(spelling: r) else {
                throw ValidationError("--resize: found \"\(r)\"; expected " + ImageResize.expectation.replacingOccurrences(of: ", or null for none", with: ""))
            }
            size = parsed
        }
        var ok = true
        for p in paths {
            let absolute = URL(fileURLWithPath: (p as NSString).expandingTildeInPath).standardizedFileURL.path
            do {
                let s = try OwnData.load(path: absolute, resize: size)
                let hash = try OwnDataResolver.contentHash(path: absolute)
                let t = s.train
                print("\(OwnData.name(ofPath: absolute)): ok  \(absolute)")
                print("  images \(t.height)×\(t.width)×\(t.channels) uint8, \(t.numClasses) classes"
                      + (size.spelling.map { " (resized to \($0) by area averaging)" } ?? ""))
                print("  train \(s.train.count), test \(s.test.count)"
                      + (s.validation.map { ", validation \($0.count) (x_val, y_val: the runs' validation set)" } ?? ""))
                let tr = s.train.classCounts(), te = s.test.classCounts()
                print("  class  train  test")
                for c in 0..<t.numClasses {
                    print("  " + [String(c), String(tr[c]), String(te[c])].enumerated()
                        .map { i, v in i == 0 ? v.padding(toLength: 5, withPad: " ", startingAt: 0) : String(repeating: " ", count: max(0, 6 - v.count)) + v }
                        .joined(separator: " "))
                }
                print("  sha256 \(hash)")
            } catch {
                ok = false
                print("\(OwnData.name(ofPath: absolute)): REFUSED  \(error)")
            }
        }
        if !ok { throw ExitCode(1) }
    }
}
