import CDCCore
import LibPQ
import Logging

/// The state behind `PostgresSink`: the target connection, its prepared statements, the tables
/// seen so far and the checkpoint. Used only on the sink's queue.
///
/// `@unchecked Sendable`: confined to `PostgresSink.queue` (one thread at a time).
final class ReplicaApplier: @unchecked Sendable {
    let configuration: PostgresSink.Configuration
    let logger: Logger
    private var connection: PostgresConnection?
    /// The sequence number of the last record applied ("" before the first batch).
    private(set) var checkpoint = ""
    /// The highest checkpoint this applier committed, durable or not: a target whose checkpoint
    /// row is found below it on reconnect lost asynchronous commits (it crashed).
    private var committed = ""
    /// Batches were committed asynchronously since the last `flush`.
    private var unflushed = false
    /// SQL text → prepared statement name, for the current connection.
    private var prepared: [String: String] = [:]
    /// The current `TableApply` of each source relation OID.
    var tables: [UInt32: TableApply] = [:]
    /// Earlier shapes of each relation accepted in this session: a batch can hold records of a
    /// table's old shape after the new one was resolved (the schema check looks ahead), and those
    /// are applied with the old shape's plan, not taken for a change back.
    var earlierShapes: [UInt32: [TableApply]] = [:]
    private let checkpointTable: String
    private let checkpointSQL: String
    /// The shapes applied so far, saved in the target (schema changes across restarts).
    let shapes: AppliedShapes

    init(_ configuration: PostgresSink.Configuration, logger: Logger) {
        self.configuration = configuration
        var logger = logger
        logger[metadataKey: "cdc.sink"] = "postgres"
        logger[metadataKey: "cdc.target"] = .string(configuration.target.redacted)
        self.logger = logger
        checkpointTable = SQL.qualified(configuration.checkpointSchema, "checkpoints")
        shapes = AppliedShapes(schema: configuration.checkpointSchema, pipeline: configuration.pipeline)
        checkpointSQL = """
            INSERT INTO \(checkpointTable) AS c (pipeline, sequence_number, updated_at) VALUES ($1, $2, now())
            ON CONFLICT (pipeline) DO UPDATE SET
              sequence_number = GREATEST(c.sequence_number COLLATE "C", EXCLUDED.sequence_number COLLATE "C"),
              updated_at = now()
            """
    }

    /// The (commit LSN, index) of a 30-digit sequence number; nil for "" (nothing applied yet).
    static func position(_ sequenceNumber: String) -> (UInt64, UInt32)? {
        let digits = Array(sequenceNumber.utf8)
        guard digits.count == 30, digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        let lsn = digits[0..<20].reduce(UInt64(0)) { $0 &* 10 &+ UInt64($1 - 0x30) }
        let index = digits[20..<30].reduce(UInt64(0)) { $0 &* 10 &+ UInt64($1 - 0x30) }
        return (lsn, UInt32(truncatingIfNeeded: index))
    }

    // MARK: Connection

    /// The open connection, connecting (and reading the checkpoint) when there is none.
    func connect() throws(SinkError) -> PostgresConnection {
        if let connection, !connection.isClosed { return connection }
        let connection: PostgresConnection
        do {
            connection = try PostgresConnection(configuration.target, applicationName: "cdcd-sink")
            let schema = configuration.checkpointSchema
            if try connection.execute("SELECT to_regclass($1)", [checkpointTable]).scalar == nil {
                try connection.execute("CREATE SCHEMA IF NOT EXISTS \(SQL.identifier(schema))")
                try connection.execute(
                    """
                    CREATE TABLE IF NOT EXISTS \(checkpointTable) (
                      pipeline text PRIMARY KEY,
                      sequence_number text NOT NULL,
                      updated_at timestamptz NOT NULL DEFAULT now())
                    """)
            }
            if try connection.execute("SELECT to_regclass($1)", [shapes.table]).scalar == nil {
                try connection.execute("CREATE SCHEMA IF NOT EXISTS \(SQL.identifier(schema))")
                try connection.execute(shapes.createSQL)
            }
            if !configuration.synchronousCommit { try connection.execute("SET synchronous_commit = off") }
            checkpoint =
                try connection.execute(
                    "SELECT sequence_number FROM \(checkpointTable) WHERE pipeline = $1", [configuration.pipeline]
                ).scalar ?? ""
            prepared = [:]
            self.connection = connection
            logger.debug("connected to the target", metadata: ["cdc.checkpoint": "\(checkpoint)"])
        } catch {
            throw SinkError(retryable: true, message: "postgres sink: \(error)")
        }
        // (`unflushed` stays as it was: commits of an earlier connection may still be unflushed.)
        if checkpoint < committed {
            // Commits acknowledged to the pipeline are gone: the target crashed before flushing them.
            let lost = committed
            committed = checkpoint
            throw SinkError(
                retryable: true, rewind: true,
                message: "postgres sink: the target lost commits it had acknowledged (it restarted before flushing them): "
                    + "its checkpoint is \(checkpoint.isEmpty ? "empty" : checkpoint), cdcd had committed up to \(lost)")
        }
        return connection
    }

