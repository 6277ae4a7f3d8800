/// One built-in transform step (`function: { transforms: [...] }`): keep or drop columns, rename the
/// table or columns, or redact columns, for the records of some tables.
///
/// `apply` returns records of tables that `tables` does not match (an empty list matches every
/// table) unchanged, and so are records on which the step has nothing to do (for example a
/// `drop_columns` naming no column of the table). Matching is on the record's `schema.table` as it
/// stands when the step runs, so a step after a `rename_table` sees the new name.
///
/// **Keys stay.** The columns in the relation's `keyIndexes` (the record's `keys`) are never removed:
/// `keep_columns` keeps them even when not listed and `drop_columns` ignores them when listed, so every
/// record stays addressable (by the Postgres sink's upsert, by per-key ordering, by receivers).
/// `rename_columns` and `redact` do apply to key columns. Under REPLICA IDENTITY FULL without a primary
/// key every column is a key column, so nothing can be dropped from such a table.
///
/// All operations change the record's `relation` (its columns and `keyIndexes`, or its names) and
/// reshape `newValues`, `oldValues`, `keyValues` and `oldKeyValues` alike; INSERT, MODIFY, REMOVE and
/// TRUNCATE records are all handled (a TRUNCATE has no values, only the relation changes).
/// Unchanged-TOAST markers stay markers (still named in `unchangedColumns` under their possibly new
/// name); NULL stays NULL.
///
/// The transformed `Relation` is built once per source `Relation` instance and shared by every
/// record of it (records of a table share their relation by reference, and so do their transformed
/// records), so per record only the value arrays are rebuilt. Thread-safe: one transform may be
/// applied from several tasks at once.
public struct RecordTransform: Sendable {
    /// What the step does; mirrors the config's `transforms:` entries.
    public enum Operation: Sendable, Hashable {
        /// `keep_columns`: only these columns (plus the key columns) remain, in table order; names the
        /// table does not have are ignored.
        case keepColumns([String])
        /// `drop_columns`: these columns are removed, except key columns, which always stay.
        case dropColumns([String])
        /// `rename_table`: the record's schema and table become these (`table`, `source.schema` and
        /// `source.table` as `RecordRenderer` writes them, and the Postgres sink's default target).
        case renameTable(schema: String, table: String)
        /// `rename_columns`: each column is renamed by the first entry whose `from` is its name as it
        /// arrives; all renames apply at once, so `{a: b, b: a}` swaps. A rename whose new name would
        /// still be taken by another column of the result is not applied (the column keeps its name),
        /// so a record never carries two columns of one name.
        case renameColumns([ColumnRename])
        /// `redact`: the values of these columns are masked or hashed (see `RedactionMethod`); the
        /// columns become `text` (type OID 25, no modifier, kind `.text`). NULL stays NULL and an
        /// unchanged-TOAST marker stays a marker. Key columns may be redacted: in `keys` and `oldKeys`
        /// too, so the key stays consistent with the images; `hash` keeps distinct keys distinct (and
        /// equal ones equal), while `mask` makes every key of the table `***`, which a key-addressed
        /// sink (the Postgres upsert) cannot tell apart.
        case redact(columns: [String], method: RedactionMethod)
    }

    /// One `old: new` pair of `rename_columns`.
    public struct ColumnRename: Sendable, Hashable {
        public var from: String
        public var to: String

        public init(from: String, to: String) {
            self.from = from
            self.to = to
        }
    }

    /// How `redact` replaces a value.
    public enum RedactionMethod: String, Sendable, Hashable, CaseIterable {
        /// The text `***`, whatever the value.
        case mask
        /// The SHA-256 of the value's exact PostgreSQL text bytes, as 64 lowercase hex digits: equal
        /// values stay equal (joinable), but are not readable. Unsalted, so a value from a small set
        /// (a status, a short number) can be found by hashing candidates.
        case hash
    }

    /// The tables this step applies to; empty means all.
    public let tables: [TablePattern]
    public let operation: Operation
    private let cache: TransformPlanCache

    public init(tables: [TablePattern], operation: Operation) {
        self.tables = tables
        self.operation = operation
        self.cache = TransformPlanCache()
    }

    /// The record after this step: unchanged when its table is not matched or the step does not touch
    /// it, otherwise with the transformed (shared) relation and values reshaped to it.
    public func apply(_ record: consuming ChangeRecord) -> ChangeRecord {
        apply(to: &record)
        return record
    }

    /// Applies the step to every record of a batch, keeping order (in place when the array is not
    /// shared).
    public func apply(_ records: consuming [ChangeRecord]) -> [ChangeRecord] {
        for i in records.indices { apply(to: &records[i]) }
        return records
    }

    /// Applies the step to `record` in place: what `apply` does, without copying a record that the
    /// step leaves alone.
    public func apply(to record: inout ChangeRecord) {
        let plan: TransformPlan
        switch cache.lookup(record.relation) {
        case .plan(let known): plan = known
        case .passThrough: return
        case .unknown:
            let relation = record.relation
            let made = tables.matchesTable(relation.qualifiedName) ? TransformPlan(operation, relation) : nil
            guard let inserted = cache.insert(made, for: relation) else { return }
            plan = inserted
        }
        plan.reshape(&record)
    }
}
