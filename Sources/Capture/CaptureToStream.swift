import CDCCore
import Foundation
import Logging
import Metrics

/// Moves captured batches into the durable stream: append, fsync (one fsync per batch handed out by
/// capture — group commit), and only then acknowledge the source, so the slot's
/// `confirmed_flush_lsn` never passes a record that is not on disk.
public struct CaptureToStream: Sendable {
    public let source: PostgresSource
    public let stream: StreamLog
    let logger: Logger
    /// Created (empty) once the initial snapshot is durable in the stream: later runs take none.
    let snapshotMarker: String?

    public init(source: PostgresSource, stream: StreamLog, logger: Logger, snapshotMarker: String? = nil) {
        self.source = source
        self.stream = stream
        self.logger = logger
        self.snapshotMarker = snapshotMarker
    }

    /// `snapshot: initial`: the snapshot to take (or finish) on this run, from the marker and the
    /// stream: none once the marker exists or the stream already holds streamed changes after the
    /// snapshot; otherwise from the start, or after the stream's last snapshot row.
    public static func snapshotPlan(_ stream: StreamLog, marker: String) throws -> SnapshotPlan? {
        if access(marker, F_OK) == 0 { return nil }
        guard let last = try stream.lastEntry() else { return SnapshotPlan() }
        // A backfill row (for one pipeline) is not an initial snapshot's.
        guard last.record.snapshot, last.record.pipeline == nil else {
            writeMarker(marker)
            return nil
        }
        return SnapshotPlan(
            resumeAfter: .init(
                table: last.record.relation.qualifiedName, keyValues: last.record.keyValues,
                lsn: last.record.commitLSN, index: last.record.index))
    }

    static func writeMarker(_ path: String) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        if fd >= 0 {
            _ = fsync(fd)
            _ = close(fd)
        }
    }

    /// The swift-metrics counter of changes captured into the stream (`cdcd_capture_changes_total`).
    public static let capturedMetric = "cdcd_capture_changes_total"

    /// Where capture should resume skipping: the stream's last durable record. After a crash
    /// between the stream's fsync and the slot's confirmation, the source resends records the
    /// stream already holds; they are skipped instead of stored twice.
    public static func skipThrough(_ stream: StreamLog) throws -> (lsn: LSN, index: UInt32)? {
        guard let last = try stream.lastEntry() else { return nil }
        return (last.record.commitLSN, last.record.index)
    }

    /// Runs until capture ends (stop, end LSN) or fails. Group commit: the batches already waiting
    /// (up to `groupRecords`) are appended together and written for readers at once
    /// (`StreamLog.writeForReaders`), then made durable with one fsync by a `StreamSyncer` on its own
    /// thread, which acknowledges the source only after it. Appending goes on while an fsync runs,
    /// so a slow fsync (tens of ms while the disk is busy) delays acknowledgements, not the records
    /// behind it; the fsyncs themselves coalesce (one covers every group appended before it).
    ///
    /// The appending runs on a thread of its own too (not the cooperative pool, whose threads —
    /// one per core — the pipelines and every sink completion need).
    public func run(groupRecords: Int = 20_000) async throws {
        let executor = DedicatedThreadExecutor(name: "cdcd-stream-append")
        defer { executor.shutdown() }
        try await withTaskExecutorPreference(executor) {
            try await appendLoop(groupRecords: groupRecords)
        }
    }

    private func appendLoop(groupRecords: Int) async throws {
        let syncer = StreamSyncer(stream: stream, source: source, snapshotMarker: snapshotMarker)
        defer { syncer.stop() }
        var batches = source.batches().makeAsyncIterator()
        while let first = try await batches.next() {
            var acknowledge = first.acknowledgeLSN
            var appended = first.records.count
            var snapshotComplete = first.snapshotComplete
            if !first.records.isEmpty { _ = try stream.append(first.records) }
            while appended < groupRecords, let more = source.nextBatchIfReady() {
                if !more.records.isEmpty { _ = try stream.append(more.records) }
                appended += more.records.count
                if let lsn = more.acknowledgeLSN { acknowledge = lsn }
                snapshotComplete = snapshotComplete || more.snapshotComplete
            }
            if appended > 0 {
                try stream.writeForReaders()
                Counter(label: Self.capturedMetric).increment(by: appended)
            }
            try syncer.request(records: appended > 0, acknowledge: acknowledge, snapshotComplete: snapshotComplete)
        }
        try await syncer.finish()
    }
}
