import CPostgres

extension PostgresConnection {
    /// Runs `COPY … FROM STDIN` with `data` (in the format the statement names) and returns the
    /// number of rows copied. Not in pipeline mode. A server error (a constraint, a bad value)
    /// throws a `.queryFailed` error with its SQLSTATE; the data is sent in 1 MiB messages.
    @discardableResult
    public func copyIn(_ sql: String, _ data: [UInt8]) throws(PostgresError) -> Int {
        guard let conn = rawHandle else {
            throw PostgresError(code: .connectionLost, message: "connection is closed", server: server)
        }
        guard let start = PQexec(conn, sql) else { throw copyError(conn) }
        guard PQresultStatus(start) == PGRES_COPY_IN else {
            defer { PQclear(start) }
            throw resultError(start, conn)
        }
        PQclear(start)
        let sent = data.withUnsafeBufferPointer { buffer -> Bool in
            var offset = 0
            let chunk = 1 << 20
            while offset < buffer.count {
                let count = min(chunk, buffer.count - offset)
                let ok = UnsafeRawPointer(buffer.baseAddress! + offset).withMemoryRebound(to: CChar.self, capacity: count) {
                    PQputCopyData(conn, $0, Int32(count))
                }
                if ok != 1 { return false }
                offset += count
            }
            return true
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
