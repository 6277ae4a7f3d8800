import CPostgres

/// libpq's pipeline mode: many statements sent back to back, their results read afterwards, one
/// round trip per `sync()`. Used by the Postgres replica sink to apply a batch in one transaction.
///
/// Contract: between `enterPipelineMode()` and `exitPipelineMode()` only the `send…`, `sync`,
/// `flushRequest` and `nextPipelineResult` calls are allowed. Each sent statement yields exactly one
/// `PipelineResult` (`.failed` for the one that failed, `.aborted` for the ones after it until the
/// next sync), and each `sync()` yields one `.sync`.
extension PostgresConnection {
    /// One outcome read back from the pipeline.
    public enum PipelineResult {
        /// The statement succeeded; the number of rows it affected (0 when the tag has none).
        case ok(affectedRows: Int)
        /// The statement failed: the server's error.
        case failed(PostgresError)
        /// Skipped because an earlier statement of the same sync failed.
        case aborted
        /// The point where a `sync()` was sent.
        case sync
    }

    /// Prepares a named statement (outside pipeline mode). `parameterTypes` are type OIDs (0: let
    /// the server infer).
    public func prepare(_ name: String, _ sql: String, parameterTypes: [UInt32] = []) throws(PostgresError) {
        let conn = try pipelineHandle()
        let result = parameterTypes.withUnsafeBufferPointer { types in
            PQprepare(conn, name, sql, Int32(types.count), types.baseAddress)
        }
        try check(result, conn)
    }

    public func enterPipelineMode() throws(PostgresError) {
        let conn = try pipelineHandle()
        if PQenterPipelineMode(conn) != 1 { throw pipelineError(conn) }
    }

    public func exitPipelineMode() throws(PostgresError) {
        let conn = try pipelineHandle()
        if PQexitPipelineMode(conn) != 1 { throw pipelineError(conn) }
    }

    /// Queues an execution of a prepared statement.
    public func sendPrepared(_ name: String, _ parameters: StatementParameters) throws(PostgresError) {
        let conn = try pipelineHandle()
        let sent = parameters.withPointers { pointers in
            PQsendQueryPrepared(conn, name, Int32(pointers.count), pointers, nil, nil, 0)
        }
        if sent != 1 { throw pipelineError(conn) }
    }

    /// Queues a statement with text parameters (extended protocol, unnamed statement).
    public func send(_ sql: String, _ parameters: StatementParameters = StatementParameters()) throws(PostgresError) {
        let conn = try pipelineHandle()
        let sent = parameters.withPointers { pointers in
            PQsendQueryParams(conn, sql, Int32(pointers.count), nil, pointers, nil, nil, 0)
        }
        if sent != 1 { throw pipelineError(conn) }
    }

    /// Marks a synchronisation point and flushes: the server runs what was queued and answers.
    public func sync() throws(PostgresError) {
        let conn = try pipelineHandle()
        if PQpipelineSync(conn) != 1 { throw pipelineError(conn) }
    }

    /// Asks the server to send the results it has so far (without a sync point) and flushes.
    public func flushRequest() throws(PostgresError) {
        let conn = try pipelineHandle()
        if PQsendFlushRequest(conn) != 1 || PQflush(conn) != 0 { throw pipelineError(conn) }
    }

    /// Reads the next outcome (blocking until it arrives).
    public func nextPipelineResult() throws(PostgresError) -> PipelineResult {
        let conn = try pipelineHandle()
        guard let result = PQgetResult(conn) else { throw pipelineError(conn) }
        defer { PQclear(result) }
        let status = PQresultStatus(result)
        if status == PGRES_PIPELINE_SYNC { return .sync }
        // A statement's result is followed by a NULL that ends it.
        defer { drainToNull(conn) }
        switch status {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK:
            return .ok(affectedRows: Int(String(cString: PQcmdTuples(result))) ?? 0)
        case PGRES_PIPELINE_ABORTED:
            return .aborted
        default:
            let error = resultError(result, conn)
            if error.code == .connectionLost { throw error }
            return .failed(error)
        }
    }

    private func drainToNull(_ conn: OpaquePointer) {
        while let extra = PQgetResult(conn) { PQclear(extra) }
    }

    private func pipelineHandle() throws(PostgresError) -> OpaquePointer {
        guard let conn = rawHandle else {
            throw PostgresError(code: .connectionLost, message: "connection is closed", server: server)
        }
        return conn
    }

    private func pipelineError(_ conn: OpaquePointer) -> PostgresError {
        let status = PQstatus(conn)
        return PostgresError(
            code: status == CONNECTION_OK ? .protocolViolation : .connectionLost,
            message: connectionString.scrub(Self.trim(String(cString: PQerrorMessage(conn)))), server: server)
    }

    private func check(_ result: OpaquePointer?, _ conn: OpaquePointer) throws(PostgresError) {
        guard let result else { throw pipelineError(conn) }
        defer { PQclear(result) }
        let status = PQresultStatus(result)
        guard status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK else { throw resultError(result, conn) }
    }
}
