import CDCCore
import LibPQ

/// The column shape the replica last applied for each source table, kept in the target beside the
/// checkpoints (`<checkpoint_schema>.replica_columns`, one row per column), so that a schema change
/// is still noticed after a restart, when the sink has not seen the table's previous shape.
///
/// Written when the sink starts applying a shape (outside the batch transaction: a crash before
/// the batch commits leaves a newer shape saved, and the older records applied again afterwards
/// only look like columns the target already has).
struct AppliedShapes {
    /// The qualified table name.
    let table: String
    let pipeline: String

    init(schema: String, pipeline: String) {
        table = SQL.qualified(schema, "replica_columns")
        self.pipeline = pipeline
    }

    var createSQL: String {
        """
        CREATE TABLE IF NOT EXISTS \(table) (
          pipeline text NOT NULL,
          source_table text NOT NULL,
          position int NOT NULL,
          name text NOT NULL,
          type_oid int8 NOT NULL,
          type_modifier int4 NOT NULL,
          PRIMARY KEY (pipeline, source_table, position))
        """
    }

    /// The saved shape of `sourceTable` (`schema.table`), nil when none was saved.
    func load(_ connection: PostgresConnection, sourceTable: String) throws(PostgresError) -> [SchemaChange.Column]? {
        let rows = try connection.execute(
            "SELECT name, type_oid, type_modifier FROM \(table) WHERE pipeline = $1 AND source_table = $2 ORDER BY position",
            [pipeline, sourceTable]
        ).rows
        if rows.isEmpty { return nil }
        return rows.map {
            SchemaChange.Column(
                name: $0[0] ?? "", typeOID: UInt32($0[1] ?? "0") ?? 0, typeModifier: Int32($0[2] ?? "-1") ?? -1)
        }
    }

    /// Replaces the saved shape of `sourceTable`, atomically.
    func save(_ connection: PostgresConnection, sourceTable: String, columns: [SchemaChange.Column]) throws(PostgresError) {
        var parameters: [String?] = [pipeline, sourceTable]
        var values: [String] = []
        for (position, column) in columns.enumerated() {
            let n = parameters.count
            values.append("($1, $2, \(position), $\(n + 1), $\(n + 2), $\(n + 3))")
            parameters += [column.name, String(column.typeOID), String(column.typeModifier)]
        }
        try connection.execute("BEGIN")
        do throws(PostgresError) {
            try connection.execute("DELETE FROM \(table) WHERE pipeline = $1 AND source_table = $2", [pipeline, sourceTable])
            if !values.isEmpty {
                try connection.execute(
                    "INSERT INTO \(table) (pipeline, source_table, position, name, type_oid, type_modifier) VALUES "
                        + values.joined(separator: ", "), parameters)
            }
            try connection.execute("COMMIT")
        } catch {
            _ = try? connection.execute("ROLLBACK")
            throw error
        }
    }
}
