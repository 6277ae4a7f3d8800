import CDCCore
import Foundation
import Logging
import Synchronization

/// Captures a DynamoDB stream: lists its shards (DescribeStream, paginated), reads each shard
/// (GetShardIterator, GetRecords) with a child only after its parent is finished, and hands out
/// bounded batches of `ChangeRecord`s.
///
/// The HTTP client is owned by one dedicated thread. Each batch carries the shard positions as of
/// its last record; the consumer saves them only once the batch is durable (`ShardPositions`).
/// Throttling and unavailability are retried with backoff, expired iterators renewed, empty shards
/// polled with a growing pause; an error the reader cannot get past (bad credentials, no such
/// stream) ends the batches with that error.
public final class DynamoDBSource: Sendable {
    public let configuration: Configuration
    let logger: Logger
    let channel: BatchChannel<DynamoDBBatch>
    private let flags = Mutex<(started: Bool, stopping: Bool, streaming: Bool)>((false, false, false))
    private let resolvedARN = Mutex<String?>(nil)

    public init(configuration: Configuration, logger: Logger) {
        self.configuration = configuration
        var logger = logger
        logger[metadataKey: "cdc.source"] = "dynamodb"
        self.logger = logger
        self.channel = BatchChannel(capacity: configuration.bufferedBatches)
    }

    /// Starts the reader thread (once) and returns the batches.
    public func batches() -> Batches {
        let start = flags.withLock { f -> Bool in
            defer { f.started = true }
            return !f.started
        }
        if start {
            let thread = Thread { [self] in
                DynamoDBReader(source: self).run()
            }
            thread.name = "cdcd-dynamodb"
            thread.start()
        }
        return Batches(channel: channel)
    }

    /// A batch already waiting, without suspending.
    public func nextBatchIfReady() -> DynamoDBBatch? { channel.nextIfReady() }

    /// Asks the reader to stop; returns at once.
    public func stop() {
        flags.withLock { $0.stopping = true }
        channel.cancel()
    }

    var isStopping: Bool { flags.withLock { $0.stopping } }

    /// True while the reader is reading shards (for `/readyz` and `/status`).
    public var isStreaming: Bool { flags.withLock { $0.streaming } }
    func setStreaming(_ value: Bool) { flags.withLock { $0.streaming = value } }

    /// The stream's ARN once known (looked up from the table, or as configured); for `/status`.
    public var streamARN: String? {
        if case .arn(let arn) = configuration.stream { return arn }
        return resolvedARN.withLock { $0 }
    }
    func setStreamARN(_ arn: String) { resolvedARN.withLock { $0 = arn } }

    /// The consumer's view of the batches.
    public struct Batches: AsyncSequence, Sendable {
        public typealias Element = DynamoDBBatch
        let channel: BatchChannel<DynamoDBBatch>
        public struct AsyncIterator: AsyncIteratorProtocol {
            let channel: BatchChannel<DynamoDBBatch>
            public mutating func next() async throws -> DynamoDBBatch? { try await channel.next() }
        }
        public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(channel: channel) }
    }
}

/// Records read from a DynamoDB stream, and where each shard stands once they are durable.
public struct DynamoDBBatch: Sendable {
    /// In read order; records of one shard in sequence order.
    public var records: [ChangeRecord]
    /// Every shard's position including this batch (save once the batch is durable).
    public var positions: ShardPositions

    public init(records: [ChangeRecord], positions: ShardPositions) {
        self.records = records
        self.positions = positions
    }
}

extension DynamoDBSource {
    /// What to read and how.
    public struct Configuration: Sendable {
        /// Which stream: an ARN, or a table whose latest stream is looked up.
        public enum Stream: Sendable, Hashable {
            case arn(String)
            case table(String)
        }

        public var stream: Stream
        public var region: String
        /// A base URL for a local API (moto); nil for AWS.
        public var endpoint: String?
        public var credentials: AWSCredentials
        /// Called on the reader thread once the stream ARN is known: the saved positions and the
        /// last capture position (`ChangeRecord.commitLSN`) in the cdcd stream.
        public var resume: @Sendable (_ streamARN: String) throws -> (positions: ShardPositions, lastPosition: LSN)
        /// GetRecords `Limit` (1…1000).
        public var recordsPerCall: Int
        /// The pause after a round that found nothing new: from `idleInitial`, doubling to `idleMaximum`.
        public var idleInitial: Duration
        public var idleMaximum: Duration
        /// How often the shard list is refreshed (new shards after splits), besides when a shard ends.
        public var describeInterval: Duration
        /// Backoff for throttling and unavailability.
        public var backoff: Backoff
        public var bufferedBatches: Int

        public init(
            stream: Stream, region: String, endpoint: String?, credentials: AWSCredentials,
            resume: @escaping @Sendable (String) throws -> (positions: ShardPositions, lastPosition: LSN),
            recordsPerCall: Int = 1000, idleInitial: Duration = .milliseconds(200), idleMaximum: Duration = .seconds(1),
            describeInterval: Duration = .seconds(30), backoff: Backoff = Backoff(initial: .milliseconds(200), maximum: .seconds(20)),
            bufferedBatches: Int = 16
        ) {
            self.stream = stream
            self.region = region
            self.endpoint = endpoint
            self.credentials = credentials
            self.resume = resume
            self.recordsPerCall = recordsPerCall
            self.idleInitial = idleInitial
            self.idleMaximum = idleMaximum
            self.describeInterval = describeInterval
            self.backoff = backoff
            self.bufferedBatches = bufferedBatches
        }
    }
}