    /// Makes every batch committed so far durable: one synchronous commit (of the checkpoint row's
    /// `updated_at`) flushes the target's WAL up to it, the asynchronous commits before it included.
    func flush() throws(SinkError) {
        guard unflushed else { return }
        let connection = try connect()
        do throws(PostgresError) {
            // One round trip: a simple query of several statements.
            try connection.execute(
                "BEGIN; SET LOCAL synchronous_commit = on; UPDATE \(checkpointTable) SET updated_at = now() WHERE pipeline = \(SQL.literal(configuration.pipeline)); COMMIT")
            unflushed = false
        } catch {
            disconnect()
            throw SinkError(retryable: true, message: "postgres sink: \(error)")
        }
    }

    /// Notes a commit of the records up to `position`.
    private func didCommit(_ position: String) {
        if position > checkpoint { checkpoint = position }
        if position > committed { committed = position }
        if !configuration.synchronousCommit { unflushed = true }
    }

    func disconnect() {
        connection?.close()
        connection = nil
        prepared = [:]
    }

    // MARK: Apply

    /// Applies a batch in one transaction together with the checkpoint. `replay` (DLQ replays)
    /// applies records even when they are at or below the checkpoint.
    func apply(_ items: [SinkItem], replay: Bool) throws(SinkError) {
        let connection = try connect()
        var records: [ChangeRecord] = []
        records.reserveCapacity(items.count)
        let applied = replay ? nil : Self.position(checkpoint)
        for index in items.indices {
            guard let record = items[index].record else {
                throw SinkError(
                    retryable: false, failedSequenceNumbers: [items[index].sequenceNumber],
                    message: "postgres sink: item \(items[index].sequenceNumber) is not a change record (a function's output cannot be replicated)")
            }
            if let applied, (record.commitLSN.rawValue, record.index) <= applied { continue }
            records.append(record)
        }
        // A schema change the replica cannot follow: apply the records before it, then stop, so
        // that after the target is fixed only records of the new shape remain.
        var schemaStop: SinkError?
        var previous: Relation?
        for index in records.indices where records[index].relation !== previous {
            previous = records[index].relation
            do throws(SinkError) {
                _ = try table(for: records[index], connection)
            } catch {
                guard error.disablesPipeline, index > 0 else { throw error }
                schemaStop = error
                records.removeSubrange(index...)
                break
            }
        }
        guard let last = records.last?.position else {
            if let schemaStop { throw schemaStop }
            return
        }
        let started = ContinuousClock.now
        var plan = try self.plan(records, connection, copyInserts: true)
        let planned = ContinuousClock.now
        var outcome = run(plan, records, connection, checkpoint: last)
        if case .statement(let index, let error)? = outcome, index < plan.operations.count,
            plan.operations[index].kind == .copy, error.sqlState == "23505"
        {
            // A row that already exists: apply the batch again with upserts.
            logger.debug("a copied row exists in the target; applying the batch with upserts")
            plan = try self.plan(records, connection)
            outcome = run(plan, records, connection, checkpoint: last)
        }
        switch outcome {
        case nil:
            didCommit(last)
            logger.debug(
                "applied a batch",
                metadata: [
                    "cdc.records": "\(records.count)", "cdc.statements": "\(plan.operations.count)",
                    "cdc.plan_ms": "\((planned - started).milliseconds)",
                    "cdc.apply_ms": "\((ContinuousClock.now - planned).milliseconds)",
                ])
        case .connection(let error)?:
            disconnect()
            throw SinkError(retryable: true, message: "postgres sink: \(error)")
        case .statement(let index, let error)?:
            try handleStatementFailure(
                index < plan.operations.count ? plan.operations[index] : nil, error, records, connection)
        }
        if let schemaStop { throw schemaStop }
    }

