import CPostgres

#if canImport(Glibc)
    import Glibc
#endif

/// One libpq connection. Not `Sendable`: a connection is used by one thread at a time (the thread
/// or task that created it); move decoded values, never the connection.
///
/// Every statement runs with text parameters and text results. Errors are `PostgresError`s whose
/// description names the server but never the password.
public final class PostgresConnection {
    private var conn: OpaquePointer?
    public let connectionString: ConnectionString
    /// `host:port/dbname`, safe to print.
    public var server: String { connectionString.redacted }

    /// Connects (blocking). `replication: true` opens a logical replication connection
    /// (`replication=database`) that accepts both SQL and replication commands.
    ///
    /// The session always uses `TimeZone=UTC`, ISO dates, hex bytea and `extra_float_digits=1`, so
    /// text forms are predictable (the record renderer relies on it).
    public init(_ connectionString: ConnectionString, replication: Bool = false, applicationName: String = "cdcd")
        throws(PostgresError)
    {
        self.connectionString = connectionString
        var overrides = [
            "options": Self.sessionOptions(existing: connectionString.value(of: "options")),
            "application_name": connectionString.value(of: "application_name") ?? applicationName,
        ]
        if replication { overrides["replication"] = "database" }
        if connectionString.value(of: "connect_timeout") == nil { overrides["connect_timeout"] = "10" }
        let params = connectionString.with(overrides).parameters
        let keywords = params.map { strdup($0.0) }
        let values = params.map { strdup($0.1) }
        defer {
            keywords.forEach { free($0) }
            values.forEach { free($0) }
        }
        var keywordPointers: [UnsafePointer<CChar>?] = keywords.map { UnsafePointer($0) } + [nil]
        var valuePointers: [UnsafePointer<CChar>?] = values.map { UnsafePointer($0) } + [nil]
        let conn = PQconnectdbParams(&keywordPointers, &valuePointers, 0)
        guard let conn, PQstatus(conn) == CONNECTION_OK else {
            let message = conn.map { String(cString: PQerrorMessage($0)) } ?? "out of memory"
            if let conn { PQfinish(conn) }
            throw PostgresError(
                code: .connectionFailed,
                message: "cannot connect: " + connectionString.scrub(Self.trim(message)),
                server: connectionString.redacted
            )
        }
        self.conn = conn
    }

    static func sessionOptions(existing: String?) -> String {
        let ours = "-c TimeZone=UTC -c DateStyle=ISO,MDY -c IntervalStyle=postgres -c bytea_output=hex -c extra_float_digits=1"
        guard let existing, !existing.isEmpty else { return ours }
        return existing + " " + ours
    }

    deinit { close() }

    /// Closes the connection; further use throws.
    public func close() {
        if let conn { PQfinish(conn) }
        conn = nil
    }

    public var isClosed: Bool { conn == nil }

    /// The libpq handle, for the extensions in this module; nil once closed.
    var rawHandle: OpaquePointer? { conn }

    /// The server's version number (150018 for 15.18).
    public var serverVersion: Int { conn.map { Int(PQserverVersion($0)) } ?? 0 }

    /// The connection's socket, for polling.
    public var socket: Int32 { conn.map { PQsocket($0) } ?? -1 }

    /// What the connection's TCP socket has received so far; nil over a Unix socket.
    public var receiveCounters: TCPReceiveCounters? { TCPReceiveCounters(socket: socket) }

    /// Whether the connection goes over a Unix-domain socket (a local server reached through its
    /// socket directory) rather than TCP.
    public var isUnixSocket: Bool {
        socketAddress(getsockname).map { Int32($0.ss_family) == AF_UNIX } ?? false
    }

    /// Whether the connection goes over TCP to this machine's own address (127.0.0.0/8 or ::1,
    /// also as an IPv4-mapped IPv6 address): every segment the server sends then costs the server's
    /// process the receiving side's TCP work too.
    public var isLoopbackTCP: Bool {
        socketAddress(getpeername).map(Self.isLoopback) ?? false
    }

