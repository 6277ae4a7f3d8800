import Foundation

/// What `/status` answers and `cdcd status` prints: the source's position and slot lag, the stream,
/// and each pipeline's checkpoint, lag, iterator age, counters, DLQ size, state and last error.
///
/// A plain value (Codable, the JSON of `/status`), built from snapshots by `DaemonMonitor` in the
/// daemon, or from the state directory by `OfflineStatus` when the daemon is not running. No field
/// holds a connection string with its password, a secret or a token.
public struct DaemonStatus: Codable, Sendable, Equatable {
    /// True when this came from the running daemon; false when read from the state directory.
    public var running: Bool
    /// Source connected and streaming, and every pipeline running (what `/readyz` answers).
    public var ready: Bool
    /// Why the daemon is not ready (empty when it is).
    public var reasons: [String]
    public var source: Source
    public var stream: Stream?
    public var pipelines: [PipelineEntry]

    public init(
        running: Bool, ready: Bool = false, reasons: [String] = [], source: Source, stream: Stream?,
        pipelines: [PipelineEntry]
    ) {
        self.running = running
        self.ready = ready
        self.reasons = reasons
        self.source = source
        self.stream = stream
        self.pipelines = pipelines
    }

    /// The source database and its replication slot.
    public struct Source: Codable, Sendable, Equatable {
        /// `host:port/dbname` (never the password).
        public var server: String
        public var slot: String
        /// The replication stream is open (nil when not known: the daemon is not running).
        public var streaming: Bool?
        /// The last position received from the server and the last confirmed as durable (`0/16B3748`).
        public var receivedLSN: String?
        public var confirmedLSN: String?
        /// `pg_current_wal_lsn() - confirmed_flush_lsn` of the slot, in bytes.
        public var slotLagBytes: Int64?
        /// The slot is in use by a walsender.
        public var slotActive: Bool?
        /// Why the slot could not be read (unreachable server, no such slot).
        public var slotError: String?

        public init(server: String, slot: String) {
            self.server = server
            self.slot = slot
        }
    }

    /// The local stream.
    public struct Stream: Codable, Sendable, Equatable {
        public var firstOffset: UInt64
        /// The last durable record's offset (0 when empty).
        public var lastOffset: UInt64
        public var bytes: Int64
        public var segments: Int

        public init(firstOffset: UInt64, lastOffset: UInt64, bytes: Int64, segments: Int) {
            self.firstOffset = firstOffset
            self.lastOffset = lastOffset
            self.bytes = bytes
            self.segments = segments
        }
    }

    /// One pipeline.
    public struct PipelineEntry: Codable, Sendable, Equatable {
        public var name: String
        /// `starting`, `running`, `retrying`, `disabled`; `stopped` when the daemon is not running.
        public var state: String
        /// The last stream offset fully handled.
        public var checkpoint: UInt64
        /// Records in the stream after the checkpoint.
        public var lag: UInt64?
        /// Milliseconds the oldest unread record has waited (0 when caught up), as Lambda's IteratorAge.
        public var iteratorAgeMillis: Int64?
        public var delivered: UInt64?
        public var filtered: UInt64?
        public var retried: UInt64?
        public var deadLettered: UInt64?
        public var trimmedRecords: UInt64?
        /// Times the sink's destination lost records it had taken and they were delivered again.
        public var rewinds: UInt64?
        /// Records in the dead-letter queue now.
        public var dlqSize: Int
        public var lastError: String?

        public init(name: String, state: String, checkpoint: UInt64, dlqSize: Int) {
            self.name = name
            self.state = state
            self.checkpoint = checkpoint
            self.dlqSize = dlqSize
        }
    }

    /// Compact, key-sorted JSON.
    public func json() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(self)) ?? Data("{}".utf8)
    }

    public static func decode(_ data: Data) throws -> DaemonStatus {
        try JSONDecoder().decode(DaemonStatus.self, from: data)
    }
}
