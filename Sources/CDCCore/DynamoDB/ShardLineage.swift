/// Which shards of a DynamoDB stream may be read now: a child shard only once its parent is
/// finished (read to its end), so records of one key come out in order across shard splits.
///
/// Pure: shards as DescribeStream lists them, positions as saved. A parent that the stream no longer
/// lists (trimmed after 24 h) counts as finished.
public enum ShardLineage {
    /// One shard of a stream (DescribeStream's `Shards[]`).
    public struct Shard: Sendable, Hashable {
        public var id: String
        public var parentID: String?
        /// `SequenceNumberRange.EndingSequenceNumber`: set once the shard is closed.
        public var endingSequenceNumber: String?

        public init(id: String, parentID: String? = nil, endingSequenceNumber: String? = nil) {
            self.id = id
            self.parentID = parentID
            self.endingSequenceNumber = endingSequenceNumber
        }
    }

    /// The shards to read, parents before children (among shards listed together, the order of
    /// `shards`); `finished` holds the ids of shards read to their end.
    public static func readable(_ shards: [Shard], finished: Set<String>) -> [Shard] {
        let listed = Set(shards.map(\.id))
        return shards.filter { shard in
            guard !finished.contains(shard.id) else { return false }
            guard let parent = shard.parentID, listed.contains(parent) else { return true }
            return finished.contains(parent)
        }
    }

    /// All shards in an order where every parent comes before its children (a stable topological
    /// order over `parentID`); for tests and for listing.
    public static func ordered(_ shards: [Shard]) -> [Shard] {
        var done = Set<String>()
        var result: [Shard] = []
        let listed = Set(shards.map(\.id))
        var pending = shards
        while !pending.isEmpty {
            var next: [Shard] = []
            for shard in pending {
                if let parent = shard.parentID, listed.contains(parent), !done.contains(parent) {
                    next.append(shard)
                } else {
                    result.append(shard)
                    done.insert(shard.id)
                }
            }
            if next.count == pending.count {  // a cycle (never from AWS): keep them as listed
                result += next
                break
            }
            pending = next
        }
        return result
    }
}
