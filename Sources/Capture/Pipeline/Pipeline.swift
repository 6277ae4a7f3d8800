import CDCCore
import Foundation
import Logging

/// One pipeline: reads the stream from its own checkpoint and, per batch, filters, renders (view and
/// format), delivers to its sink with retries, bisection and partial-failure handling, dead-letters
/// what cannot be delivered, then checkpoints. (Lambda's event source mapping, self-hosted.)
///
/// Guarantees: at least once, in stream order; a record is either delivered, filtered out, or in
/// the dead-letter queue with its error — never dropped silently. The checkpoint moves only past
/// records in one of those three states. One pipeline failing never blocks another: each runs in
/// its own task and reads the shared stream independently.
public final class Pipeline: Sendable {
    public let configuration: Configuration
    private let stream: StreamLog
    private let sink: (any Sink)?
    /// One function process per concurrent lane (`parallelization`), or none.
    private let functions: [FunctionProcess]
    private let checkpoints: CheckpointStore
    public let deadLetters: DeadLetterQueue
    private let logger: Logger
    private let state = PipelineStatusBox()

    public init(
        configuration: Configuration, stream: StreamLog, sink: (any Sink)?, functions: [FunctionProcess] = [],
        stateDirectory: String,
        logger: Logger
    ) throws {
        self.configuration = configuration
        self.stream = stream
        self.sink = sink
        self.functions = functions
        let directory = stateDirectory + "/pipelines/" + configuration.name
        self.checkpoints = try CheckpointStore(directory: directory)
        self.deadLetters = try DeadLetterQueue(directory: directory)
        var logger = logger
        logger[metadataKey: "cdc.pipeline"] = .string(configuration.name)
        self.logger = logger
        // The starting position is resolved when the pipeline is created, not when it first runs:
        // records captured in between are not skipped (LATEST, AT_TIMESTAMP).
        let start = try initialCheckpoint()
        state.update { $0.checkpoint = start }
    }

    /// Records read per round: one batch per concurrent lane.
    private var readSize: Int { configuration.batchSize * configuration.parallelization }

    /// A snapshot of the pipeline's state (for `/status` and `cdcd status`).
    public var status: PipelineStatus { state.value }

    /// Resolves the starting position once, when the pipeline has no checkpoint yet, and saves it
    /// at once (so a crash right after start skips nothing captured since).
    func initialCheckpoint() throws -> UInt64 {
        if let saved = try checkpoints.load() { return saved }
        let position: UInt64
        switch configuration.startingPosition {
        case .trimHorizon:
            position = stream.firstOffset == 0 ? 0 : stream.firstOffset - 1
        case .latest:
            // The durable end, not the appended end: records appended but not yet synced may be lost
            // in a crash, and new records would then take their offsets.
            position = stream.durableEnd
        case .atTimestamp(let micros):
            position = try firstOffset(appendedAtOrAfter: micros) - 1
        }
        try checkpoints.save(position)
        logger.info("pipeline created", metadata: ["cdc.checkpoint": "\(position)"])
        return position
    }

    private func firstOffset(appendedAtOrAfter micros: Int64) throws -> UInt64 {
        var offset = max(stream.firstOffset, 1)
        while true {
            let entries = try stream.read(from: offset, maxRecords: 1000)
            guard let last = entries.last else { return offset }
            if let hit = entries.first(where: { $0.appendedAt >= micros }) { return hit.offset }
            offset = last.offset + 1
        }
    }

