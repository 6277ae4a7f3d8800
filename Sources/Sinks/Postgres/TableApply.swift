import CDCCore
import LibPQ

/// How the changes of one source relation are written to its target table, and the SQL for it.
///
/// One instance per `Relation` object (a schema change brings a new relation, hence a new
/// `TableApply`); it keeps the relation alive, so caching by the relation's identity is safe.
final class TableApply {
    /// How rows are found in the target.
    enum Mode: Equatable {
        /// The target has a unique index on the key columns: INSERT and MODIFY are upserts.
        case upsert
        /// The source has a key but the target has no unique index on it: plain INSERT, UPDATE and
        /// DELETE matched on the key.
        case matchKey
        /// REPLICA IDENTITY FULL without a primary key: UPDATE and DELETE match one row on all old
        /// values (compared in text form, so types without `=` work).
        case matchAllColumns
        /// No replica identity at all (PostgreSQL publishes only inserts): plain INSERT.
        case insertOnly
    }

    /// A statement shape: what it does, on which columns, for how many rows.
    struct StatementKey: Hashable {
        var kind: ApplyPlan.Kind
        var columns: [Int]
        var rows: Int
    }

    let relation: Relation
    /// The quoted `"schema"."table"` of the target.
    let target: String
    /// The target as people read it: `schema.table`.
    let targetName: String
    let mode: Mode
    /// Target type OID per relation column (parameters are typed by the target's own types).
    let columnTypes: [UInt32]
    /// Every column index, shared by the records that send all of them (no allocation per record).
    let allColumns: [Int]
    /// Per relation column, how its values are written in a binary COPY: when the target column
    /// has the source's own built-in type (`BinaryCopyEncoder`); nil: only as text.
    let binaryKinds: [BinaryCopyEncoder.Kind?]
    /// Whether COPYs into this table may go in binary form; turned off for good once a value
    /// could not be converted (the COPY then went as text).
    var binaryCopy = true
    private var sql: [StatementKey: String] = [:]

    init(relation: Relation, targetSchema: String, targetTable: String, mode: Mode, columnTypes: [UInt32]) {
        self.relation = relation
        self.target = SQL.qualified(targetSchema, targetTable)
        self.targetName = targetSchema + "." + targetTable
        self.mode = mode
        self.columnTypes = columnTypes
        self.allColumns = Array(relation.columns.indices)
        self.binaryKinds = relation.columns.indices.map { index in
            let type = relation.columns[index].typeOID
            return index < columnTypes.count && columnTypes[index] == type ? BinaryCopyEncoder.kind(ofType: type) : nil
        }
    }

    /// The conversions of `columns` for a binary COPY, nil when one of them goes only as text
    /// (or binary COPY is off for this table).
    func binaryCopyKinds(_ columns: [Int]) -> [BinaryCopyEncoder.Kind]? {
        guard binaryCopy else { return nil }
        var kinds: [BinaryCopyEncoder.Kind] = []
        kinds.reserveCapacity(columns.count)
        for column in columns {
            guard let kind = binaryKinds[column] else { return nil }
            kinds.append(kind)
        }
        return kinds
    }

    /// Rows per multi-row statement: at most 256, and never above PostgreSQL's 65,535 parameters.
    var maxRowsPerStatement: Int { max(1, min(256, 65_535 / max(1, relation.columns.count))) }

    /// The SQL text of a statement shape (cached).
    func statement(_ key: StatementKey) -> String {
        if let cached = sql[key] { return cached }
        let text = build(key)
        sql[key] = text
        return text
    }

    /// The `COPY … FROM STDIN` of a `.copy` shape, with binary data or text.
    func copyStatement(_ key: StatementKey, binary: Bool) -> String {
        binary ? statement(key) + " (FORMAT binary)" : statement(key)
    }

    /// Parameter type OIDs of a statement shape, in `$n` order.
    func parameterTypes(_ key: StatementKey) -> [UInt32] {
        let values = key.columns.map { columnTypes[$0] }
        switch key.kind {
        case .upsert, .insert: return Array([[UInt32]](repeating: values, count: key.rows).joined())
        case .update: return values + relation.keyIndexes.map { columnTypes[$0] }
        case .delete: return relation.keyIndexes.map { columnTypes[$0] }
        case .updateMatchingAll: return values + relation.columns.map { _ in 25 }  // text
        case .deleteMatchingAll: return relation.columns.map { _ in 25 }
        case .truncate, .copy: return []
        }
    }

    private func name(_ column: Int) -> String { SQL.identifier(relation.columns[column].name) }

    private func build(_ key: StatementKey) -> String {
        var n = 0
        func next() -> String {
            n += 1
            return "$\(n)"
        }
        let keyColumns = relation.keyIndexes
        switch key.kind {
        case .upsert, .insert:
            var text = "INSERT INTO \(target) (" + key.columns.map(name).joined(separator: ", ") + ") VALUES "
            text += (0..<key.rows).map { _ in "(" + key.columns.map { _ in next() }.joined(separator: ", ") + ")" }
                .joined(separator: ", ")
            if key.kind == .upsert {
                let updated = key.columns.filter { !keyColumns.contains($0) }
                text += " ON CONFLICT (" + keyColumns.map(name).joined(separator: ", ") + ")"
                text +=
                    updated.isEmpty
                    ? " DO NOTHING"
                    : " DO UPDATE SET " + updated.map { "\(name($0)) = EXCLUDED.\(name($0))" }.joined(separator: ", ")
            }
            return text
        case .update:
            let set = key.columns.map { "\(name($0)) = \(next())" }.joined(separator: ", ")
            let match = keyColumns.map { "\(name($0)) = \(next())" }.joined(separator: " AND ")
            return "UPDATE \(target) SET \(set) WHERE \(match)"
        case .delete:
            return "DELETE FROM \(target) WHERE " + keyColumns.map { "\(name($0)) = \(next())" }.joined(separator: " AND ")
        case .updateMatchingAll:
            let set = key.columns.map { "\(name($0)) = \(next())" }.joined(separator: ", ")
            return "UPDATE \(target) SET \(set) WHERE ctid = (\(matchAllColumns(next)))"
        case .deleteMatchingAll:
            return "DELETE FROM \(target) WHERE ctid = (\(matchAllColumns(next)))"
        case .truncate:
            return "TRUNCATE \(target)"
        case .copy:
            return "COPY \(target) (" + key.columns.map(name).joined(separator: ", ") + ") FROM STDIN"
        }
    }

    /// The ctid of one row whose every column's text form equals the old row's.
    private func matchAllColumns(_ next: () -> String) -> String {
        let conditions = relation.columns.indices.map { "\(name($0))::text IS NOT DISTINCT FROM \(next())" }
        return "SELECT ctid FROM \(target) WHERE " + conditions.joined(separator: " AND ") + " LIMIT 1"
    }

    /// `(id, region)=(42, eu)`: the key of a record, for error messages.
    func describeKey(of record: ChangeRecord) -> String {
        let values = record.oldKeyValues ?? record.keyValues
        guard !values.isEmpty else { return "(no key)" }
        let names = relation.keyIndexes.map { relation.columns[$0].name }
        let shown = values.map { value -> String in
            let text = value.string ?? "null"
            return text.count > 64 ? String(text.prefix(61)) + "..." : text
        }
        return "(" + names.joined(separator: ", ") + ")=(" + shown.joined(separator: ", ") + ")"
    }
}
