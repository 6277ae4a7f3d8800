import CPostgres

extension PostgresConnection {
    /// What the `fill` of `copyIn(_:fill:)` did with its part.
    public enum CopyInPart: Sendable {
        /// The part is written and more follows.
        case more
        /// The part is written and is the last.
        case last
        /// Stop: the COPY ends with this message and fails (the server rolls back what it
        /// received; the transaction around it is aborted). The part is not sent.
        case cancel(String)
    }

    /// Runs `COPY … FROM STDIN` with `data` (in the format the statement names) and returns the
    /// number of rows copied. Not in pipeline mode. A server error (a constraint, a bad value)
    /// throws a `.queryFailed` error with its SQLSTATE.
    @discardableResult
    public func copyIn(_ sql: String, _ data: [UInt8]) throws(PostgresError) -> Int {
        var done = false
        return try copyIn(sql) { buffer in
            if !done { data.withUnsafeBytes { buffer.append($0) } }
            done = true
            return .last
        }
    }

    /// Runs `COPY … FROM STDIN`, sending data as it is produced: `fill` appends the next part to
    /// the (empty) buffer and says whether more follows, so the server parses one part while the
    /// next is built. A `fill` that cancels makes the COPY fail with the server's error for it
    /// (`.queryFailed`, SQLSTATE 57014, its message included); the connection stays usable.
    @discardableResult
    public func copyIn(_ sql: String, fill: (inout CopyInBuffer) -> CopyInPart) throws(PostgresError) -> Int {
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
        var cancel: String?
        while more && sent {
            buffer.removeAll()
            switch fill(&buffer) {
            case .more: break
            case .last: more = false
            case .cancel(let message):
                cancel = message
                more = false
                continue
            }
            if buffer.isEmpty { continue }
            sent = buffer.withUnsafeBytes { part in
                PQputCopyData(conn, part.baseAddress!.assumingMemoryBound(to: CChar.self), Int32(part.count)) == 1
            }
        }
        if !sent || PQputCopyEnd(conn, cancel) != 1 { throw copyError(conn) }
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