    /// Runs until the task is cancelled (then finishes the batch in flight and returns) or the
    /// pipeline is disabled (410 Gone, an unappliable schema change), which throws.
    ///
    /// While a batch is in the sink, the next one is read and prepared (filtered, rendered), so the
    /// sink's round trips and the pipeline's CPU work overlap; batches still reach the sink one at a
    /// time, in order, and the checkpoint moves only past a batch the sink has taken.
    ///
    /// The checkpoint moves in memory after every batch and is saved (the sink flushed first, then
    /// the file replaced durably) at most once per `checkpointInterval` while records keep coming,
    /// when the pipeline has caught up and no record came for `idleSaveDelay`, and when it stops —
    /// as Kafka consumers commit offsets. A crash (of cdcd or of the machine) so brings back a
    /// checkpoint at most that old: those records are delivered again (at least once), none is
    /// skipped. Two fsyncs per batch would otherwise bound a fast sink to a few hundred batches a
    /// second.
    ///
    /// The file is written by a `CheckpointSaver` on its own thread: the pipeline waits for the
    /// sink's flush, never for the checkpoint's fsyncs, except when it stops (or skips trimmed
    /// records), where the saved checkpoint must be on disk before it goes on. `run` returns (or
    /// throws) only once that thread has ended, so no checkpoint is written after it: a checkpoint
    /// handed over just before a stop or a cancellation is on disk when it returns, not cut off by
    /// the process exiting (which meant delivering those records again after a clean restart).
    public func run() async throws {
        var checkpoint = try initialCheckpoint()
        state.update { $0.checkpoint = checkpoint; $0.state = .running }
        // The sink connects while capture starts, so the first batch does not wait for it (a
        // replica's connection and checkpoint read took ≈40 ms of a benchmark run's start). A
        // failure is only logged: the first write connects again under the retry policy.
        let warmUp = Task { [sink, logger] in
            do throws(SinkError) {
                try await sink?.prepare()
            } catch {
                logger.debug("the sink could not connect yet", metadata: ["cdc.error": "\(error.message)"])
            }
        }
        defer { warmUp.cancel() }
        let saver = CheckpointSaver(store: checkpoints, saved: checkpoint, name: "cdcd-checkpoint")
        defer { saver.stop() }
        /// The last checkpoint handed to the saver (covered by a sink flush), and when.
        var posted = checkpoint
        var postedAt = ContinuousClock.now
        /// Flushes the sink and hands `checkpoint` to the saver: `.periodic` only when the last one
        /// is `checkpointInterval` old, `.now` at once, `.durable` at once and waits until it is on
        /// disk. A failed flush leaves the saved checkpoint as it was.
        func persist(_ delivered: UInt64, _ mode: SaveMode) async throws {
            // Records read before their fsync may vanish in a crash: never save past the durable end.
            let checkpoint = configuration.deliversUnsyncedRecords ? min(delivered, stream.durableEnd) : delivered
            if checkpoint > posted {
                guard mode != .periodic || ContinuousClock.now - postedAt >= Self.checkpointInterval else { return }
                do {
                    try await sink?.flush()
                } catch {
                    if error.rewind { throw error }
                    logger.warning("the sink could not flush; the checkpoint is not saved yet", metadata: ["cdc.error": "\(error.message)"])
                    return
                }
                try saver.post(checkpoint)
                posted = checkpoint
                postedAt = ContinuousClock.now
            }
            if mode == .durable { try await saver.save(posted) }
        }
        while true {
            do {
                try await run(checkpoint: &checkpoint, persist: persist)
                break
            } catch let error as SinkError where error.rewind {
                // The sink lost what it took since its last flush: everything after the saved
                // checkpoint is delivered again (the sink skips what it still holds).
                logger.warning(
                    "the sink lost records it had taken; delivering again from the saved checkpoint",
                    metadata: ["cdc.error": "\(error.message)", "cdc.checkpoint": "\(posted)", "cdc.delivered": "\(checkpoint)"])
                checkpoint = posted
                state.update {
                    $0.checkpoint = posted
                    $0.rewinds += 1
                }
            } catch {
                // Disabled or failed: keep what was delivered before the failure.
                try? await persist(checkpoint, .durable)
                await saver.finish()
                throw error
            }
        }
        // A clean stop: the checkpoint is saved. Either way nothing is written after `run` returns.
        do {
            try await persist(checkpoint, .durable)
        } catch {
            await saver.finish()
            throw error
        }
        await saver.finish()
    }