    /// The statements for `records`, each relation resolved against the target (see `table(for:_:)`).
    private func plan(
        _ records: [ChangeRecord], _ connection: PostgresConnection, multiRow: Bool = true, copyInserts: Bool = false
    ) throws(SinkError) -> ApplyPlan {
        try ApplyPlan(records: records, multiRow: multiRow, copyInserts: copyInserts) { (record) throws(SinkError) in
            try self.table(for: record, connection)
        }
    }

    /// Why a transaction did not commit.
    private enum Failure: CustomStringConvertible {
        case connection(PostgresError)
        /// The operation at this index failed with the server's error.
        case statement(Int, PostgresError)

        var description: String {
            switch self {
            case .connection(let error), .statement(_, let error): "\(error)"
            }
        }
    }

    /// Runs a plan in one transaction: runs of INSERTs by COPY, everything else pipelined (one
    /// round trip per run of statements). With a `checkpoint` it commits, the checkpoint row
    /// included; without, it rolls back (used to find which record fails). A COPY goes in binary
    /// form when its columns allow it; when a value does not convert, the transaction is rolled
    /// back and run again with that table's COPYs in text form.
    private func run(
        _ plan: ApplyPlan, _ records: [ChangeRecord], _ connection: PostgresConnection, checkpoint: String?
    ) -> Failure? {
        while true {
            switch attempt(plan, records, connection, checkpoint: checkpoint) {
            case .finished(let failure):
                return failure
            case .unconverted(let table):
                table.binaryCopy = false
                logger.info(
                    "a value is not in a form cdcd converts to COPY's binary format; COPY into this table goes as text",
                    metadata: ["cdc.table": "\(table.targetName)"])
            }
        }
    }

    /// How one `attempt` ended.
    private enum Attempt {
        /// Committed (no failure) or failed.
        case finished(Failure?)
        /// A binary COPY into this table met a value it could not convert; rolled back.
        case unconverted(TableApply)
    }

    /// One try at `run`: the transaction, committed or rolled back.
    private func attempt(
        _ plan: ApplyPlan, _ records: [ChangeRecord], _ connection: PostgresConnection, checkpoint: String?
    ) -> Attempt {
        do throws(PostgresError) {
            let operations = plan.operations
            var names: [String] = []
            names.reserveCapacity(operations.count)
            for operation in operations {
                let key = operation.key
                names.append(
                    operation.kind == .copy
                        ? "" : try statementName(operation.table.statement(key), types: operation.table.parameterTypes(key), connection))
            }
            try connection.execute("BEGIN")
            var failure: Failure?
            var index = 0
            var committed = false
            while failure == nil && (index < operations.count || (checkpoint != nil && !committed)) {
                if index < operations.count && operations[index].kind == .copy {
                    let operation = operations[index]
                    let kinds = operation.table.binaryCopyKinds(operation.columns)
                    var unconverted = false
                    do throws(PostgresError) {
                        // Sent in parts of 1,000 rows: the server parses one while the next is built.
                        let rows = operation.records
                        var next = rows.lowerBound
                        try connection.copyIn(operation.table.copyStatement(operation.key, binary: kinds != nil)) { buffer in
                            let part = next..<min(next + 1000, rows.upperBound)
                            next = part.upperBound
                            if let kinds {
                                if part.lowerBound == rows.lowerBound {
                                    BinaryCopyEncoder.header.withUnsafeBytes { buffer.append($0) }
                                }
                                guard ApplyPlan.appendBinaryCopyRows(operation, part, records: records, kinds: kinds, to: &buffer)
                                else {
                                    unconverted = true
                                    return .cancel("cdcd: a value did not convert to binary; sending as text")
                                }
                                if next == rows.upperBound {
                                    BinaryCopyEncoder.trailer.withUnsafeBytes { buffer.append($0) }
                                }
                            } else {
                                ApplyPlan.appendCopyRows(operation, part, records: records, to: &buffer)
                            }
                            return next < rows.upperBound ? .more : .last
                        }
                    } catch {
                        guard error.code == .queryFailed else { throw error }
                        if unconverted {
                            try connection.execute("ROLLBACK")
                            return .unconverted(operation.table)
                        }
                        failure = .statement(index, error)
                    }
                    index += 1
                    continue
                }
                var end = index
                while end < operations.count && operations[end].kind != .copy { end += 1 }
                let last = end == operations.count
                let segment = try pipelined(
                    operations, index..<end, names, records, connection, checkpoint: last ? checkpoint : nil)
                failure = segment
                committed = last && checkpoint != nil
                index = end
            }
            if failure != nil || checkpoint == nil { try connection.execute("ROLLBACK") }
            return .finished(failure)
        } catch {
            return .finished(.connection(error))
        }
    }

