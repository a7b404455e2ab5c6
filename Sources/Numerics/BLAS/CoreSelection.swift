import CLinalg
import Foundation

/// Which OpenBLAS kernel family runs the sgemm calls.
///
/// Why this exists: OpenBLAS picks its kernels from the CPU model once, when the library is
/// loaded. A release older than the CPU (Debian 12's 0.3.21 on a 2023 Xeon, for one) does not
/// know the model and falls back to its generic SSE3 "Prescott" kernels, which run sgemm about 5×
/// slower than the AVX-512 ones the CPU can use. OpenBLAS honours `OPENBLAS_CORETYPE` only at
/// load time, so the remedy is to start the process again with it set; `repro` does that at
/// start-up (`reexecIfNeeded`). A user's own `OPENBLAS_CORETYPE` always wins, so
/// `OPENBLAS_CORETYPE=Prescott` keeps the generic kernels.
public enum OpenBLASCore {
    /// The kernel family OpenBLAS is using in this process, e.g. "Cooperlake", "Haswell", "Prescott".
    public static var current: String {
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name)
    }

    /// The kernel family to force, or nil to leave OpenBLAS's choice alone: only when OpenBLAS
    /// fell back to the generic Prescott kernels, the user did not choose, and the CPU flags
    /// (as /proc/cpuinfo spells them) show a wider instruction set that OpenBLAS has kernels for.
    static func override(current: String, cpuFlags: Set<String>, environment: [String: String]) -> String? {
        guard environment["OPENBLAS_CORETYPE"] == nil, current.lowercased() == "prescott" else { return nil }
        let avx512 = ["avx512f", "avx512bw", "avx512vl", "avx512dq"].allSatisfy(cpuFlags.contains)
        if avx512 && cpuFlags.contains("avx512_bf16") { return "Cooperlake" }
        if avx512 { return "SkylakeX" }
        if cpuFlags.contains("avx2") && cpuFlags.contains("fma") { return "Haswell" }
        if cpuFlags.contains("avx") { return "Sandybridge" }
        return nil
    }

    /// The flags line of /proc/cpuinfo (empty where there is none).
    static func cpuFlags(cpuinfo: String) -> Set<String> {
        guard let line = cpuinfo.split(separator: "\n").first(where: { $0.hasPrefix("flags") }),
              let colon = line.firstIndex(of: ":") else { return [] }
        return Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
    }

    /// Replaces this process with itself, same arguments, and `OPENBLAS_CORETYPE` set, when
    /// `override` asks for a kernel family; returns otherwise (or if exec fails). Linux only.
    public static func reexecIfNeeded() {
        #if os(Linux)
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let core = override(current: current, cpuFlags: cpuFlags(cpuinfo: info),
                                  environment: ProcessInfo.processInfo.environment) else { return }
        setenv("OPENBLAS_CORETYPE", core, 1)
        var argv: [UnsafeMutablePointer<CChar>?] = CommandLine.arguments.map { strdup($0) }
        argv.append(nil)
        execv("/proc/self/exe", &argv)
        // exec failed: carry on with the kernels already loaded.
        unsetenv("OPENBLAS_CORETYPE")
        for p in argv { free(p) }
        #endif
    }
}