    /// When `persist` saves a checkpoint.
    enum SaveMode {
        case periodic, now, durable
    }

    /// The longest the saved checkpoint lags behind the delivered records while they keep coming.
    static let checkpointInterval: Duration = .seconds(1)

    /// How long a caught-up pipeline waits for more records before it saves its checkpoint: short
    /// enough that an idle pipeline's checkpoint is on disk at once, long enough that a steady
    /// trickle of records (a thousand a second, one round each) is not followed by a save per round.
    static let idleSaveDelay: Duration = .milliseconds(20)

    /// `run()`'s loop; `checkpoint` moves past each delivered batch, `persist` saves it.
    private func run(
        checkpoint: inout UInt64, persist: (_ checkpoint: UInt64, _ mode: SaveMode) async throws -> Void
    ) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            /// The last offset handed to a delivery (ahead of `checkpoint` while one is in flight).
            var cursor = checkpoint
            /// Where the last read stopped in the stream (the next read starts there).
            var readPosition: StreamLog.ReadPosition?
            let durableOnly = !configuration.deliversUnsyncedRecords
            var inFlight: StreamLog.Entry?
            /// Waits for the delivery in flight, then moves the checkpoint past it.
            func settle(_ group: inout ThrowingTaskGroup<Void, any Error>) async throws {
                guard let last = inFlight else { return }
                try await group.next()
                inFlight = nil
                checkpoint = last.offset
                try await persist(checkpoint, .periodic)
                state.update {
                    $0.checkpoint = checkpoint
                    $0.iteratorAgeMillis = max(0, (StreamLog.wallClockMicroseconds() - last.appendedAt) / 1000)
                }
            }
            while !Task.isCancelled {
                var entries: [StreamLog.Entry]
                do throws(StreamError) {
                    entries = try stream.read(
                        from: cursor + 1, maxRecords: readSize, durableOnly: durableOnly, position: &readPosition)
                } catch {
                    guard error.code == .recordsTrimmed else { throw error }
                    try await settle(&group)
                    // Retention deleted records this pipeline had not read: say so loudly, go on after them.
                    let lost = error.lostRecords ?? 0
                    logger.error(
                        "records were trimmed from the stream before this pipeline read them (retention); continuing after the gap",
                        metadata: ["cdc.lost_records": "\(lost)", "cdc.checkpoint": "\(checkpoint)"])
                    checkpoint = (error.firstAvailable ?? checkpoint + 1) - 1
                    cursor = checkpoint
                    try await persist(checkpoint, .durable)
                    state.update {
                        $0.trimmedRecords += lost
                        $0.checkpoint = checkpoint
                    }
                    continue
                }
                if entries.isEmpty {
                    try await settle(&group)
                    // Caught up: save once no record came for a moment (not between a record that
                    // is about to come and its delivery).
                    if await stream.waitForRecords(from: cursor + 1, timeout: Self.idleSaveDelay, durableOnly: durableOnly) {
                        continue
                    }
                    if !durableOnly && stream.durableEnd < checkpoint {
                        // Delivered before its fsync, which is slow: the checkpoint can be saved after it.
                        _ = await stream.waitForRecords(from: checkpoint, timeout: .seconds(1))
                    }
                    try await persist(checkpoint, .now)
                    _ = await stream.waitForRecords(from: cursor + 1, timeout: .seconds(1), durableOnly: durableOnly)
                    continue
                }
                if configuration.batchWindow > .zero && entries.count < readSize {
                    let deadline = ContinuousClock.now + configuration.batchWindow
                    while entries.count < readSize && ContinuousClock.now < deadline && !Task.isCancelled {
                        _ = await stream.waitForRecords(
                            from: entries.last!.offset + 1, timeout: deadline - .now, durableOnly: durableOnly)
                        do throws(StreamError) {
                            // Only what arrived since: the entries read so far are kept, not decoded again.
                            entries += try stream.read(
                                from: entries.last!.offset + 1, maxRecords: readSize - entries.count,
                                durableOnly: durableOnly, position: &readPosition)
                        } catch {
                            guard error.code == .recordsTrimmed else { throw error }
                            break  // trimmed since read: deliver what was read; the next read reports the gap
                        }
                    }
                }
                let last = entries.last!
                let batch = try prepare(&entries)
                try await settle(&group)
                group.addTask { try await self.deliver(batch) }
                inFlight = last
                cursor = last.offset
            }
            try await settle(&group)
        }
    }

    /// Filters, transforms and renders a batch of entries into the items to deliver. The entries are
    /// consumed (their records move into the items, uncopied); `entries` is empty afterwards.
    func prepare(_ entries: inout [StreamLog.Entry]) throws -> PreparedBatch {
        var batch = PreparedBatch(capacity: entries.count)
        var filtered = 0
        // A sink that applies records (the Postgres replica) needs no JSON unless a filter or a
        // function does; it is then rendered only for what gets dead-lettered.
        let render = configuration.filter != nil || !functions.isEmpty || (sink?.needsJSON ?? true)
        // Whether the last relation seen is one of the pipeline's tables (runs of one table are the
        // rule: the name is matched once per run, not per record).
        var lastRelation: ObjectIdentifier?
        var lastMatches = false
        // From the end, so each entry is moved out of the array rather than copied; reversed after.
        while !entries.isEmpty {
            let entry = entries.removeLast()
            let relation = ObjectIdentifier(entry.record.relation)
            if relation != lastRelation {
                lastRelation = relation
                lastMatches = configuration.tables.matchesTable(entry.record.relation.qualifiedName)
            }
            guard lastMatches, entry.record.pipeline == nil || entry.record.pipeline == configuration.name else {
                filtered += 1
                continue
            }
            let (offset, appendedAt) = (entry.offset, entry.appendedAt)
            var record = (consume entry).record
            if !configuration.transforms.isEmpty { configuration.transforms.apply(to: &record) }
            var json: [UInt8] = []  // no buffer at all when nothing is rendered
            if render {
                var writer = JSONWriter()
                configuration.renderer.render(record, into: &writer)
                json = writer.bytes
            }
            if let filter = configuration.filter, !filter.matches(try JSONValue.parse(json)) {
                filtered += 1
                continue
            }
            batch.append(offset: offset, item: SinkItem(record: consume record, json: json), appendedAt: appendedAt)
        }
        batch.reverse()
        state.update { $0.filtered += UInt64(filtered) }
        return batch
    }

    /// Delivers prepared items: in order, or in `parallelization` lanes by key.
    func deliver(_ batch: PreparedBatch) async throws {
        guard !batch.isEmpty else { return }
        let lanes = configuration.parallelization
        if lanes <= 1 {
            for chunk in batch.chunked(configuration.batchSize) { try await deliver(chunk, lane: 0) }
            return
        }
        // parallelization > 1: records with the same key go to the same lane, in order; lanes run
        // concurrently; the checkpoint moves once every lane has finished.
        var byLane = [PreparedBatch](repeating: PreparedBatch(), count: lanes)
        for i in 0..<batch.count {
            byLane[Self.lane(of: batch.items[i], lanes: lanes)].append(
                offset: batch.offsets[i], item: batch.items[i], appendedAt: batch.appendedAt[i])
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (lane, laneItems) in byLane.enumerated() where !laneItems.isEmpty {
                group.addTask {
                    for chunk in laneItems.chunked(self.configuration.batchSize) { try await self.deliver(chunk, lane: lane) }
                }
            }
            try await group.waitForAll()
        }
    }

    /// The lane of an item: a stable hash of its table and key values (FNV-1a), so one key always
    /// maps to one lane.
    static func lane(of item: SinkItem, lanes: Int) -> Int {
        guard let record = item.record else { return 0 }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ bytes: some Sequence<UInt8>) {
            for byte in bytes {
                hash ^= UInt64(byte)
                hash &*= 0x100_0000_01b3
            }
            hash ^= 0xff
            hash &*= 0x100_0000_01b3
        }
        mix(record.relation.qualifiedName.utf8)
        for position in 0..<record.keyValueCount {
            switch record.keyValue(at: position) {
            case .text(let bytes): mix(bytes)
            case .null, .unchangedToast: mix([0])
            }
        }
        return Int(hash % UInt64(lanes))
    }

    private func deliver(_ batch: PreparedBatch, lane: Int) async throws {
        var remaining = batch
        var attempt = 0
        let firstAttempt = Date()  // formatted only if something is dead-lettered
        while true {
            attempt += 1
            let started = ContinuousClock.now
            do {
                try await process(remaining.items, lane: lane)
                recordAttempt(since: started, failed: false)
                state.update {
                    $0.delivered += UInt64(remaining.count)
                    $0.state = .running
                }
                return
            } catch {
                recordAttempt(since: started, failed: true)
                state.update {
                    $0.lastError = error.message
                    $0.retried += 1
                }
                if error.rewind { throw error }  // `run()` delivers again from the saved checkpoint
                if error.disablesPipeline {
                    state.update { $0.state = .disabled }
                    logger.error("pipeline disabled", metadata: ["cdc.error": "\(error.message)"])
                    throw PipelineDisabled(pipeline: configuration.name, reason: error.message)
                }
                // ReportBatchItemFailures: everything before the lowest failed item was delivered.
                if !error.failedSequenceNumbers.isEmpty,
                    let lowest = remaining.items.firstIndex(where: { error.failedSequenceNumbers.contains($0.sequenceNumber) })
                {
                    state.update { $0.delivered += UInt64(lowest) }
                    remaining = remaining.suffix(from: lowest)
                }
                // A non-retryable failure that names its items (a row the replica rejects, a 4xx for
                // one record): retrying cannot help them, so they are dead-lettered at once and the
                // rest of the batch goes on.
                if !error.retryable && !error.failedSequenceNumbers.isEmpty {
                    let failed = Set(error.failedSequenceNumbers)
                    let items = remaining.items
                    let dead = remaining.filter { failed.contains(items[$0].sequenceNumber) }
                    if !dead.isEmpty {
                        try deadLetter(dead, error: error.message, attempts: attempt, firstAttempt: firstAttempt)
                        remaining = remaining.filter { !failed.contains(items[$0].sequenceNumber) }
                        if remaining.isEmpty { return }
                        attempt = 0
                        continue
                    }
                }
                if configuration.retry.bisectOnError && remaining.count > 1 && error.retryable {
                    let middle = remaining.count / 2
                    logger.warning(
                        "batch failed, bisecting", metadata: ["cdc.error": "\(error.message)", "cdc.batch_size": "\(remaining.count)"])
                    try await deliver(remaining[0..<middle], lane: lane)
                    try await deliver(remaining.suffix(from: middle), lane: lane)
                    return
                }
                let oldest = remaining.appendedAt.min() ?? 0
                let age = StreamLog.wallClockMicroseconds() - oldest
                let exhausted =
                    !error.retryable
                    || (configuration.retry.maxAttempts.map { attempt >= $0 } ?? false)
                    || (configuration.retry.maxRecordAgeMicros.map { age > $0 } ?? false)
                if exhausted {
                    try deadLetter(remaining, error: error.message, attempts: attempt, firstAttempt: firstAttempt)
                    return
                }
                let delay = error.retryAfter ?? configuration.retry.backoff.delay(afterAttempt: attempt)
                logger.warning(
                    "delivery failed, retrying",
                    metadata: ["cdc.error": "\(error.message)", "cdc.attempt": "\(attempt)", "cdc.retry_in": "\(delay)"])
                state.update { $0.state = .retrying }
                try await Task.sleep(for: delay)
            }
        }
    }

    /// Stops the function processes (the sink is closed by its owner).
    public func close() async {
        for function in functions { await function.close() }
    }

    /// One attempt at a batch: the function (if any) maps it, the sink (if any) takes the result.
    ///
    /// A function's failure (crash, timeout, junk reply, handler error) fails the attempt as
    /// retryable; its `batchItemFailures` fail the attempt from the lowest failed item on, after the
    /// output for the batch was written (ReportBatchItemFailures).
    private func process(_ items: [SinkItem], lane: Int, replay: Bool = false) async throws(SinkError) {
        var output = items
        var failures: [String] = []
        if !functions.isEmpty {
            let function = functions[lane % functions.count]
            let result: FunctionResult
            do {
                result = try await function.invoke(items.map(\.json))
            } catch {
                throw SinkError(retryable: true, message: error.message)
            }
            failures = result.failedItemIdentifiers
            if let records = result.records {
                let sequence = items.last?.sequenceNumber ?? ""
                output = records.map { SinkItem(sequenceNumber: sequence, record: nil, json: $0) }
            }
        }
        if let sink, !output.isEmpty {
            if replay { try await sink.writeReplayed(output) } else { try await sink.write(output) }
        }
        if !failures.isEmpty {
            throw SinkError(
                retryable: true, failedSequenceNumbers: failures,
                message: "the function reported \(failures.count) failed items (batchItemFailures)")
        }
    }

    private func deadLetter(_ items: PreparedBatch, error: String, attempts: Int, firstAttempt: Date) throws {
        let now = Self.timestamp()
        let firstAttempt = Self.timestamp(firstAttempt)
        try deadLetters.append(
            items.items.indices.map { i in
                DeadLetterQueue.Entry(
                    streamOffset: items.offsets[i], sequenceNumber: items.items[i].sequenceNumber,
                    item: json(of: items.items[i]),
                    error: error, attempts: attempts, firstAttempt: firstAttempt, lastAttempt: now)
            })
        state.update { $0.deadLettered += UInt64(items.count) }
        logger.error(
            "records sent to the dead-letter queue",
            metadata: ["cdc.error": "\(error)", "cdc.count": "\(items.count)", "cdc.attempts": "\(attempts)"])
    }

    /// An item's JSON as delivered, rendered now if the batch went without it.
    private func json(of item: SinkItem) -> JSONValue {
        var bytes = item.json
        if bytes.isEmpty, let record = item.record {
            var writer = JSONWriter()
            configuration.renderer.render(record, into: &writer)
            bytes = writer.bytes
        }
        return (try? JSONValue.parse(bytes)) ?? .string(String(decoding: bytes, as: UTF8.self))
    }

    /// Delivers every dead-lettered item again (`cdcd dlq replay`); on success the queue is emptied.
    public func replayDeadLetters() async throws -> Int {
        let entries = try deadLetters.list()
        guard !entries.isEmpty else { return 0 }
        // The captured record comes back from the stream while it is retained (the Postgres
        // replica applies records, not JSON).
        let items = entries.map { entry in
            let record = (try? stream.read(from: entry.streamOffset, maxRecords: 1))?.first
                .flatMap { $0.offset == entry.streamOffset ? $0.record : nil }
            return SinkItem(sequenceNumber: entry.sequenceNumber, record: record, json: entry.item.jsonBytes)
        }
        try await process(items, lane: 0, replay: true)
        try await sink?.flush()  // durable before they leave the queue
        // Only what was replayed: the running pipeline may have dead-lettered more meanwhile.
        try deadLetters.removeFirst(entries.count)
        return entries.count
    }

    /// RFC 3339 with fractional seconds (dead-letter entries; not on the delivery path: a formatter
    /// costs more to create than a batch of records to render).
    static func timestamp(_ date: Date = Date()) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }
}

/// A pipeline stopped by its sink (410 Gone, an unappliable schema change). Its checkpoint is kept.
public struct PipelineDisabled: Error, CustomStringConvertible {
    public var pipeline: String
    public var reason: String
    public var description: String { "pipeline \(pipeline) disabled: \(reason)" }
}
