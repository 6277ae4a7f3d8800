import CDCCore
import Synchronization

/// Hands out one shared `Relation` instance per relation definition, so that decoded records of
/// the same table point to the same object (as records fresh from capture do).
///
/// Thread-safe (a mutex guards the table). The table is bounded: past `limit` definitions it is
/// emptied and starts over, which only costs sharing, never correctness.
public final class RelationCache: Sendable {
    private let table = Mutex<[RelationDefinition: Relation]>([:])
    private let limit: Int

    public init(limit: Int = 4096) { self.limit = max(1, limit) }

    /// Adopts `relation` as the shared instance for its definition unless one is known; returns the
    /// shared instance.
    public func intern(_ relation: Relation) -> Relation {
        intern(RelationDefinition(relation), or: relation)
    }

    func intern(_ definition: RelationDefinition, or candidate: Relation? = nil) -> Relation {
        table.withLock { table in
            if let known = table[definition] { return known }
            if table.count >= limit { table.removeAll(keepingCapacity: true) }
            let relation = candidate ?? definition.makeRelation()
            table[definition] = relation
            return relation
        }
    }

    /// How many definitions are held.
    public var count: Int { table.withLock { $0.count } }
}
