import Synchronization

/// A transform's plans by source `Relation` instance, so that the records of one table share one
/// transformed relation and the plan is worked out once per relation, not per record.
///
/// Keyed by object identity; each entry holds its source relation strongly, so the identity cannot be
/// reused by another object while the entry exists. Bounded like capture's `RelationCache`: past
/// `limit` relations it is emptied and starts over, which costs sharing for a moment, never
/// correctness. Thread-safe (a mutex guards the table); the last relation looked up is checked
/// first, as batches tend to hold runs of one table.
final class TransformPlanCache: Sendable {
    /// What the cache knows about a relation.
    enum Lookup {
        /// Not seen yet: make its plan and `insert` it.
        case unknown
        /// Records of this relation pass unchanged.
        case passThrough
        case plan(TransformPlan)
    }

    private struct Entry: Sendable {
        let source: Relation
        /// Nil: records of this relation pass unchanged.
        let plan: TransformPlan?
    }

    private struct Table: Sendable {
        var entries: [ObjectIdentifier: Entry] = [:]
        var last: Entry?
    }

    private let table = Mutex(Table())
    private let limit: Int

    init(limit: Int = 4096) { self.limit = max(1, limit) }

    /// The plan for `relation` if it was seen before.
    func lookup(_ relation: Relation) -> Lookup {
        table.withLock { table in
            let entry: Entry
            if let last = table.last, last.source === relation {
                entry = last
            } else if let found = table.entries[ObjectIdentifier(relation)] {
                entry = found
                table.last = found
            } else {
                return .unknown
            }
            return entry.plan.map { .plan($0) } ?? .passThrough
        }
    }

    /// Records `plan` (made outside the lock) for `relation` and returns the plan to use: the one
    /// already recorded if another task got there first, so that all records share one relation.
    func insert(_ plan: TransformPlan?, for relation: Relation) -> TransformPlan? {
        table.withLock { table in
            let id = ObjectIdentifier(relation)
            if let known = table.entries[id] { return known.plan }
            if table.entries.count >= limit { table.entries.removeAll(keepingCapacity: true) }
            let entry = Entry(source: relation, plan: plan)
            table.entries[id] = entry
            table.last = entry
            return plan
        }
    }

    /// How many relations are held.
    var count: Int { table.withLock { $0.entries.count } }
}
