import CDCCore
import LibPQ

/// Reads the current rows of the published tables as `INSERT` records with `snapshot: true`, ahead
/// of every change streamed from the slot (`snapshot: initial`).
///
/// Correctness: the rows are read in a REPEATABLE READ transaction that uses the snapshot the slot
/// exported when it was created, so they are exactly the state at the slot's consistent point and
/// every later change follows from the slot: no gap, no overlap. Records get the commit LSN just
/// below the consistent point, so their sequence numbers sort before every streamed change.
///
/// Resuming: tables are read one after the other in name order, tables with a primary key in key
/// order by chunks. After an interruption the snapshot goes on after the last row the stream
/// holds, in a new REPEATABLE READ transaction (the exported snapshot died with its connection).
/// Rows read then may already reflect changes made after the consistent point; those changes are
/// streamed afterwards anyway and applied in order, so every row ends at its current state (the
/// argument of DBLog's watermark-free variant). A table without a primary key is read again from
/// its start when the interruption fell inside it.
struct InitialSnapshot {
    /// Where reading starts.
    enum Start {
        /// The snapshot exported by `CREATE_REPLICATION_SLOT … (SNAPSHOT 'export')`.
        case exported(name: String)
        /// A new snapshot (resume, or a slot that existed before).
        case fresh
    }

    typealias Resume = SnapshotPlan.Resume

    let connection: ConnectionString
    let publication: String
    let database: String
    /// Rows per query.
    var chunkRows = InitialSnapshot.defaultChunkRows
    static let defaultChunkRows = 10_000

    /// Reads every table and hands records to `emit` in chunks. Returns the number of rows read.
    func run(
        start: Start, consistentPoint: LSN, resume: Resume?, catalog: SourceCatalog,
        emit: ([ChangeRecord]) throws -> Void
    ) throws -> Int {
        let reader = try PostgresConnection(connection, applicationName: "cdcd-snapshot")
        defer { reader.close() }
        try reader.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        if case .exported(let name) = start { try reader.execute("SET TRANSACTION SNAPSHOT \(SQL.literal(name))") }
        let tables = try reader.execute(
            "SELECT schemaname, tablename FROM pg_publication_tables WHERE pubname = $1 ORDER BY 1, 2", [publication]
        ).rows.map { (schema: $0[0] ?? "", name: $0[1] ?? "") }
        let lsn = resume?.lsn ?? LSN(consistentPoint.rawValue > 0 ? consistentPoint.rawValue - 1 : 0)
        var index = resume?.index ?? 0
        var skipping = resume != nil
        var total = 0
        let commitTime = PostgresClock.now()
        for table in tables {
            let qualified = table.schema + "." + table.name
            var after: [PgValue]? = nil
            if skipping {
                guard qualified == resume?.table else { continue }  // done before the interruption
                skipping = false
            }
            let relation = try catalog.resolve(try Self.relationMessage(reader, schema: table.schema, name: table.name))
            let keyed = try Self.hasPrimaryKey(reader, oid: relation.oid)
            if keyed, let resume, resume.table == qualified { after = resume.keyValues }
            let columns = relation.columns.map { SQL.identifier($0.name) }.joined(separator: ", ")
            let target = SQL.qualified(table.schema, table.name)
            let keyList = relation.keyIndexes.map { SQL.identifier(relation.columns[$0].name) }.joined(separator: ", ")
            if !keyed {
                try reader.execute("DECLARE cdcd_snapshot NO SCROLL CURSOR FOR SELECT \(columns) FROM \(target)")
            }
            while true {
                let rows: [[String?]]
                if keyed {
                    var sql = "SELECT \(columns) FROM \(target)"
                    var parameters: [String?] = []
                    if let after {
                        let placeholders = after.indices.map { "$\($0 + 1)" }.joined(separator: ", ")
                        sql += " WHERE (\(keyList)) > (\(placeholders))"
                        parameters = after.map(\.string)
                    }
                    sql += " ORDER BY \(keyList) LIMIT \(chunkRows)"
                    rows = try reader.execute(sql, parameters).rows
                } else {
                    rows = try reader.execute("FETCH \(chunkRows) FROM cdcd_snapshot").rows
                }
                if rows.isEmpty { break }
                var records: [ChangeRecord] = []
                records.reserveCapacity(rows.count)
                for row in rows {
                    index += 1
                    let values: [PgValue] = row.map { $0.map { .text(PgText($0)) } ?? .null }
                    records.append(
                        .insert(
                            relation: relation, database: database, commitLSN: lsn, index: index, xid: 0,
                            commitTime: commitTime, snapshot: true, newValues: values))
                }
                total += records.count
                if keyed { after = records.last!.keyValues }
                try emit(records)
                if rows.count < chunkRows && keyed { break }
            }
            if !keyed { try reader.execute("CLOSE cdcd_snapshot") }
        }
        try reader.execute("COMMIT")
        return total
    }

    static func hasPrimaryKey(_ connection: PostgresConnection, oid: UInt32) throws -> Bool {
        try connection.execute("SELECT 1 FROM pg_index WHERE indrelid = $1::int8::oid AND indisprimary", [String(oid)])
            .rows.count == 1
    }

    /// What pgoutput's Relation message would say about a table: its published columns (not
    /// generated ones) and which form the replica identity.
    static func relationMessage(_ connection: PostgresConnection, schema: String, name: String) throws
        -> PgOutputMessage.RelationMessage
    {
        let qualified = SQL.qualified(schema, name)
        guard let info = try connection.execute(
            "SELECT c.oid::int8, c.relreplident::text FROM pg_class c WHERE c.oid = $1::regclass", [qualified]
        ).rows.first, let oid = UInt32(info[0] ?? "") else {
            throw CaptureError(code: .badConfiguration, message: "table \(schema).\(name) does not exist")
        }
        let identity = info[1] ?? "d"
        let keyColumns: Set<String>
        switch identity {
        case "d", "i":
            let flag = identity == "d" ? "indisprimary" : "indisreplident"
            keyColumns = Set(
                try connection.execute(
                    """
                    SELECT a.attname FROM pg_index i CROSS JOIN LATERAL unnest(i.indkey) AS k(attnum)
                    JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
                    WHERE i.indrelid = $1::int8::oid AND i.\(flag)
                    """, [String(oid)]
                ).rows.compactMap { $0[0] })
        default:
            keyColumns = []
        }
        let columns = try connection.execute(
            """
            SELECT attname, atttypid::int8, atttypmod FROM pg_attribute
            WHERE attrelid = $1::int8::oid AND attnum > 0 AND NOT attisdropped AND attgenerated = ''
            ORDER BY attnum
            """, [String(oid)]
        ).rows.map { row -> PgOutputMessage.RelationMessage.Column in
            let name = row[0] ?? ""
            let key = identity == "f" || keyColumns.contains(name)
            return .init(
                flags: key ? 1 : 0, name: name, typeOID: UInt32(row[1] ?? "0") ?? 0,
                typeModifier: Int32(row[2] ?? "-1") ?? -1)
        }
        return .init(
            oid: oid, namespace: schema, name: name, replicaIdentity: UInt8(ascii: Unicode.Scalar(identity.utf8.first ?? 100)),
            columns: columns)
    }
}
