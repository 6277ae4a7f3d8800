import CDCCore
import Logging

/// Moves captured batches into the durable stream: append, fsync (one fsync per batch handed out by
/// capture — group commit), and only then acknowledge the source, so the slot's
/// `confirmed_flush_lsn` never passes a record that is not on disk.
public struct CaptureToStream: Sendable {
    public let source: PostgresSource
    public let stream: StreamLog
    let logger: Logger

    public init(source: PostgresSource, stream: StreamLog, logger: Logger) {
        self.source = source
        self.stream = stream
        self.logger = logger
    }

    /// Where capture should resume skipping: the stream's last durable record. After a crash
    /// between the stream's fsync and the slot's confirmation, the source resends records the
    /// stream already holds; they are skipped instead of stored twice.
    public static func skipThrough(_ stream: StreamLog) throws -> (lsn: LSN, index: UInt32)? {
        guard let last = try stream.lastEntry() else { return nil }
        return (last.record.commitLSN, last.record.index)
    }

    /// Runs until capture ends (stop, end LSN) or fails.
    public func run() async throws {
        for try await batch in source.batches() {
            if !batch.records.isEmpty {
                _ = try stream.append(batch.records)
                try stream.sync()
            }
            if let lsn = batch.acknowledgeLSN { source.acknowledge(lsn) }
        }
    }
}
