/// An error from PostgreSQL or libpq, safe to print: its description names the server
/// (`host:port/dbname`) but never contains a connection string or password.
public struct PostgresError: Error, CustomStringConvertible, Sendable {
    /// What kind of failure this is.
    public enum Code: String, Sendable {
        /// The connection string could not be parsed.
        case invalidConnectionString
        /// The server could not be reached or refused the login.
        case connectionFailed
        /// A statement failed on the server (see `sqlState`).
        case queryFailed
        /// The connection broke while streaming or copying.
        case connectionLost
        /// The server sent something the protocol does not allow here.
        case protocolViolation
    }

    public var code: Code
    /// What happened, for people. Never contains a secret.
    public var message: String
    /// The SQLSTATE code the server reported, if any (`42P01` undefined table, …).
    public var sqlState: String?
    /// The server's DETAIL and HINT, if any.
    public var detail: String?
    public var hint: String?
    /// The server this is about, redacted: `host:port/dbname`.
    public var server: String?

    public init(
        code: Code, message: String, sqlState: String? = nil, detail: String? = nil, hint: String? = nil,
        server: String? = nil
    ) {
        self.code = code
        self.message = message
        self.sqlState = sqlState
        self.detail = detail
        self.hint = hint
        self.server = server
    }

    public var description: String {
        var text = message
        if let server { text = "\(server): " + text }
        if let detail, !detail.isEmpty { text += " (\(detail))" }
        if let hint, !hint.isEmpty { text += " hint: \(hint)" }
        return text
    }
}
