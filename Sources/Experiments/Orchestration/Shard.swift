import Foundation

/// `--shard I/N`: a deterministic partition of a plan. The run ids are sorted; shard I
/// (1-based) takes positions I-1, I-1+N, I-1+2N, … Every run lands in exactly one shard,
/// and shard sizes differ by at most one. Runs keep their plan order within a shard.
public struct Shard: Hashable, Sendable, CustomStringConvertible {
    let index: Int
    let count: Int

    init?(index: Int, count: Int) {
        guard count >= 1, index >= 1, index <= count else { return nil }
        self.index = index; self.count = count
    }

    /// Parses "I/N"; nil with a reason on error.
    public static func parse(_ text: String) -> Result<Shard, ShardParseError> {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let i = Int(parts[0].trimmingCharacters(in: .whitespaces)),
              let n = Int(parts[1].trimmingCharacters(in: .whitespaces)) else {
            return .failure(ShardParseError(message: "found \"\(text)\"; expected I/N such as 1/4 (shard I of N, 1-based)"))
        }
        guard n >= 1 else { return .failure(ShardParseError(message: "found \"\(text)\"; N must be at least 1")) }
        guard i >= 1 && i <= n else {
            return .failure(ShardParseError(message: "found \"\(text)\"; I must be in 1…\(n) (shards are numbered from 1)"))
        }
        return .success(Shard(index: i, count: n)!)
    }

    public var description: String { "\(index)/\(count)" }

    public func select(_ runs: [PlannedRun]) -> [PlannedRun] {
        let ids = runs.map(\.id).sorted()
        var mine = Set<String>()
        for (pos, id) in ids.enumerated() where pos % count == index - 1 { mine.insert(id) }
        return runs.filter { mine.contains($0.id) }
    }
}

public struct ShardParseError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
