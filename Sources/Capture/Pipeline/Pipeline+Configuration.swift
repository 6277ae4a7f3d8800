import CDCCore

extension Pipeline {
    /// Where a new pipeline starts reading (resolved once, then saved as its checkpoint).
    public enum StartingPosition: Sendable, Hashable {
        case trimHorizon
        case latest
        /// Microseconds since the Unix epoch (the stream's append time).
        case atTimestamp(Int64)
    }

    /// Retry policy (Lambda's names and defaults: retry until `maxRecordAge`, unlimited by default).
    public struct RetryPolicy: Sendable {
        public var maxAttempts: Int?
        public var maxRecordAgeMicros: Int64?
        public var bisectOnError: Bool
        public var backoff: Backoff
        public init(maxAttempts: Int? = nil, maxRecordAgeMicros: Int64? = nil, bisectOnError: Bool = false, backoff: Backoff = Backoff()) {
            self.maxAttempts = maxAttempts
            self.maxRecordAgeMicros = maxRecordAgeMicros
            self.bisectOnError = bisectOnError
            self.backoff = backoff
        }
    }

    /// Everything a pipeline is configured with (decoded from YAML by the executable).
    public struct Configuration: Sendable {
        public var name: String
        public var tables: [TablePattern]
        public var filter: RecordFilter?
        /// Built-in transforms (keep/drop/rename/redact), applied before rendering and filtering.
        public var transforms: RecordTransformChain
        public var renderer: RecordRenderer
        public var startingPosition: StartingPosition
        public var batchSize: Int
        public var batchWindow: Duration
        /// Concurrent batches (1–10); records with the same key stay in order.
        public var parallelization: Int
        public var retry: RetryPolicy
        /// Reads records as soon as capture wrote them, before their fsync (`StreamLog.writeForReaders`),
        /// so a slow fsync does not delay delivery; the saved checkpoint still never passes the
        /// stream's durable end. For at-least-once sinks (webhook, file): after a crash, records
        /// delivered but not yet durable are captured and delivered again. Not for a sink that
        /// skips records by stream offset (the Postgres replica's exactly-once checkpoint).
        public var deliversUnsyncedRecords: Bool

        public init(
            name: String, tables: [TablePattern] = [], filter: RecordFilter? = nil,
            transforms: RecordTransformChain = RecordTransformChain([]),
            renderer: RecordRenderer = RecordRenderer(), startingPosition: StartingPosition = .latest,
            batchSize: Int = 100, batchWindow: Duration = .zero, parallelization: Int = 1,
            retry: RetryPolicy = RetryPolicy(), deliversUnsyncedRecords: Bool = false
        ) {
            self.deliversUnsyncedRecords = deliversUnsyncedRecords
            self.parallelization = max(1, parallelization)
            self.transforms = transforms
            self.name = name
            self.tables = tables
            self.filter = filter
            self.renderer = renderer
            self.startingPosition = startingPosition
            self.batchSize = batchSize
            self.batchWindow = batchWindow
            self.retry = retry
        }
    }
}
