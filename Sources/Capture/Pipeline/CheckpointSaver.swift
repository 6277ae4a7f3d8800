import Foundation

/// Writes a pipeline's checkpoint file on a thread of its own, so its two fsyncs (the file, then
/// its directory: 1–3 ms, far more while the disk is busy) never sit between a record and its
/// delivery, and never hold a thread of the cooperative pool.
///
/// `post` hands over an offset and returns at once; the thread saves the latest offset posted
/// (older ones not yet written are skipped: each save replaces the whole file). `save` posts and
/// waits until that offset (or a later one) is durable. The caller posts only offsets whose
/// records are delivered and flushed, in increasing order.
///
/// A failed save is reported by the next `post` or `save` (the pipeline then stops, as it did when
/// it saved inline); the checkpoint on disk stays the last one saved.
///
/// `@unchecked Sendable`: every mutable field is guarded by `condition`'s lock.
final class CheckpointSaver: @unchecked Sendable {
    private let store: CheckpointStore
    private let condition = NSCondition()
    /// The latest offset posted and not yet taken by the thread.
    private var wanted: UInt64?
    /// The latest offset on disk (nil: none saved by this saver yet).
    private var durable: UInt64?
    private var failure: (any Error)?
    private var waiters: [(offset: UInt64, continuation: CheckedContinuation<Void, any Error>)] = []
    private var stopping = false
    /// The thread has returned; `finish` callers waiting for it.
    private var ended = false
    private var endWaiters: [CheckedContinuation<Void, Never>] = []

    /// `saved`: the offset already on disk, if known.
    init(store: CheckpointStore, saved: UInt64? = nil, name: String) {
        self.store = store
        self.durable = saved
        let thread = Thread { [self] in loop() }
        thread.name = name
        thread.start()
    }

    /// Queues `offset` to be saved; throws the error of an earlier save that failed.
    func post(_ offset: UInt64) throws {
        condition.lock()
        defer { condition.unlock() }
        if let failure { throw failure }
        wanted = offset
        condition.signal()
    }

    /// Queues `offset` (unless it is already durable) and returns once it is on disk.
    func save(_ offset: UInt64) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            condition.lock()
            if let failure {
                condition.unlock()
                continuation.resume(throwing: failure)
                return
            }
            if let durable, durable >= offset {
                condition.unlock()
                continuation.resume()
                return
            }
            if (wanted ?? 0) < offset { wanted = offset }
            waiters.append((offset, continuation))
            condition.signal()
            condition.unlock()
        }
    }

    /// Ends the thread after the save in progress and the one queued (callers wait with `save`
    /// first when they need it durable).
    func stop() {
        condition.lock()
        stopping = true
        condition.signal()
        condition.unlock()
    }

    /// `stop`, then returns once the thread has ended: the save in progress and the one queued
    /// are on disk (or failed), and nothing more is written.
    func finish() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            condition.lock()
            if ended {
                condition.unlock()
                continuation.resume()
                return
            }
            stopping = true
            endWaiters.append(continuation)
            condition.signal()
            condition.unlock()
        }
    }

    private func loop() {
        while true {
            condition.lock()
            while wanted == nil && !stopping { condition.wait() }
            guard let offset = wanted else {
                let left = waiters
                waiters = []
                ended = true
                let ending = endWaiters
                endWaiters = []
                condition.unlock()
                for waiter in left { waiter.continuation.resume(throwing: CancellationError()) }
                for waiter in ending { waiter.resume() }
                return
            }
            wanted = nil
            condition.unlock()
            var error: (any Error)?
            do {
                try store.save(offset)
            } catch let failed {
                error = failed
            }
            condition.lock()
            var ready: [CheckedContinuation<Void, any Error>] = []
            if let error {
                failure = error
                ready = waiters.map(\.continuation)
                waiters = []
            } else {
                durable = max(durable ?? 0, offset)
                waiters.removeAll { waiter in
                    guard waiter.offset <= offset else { return false }
                    ready.append(waiter.continuation)
                    return true
                }
            }
            condition.unlock()
            for continuation in ready {
                if let error { continuation.resume(throwing: error) } else { continuation.resume() }
            }
        }
    }
}
