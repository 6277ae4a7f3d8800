import CDCCore
import LibPQ

extension ReplicaApplier {
    /// The `TableApply` of a record's relation: looked up in the target's catalog the first time a
    /// relation (or a new shape of it) is seen; the table is created and columns are added when
    /// `create_tables` is on. A change the replica cannot follow disables the pipeline.
    func table(for record: ChangeRecord, _ connection: PostgresConnection) throws(SinkError) -> TableApply {
        let relation = record.relation
        let previous = tables[relation.oid]
        if let previous {
            if previous.relation === relation || Self.sameShape(previous.relation, relation) { return previous }
            try Self.checkCompatible(previous.relation, relation)
        }
        let (schema, name) = configuration.mapTable(relation.schema, relation.name)
        let targetName = schema + "." + name
        do {
            var table = try TargetCatalog.table(connection, schema: schema, name: name)
            if table == nil {
                guard configuration.createTables else {
                    throw SinkError(
                        retryable: false, disablesPipeline: true,
                        message: "postgres sink: target table \(targetName) (for \(relation.qualifiedName)) does not exist; create it or set create_tables: true")
                }
                let source = try sourceColumns(relation)
                try connection.execute(
                    "CREATE SCHEMA IF NOT EXISTS \(SQL.identifier(schema)); "
                        + TargetCatalog.createTableSQL(
                            schema: schema, name: name, relation: relation, source: source.columns,
                            primaryKey: source.primaryKey))
                logger.info("created target table", metadata: ["cdc.table": "\(targetName)"])
                table = try TargetCatalog.table(connection, schema: schema, name: name)
            }
            guard var found = table else {
                throw SinkError(retryable: true, message: "postgres sink: target table \(targetName) disappeared")
            }
            let missing = relation.columns.filter { found.columns[$0.name] == nil }
            if !missing.isEmpty {
                guard configuration.createTables else {
                    throw SinkError(
                        retryable: false, disablesPipeline: true,
                        message: "postgres sink: target table \(targetName) has no column \(missing.map { "\"\($0.name)\"" }.joined(separator: ", ")) (the source \(relation.qualifiedName) has); add it or set create_tables: true")
                }
                let source = try sourceColumns(relation)
                for column in missing {
                    let definition = source.columns[column.name] ?? .init(name: column.name, type: "text", notNull: false)
                    try connection.execute(TargetCatalog.addColumnSQL(schema: schema, name: name, column: definition))
                    logger.info("added target column", metadata: ["cdc.table": "\(targetName)", "cdc.column": "\(column.name)"])
                }
                found = try TargetCatalog.table(connection, schema: schema, name: name) ?? found
            }
            let keyNames = Set(relation.keyIndexes.map { relation.columns[$0].name })
            // A key the source gained after the table was created (pgbench -i adds its primary keys
            // after loading): with create_tables the target gets it too.
            if configuration.createTables && !keyNames.isEmpty && !found.uniqueKeys.contains(keyNames) {
                let source = try sourceColumns(relation)
                if !source.primaryKey.isEmpty && Set(source.primaryKey) == keyNames {
                    try connection.execute(
                        "ALTER TABLE \(SQL.qualified(schema, name)) ADD PRIMARY KEY ("
                            + source.primaryKey.map(SQL.identifier).joined(separator: ", ") + ")")
                    logger.info("added the primary key to the target table", metadata: ["cdc.table": "\(targetName)"])
                    found = try TargetCatalog.table(connection, schema: schema, name: name) ?? found
                }
            }
            let mode: TableApply.Mode =
                if relation.keyIndexes.isEmpty { .insertOnly }
                else if found.uniqueKeys.contains(keyNames) { .upsert }
                else if relation.replicaIdentity == .full && relation.keyIndexes.count == relation.columns.count {
                    .matchAllColumns
                } else { .matchKey }
            let apply = TableApply(
                relation: relation, targetSchema: schema, targetTable: name, mode: mode,
                columnTypes: relation.columns.map { found.columns[$0.name] ?? 0 })
            tables[relation.oid] = apply
            logger.info(
                "replicating table",
                metadata: ["cdc.table": "\(relation.qualifiedName)", "cdc.target_table": "\(targetName)", "cdc.mode": "\(mode)"])
            return apply
        } catch {
            disconnect()
            throw SinkError(retryable: true, message: "postgres sink: \(targetName): \(error)")
        }
    }

    /// Reads the source's column definitions (for CREATE TABLE / ADD COLUMN).
    private func sourceColumns(_ relation: Relation) throws(SinkError)
        -> (columns: [String: TargetCatalog.SourceColumn], primaryKey: [String])
    {
        guard let url = configuration.source else { return Self.relationColumns(relation) }
        do {
            let source = try PostgresConnection(url, applicationName: "cdcd-sink-catalog")
            defer { source.close() }
            return try TargetCatalog.sourceColumns(source, relationOID: relation.oid)
        } catch {
            throw SinkError(retryable: true, message: "postgres sink: reading \(relation.qualifiedName) from the source: \(error)")
        }
    }

    /// Column types and key from the relation itself, for sources without a catalog to ask (the
    /// DynamoDB source: key attributes as text/numeric, the item as `jsonb`).
    static func relationColumns(_ relation: Relation) -> (columns: [String: TargetCatalog.SourceColumn], primaryKey: [String]) {
        var columns: [String: TargetCatalog.SourceColumn] = [:]
        let keys = Set(relation.keyIndexes)
        for (i, column) in relation.columns.enumerated() {
            let type: String =
                switch column.typeOID {
                case 16: "boolean"
                case 20: "bigint"
                case 1700: "numeric"
                case 17: "bytea"
                case 114: "json"
                case 3802: "jsonb"
                default: "text"
                }
            columns[column.name] = .init(name: column.name, type: type, notNull: keys.contains(i))
        }
        return (columns, relation.keyIndexes.map { relation.columns[$0].name })
    }

    static func sameShape(_ a: Relation, _ b: Relation) -> Bool {
        a.schema == b.schema && a.name == b.name && a.columns == b.columns && a.keyIndexes == b.keyIndexes
            && a.replicaIdentity == b.replicaIdentity
    }

    /// A new shape of a relation the replica already applies: columns may be added; a dropped,
    /// renamed or retyped column stops the pipeline with a message naming it.
    static func checkCompatible(_ old: Relation, _ new: Relation) throws(SinkError) {
        for column in old.columns {
            guard let now = new.columns.first(where: { $0.name == column.name }) else {
                throw SinkError(
                    retryable: false, disablesPipeline: true,
                    message: "postgres sink: column \"\(column.name)\" of \(old.qualifiedName) was dropped or renamed in the source; the replica cannot follow: change the target table, then restart")
            }
            if now.typeOID != column.typeOID || now.typeModifier != column.typeModifier {
                throw SinkError(
                    retryable: false, disablesPipeline: true,
                    message: "postgres sink: column \"\(column.name)\" of \(old.qualifiedName) changed type in the source; the replica cannot follow: change the target table, then restart")
            }
        }
    }
}
