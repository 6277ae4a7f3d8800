import CDCCore
import Foundation

extension CDCDConfiguration {
    /// One entry of `pipelines:` — the Lambda event-source-mapping part: which records, how batched,
    /// which function, which sink, what happens on failure. Defaults are Lambda's where Lambda has one.
    public struct Pipeline: Sendable, Hashable {
        /// `name`: required, unique in the file; letters, digits, `.`, `_` and `-` (it names checkpoints
        /// and DLQ files, and `cdcd dlq --pipeline NAME`).
        public var name: String
        /// 1-based line where the pipeline starts in the config file, for later messages (`cdcd check`).
        public var line: Int
        /// `tables`: `schema.table` patterns; empty means every captured table.
        public var tables: [TablePattern]
        /// `filter`: Lambda/EventBridge filter patterns over the record JSON (OR); empty keeps everything.
        public var filter: [JSONValue]
        /// `view`: default `NEW_AND_OLD_IMAGES`.
        public var view: RecordRenderer.View
        /// `format`: default `cdcd`.
        public var format: RecordRenderer.Format
        /// `starting_position` (+ `starting_timestamp`): default `LATEST`.
        public var startingPosition: StartingPosition
        /// `batch_size`: 1...10000, default 100.
        public var batchSize: Int
        /// `batch_window`: 0...300 s (Lambda's `MaximumBatchingWindowInSeconds`), default 0.
        public var batchWindow: Duration
        /// `parallelization`: 1...10 concurrent batches, default 1; records with the same key stay in order.
        public var parallelization: Int
        /// `function`: nil when records go to the sink as they are.
        public var function: Function?
        /// `retry`.
        public var retry: Retry
        /// `on_failure`: default `dlq`.
        public var onFailure: OnFailure
        /// `sink`: nil only when a `command` or `lambda` function is the end of the pipeline.
        public var sink: Sink?

        public static let defaultBatchSize = 100
        public static let batchSizeRange = 1...10_000
        public static let batchWindowRange: ClosedRange<Duration> = .zero ... .seconds(300)
        public static let parallelizationRange = 1...10

        public init(
            name: String, line: Int = 0, tables: [TablePattern] = [], filter: [JSONValue] = [],
            view: RecordRenderer.View = .newAndOldImages, format: RecordRenderer.Format = .cdcd,
            startingPosition: StartingPosition = .latest, batchSize: Int = Pipeline.defaultBatchSize,
            batchWindow: Duration = .zero, parallelization: Int = 1, function: Function? = nil,
            retry: Retry = Retry(), onFailure: OnFailure = .dlq, sink: Sink?
        ) {
            self.name = name
            self.line = line
            self.tables = tables
            self.filter = filter
            self.view = view
            self.format = format
            self.startingPosition = startingPosition
            self.batchSize = batchSize
            self.batchWindow = batchWindow
            self.parallelization = parallelization
            self.function = function
            self.retry = retry
            self.onFailure = onFailure
            self.sink = sink
        }

        /// Where a new pipeline starts reading the stream. Resolved once, when the pipeline is first
        /// created, and saved at once as its checkpoint.
        public enum StartingPosition: Sendable, Hashable {
            /// The oldest record still in the stream.
            case trimHorizon
            /// Only records captured from now on (the default).
            case latest
            /// The first record committed at or after this time (`starting_timestamp`).
            case atTimestamp(Date)
        }

        /// `on_failure`: where records go once retries are exhausted.
        public enum OnFailure: String, Sendable, Hashable, CaseIterable {
            /// The local dead-letter queue, listed and replayed with `cdcd dlq`.
            case dlq
        }

        /// `retry: { max_attempts, max_record_age, bisect_on_error, backoff: { initial, max } }`.
        public struct Retry: Sendable, Hashable {
            /// `max_attempts`: attempts per batch including the first, 1...10000; nil (the default) retries
            /// until `maxRecordAge`, like Lambda's `-1`.
            public var maxAttempts: Int?
            /// `max_record_age`: records older than this are not retried again but sent to `on_failure`;
            /// nil (the default) is unlimited.
            public var maxRecordAge: Duration?
            /// `bisect_on_error`: split a failing batch in two and retry the halves. Default false.
            public var bisectOnError: Bool
            /// `backoff`: the wait between attempts.
            public var backoff: Backoff

            public static let maxAttemptsRange = 1...10_000

            public init(
                maxAttempts: Int? = nil, maxRecordAge: Duration? = nil, bisectOnError: Bool = false,
                backoff: Backoff = Backoff()
            ) {
                self.maxAttempts = maxAttempts
                self.maxRecordAge = maxRecordAge
                self.bisectOnError = bisectOnError
                self.backoff = backoff
            }

            /// `backoff: {initial, max}`: CDCCore's `Backoff` (1 s doubling to 60 s, jittered).
            public typealias Backoff = CDCCore.Backoff
        }
    }
}
