

/// One item of a batch handed to a sink: the record as captured (for sinks that apply values, like
/// the Postgres replica) and its JSON as the pipeline delivers it (after view, format and function).
public struct SinkItem: Sendable {
    /// Set when the item is not a captured record (a function's output) or came from elsewhere.
    private var explicitSequenceNumber: String?
    /// The record's `sequenceNumber`: what partial failures name. Computed from the record unless
    /// given (the hot path builds no string per record).
    public var sequenceNumber: String {
        get { explicitSequenceNumber ?? record?.sequenceNumber ?? "" }
        set { explicitSequenceNumber = newValue }
    }
    /// The captured record; nil when a function produced an object that is not a record.
    public var record: ChangeRecord?
    /// The JSON object delivered (one line, no newline); empty when the sink said it needs none.
    public var json: [UInt8]

    public init(sequenceNumber: String, record: ChangeRecord?, json: [UInt8]) {
        self.explicitSequenceNumber = sequenceNumber
        self.record = record
        self.json = json
    }

    /// An item for a captured record; its sequence number is the record's.
    public init(record: ChangeRecord, json: [UInt8]) {
        self.explicitSequenceNumber = nil
        self.record = record
        self.json = json
    }
}

/// Why a sink could not take a batch.
public struct SinkError: Error, CustomStringConvertible, Sendable {
    /// True when trying again later can help (timeouts, 5xx, connection loss); false for errors the
    /// same input will hit again (constraint violations, 4xx).
    public var retryable: Bool
    /// Stop the pipeline (keeping its position) instead of retrying or dead-lettering: e.g. a
    /// webhook answering 410 Gone, a schema change the replica cannot apply.
    public var disablesPipeline: Bool
    /// The items that failed when the sink can tell (partial batch failure); empty means all.
    public var failedSequenceNumbers: [String]
    /// How long to wait before retrying, when the destination said (`Retry-After`).
    public var retryAfter: Duration?
    /// The destination lost items it had taken but not yet made durable (a Postgres target that
    /// crashed with asynchronous commits): the pipeline delivers again from its saved checkpoint,
    /// which `flush` guarantees the destination still holds.
    public var rewind: Bool
    public var message: String

    public init(
        retryable: Bool, disablesPipeline: Bool = false, failedSequenceNumbers: [String] = [],
        retryAfter: Duration? = nil, rewind: Bool = false, message: String
    ) {
        self.retryable = retryable
        self.disablesPipeline = disablesPipeline
        self.failedSequenceNumbers = failedSequenceNumbers
        self.retryAfter = retryAfter
        self.rewind = rewind
        self.message = message
    }

    public var description: String { message }
}

/// A destination for a pipeline's batches.
///
/// Contract: `write` returns only once the destination has taken every item of the batch (for a
/// replica: committed; for a webhook: answered 2xx; for a file: written), and every item taken is
/// durable once `flush` returns (for a file: fsynced; for a replica committing asynchronously: its
/// WAL flushed; for a webhook at once, so its `flush` does nothing). The pipeline calls `flush`
/// before it saves a checkpoint, so a saved checkpoint never covers an item that a crash could
/// lose. A sink that finds it lost items taken since its last `flush` (its destination crashed)
/// throws a `rewind` error: the pipeline then delivers again from its saved checkpoint. `write` is called by one pipeline task at
/// a time, with batches in stream order; delivering a batch again after a crash must be harmless
/// (at-least-once), unless the sink makes it exactly-once itself.
public protocol Sink: Sendable {
    func write(_ items: [SinkItem]) async throws(SinkError)
    /// Makes every item taken by `write` so far durable (see the contract above). Default: nothing
    /// to do.
    func flush() async throws(SinkError)
    /// Delivers dead-lettered items again (`cdcd dlq replay`). They are older than what the sink
    /// already took: a sink that skips what it has seen (the Postgres replica) must not skip these.
    func writeReplayed(_ items: [SinkItem]) async throws(SinkError)
    /// Connects and checks the destination without writing (for `cdcd check`, and by a pipeline
    /// as it starts, so that its first batch does not wait for the connection); optional.
    func prepare() async throws(SinkError)
    /// False when the sink uses only `SinkItem.record` (the Postgres replica): the pipeline then
    /// skips rendering JSON it would not use (`json` is empty). Default true.
    var needsJSON: Bool { get }
    /// Flushes and releases resources; the sink is not used afterwards.
    func close() async
}

extension Sink {
    public func flush() async throws(SinkError) {}
    public func writeReplayed(_ items: [SinkItem]) async throws(SinkError) { try await write(items) }
    public func prepare() async throws(SinkError) {}
    public var needsJSON: Bool { true }
}
