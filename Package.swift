// swift-tools-version:6.0
import PackageDescription

// Layers of the design, each a module: Numerics (BLAS/LAPACK bridge, tensors, kernels)
// → Datasets (standard-format readers) → Models (layers, networks, DMN builder, trainer)
// → Experiments (spec, grid, runner, result sinks) → Report (claims, report, plot tables)
// → the `repro` CLI.
let package = Package(
    name: "repro",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "repro", targets: ["repro"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
    ],
    targets: [
        .systemLibrary(name: "CLinalg", path: "Sources/CLinalg",
                       providers: [.apt(["libopenblas-dev", "liblapacke-dev"])]),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", providers: [.apt(["zlib1g-dev"])]),
        // Kernel bodies (.inc) are compiled through the .c files that include them.
        .target(name: "CNumerics", path: "Sources/CNumerics",
                exclude: ["for_each_isa.inc", "conv_block_forward.inc", "conv_block_backward.inc", "conv_block_input_gradient.inc", "lag_products_row.inc", "optimizer_step_body.inc"],
                cSettings: [.unsafeFlags(["-O3", "-ffp-contract=off"])]),
        .target(name: "Numerics", dependencies: ["CLinalg", "CNumerics"]),
        // PNG and JPEG decoding for image-folder datasets: the system's libpng and libjpeg
        // (apt libpng-dev, libjpeg-dev), in C because libjpeg reports errors by longjmp.
        .target(name: "CImageCodecs", path: "Sources/CImageCodecs",
                linkerSettings: [.linkedLibrary("png16"), .linkedLibrary("jpeg")]),
        .target(name: "Datasets", dependencies: ["Numerics", "CZlib", "CImageCodecs"]),
        .target(name: "Models", dependencies: ["Numerics", "Datasets"]),
        .target(name: "Experiments", dependencies: [
            "Models", "Datasets", "Numerics", .product(name: "Crypto", package: "swift-crypto"),
        ]),
        // The report: reads results folders (run files, CSV tables, history) and judges the
        // paper's claims. Nothing in Experiments depends on it.
        .target(name: "Report", dependencies: ["Experiments", "Models", "Datasets"]),
        .target(name: "ReproCLI", dependencies: [
            "Report", "Experiments", "Models", "Datasets", "Numerics",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "repro", dependencies: ["ReproCLI", "Numerics"]),
        .testTarget(name: "NumericsTests", dependencies: ["Numerics"]),
        .testTarget(name: "DatasetsTests", dependencies: ["Datasets", "CImageCodecs"]),
        .testTarget(name: "ModelsTests", dependencies: ["Models", "Datasets"]),
        .testTarget(name: "ExperimentsTests", dependencies: ["Experiments", "Report", "ReproCLI", "CImageCodecs"]),
    ],
    swiftLanguageModes: [.v5]
)
