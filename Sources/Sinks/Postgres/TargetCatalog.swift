import CDCCore
import LibPQ

/// Catalog lookups and DDL for the replica: what a target table looks like, creating it from the
/// source relation (`create_tables`), adding the columns the source gains.
///
/// Runs on the sink's connection (and, for `create_tables`, a short-lived connection to the source
/// to read column types, defaults and NOT NULL). Every identifier is quoted.
struct TargetCatalog {
    /// A target table's columns and unique keys.
    struct Table {
        /// Column name → type OID.
        var columns: [String: UInt32]
        /// The column sets of the table's unique indexes (no predicate, no expressions).
        var uniqueKeys: [Set<String>]
        /// Column name → declared type (OID and modifier), to check schema changes against.
        var declared: [String: SchemaChange.Column] = [:]
        /// Column name → `format_type` text, for messages.
        var typeNames: [String: String] = [:]
    }

    /// One source column as `CREATE TABLE` / `ADD COLUMN` needs it.
    struct SourceColumn {
        var name: String
        var type: String
        var notNull: Bool
        /// The default expression, unless it needs a sequence (serial, identity): the replica gets
        /// those values from the source.
        var defaultExpression: String?
    }

    /// The table, or nil when it does not exist.
    static func table(_ connection: PostgresConnection, schema: String, name: String) throws(PostgresError) -> Table? {
        let qualified = SQL.qualified(schema, name)
        guard let oid = try connection.execute("SELECT to_regclass($1)::oid::int8", [qualified]).scalar else {
            return nil
        }
        let columns = try connection.execute(
            """
            SELECT attname, atttypid::int8, atttypmod, format_type(atttypid, atttypmod) FROM pg_attribute
            WHERE attrelid = $1::int8::oid AND attnum > 0 AND NOT attisdropped
            """,
            [oid])
        var table = Table(columns: [:], uniqueKeys: [])
        for row in columns.rows {
            let name = row[0] ?? ""
            let type = UInt32(row[1] ?? "0") ?? 0
            table.columns[name] = type
            table.declared[name] = SchemaChange.Column(name: name, typeOID: type, typeModifier: Int32(row[2] ?? "-1") ?? -1)
            table.typeNames[name] = row[3]
        }
        let keys = try connection.execute(
            """
            SELECT i.indexrelid::int8, a.attname FROM pg_index i
            CROSS JOIN LATERAL unnest(i.indkey) AS k(attnum)
            JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
            WHERE i.indrelid = $1::int8::oid AND i.indisunique AND i.indpred IS NULL AND i.indexprs IS NULL
            """, [oid])
        var byIndex: [String: Set<String>] = [:]
        for row in keys.rows { byIndex[row[0] ?? "", default: []].insert(row[1] ?? "") }
        table.uniqueKeys = Array(byIndex.values)
        return table
    }

    /// The source relation's columns with their declared types, NOT NULL and defaults, and its
    /// primary key column names (empty without one).
    static func sourceColumns(_ source: PostgresConnection, relationOID: UInt32) throws(PostgresError)
        -> (columns: [String: SourceColumn], primaryKey: [String])
    {
        let rows = try source.execute(
            """
            SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
                   CASE WHEN a.attidentity = '' AND a.attgenerated = '' THEN pg_get_expr(d.adbin, d.adrelid) END
            FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
            WHERE a.attrelid = $1::int8::oid AND a.attnum > 0 AND NOT a.attisdropped
            """, [String(relationOID)])
        var columns: [String: SourceColumn] = [:]
        for row in rows.rows {
            let name = row[0] ?? ""
            let expression = row[3].flatMap { $0.contains("nextval(") ? nil : $0 }
            columns[name] = SourceColumn(
                name: name, type: row[1] ?? "text", notNull: row[2] == "t", defaultExpression: expression)
        }
        let key = try source.execute(
            """
            SELECT a.attname FROM pg_index i
            CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, n)
            JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
            WHERE i.indrelid = $1::int8::oid AND i.indisprimary ORDER BY k.n
            """, [String(relationOID)])
        return (columns, key.rows.map { $0[0] ?? "" })
    }

    /// `CREATE TABLE` for a relation: its published columns, types, NOT NULL, defaults, primary key.
    static func createTableSQL(
        schema: String, name: String, relation: Relation, source: [String: SourceColumn], primaryKey: [String]
    ) -> String {
        var parts = relation.columns.map { column -> String in
            let definition = source[column.name] ?? SourceColumn(name: column.name, type: "text", notNull: false)
            var text = SQL.identifier(column.name) + " " + definition.type
            if let expression = definition.defaultExpression { text += " DEFAULT " + expression }
            if definition.notNull { text += " NOT NULL" }
            return text
        }
        let published = Set(relation.columns.map(\.name))
        if !primaryKey.isEmpty && primaryKey.allSatisfy(published.contains) {
            parts.append("PRIMARY KEY (" + primaryKey.map(SQL.identifier).joined(separator: ", ") + ")")
        }
        return "CREATE TABLE IF NOT EXISTS \(SQL.qualified(schema, name)) (" + parts.joined(separator: ", ") + ")"
    }

    /// `ALTER TABLE … ADD COLUMN` with the source's type and default (so rows untouched since the
    /// source's `ADD COLUMN … DEFAULT` match); NOT NULL only together with a default.
    static func addColumnSQL(schema: String, name: String, column: SourceColumn) -> String {
        var text = "ALTER TABLE \(SQL.qualified(schema, name)) ADD COLUMN IF NOT EXISTS "
        text += SQL.identifier(column.name) + " " + column.type
        if let expression = column.defaultExpression {
            text += " DEFAULT " + expression
            if column.notNull { text += " NOT NULL" }
        }
        return text
    }
}
