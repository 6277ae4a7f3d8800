import CDCCore
import Foundation
import LibPQ
import Logging

/// Captures changes from PostgreSQL through logical replication (pgoutput) and hands them out in
/// bounded batches.
///
/// The replication connection is owned by one dedicated thread, which decodes, assembles records
/// and sends standby status updates on time even while the consumer is slow (the hand-off blocks
/// only up to a timeout). The consumer iterates `batches()` and calls `acknowledge` with a batch's
/// `acknowledgeLSN` once its records are durable; only then does the slot's `confirmed_flush_lsn`
/// move past them. When nothing is pending, keepalive positions are confirmed so an idle slot does
/// not pin WAL. A connection lost mid-stream is re-established with backoff; records already handed
/// out are not handed out again.
public final class PostgresSource: Sendable {
    public let configuration: Configuration
    let logger: Logger
    let channel: BatchChannel<CaptureBatch>
    let state = SourceState()

    public init(configuration: Configuration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        self.channel = BatchChannel(capacity: configuration.bufferedBatches)
    }

    /// Starts the replication thread (once) and returns the batches. Setup failures (unreachable
    /// server, wal_level, unknown table, slot in use) are thrown by the first `next()`.
    public func batches() -> Batches {
        if state.markStarted() {
            let thread = Thread { [self] in
                ReplicationLoop(source: self).run()
            }
            thread.name = "cdcd-capture"
            thread.start()
        }
        return Batches(channel: channel)
    }

    /// A batch that is already waiting, without suspending (nil when none is): lets a consumer
    /// gather several batches into one durable write.
    public func nextBatchIfReady() -> CaptureBatch? { channel.nextIfReady() }

    /// Everything up to `lsn` (a batch's `acknowledgeLSN`) is durable downstream.
    public func acknowledge(_ lsn: LSN) {
        state.acknowledge(lsn)
    }

    var acknowledgedLSN: LSN { state.acknowledged }

    /// Asks capture to stop: the thread closes the connection (dropping a temporary slot) and the
    /// batches end once the thread has sent its final status update and closed the connection.
    /// Returns at once.
    public func stop() {
        state.requestStop()
        channel.cancel()
    }

    var isStopping: Bool { state.isStopping }

    /// True while the replication stream is open (set up and streaming); false before the first
    /// connection, while reconnecting, and after capture ended. For `/readyz`.
    public var isStreaming: Bool { state.isStreaming }

    /// The last positions sent to the server in a standby status update: received (written) and
    /// confirmed (flushed). Zero before the first update. For `/status`.
    public var reportedPositions: (received: LSN, confirmed: LSN) { state.reportedPositions }

    /// The consumer's view: an `AsyncSequence` of batches, ending when capture stops or reaches
    /// `endLSN`, throwing what made it fail.
    public struct Batches: AsyncSequence, Sendable {
        public typealias Element = CaptureBatch
        let channel: BatchChannel<CaptureBatch>
        public struct AsyncIterator: AsyncIteratorProtocol {
            let channel: BatchChannel<CaptureBatch>
            public mutating func next() async throws -> CaptureBatch? { try await channel.next() }
        }
        public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(channel: channel) }
    }
}


/// The few fields the consumer and the capture thread share.
/// `@unchecked Sendable`: every field is guarded by `lock`.
final class SourceState: @unchecked Sendable {
    private let lock = NSLock()
    private var acknowledgedValue = LSN.zero
    private var stopping = false
    private var started = false
    private var streaming = false
    private var reported = (received: LSN.zero, confirmed: LSN.zero)

    /// True the first time only.
    func markStarted() -> Bool {
        lock.withLock {
            defer { started = true }
            return !started
        }
    }

    func acknowledge(_ lsn: LSN) { lock.withLock { if lsn > acknowledgedValue { acknowledgedValue = lsn } } }
    var acknowledged: LSN { lock.withLock { acknowledgedValue } }
    func requestStop() { lock.withLock { stopping = true } }
    var isStopping: Bool { lock.withLock { stopping } }
    func setStreaming(_ value: Bool) { lock.withLock { streaming = value } }
    var isStreaming: Bool { lock.withLock { streaming } }
    func report(received: LSN, confirmed: LSN) { lock.withLock { reported = (received, confirmed) } }
    var reportedPositions: (received: LSN, confirmed: LSN) { lock.withLock { reported } }
}
