import Synchronization

/// A transform's plans by source `Relation` instance, so that the records of one table share one
/// transformed relation and the plan is worked out once per relation, not per record.
///
/// Keyed by object identity; each entry holds its source relation strongly, so the identity cannot be
/// reused by another object while the entry exists. Bounded like capture's `RelationCache`: past
/// `limit` relations it is emptied and starts over, which costs sharing for a moment, never
/// correctness. Thread-safe (a mutex guards the table).
final class TransformPlanCache: Sendable {
    private struct Entry: Sendable {
        let source: Relation
        /// Nil: records of this relation pass unchanged.
        let plan: TransformPlan?
    }

    private let entries = Mutex<[ObjectIdentifier: Entry]>([:])
    private let limit: Int

    init(limit: Int = 4096) { self.limit = max(1, limit) }

    /// The plan for `relation`, made by `make` the first time this instance is seen.
    func plan(for relation: Relation, make: (Relation) -> TransformPlan?) -> TransformPlan? {
        entries.withLock { entries in
            let id = ObjectIdentifier(relation)
            if let entry = entries[id] { return entry.plan }
            if entries.count >= limit { entries.removeAll(keepingCapacity: true) }
            let plan = make(relation)
            entries[id] = Entry(source: relation, plan: plan)
            return plan
        }
    }

    /// How many relations are held.
    var count: Int { entries.withLock { $0.count } }
}
