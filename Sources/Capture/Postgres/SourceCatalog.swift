import CDCCore
import LibPQ

/// Reads what capture needs from the source's catalog over a plain SQL connection: server
/// settings, table existence, primary keys, unknown types; and manages the publication.
///
/// Not `Sendable`: lives on the replication thread with its connection.
final class SourceCatalog {
    let connection: PostgresConnection
    private(set) var types = TypeRegistry()

    init(_ connection: PostgresConnection) { self.connection = connection }

    var server: String { connection.server }

    /// Fails with a clear message when the server cannot do logical decoding.
    func checkWalLevel() throws -> String {
        let level = try connection.execute("SHOW wal_level").scalar ?? "?"
        guard level == "logical" else {
            throw CaptureError(
                code: .sourceNotReady,
                message:
                    "\(server) has wal_level=\(level); logical replication needs wal_level=logical (ALTER SYSTEM SET wal_level = logical, then restart PostgreSQL)"
            )
        }
        return level
    }

    func currentDatabase() throws -> String {
        try connection.execute("SELECT current_database()").scalar ?? "postgres"
    }

    /// OID and replica identity of `schema.table` (ordinary or partitioned), nil when it does not exist.
    func table(schema: String, name: String) throws -> (oid: UInt32, replicaIdentity: Character, hasPrimaryKey: Bool)? {
        let result = try connection.execute(
            """
            SELECT c.oid, c.relreplident,
                   EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary)
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p')
            """, [schema, name])
        guard let row = result.rows.first, let oid = row[0].flatMap({ UInt32($0) }) else { return nil }
        return (oid, row[1]?.first ?? "d", row[2] == "t")
    }

    /// Fails naming the first exact table pattern that does not exist.
    func checkTablesExist(_ patterns: [TablePattern]) throws {
        for pattern in patterns {
            guard let (schema, name) = pattern.exactName else { continue }
            if try table(schema: schema, name: name) == nil {
                throw CaptureError(
                    code: .badTable, message: "table \(pattern.text) does not exist in \(server)")
            }
        }
    }

    func publicationExists(_ name: String) throws -> Bool {
        try !connection.execute("SELECT 1 FROM pg_publication WHERE pubname = $1", [name]).rows.isEmpty
    }

    /// Creates the publication for `tables` unless it exists: `FOR TABLE` when every pattern is exact,
    /// `FOR TABLES IN SCHEMA` when every pattern is `schema.*`, otherwise `FOR ALL TABLES` (capture
    /// then filters by pattern).
    func ensurePublication(_ name: String, tables: [TablePattern]) throws -> Bool {
        if try publicationExists(name) { return false }
        let target: String
        if !tables.isEmpty, tables.allSatisfy(\.isExact) {
            target = "FOR TABLE " + tables.compactMap(\.exactName).map { SQL.qualified($0.schema, $0.table) }
                .joined(separator: ", ")
        } else if !tables.isEmpty, tables.allSatisfy({ $0.wholeSchema != nil }) {
            target = "FOR TABLES IN SCHEMA " + tables.compactMap(\.wholeSchema).map(SQL.identifier)
                .joined(separator: ", ")
        } else {
            target = "FOR ALL TABLES"
        }
        do {
            try connection.execute("CREATE PUBLICATION \(SQL.identifier(name)) \(target)")
        } catch {
            guard error.sqlState == "42501" else { throw error }
            throw CaptureError(
                code: .sourceNotReady,
                message:
                    "cannot create publication \(name) on \(server): \(error.message); create it as a superuser or table owner (see deploy/source-role.sql)"
            )
        }
        return true
    }

    func dropPublication(_ name: String) throws {
        try connection.execute("DROP PUBLICATION IF EXISTS \(SQL.identifier(name))")
    }

    /// The slot's plugin and whether it is in use, nil when there is no such slot.
    func slot(_ name: String) throws -> (plugin: String, database: String, active: Bool)? {
        let result = try connection.execute(
            "SELECT plugin, database, active FROM pg_replication_slots WHERE slot_name = $1", [name])
        guard let row = result.rows.first else { return nil }
        return (row[0] ?? "", row[1] ?? "", row[2] == "t")
    }

    /// Builds a `Relation` from a pgoutput Relation message: resolves unknown column types from
    /// `pg_type` and finds the primary key (keys are the primary key when there is one, otherwise the
    /// replica identity columns).
    func resolve(_ message: PgOutputMessage.RelationMessage) throws -> Relation {
        try resolveTypes(message.columns.map(\.typeOID))
        var columns: [Relation.Column] = []
        columns.reserveCapacity(message.columns.count)
        for column in message.columns {
            columns.append(
                Relation.Column(
                    name: column.name, typeOID: column.typeOID, typeModifier: column.typeModifier,
                    kind: types.kind(for: column.typeOID) ?? .text, isReplicaIdentity: column.isKey))
        }
        let primaryKey = try connection.execute(
            """
            SELECT a.attname FROM pg_index i
            CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
            JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
            WHERE i.indrelid = $1 AND i.indisprimary ORDER BY k.ord
            """, [String(message.oid)]
        ).rows.compactMap { $0[0] }
        var keyIndexes = primaryKey.compactMap { name in columns.firstIndex(where: { $0.name == name }) }
        if keyIndexes.count != primaryKey.count || keyIndexes.isEmpty {
            keyIndexes = columns.indices.filter { columns[$0].isReplicaIdentity }
        }
        return Relation(
            oid: message.oid, schema: message.namespace, name: message.name,
            replicaIdentity: Relation.ReplicaIdentity(rawValue: message.replicaIdentity) ?? .default,
            columns: columns, keyIndexes: keyIndexes)
    }

    private func resolveTypes(_ oids: [UInt32]) throws {
        var pending = Array(Set(oids.filter { types.kind(for: $0) == nil }))
        var rounds = 0
        while !pending.isEmpty && rounds < 8 {
            rounds += 1
            let list = "{" + pending.map(String.init).joined(separator: ",") + "}"
            let result = try connection.execute(
                """
                SELECT t.oid, t.typtype, t.typbasetype, t.typelem, t.typcategory,
                       coalesce(e.typdelim, ',')
                FROM pg_type t LEFT JOIN pg_type e ON e.oid = t.typelem
                WHERE t.oid = ANY($1::oid[])
                """, [list])
            var entries: [(TypeRegistry.CatalogType, UInt8)] = []
            for row in result.rows {
                guard let oid = row[0].flatMap({ UInt32($0) }) else { continue }
                let entry = TypeRegistry.CatalogType(
                    oid: oid, type: row[1]?.first ?? "b", baseType: row[2].flatMap { UInt32($0) } ?? 0,
                    elementType: row[3].flatMap { UInt32($0) } ?? 0, category: row[4]?.first ?? "U")
                entries.append((entry, row[5]?.utf8.first ?? UInt8(ascii: ",")))
            }
            var next: [UInt32] = []
            for (entry, delimiter) in entries {
                let missing = types.missingDependencies(of: entry)
                if missing.isEmpty { types.resolve(entry, delimiter: delimiter) } else { next += missing + [entry.oid] }
            }
            // Unknown to the catalog (dropped since): render as text.
            for oid in pending where !entries.contains(where: { $0.0.oid == oid }) { types.register(oid, .text) }
            pending = Array(Set(next.filter { types.kind(for: $0) == nil }))
        }
        for oid in pending { types.register(oid, .text) }
    }
}
