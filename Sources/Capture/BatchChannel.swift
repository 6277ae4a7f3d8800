import Foundation

/// A bounded hand-off from one producer thread to one async consumer: back-pressure without
/// busy-waiting. The producer (a dedicated thread that owns a C connection) blocks in `send` while
/// the buffer is full — but only up to a timeout, so it can keep doing its periodic duties (standby
/// status updates) while a slow consumer catches up.
///
/// Invariant: a consumer waits (`waiter != nil`) only while the buffer is empty, so elements come
/// out in the order they were sent.
///
/// `@unchecked Sendable`: every mutable field is guarded by `condition`'s lock.
final class BatchChannel<Element: Sendable>: @unchecked Sendable {
    enum SendResult {
        case sent
        case timedOut
        case cancelled
    }

    private let condition = NSCondition()
    private var buffer: [Element] = []
    private var head = 0
    private var waiter: CheckedContinuation<Element?, any Error>?
    private var finished: (any Error)??
    private var cancelled = false
    let capacity: Int

    init(capacity: Int) { self.capacity = max(1, capacity) }

    /// Blocks the calling thread until the element is queued, `timeout` seconds pass, or the
    /// consumer cancelled.
    func send(_ element: Element, timeout: Double) -> SendResult {
        condition.lock()
        if cancelled {
            condition.unlock()
            return .cancelled
        }
        if let waiter {
            self.waiter = nil
            condition.unlock()
            waiter.resume(returning: element)
            return .sent
        }
        let deadline = Date(timeIntervalSinceNow: timeout)
        while buffer.count - head >= capacity && !cancelled {
            if !condition.wait(until: deadline) {
                condition.unlock()
                return .timedOut
            }
        }
        if cancelled {
            condition.unlock()
            return .cancelled
        }
        // The consumer may have drained the buffer and started waiting while this thread waited
        // for space: hand the element over directly (the buffer is empty whenever a consumer
        // waits), never behind its back — that would let a later element overtake this one.
        if let waiter {
            self.waiter = nil
            condition.unlock()
            waiter.resume(returning: element)
            return .sent
        }
        buffer.append(element)
        condition.unlock()
        return .sent
    }

    /// Ends the stream after the buffered elements: with an error, the consumer's next `next()`
    /// after them throws it.
    func finish(throwing error: (any Error)? = nil) {
        condition.lock()
        if finished == nil { finished = .some(error) }
        let waiter = self.waiter
        self.waiter = nil
        condition.unlock()
        if let waiter {
            if let error { waiter.resume(throwing: error) } else { waiter.resume(returning: nil) }
        }
    }

    /// The consumer wants to stop: wake the producer (its `send` returns `.cancelled`) and drop what
    /// is buffered. The consumer's `next()` still ends only when the producer calls `finish`, so a
    /// consumer that waits for the end knows the producer has cleaned up (for capture: sent its
    /// final status update and closed the connection).
    func cancel() {
        condition.lock()
        cancelled = true
        buffer.removeAll()
        head = 0
        condition.broadcast()
        condition.unlock()
    }

    var isCancelled: Bool {
        condition.lock()
        defer { condition.unlock() }
        return cancelled
    }

    /// The next element if one is buffered right now, without waiting (for group commit: take what
    /// is already there before paying for one fsync).
    func nextIfReady() -> Element? {
        condition.lock()
        defer { condition.unlock() }
        guard head < buffer.count else { return nil }
        let element = buffer[head]
        head += 1
        if head > 64 && head * 2 > buffer.count {
            buffer.removeFirst(head)
            head = 0
        }
        condition.signal()
        return element
    }

    /// The next element, nil at the end; throws the error the producer finished with.
    func next() async throws -> Element? {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Element?, any Error>) in
            condition.lock()
            if head < buffer.count {
                let element = buffer[head]
                head += 1
                if head > 64 && head * 2 > buffer.count {
                    buffer.removeFirst(head)
                    head = 0
                }
                condition.signal()
                condition.unlock()
                continuation.resume(returning: element)
                return
            }
            if let finished {
                self.finished = .some(nil)
                condition.unlock()
                if let error = finished { continuation.resume(throwing: error) } else { continuation.resume(returning: nil) }
                return
            }
            waiter = continuation
            condition.unlock()
        }
    }
}
