import ArgumentParser
import Datasets
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

        Examples:
          repro data
          repro data --data-dir /scratch/datasets --no-checksums
        """)

    @Option(name: .customLong("data-dir"), help: ArgumentHelp("Folder holding the datasets.", valueName: "dir"))
    var dataDir: String?

    @Flag(name: .customLong("no-checksums"), help: "Skip the CRC-32 of every file (faster).")
    var noChecksums = false

    func run() throws {
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
}
