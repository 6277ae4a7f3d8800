/// An error of change capture, safe to print (it never holds a connection string).
public struct CaptureError: Error, CustomStringConvertible, Sendable {
    public enum Code: String, Sendable {
        /// The source is not set up for logical replication (wal_level, privileges, slots).
        case sourceNotReady
        /// A configured table does not exist, or cannot be captured as asked.
        case badTable
        /// The configuration or command line is wrong.
        case badConfiguration
        /// The server sent something unexpected.
        case protocolViolation
        /// The connection failed and could not be re-established.
        case connection
    }

    public var code: Code
    public var message: String

    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
