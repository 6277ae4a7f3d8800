import CDCCore
import Dispatch
import LibPQ
import Logging

/// The PostgreSQL replica sink: applies change records to tables of a target database with an
/// exactly-once effect.
///
/// Each batch is one target transaction (libpq pipeline mode: one round trip for the whole batch,
/// inserts and upserts merged into multi-row statements, values as typed text parameters, every
/// identifier quoted) that also upserts the pipeline's checkpoint row in `checkpoint_schema.checkpoints`.
/// Records at or below that checkpoint are skipped, so a batch delivered again after a crash is
/// applied once.
///
/// Batches commit asynchronously (`synchronous_commit = off`, as PostgreSQL's own subscriptions do)
/// unless configured otherwise: `flush` (called by the pipeline before it saves its checkpoint) makes
/// them durable with one synchronous commit, and a target that crashed and lost commits is found
/// on reconnect (its checkpoint row is behind what this sink committed): `write` then throws a
/// `rewind` error and the pipeline delivers again from its saved checkpoint. A row the target rejects (constraint, type) is reported alone as a non-retryable
/// failure after the records before it were committed; a schema change the replica cannot follow
/// disables the pipeline; connection trouble is retryable.
///
/// `@unchecked Sendable`: the applier (and its libpq connection) is only used on `queue`, and the
/// pipeline calls `write` for one batch at a time.
public final class PostgresSink: Sink, @unchecked Sendable {
    /// What the sink needs to know.
    public struct Configuration: Sendable {
        /// The pipeline whose checkpoint row this sink keeps.
        public var pipeline: String
        public var target: ConnectionString
        /// The source database, read for column types, defaults and NOT NULL when creating tables.
        public var source: ConnectionString?
        public var createTables: Bool
        public var checkpointSchema: String
        /// Wait for the target's WAL flush at every batch's commit (else at `flush`).
        public var synchronousCommit: Bool
        /// The target `(schema, table)` of a source table.
        public var mapTable: @Sendable (_ schema: String, _ table: String) -> (schema: String, table: String)

        public init(
            pipeline: String, target: ConnectionString, source: ConnectionString? = nil, createTables: Bool = false,
            checkpointSchema: String = "cdcd", synchronousCommit: Bool = false,
            mapTable: @escaping @Sendable (String, String) -> (schema: String, table: String) = { ($0, $1) }
        ) {
            self.synchronousCommit = synchronousCommit
            self.pipeline = pipeline
            self.target = target
            self.source = source
            self.createTables = createTables
            self.checkpointSchema = checkpointSchema
            self.mapTable = mapTable
        }
    }

    private let queue: DispatchQueue
    private let applier: ReplicaApplier

    public init(_ configuration: Configuration, logger: Logger) {
        queue = DispatchQueue(label: "cdcd.sink.postgres.\(configuration.pipeline)")
        applier = ReplicaApplier(configuration, logger: logger)
    }

    /// The replica applies records; JSON is rendered only for dead letters.
    public var needsJSON: Bool { false }

    public func write(_ items: [SinkItem]) async throws(SinkError) {
        try await perform { (applier) throws(SinkError) in try applier.apply(items, replay: false) }
    }

    /// Makes the batches committed so far durable (a synchronous commit flushes the target's WAL
    /// up to it, asynchronous commits before it included).
    public func flush() async throws(SinkError) {
        try await perform { (applier) throws(SinkError) in try applier.flush() }
    }

    /// Applies dead-lettered records again: they are below the checkpoint, so they are not skipped,
    /// and the checkpoint never moves back.
    public func writeReplayed(_ items: [SinkItem]) async throws(SinkError) {
        try await perform { (applier) throws(SinkError) in try applier.apply(items, replay: true) }
    }

    /// Connects, creates the checkpoint table if needed and reads the checkpoint.
    public func prepare() async throws(SinkError) {
        try await perform { (applier) throws(SinkError) in _ = try applier.connect() }
    }

    /// The last sequence number applied, as stored in the target (nil before the first batch).
    public func appliedSequenceNumber() async throws(SinkError) -> String? {
        try await perform { (applier) throws(SinkError) -> String? in
            _ = try applier.connect()
            return applier.checkpoint.isEmpty ? nil : applier.checkpoint
        }
    }

    public func close() async {
        await onQueue { applier in applier.disconnect() }
    }

    private func perform<T: Sendable>(_ body: @escaping @Sendable (ReplicaApplier) throws(SinkError) -> T) async throws(SinkError) -> T {
        let applier = self.applier
        let result: Result<T, SinkError> = await withCheckedContinuation { continuation in
            queue.async {
                do throws(SinkError) {
                    continuation.resume(returning: .success(try body(applier)))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
        }
        return try result.get()
    }

    private func onQueue(_ body: @escaping @Sendable (ReplicaApplier) -> Void) async {
        let applier = self.applier
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            queue.async {
                body(applier)
                continuation.resume()
            }
        }
    }
}
