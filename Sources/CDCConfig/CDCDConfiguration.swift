import CDCCore

/// The whole `cdcd.yaml`, decoded and checked by `ConfigLoader`: every default filled in, every
/// relative path made absolute against the config file's folder, every `${VAR}` expanded.
///
/// Printing a configuration (`description`, `debugDescription`, `dump`) never shows a password,
/// secret or token: the types that hold one print it redacted.
public struct CDCDConfiguration: Sendable, Hashable {
    /// The config file as named to the loader; for messages that point back at it.
    public var file: String
    /// `state_dir`: the stream, checkpoints and DLQ live here. Default `./cdcd-state` beside the config.
    public var stateDirectory: String
    /// `source`: where changes come from (exactly one).
    public var source: Source
    /// `admin`: the HTTP endpoint for `/healthz`, `/readyz`, `/metrics`, `/status`.
    public var admin: Admin
    /// `stream`: retention of the local stream.
    public var stream: Stream
    /// `pipelines`: at least one, names unique, in file order.
    public var pipelines: [Pipeline]

    public init(
        file: String, stateDirectory: String, source: Source, admin: Admin = Admin(), stream: Stream = Stream(),
        pipelines: [Pipeline]
    ) {
        self.file = file
        self.stateDirectory = stateDirectory
        self.source = source
        self.admin = admin
        self.stream = stream
        self.pipelines = pipelines
    }

    /// The pipeline named `name`, if any.
    public func pipeline(named name: String) -> Pipeline? {
        pipelines.first { $0.name == name }
    }

    /// `source:` — one of `postgres:` or `dynamodb:`.
    public enum Source: Sendable, Hashable {
        case postgres(PostgresSourceConfig)
        case dynamodb(DynamoDBSourceConfig)
    }

    /// `admin: { listen: HOST:PORT, token: ... }`.
    public struct Admin: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible,
        CustomReflectable
    {
        /// Host or IP address to bind; default `127.0.0.1` (loopback only). IPv6 without brackets.
        public var host: String
        /// TCP port; default 8473. 0 asks the system for a free port.
        public var port: Int
        /// `token`: when set, every request needs `Authorization: Bearer <token>`. Never printed.
        public var token: String?

        public static let defaultHost = "127.0.0.1"
        public static let defaultPort = 8473

        public init(host: String = Admin.defaultHost, port: Int = Admin.defaultPort, token: String? = nil) {
            self.host = host
            self.port = port
            self.token = token
        }

        /// `host:port` as written in a config (`[::1]:8473` for IPv6).
        public var listen: String {
            host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        }

        public var description: String {
            Redaction.describe(
                "Admin", ["listen": listen, "token": token == nil ? "nil" : Redaction.mask])
        }
        public var debugDescription: String { description }
        public var customMirror: Mirror {
            Mirror(
                self, children: ["host": host, "port": port, "token": token == nil ? "nil" : Redaction.mask],
                displayStyle: .struct)
        }
    }

    /// `stream: { retention: 24h, max_size: 10GiB }` — how long and how much of the local stream is
    /// kept. A pipeline whose unread records are trimmed is told loudly.
    public struct Stream: Sendable, Hashable {
        /// `retention`: records older than this are trimmed. Default 24 h, as DynamoDB Streams.
        public var retention: Duration
        /// `max_size`: the stream's size cap in bytes; the oldest records go first. Default 10 GiB.
        public var maxBytes: Int64

        public static let defaultRetention: Duration = .seconds(24 * 3600)
        public static let defaultMaxBytes: Int64 = 10 << 30

        public init(retention: Duration = Stream.defaultRetention, maxBytes: Int64 = Stream.defaultMaxBytes) {
            self.retention = retention
            self.maxBytes = maxBytes
        }
    }
}
