import Crypto
import Foundation

/// Run ids and spec hashes: SHA-256 through swift-crypto (on Linux its BoringSSL-backed
/// implementation; the digest bytes are the standard ones, so ids made by the hand-written
/// version this replaced are unchanged). The spec hash equals `sha256sum FILE` (first 12 hex
/// digits).
enum StableHash {
    /// The 32 bytes of SHA-256 of the bytes.
    static func digest<D: DataProtocol>(_ data: D) -> [UInt8] { Array(SHA256.hash(data: data)) }
    /// Full SHA-256 hex of the bytes.
    static func sha256Hex<D: DataProtocol>(_ data: D) -> String { hex(SHA256.hash(data: data)) }
    static func hex<S: Sequence>(_ digest: S) -> String where S.Element == UInt8 {
        digest.map { String(format: "%02x", $0) }.joined()
    }
    static func sha256Hex(_ text: String) -> String { sha256Hex(Data(text.utf8)) }
    /// The 12-hex-digit short form used for run ids and spec hashes.
    static func short(_ data: Data) -> String { String(sha256Hex(data).prefix(12)) }
    static func short(_ text: String) -> String { String(sha256Hex(text).prefix(12)) }
}