    /// Sends `operations[range]` (and, with a checkpoint, the checkpoint row and COMMIT) in
    /// pipeline mode; reads the results while sending, at most `window` statements behind, so
    /// neither side's buffers fill up. Returns the first failure.
    private func pipelined(
        _ operations: [ApplyPlan.Operation], _ range: Range<Int>, _ names: [String], _ records: [ChangeRecord],
        _ connection: PostgresConnection, checkpoint: String?
    ) throws(PostgresError) -> Failure? {
        let checkpointName = checkpoint == nil ? "" : try statementName(checkpointSQL, types: [25, 25], connection)
        try connection.enterPipelineMode()
        let window = 128
        var sent = 0
        var read = 0
        var failure: Failure?
        func readResult() throws(PostgresError) {
            let result = try connection.nextPipelineResult()
            if case .failed(let error) = result, failure == nil {
                // Results past the range (checkpoint, COMMIT) map to no operation.
                failure = .statement(read < range.count ? range.lowerBound + read : operations.count, error)
            }
            read += 1
        }
        for index in range {
            try connection.sendPrepared(names[index], ApplyPlan.parameters(operations[index], records: records))
            sent += 1
            if sent - read >= 2 * window {
                try connection.flushRequest()
                while sent - read > window { try readResult() }
                if failure != nil { break }
            }
        }
        if let checkpoint, failure == nil {
            try connection.sendPrepared(checkpointName, StatementParameters([configuration.pipeline, checkpoint]))
            try connection.send("COMMIT")
            sent += 2
        }
        try connection.sync()
        while read < sent { try readResult() }
        guard case .sync = try connection.nextPipelineResult() else {
            throw PostgresError(code: .protocolViolation, message: "pipeline out of step", server: connection.server)
        }
        try connection.exitPipelineMode()
        return failure
    }

    /// The prepared statement for a SQL text, preparing it on first use on this connection.
    private func statementName(_ sql: String, types: [UInt32], _ connection: PostgresConnection) throws(PostgresError)
        -> String
    {
        if let name = prepared[sql] { return name }
        let name = "cdcd_\(prepared.count + 1)"
        try connection.prepare(name, sql, parameterTypes: types)
        prepared[sql] = name
        return name
    }

    /// A statement failed: a row the target rejects is isolated and reported alone (the records
    /// before it are committed with their checkpoint), a schema mismatch disables the pipeline,
    /// anything else is retried.
    private func handleStatementFailure(
        _ operation: ApplyPlan.Operation?, _ error: PostgresError, _ records: [ChangeRecord],
        _ connection: PostgresConnection
    ) throws(SinkError) {
        let state = error.sqlState ?? ""
        guard let operation, state.hasPrefix("23") || state.hasPrefix("22") else {
            if state.hasPrefix("42") || state.hasPrefix("0A") {
                throw SinkError(
                    retryable: false, disablesPipeline: true,
                    message: "postgres sink: \(operation.map { $0.table.targetName + ": " } ?? "")\(error) (SQLSTATE \(state))")
            }
            throw SinkError(retryable: true, message: "postgres sink: \(error) (SQLSTATE \(state))")
        }
        // Which record: the operation's only one, or found by running the records one statement each.
        var failing = operation.records.lowerBound
        var failure = error
        if operation.records.count > 1 {
            let head = Array(records[..<operation.records.upperBound])
            let single = try plan(head, connection, multiRow: false)
            if case .statement(let index, let exact)? = run(single, head, connection, checkpoint: nil) {
                failing = single.operations[index].records.lowerBound
                failure = exact
            }
        }
        // Commit what precedes the failing record, then report it alone.
        if failing > 0 {
            let before = Array(records[..<failing])
            let prefix = try plan(before, connection)
            if let again = run(prefix, before, connection, checkpoint: before[before.count - 1].position) {
                disconnect()
                throw SinkError(retryable: true, message: "postgres sink: \(again)")
            }
            didCommit(before[before.count - 1].position)
        }
        let record = records[failing]
        let table = try self.table(for: record, connection)
        throw SinkError(
            retryable: false, failedSequenceNumbers: [record.sequenceNumber],
            message: "postgres sink: \(table.targetName) key \(table.describeKey(of: record)): \(failure.message)"
                + (failure.detail.map { " (\($0))" } ?? "") + " (SQLSTATE \(failure.sqlState ?? state))")
    }
}
