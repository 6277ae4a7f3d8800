import CDCCore
import LibPQ

extension PostgresSource {
    /// How to reach the source and what to capture.
    public struct Configuration: Sendable {
        /// The source database (libpq conninfo or URI). Its password is never printed.
        public var connection: ConnectionString
        /// The replication slot.
        public var slot: String
        /// A temporary slot lives as long as the replication connection and is dropped with it.
        public var temporarySlot: Bool
        /// The publication to stream; created when missing, for `tables`.
        public var publication: String
        /// Drop the publication when capture stops (for `cdcd tail` without `--slot`).
        public var dropPublicationOnExit: Bool
        /// Which tables to capture (globs); empty means every table.
        public var tables: [TablePattern]
        /// Stop after the first transaction that ends at or after this position (like
        /// `pg_recvlogical --endpos`), or once the server has sent everything up to it.
        public var endLSN: LSN?
        /// Most records handed to the consumer in one batch.
        public var maxBatchRecords: Int
        /// Batches buffered between the replication thread and the consumer (back-pressure bound).
        public var bufferedBatches: Int
        /// Pending changes go to the consumer whenever the socket has nothing more to read, while
        /// that happens at most `handOffBatchingRate` times a second and at most
        /// `handOffBatchingRecordRate` changes a second come; faster, at most every
        /// `handOffInterval`, or once `maxBatchRecords` are pending. See `HandOffPacer`. A zero
        /// interval never waits.
        public var handOffInterval: Duration
        public var handOffBatchingRate: Double
        public var handOffBatchingRecordRate: Double
        /// While hand-offs are batched because changes stream in faster than
        /// `handOffBatchingRecordRate`, capture sleeps between socket reads instead of waiting on
        /// the socket (which wakes it for nearly every message the walsender writes): first this
        /// long, then as long as it takes for the walsender's sends to coalesce (`ReadPause`).
        /// Zero: always wait on the socket.
        public var handOffReadPause: Duration
        /// How often a standby status update is sent even when nothing changed (seconds). Must be
        /// well under the server's `wal_sender_timeout` (60 s by default).
        public var statusInterval: Double
        /// Reconnect backoff after a lost connection: first delay and cap (seconds).
        public var reconnectDelay: (first: Double, max: Double)
        /// Records at or below this position (commit LSN, index in transaction) are already stored
        /// downstream (the stream's last record after a crash): skip them when the slot resends them.
        public var skipThrough: (lsn: LSN, index: UInt32)?
        /// `snapshot: initial`: read the published tables' current rows before streaming (nil: no
        /// snapshot, or it is done).
        public var snapshot: SnapshotPlan?
        /// How often to write a logical message (`pg_logical_emit_message`, transactional, prefix
        /// `cdcd-heartbeat`) on a separate connection while streaming; nil: never. Its commit comes
        /// back through the slot, so the confirmed position moves even on a database with no other
        /// WAL traffic.
        public var heartbeat: Duration?
        /// Where `cdcd snapshot` leaves backfill requests (`state_dir/backfills`); nil: no backfills.
        public var backfillDirectory: String?

        public init(
            connection: ConnectionString, slot: String, temporarySlot: Bool = false, publication: String,
            dropPublicationOnExit: Bool = false, tables: [TablePattern] = [], endLSN: LSN? = nil,
            maxBatchRecords: Int = 1000, bufferedBatches: Int = 8, handOffInterval: Duration = .milliseconds(5),
            handOffBatchingRate: Double = 5000, handOffBatchingRecordRate: Double = 20_000,
            handOffReadPause: Duration = .microseconds(300),
            statusInterval: Double = 5,
            reconnectDelay: (first: Double, max: Double) = (0.5, 30), skipThrough: (lsn: LSN, index: UInt32)? = nil,
            snapshot: SnapshotPlan? = nil, heartbeat: Duration? = nil, backfillDirectory: String? = nil
        ) {
            self.heartbeat = heartbeat
            self.backfillDirectory = backfillDirectory
            self.skipThrough = skipThrough
            self.snapshot = snapshot
            self.connection = connection
            self.slot = slot
            self.temporarySlot = temporarySlot
            self.publication = publication
            self.dropPublicationOnExit = dropPublicationOnExit
            self.tables = tables
            self.endLSN = endLSN
            self.maxBatchRecords = maxBatchRecords
            self.bufferedBatches = bufferedBatches
            self.handOffInterval = handOffInterval
            self.handOffBatchingRate = handOffBatchingRate
            self.handOffBatchingRecordRate = handOffBatchingRecordRate
            self.handOffReadPause = handOffReadPause
            self.statusInterval = statusInterval
            self.reconnectDelay = reconnectDelay
        }
    }
}

/// Records handed from capture to its consumer.
public struct CaptureBatch: Sendable {
    /// Records in commit order (possibly part of a large transaction).
    public var records: [ChangeRecord]
    /// The initial snapshot has been handed out completely (this batch carries no records).
    public var snapshotComplete = false
    /// When set: the end LSN of the last transaction completed in this batch. Once this batch and
    /// every earlier one are durable downstream, pass it to `PostgresSource.acknowledge`.
    public var acknowledgeLSN: LSN?

    public init(records: [ChangeRecord], acknowledgeLSN: LSN?) {
        self.records = records
        self.acknowledgeLSN = acknowledgeLSN
    }
}

/// An initial snapshot to take before streaming: from the start, or after the last row a previous,
/// interrupted run stored.
public struct SnapshotPlan: Sendable {
    /// The last snapshot row downstream holds: its table (`schema.table`), key, and sequence position.
    public struct Resume: Sendable {
        public var table: String
        public var keyValues: [PgValue]
        public var lsn: LSN
        public var index: UInt32

        public init(table: String, keyValues: [PgValue], lsn: LSN, index: UInt32) {
            self.table = table
            self.keyValues = keyValues
            self.lsn = lsn
            self.index = index
        }
    }

    public var resumeAfter: Resume?

    public init(resumeAfter: Resume? = nil) {
        self.resumeAfter = resumeAfter
    }
}
