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
            if let earlier = earlierShapes[relation.oid]?.last(where: {
                $0.relation === relation || Self.sameShape($0.relation, relation)
            }) {
                return earlier
            }
        }
        let (schema, name) = configuration.mapTable(relation.schema, relation.name)
        let targetName = schema + "." + name
        let shape = relation.columns.map(SchemaChange.Column.init)
        do {
            var table = try TargetCatalog.table(connection, schema: schema, name: name)
            // The shape applied before: this session's, else the one saved in the target.
            let before = try previous.map { $0.relation.columns.map(SchemaChange.Column.init) }
                ?? shapes.load(connection, sourceTable: relation.qualifiedName)
            if let before, before != shape, let existing = table {
                try checkFollowed(
                    SchemaChange.between(before, shape), relation: relation, target: existing,
                    targetName: SQL.qualified(schema, name))
            }
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
            if before != shape { try shapes.save(connection, sourceTable: relation.qualifiedName, columns: shape) }
            let apply = TableApply(
                relation: relation, targetSchema: schema, targetTable: name, mode: mode,
                columnTypes: relation.columns.map { found.columns[$0.name] ?? 0 })
            if let previous { earlierShapes[relation.oid, default: []].append(previous) }
            tables[relation.oid] = apply
            logger.info(
                "replicating table",
                metadata: ["cdc.table": "\(relation.qualifiedName)", "cdc.target_table": "\(targetName)", "cdc.mode": "\(mode)"])
            return apply
        } catch let error as SinkError {
            throw error
        } catch {
            disconnect()
            throw SinkError(retryable: true, message: "postgres sink: \(targetName): \(error)")
        }
    }

    /// Stops the pipeline (an error naming table and column) at the first change of `changes`
    /// that the target table does not already follow; see `SchemaChange.isFollowed(by:)`.
    private func checkFollowed(
        _ changes: [SchemaChange], relation: Relation, target: TargetCatalog.Table, targetName: String
    ) throws(SinkError) {
        for change in changes where !change.isFollowed(by: target.declared) {
            var newType: String?
            if case .retyped = change.kind {
                newType = (try? sourceColumns(relation))?.columns[change.column]?.type
            }
            let message = change.message(
                table: relation.qualifiedName, targetTable: targetName, newTypeName: newType,
                targetTypeName: target.typeNames[change.column])
            logger.error(
                "schema change the replica cannot follow",
                metadata: ["cdc.table": "\(relation.qualifiedName)", "cdc.column": "\(change.column)", "cdc.change": "\(change)"])
            throw SinkError(retryable: false, disablesPipeline: true, message: message)
        }
        for change in changes where change.kind != .added {
            logger.info(
                "the target already follows a schema change",
                metadata: ["cdc.table": "\(relation.qualifiedName)", "cdc.column": "\(change.column)", "cdc.change": "\(change)"])
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
}
