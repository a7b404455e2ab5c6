import Foundation

/// Run ids: the first 12 hex digits of the SHA-256 of the canonical JSON (sorted keys, no
/// whitespace, canonical numbers) of the `ResolvedRun`. Stable across processes and
/// machines; any change to any field of the run gives a different id. Adding a field to
/// `ResolvedRun` changes every id (old results then no longer count as done), on purpose.
public enum RunIdentity {
    public static func canonicalJSON(of run: ResolvedRun) -> String {
        // JSONEncoder output differs between platforms only in spelling, which the
        // canonical re-serialisation removes.
        (try? CanonicalJSON.serialize(encodable: run)) ?? ""
    }

    public static func id(of run: ResolvedRun) -> String {
        StableHash.short(canonicalJSON(of: run))
    }
}
