import CDCCore
import Foundation

/// Capture's fsyncs, on a thread of their own: `CaptureToStream` appends a group of batches, writes
/// it for readers and asks for a sync (`request`); this thread fsyncs the stream (one fsync for all
/// the groups asked for since the last one), then marks the initial snapshot complete and
/// acknowledges the source — in that order, so the slot's `confirmed_flush_lsn` never passes a
/// record that is not on disk.
///
/// A failed fsync is kept and thrown by the next `request` or by `finish` (capture then fails, as
/// when it synced inline); nothing after it is acknowledged.
///
/// `@unchecked Sendable`: every mutable field is guarded by `condition`'s lock.
final class StreamSyncer: @unchecked Sendable {
    private let stream: StreamLog
    private let source: PostgresSource
    private let snapshotMarker: String?
    private let condition = NSCondition()

    /// Asked for and not yet taken by the thread (merged).
    private var pending = false
    private var pendingRecords = false
    private var pendingAcknowledge: LSN?
    private var pendingSnapshotComplete = false
    /// The thread is syncing what it took.
    private var busy = false
    private var failure: (any Error)?
    private var stopping = false
    private var idleWaiters: [CheckedContinuation<Void, any Error>] = []

    init(stream: StreamLog, source: PostgresSource, snapshotMarker: String?) {
        self.stream = stream
        self.source = source
        self.snapshotMarker = snapshotMarker
        let thread = Thread { [self] in loop() }
        thread.name = "cdcd-stream-sync"
        thread.start()
    }

    /// Asks for a sync of everything appended so far (when `records`), then the snapshot marker and
    /// the acknowledgement of `acknowledge`. Returns at once; throws an earlier sync's failure.
    func request(records: Bool, acknowledge: LSN?, snapshotComplete: Bool) throws {
        guard records || acknowledge != nil || snapshotComplete else { return }
        condition.lock()
        defer { condition.unlock() }
        if let failure { throw failure }
        pending = true
        pendingRecords = pendingRecords || records
        if let acknowledge { pendingAcknowledge = max(pendingAcknowledge ?? acknowledge, acknowledge) }
        pendingSnapshotComplete = pendingSnapshotComplete || snapshotComplete
        condition.signal()
    }

    /// Waits until everything asked for is done (synced, acknowledged); throws a sync's failure.
    func finish() async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            condition.lock()
            if let failure {
                condition.unlock()
                continuation.resume(throwing: failure)
            } else if !pending && !busy {
                condition.unlock()
                continuation.resume()
            } else {
                idleWaiters.append(continuation)
                condition.unlock()
            }
        }
    }

    /// Ends the thread once what was asked for is done.
    func stop() {
        condition.lock()
        stopping = true
        condition.signal()
        condition.unlock()
    }

    private func loop() {
        while true {
            condition.lock()
            while !pending && !stopping { condition.wait() }
            guard pending, failure == nil else {
                let waiters = idleWaiters
                idleWaiters = []
                let failure = self.failure
                condition.unlock()
                for waiter in waiters {
                    if let failure { waiter.resume(throwing: failure) } else { waiter.resume() }
                }
                return
            }
            let (records, acknowledge, snapshotComplete) = (pendingRecords, pendingAcknowledge, pendingSnapshotComplete)
            pending = false
            pendingRecords = false
            pendingAcknowledge = nil
            pendingSnapshotComplete = false
            busy = true
            condition.unlock()

            var error: (any Error)?
            do {
                if records { try stream.sync() }
                if snapshotComplete, let snapshotMarker { CaptureToStream.writeMarker(snapshotMarker) }
                if let acknowledge { source.acknowledge(acknowledge) }
            } catch let failed {
                error = failed
            }

            condition.lock()
            busy = false
            if let error { failure = error }
            var waiters: [CheckedContinuation<Void, any Error>] = []
            if failure != nil || !pending {
                waiters = idleWaiters
                idleWaiters = []
            }
            let failure = self.failure
            condition.unlock()
            for waiter in waiters {
                if let failure { waiter.resume(throwing: failure) } else { waiter.resume() }
            }
        }
    }
}
