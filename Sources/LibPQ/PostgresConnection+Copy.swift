import CPostgres

extension PostgresConnection {
    /// Runs `COPY … FROM STDIN` with `data` (in the format the statement names) and returns the
    /// number of rows copied. Not in pipeline mode. A server error (a constraint, a bad value)
    /// throws a `.queryFailed` error with its SQLSTATE.
    @discardableResult
    public func copyIn(_ sql: String, _ data: [UInt8]) throws(PostgresError) -> Int {
        var done = false
        return try copyIn(sql) { buffer in
            if !done { data.withUnsafeBytes { buffer.append($0) } }
            done = true
            return false
        }
    }

    /// Runs `COPY … FROM STDIN`, sending data as it is produced: `fill` appends the next part to
    /// the (empty) buffer and returns true while more follows, so the server parses one part
    /// while the next is built.
    @discardableResult
    public func copyIn(_ sql: String, fill: (inout CopyInBuffer) -> Bool) throws(PostgresError) -> Int {
        guard let conn = rawHandle else {
            throw PostgresError(code: .connectionLost, message: "connection is closed", server: server)
        }
        guard let start = PQexec(conn, sql) else { throw copyError(conn) }
        guard PQresultStatus(start) == PGRES_COPY_IN else {
            defer { PQclear(start) }
            throw resultError(start, conn)
        }
        PQclear(start)
        var buffer = CopyInBuffer()
        var sent = true
        var more = true
        while more && sent {
            buffer.removeAll()
            more = fill(&buffer)
            if buffer.isEmpty { continue }
            sent = buffer.withUnsafeBytes { part in
                PQputCopyData(conn, part.baseAddress!.assumingMemoryBound(to: CChar.self), Int32(part.count)) == 1
            }
        }
        if !sent || PQputCopyEnd(conn, nil) != 1 { throw copyError(conn) }
        var failure: PostgresError?
        var rows = 0
        while let result = PQgetResult(conn) {
            if PQresultStatus(result) == PGRES_COMMAND_OK {
                rows = Int(String(cString: PQcmdTuples(result))) ?? 0
            } else if failure == nil {
                failure = resultError(result, conn)
            }
            PQclear(result)
        }
        if let failure { throw failure }
        return rows
    }

    private func copyError(_ conn: OpaquePointer) -> PostgresError {
        PostgresError(
            code: .connectionLost, message: connectionString.scrub(Self.trim(String(cString: PQerrorMessage(conn)))),
            server: server)
    }
}