    /// The socket's own (`getsockname`) or its peer's (`getpeername`) address; nil on failure.
    private func socketAddress(
        _ call: (Int32, UnsafeMutablePointer<sockaddr>, UnsafeMutablePointer<socklen_t>) -> Int32
    ) -> sockaddr_storage? {
        var address = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let ok = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { call(socket, $0, &length) == 0 }
        }
        return ok ? address : nil
    }

    /// Whether `address` is an IPv4 or IPv6 loopback address (127.0.0.0/8, ::1, ::ffff:127.x.x.x).
    public static func isLoopback(_ address: sockaddr_storage) -> Bool {
        withUnsafeBytes(of: address) { raw in
            switch Int32(address.ss_family) {
            case AF_INET:
                let ip = raw.load(fromByteOffset: MemoryLayout<sockaddr_in>.offset(of: \.sin_addr)!, as: in_addr.self)
                return UInt32(bigEndian: ip.s_addr) >> 24 == 127
            case AF_INET6:
                let start = MemoryLayout<sockaddr_in6>.offset(of: \.sin6_addr)!
                let ip = Array(raw[start..<(start + 16)])
                let isV6Loopback = ip[0..<15].allSatisfy { $0 == 0 } && ip[15] == 1
                let isMappedV4Loopback = ip[0..<10].allSatisfy { $0 == 0 } && ip[10] == 0xFF && ip[11] == 0xFF && ip[12] == 127
                return isV6Loopback || isMappedV4Loopback
            default:
                return false
            }
        }
    }

    /// Fixes the socket's receive buffer at `bytes` (`SO_RCVBUF`, which also ends the kernel's
    /// autotuning of it for this connection) and returns the size the kernel took (Linux doubles
    /// the request for its bookkeeping), or nil when the socket refused.
    public func fixReceiveBuffer(bytes: Int) -> Int? {
        var requested = Int32(clamping: bytes)
        guard setsockopt(socket, SOL_SOCKET, SO_RCVBUF, &requested, socklen_t(MemoryLayout<Int32>.size)) == 0 else { return nil }
        var actual: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(socket, SOL_SOCKET, SO_RCVBUF, &actual, &length) == 0 else { return nil }
        return Int(actual)
    }

    /// Bytes the socket has received that were not read yet (`FIONREAD`); 0 when unknown.
    public var unreadBytes: Int {
        var n: Int32 = 0
        return ioctl(socket, UInt(FIONREAD), &n) == 0 ? Int(n) : 0
    }

    private func handle() throws(PostgresError) -> OpaquePointer {
        guard let conn else {
            throw PostgresError(code: .connectionLost, message: "connection is closed", server: server)
        }
        return conn
    }

    /// Runs one or more statements with the simple query protocol; returns the last result.
    @discardableResult
    public func execute(_ sql: String) throws(PostgresError) -> QueryResult {
        let conn = try handle()
        let result = PQexec(conn, sql)
        return try finish(result, conn)
    }

    /// Runs one statement with text parameters (`$1`, `$2`, …; nil is NULL).
    @discardableResult
    public func execute(_ sql: String, _ parameters: [String?]) throws(PostgresError) -> QueryResult {
        let conn = try handle()
        let copies = parameters.map { $0.map { strdup($0) } ?? nil }
        defer { copies.forEach { free($0) } }
        var pointers: [UnsafePointer<CChar>?] = copies.map { $0.map { UnsafePointer($0) } }
        let result = PQexecParams(conn, sql, Int32(parameters.count), nil, &pointers, nil, nil, 0)
        return try finish(result, conn)
    }

    private func finish(_ result: OpaquePointer?, _ conn: OpaquePointer) throws(PostgresError) -> QueryResult {
        guard let result else { throw lastError(conn, code: .connectionLost) }
        defer { PQclear(result) }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_COPY_BOTH, PGRES_COPY_OUT, PGRES_EMPTY_QUERY:
            return QueryResult(result)
        default:
            throw resultError(result, conn)
        }
    }

    /// Starts a replication stream (`START_REPLICATION …`): afterwards use `readCopyData` and
    /// `sendCopyData`.
    public func startCopyBoth(_ command: String) throws(PostgresError) {
        let conn = try handle()
        guard let result = PQexec(conn, command) else { throw lastError(conn, code: .connectionLost) }
        defer { PQclear(result) }
        guard PQresultStatus(result) == PGRES_COPY_BOTH else { throw resultError(result, conn) }
    }

    /// What `readCopyData` found.
    public enum CopyData {
        /// One CopyData message; the buffer is valid only inside the callback.
        case message
        /// Nothing buffered: poll the socket, then `consumeInput()`.
        case wouldBlock
        /// The server ended the COPY.
        case done
    }

    /// Reads one buffered CopyData message without blocking and hands its bytes to `body`. The
    /// libpq buffer is freed right after `body` returns.
    public func readCopyData(_ body: (UnsafeRawBufferPointer) throws -> Void) throws -> CopyData {
        let conn = try handle()
        var buffer: UnsafeMutablePointer<CChar>?
        let n = PQgetCopyData(conn, &buffer, 1)
        if n > 0, let buffer {
            defer { PQfreemem(buffer) }
            try body(UnsafeRawBufferPointer(start: buffer, count: Int(n)))
            return .message
        }
        if n == 0 { return .wouldBlock }
        if n == -1 {
            // COPY finished: collect the final result (it may carry an error).
            var failure: PostgresError?
            while let result = PQgetResult(conn) {
                if PQresultStatus(result) == PGRES_FATAL_ERROR && failure == nil { failure = resultError(result, conn) }
                PQclear(result)
            }
            if let failure { throw failure }
            return .done
        }
        throw lastError(conn, code: .connectionLost)
    }

    /// Reads whatever arrived on the socket into libpq's buffer.
    public func consumeInput() throws(PostgresError) {
        let conn = try handle()
        if PQconsumeInput(conn) == 0 { throw lastError(conn, code: .connectionLost) }
    }

    /// Waits until the socket is readable or `milliseconds` pass. Returns true when readable.
    public func waitReadable(milliseconds: Int32) -> Bool {
        var pfd = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
        let r = poll(&pfd, 1, milliseconds)
        return r > 0
    }

    /// Sends one CopyData message and flushes.
    public func sendCopyData(_ bytes: [UInt8]) throws(PostgresError) {
        let conn = try handle()
        let ok = bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { PQputCopyData(conn, $0.baseAddress, Int32(buffer.count)) }
        }
        if ok != 1 || PQflush(conn) != 0 { throw lastError(conn, code: .connectionLost) }
    }

    /// Ends our side of a COPY BOTH stream (CopyDone) and drains the server's results.
    public func endCopy() {
        guard let conn else { return }
        _ = PQputCopyEnd(conn, nil)
        _ = PQflush(conn)
    }

    private func lastError(_ conn: OpaquePointer, code: PostgresError.Code) -> PostgresError {
        PostgresError(
            code: code, message: connectionString.scrub(Self.trim(String(cString: PQerrorMessage(conn)))),
            server: server)
    }

    func resultError(_ result: OpaquePointer, _ conn: OpaquePointer) -> PostgresError {
        func field(_ code: Int32) -> String? {
            guard let p = PQresultErrorField(result, code) else { return nil }
            return connectionString.scrub(String(cString: p))
        }
        let primary = field(Int32(UInt8(ascii: "M"))) ?? Self.trim(String(cString: PQresultErrorMessage(result)))
        let sqlState = field(Int32(UInt8(ascii: "C")))
        let status = PQresultStatus(result)
        let code: PostgresError.Code =
            sqlState == nil && status != PGRES_FATAL_ERROR ? .protocolViolation
            : (sqlState == nil ? .connectionLost : .queryFailed)
        return PostgresError(
            code: code, message: connectionString.scrub(primary.isEmpty ? "connection lost" : primary),
            sqlState: sqlState, detail: field(Int32(UInt8(ascii: "D"))), hint: field(Int32(UInt8(ascii: "H"))),
            server: server)
    }

    static func trim(_ s: String) -> String {
        var lines = s.split(separator: "\n").map { $0.trimmingCharacters() }
        lines.removeAll(where: \.isEmpty)
        return lines.joined(separator: "; ")
    }
}

extension Substring {
    func trimmingCharacters() -> String {
        var s = self
        while let f = s.first, f == " " || f == "\t" || f == "\r" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" || l == "\r" { s = s.dropLast() }
        return String(s)
    }
}
