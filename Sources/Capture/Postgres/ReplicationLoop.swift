import CDCCore
import Foundation
import LibPQ
import Logging

/// The body of the capture thread: connect, set up publication and slot, stream, reconnect.
///
/// Not `Sendable`: it owns the libpq connections and lives and dies on its one thread. Only
/// `CaptureBatch` values leave it (through the source's bounded channel).
final class ReplicationLoop {
    private let source: PostgresSource
    private let configuration: PostgresSource.Configuration
    private var logger: Logger

    private var catalog: SourceCatalog?
    private var replication: PostgresConnection?
    // `@exclusivity(unchecked)` on the two properties every change modifies: the loop is used by
    // one thread and the compiler checks its accesses statically; the runtime check per change
    // (`assembler.apply(_:into: &pending)`) only cost time.
    @exclusivity(unchecked) private var assembler = ChangeAssembler(database: "")

    /// Records assembled but not yet handed to the consumer.
    @exclusivity(unchecked) private var pending: [ChangeRecord] = []
    /// End LSN of the last transaction with records in `pending` (or in batches already sent).
    private var pendingAcknowledge: LSN?
    private var transactionHasRecords = false
    /// The last record handed out: after a reconnect, records up to it are not handed out again.
    private var deliveredUpTo: (lsn: LSN, index: UInt32) = (.zero, 0)
    /// Highest `acknowledgeLSN` handed out; the consumer has caught up when it acknowledged it.
    private var highestHandedOut = LSN.zero
    /// End of the last completed transaction (with or without records).
    private var highestCommitEnd = LSN.zero
    /// Latest position from a keepalive (everything before it was sent and processed).
    private var keepalivePosition = LSN.zero
    private var received = LSN.zero
    private var reportedFlush = LSN.zero
    private var lastStatus = ContinuousClock.now
    /// Whether to hand out what is pending now or collect more (`Configuration.handOffInterval`).
    private var pacer: HandOffPacer
    private var reachedEnd = false
    private var hasStreamed = false
    private var createdPublication = false
    private var warnedKeyless: Set<String> = []
    /// The connection heartbeats are written on (opened when the first is due, dropped on an error).
    private var heartbeatConnection: PostgresConnection?
    private var lastHeartbeat = ContinuousClock.now
    /// The backfill in progress (`cdcd snapshot`), its connection, and the open transaction's Begin
    /// (a high watermark's rows take its commit LSN).
    private var backfill: Backfill?
    private var backfillConnection: PostgresConnection?
    private var lastBackfillPoll = ContinuousClock.now
    private var currentBegin: PgOutputMessage.Begin?
    private var database = ""

    init(source: PostgresSource) {
        self.source = source
        self.configuration = source.configuration
        pacer = HandOffPacer(
            interval: configuration.handOffInterval, batchingRate: configuration.handOffBatchingRate,
            batchingRecordRate: configuration.handOffBatchingRecordRate, readPause: configuration.handOffReadPause,
            now: .now)
        self.logger = source.logger
        logger[metadataKey: "cdc.slot"] = .string(configuration.slot)
        logger[metadataKey: "cdc.source"] = .string(configuration.connection.redacted)
        pending.reserveCapacity(configuration.maxBatchRecords)
        if let skip = configuration.skipThrough { deliveredUpTo = skip }
    }

    private struct Stopped: Error {}

    func run() {
        var delay = configuration.reconnectDelay.first
        var failure: (any Error)?
        while !source.isStopping && !reachedEnd {
            do {
                try connectAndStream()
            } catch is Stopped {
                break
            } catch {
                let retryable = hasStreamed && error is PostgresError
                if !retryable || source.isStopping {
                    if !source.isStopping { failure = error }
                    break
                }
                logger.warning(
                    "replication connection lost, reconnecting",
                    metadata: ["cdc.error": "\(error)", "cdc.retry_in_s": "\(delay)"])
                source.state.setStreaming(false)
                closeConnections(sendFinalStatus: false)
                resetAfterDisconnect()
                if !sleep(delay) { break }
                delay = min(delay * 2, configuration.reconnectDelay.max)
                continue
            }
        }
        source.state.setStreaming(false)
        closeConnections(sendFinalStatus: failure == nil)
        if configuration.dropPublicationOnExit && createdPublication { dropPublication() }
        source.channel.finish(throwing: failure)
    }

    // MARK: setup

    private func connectAndStream() throws {
        let catalogConnection = try PostgresConnection(configuration.connection)
        let catalog = SourceCatalog(catalogConnection)
        self.catalog = catalog
        _ = try catalog.checkWalLevel()
        let database = try catalog.currentDatabase()
        self.database = database
        if !hasStreamed {
            try catalog.checkTablesExist(configuration.tables)
            for pattern in configuration.tables {
                guard let name = pattern.exactName else { continue }
                let table = try catalog.table(schema: name.schema, name: name.table)
                if let table, !table.hasPrimaryKey && table.replicaIdentity != "f" && table.replicaIdentity != "i" {
                    warnKeyless(pattern.text)
                }
            }
            if try catalog.ensurePublication(configuration.publication, tables: configuration.tables) {
                createdPublication = true
                logger.info("created publication", metadata: ["cdc.publication": "\(configuration.publication)"])
            }
        }
        let replication = try PostgresConnection(configuration.connection, replication: true)
        self.replication = replication
        pacer.connected()
        let exported = try prepareSlot(catalog, replication)
        if !hasStreamed, let plan = configuration.snapshot {
            try takeSnapshot(plan, exported: exported, catalog: catalog, database: database)
        }
        let publication = SQL.literal(SQL.identifier(configuration.publication))
        // 0/0: start at the slot's confirmed_flush_lsn (what was acknowledged as durable).
        try replication.startCopyBoth(
            "START_REPLICATION SLOT \(SQL.identifier(configuration.slot)) LOGICAL 0/0 "
                + "(proto_version '1', publication_names \(publication), messages 'true')")
        assembler = ChangeAssembler(database: database)
        if hasStreamed { logger.info("replication resumed") }
        hasStreamed = true
        source.state.setStreaming(true)
        try stream(replication)
    }

    /// Creates the slot unless it exists. With a snapshot to take, a new slot exports its snapshot:
    /// its name and consistent point are returned (valid until the next command on `replication`).
    private func prepareSlot(_ catalog: SourceCatalog, _ replication: PostgresConnection) throws
        -> (name: String, consistentPoint: LSN)?
    {
        let slot = SQL.identifier(configuration.slot)
        if configuration.temporarySlot {
            if hasStreamed {
                logger.warning(
                    "the temporary slot was lost with the connection; changes made while disconnected are not captured (use a named slot to resume without loss)"
                )
            }
            try replication.execute("CREATE_REPLICATION_SLOT \(slot) TEMPORARY LOGICAL pgoutput (SNAPSHOT 'nothing')")
            return nil
        }
        if let existing = try catalog.slot(configuration.slot) {
            guard existing.plugin == "pgoutput" else {
                throw CaptureError(
                    code: .sourceNotReady,
                    message:
                        "replication slot \(configuration.slot) on \(catalog.server) uses plugin \(existing.plugin), not pgoutput; drop it or choose another slot name"
                )
            }
            if existing.active {
                throw PostgresError(
                    code: .queryFailed,
                    message: "replication slot \(configuration.slot) is in use by another process",
                    server: catalog.server)
            }
            return nil
        }
        do {
            let export = configuration.snapshot != nil && !hasStreamed
            let created = try replication.execute(
                "CREATE_REPLICATION_SLOT \(slot) LOGICAL pgoutput (SNAPSHOT '\(export ? "export" : "nothing")')")
            logger.info("created replication slot")
            if export, let name = created.value(0, "snapshot_name"),
                let point = created.value(0, "consistent_point").flatMap({ LSN(string: $0) })
            {
                return (name, point)
            }
            return nil
        } catch {
            guard error.sqlState == "53400" else { throw error }
            throw CaptureError(
                code: .sourceNotReady,
                message:
                    "cannot create replication slot \(configuration.slot) on \(catalog.server): all replication slots are in use (raise max_replication_slots or drop unused slots)"
            )
        }
    }

    /// `snapshot: initial`: hands the published tables' rows out before streaming starts, then a
    /// batch marking the snapshot complete.
    private func takeSnapshot(
        _ plan: SnapshotPlan, exported: (name: String, consistentPoint: LSN)?, catalog: SourceCatalog, database: String
    ) throws {
        var consistentPoint = exported?.consistentPoint ?? .zero
        if exported == nil {
            let confirmed = try catalog.connection.execute(
                "SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = $1", [configuration.slot]
            ).scalar
            consistentPoint = confirmed.flatMap { LSN(string: $0) } ?? .zero
        }
        logger.info(
            plan.resumeAfter == nil ? "initial snapshot starting" : "initial snapshot resuming",
            metadata: ["cdc.consistent_point": "\(consistentPoint)", "cdc.resume_table": "\(plan.resumeAfter?.table ?? "")"])
        let snapshot = InitialSnapshot(
            connection: configuration.connection, publication: configuration.publication, database: database)
        let rows = try snapshot.run(
            start: exported.map { .exported(name: $0.name) } ?? .fresh, consistentPoint: consistentPoint,
            resume: plan.resumeAfter, catalog: catalog
        ) { records in try self.hand(CaptureBatch(records: records, acknowledgeLSN: nil)) }
        var done = CaptureBatch(records: [], acknowledgeLSN: nil)
        done.snapshotComplete = true
        try hand(done)
        logger.info("initial snapshot done", metadata: ["cdc.rows": "\(rows)"])
    }

    /// Hands a batch to the consumer outside streaming (no status updates are due then).
    private func hand(_ batch: CaptureBatch) throws {
        while true {
            switch source.channel.send(batch, timeout: 1) {
            case .sent: return
            case .timedOut: if source.isStopping { throw Stopped() }
            case .cancelled: throw Stopped()
            }
        }
    }

    // MARK: streaming

    private func stream(_ connection: PostgresConnection) throws {
        var sinceStatusCheck = 0
        let socket = StreamSocket.prepare(connection)
        while true {
            if source.isStopping { throw Stopped() }
            let status = try connection.readCopyData { bytes in try self.handle(bytes) }
            switch status {
            case .message:
                sinceStatusCheck += 1
                if sinceStatusCheck >= 256 {
                    sinceStatusCheck = 0
                    try sendStatusIfDue()
                    heartbeatIfDue()
                    try backfillStepIfDue()
                }
                if reachedEnd {
                    try flushPending()
                    return
                }
            case .wouldBlock:
                if let wait = handOffWait() {
                    // Changes are streaming in: collect what arrives until the batch is due.
                    if let pause = pacer.pause(within: wait) {
                        // A Unix socket holding bytes, or a loopback one nearly full, is read at
                        // once (see `StreamSocket`).
                        if !socket.readsAtOnce(unread: connection.unreadBytes) {
                            usleep(UInt32(clamping: pause.microseconds))
                        }
                        try connection.consumeInput()
                        pacer.paused(counters: connection.receiveCounters)
                        continue
                    }
                    if connection.waitReadable(milliseconds: Self.milliseconds(wait)) {
                        try connection.consumeInput()
                        continue
                    }
                }
                try flushPending()
                try sendStatusIfDue()
                heartbeatIfDue()
                try backfillStepIfDue()
                if reachedEnd { return }
                _ = connection.waitReadable(milliseconds: 100)
                try connection.consumeInput()
            case .done:
                throw PostgresError(
                    code: .connectionLost, message: "the server ended the replication stream",
                    server: connection.server)
            }
        }
    }

    private func handle(_ bytes: UnsafeRawBufferPointer) throws {
        // In place: the pgoutput message is decoded from libpq's buffer, not from a copy of it.
        switch try ReplicationMessage.view(bytes) {
        case .keepalive(let walEnd, _, let replyRequested):
            if walEnd > keepalivePosition { keepalivePosition = walEnd }
            if walEnd > received { received = walEnd }
            if replyRequested { try sendStatus() }
            if let end = configuration.endLSN, walEnd >= end, isIdle { reachedEnd = true }
        case .xLogData(let walStart, _, _, let payload):
            if walStart > received { received = walStart }
            let message = try PgOutputDecoder.decode(payload)
            let before = pending.count
            let event = try assembler.apply(message, into: &pending)
            if pending.count > before {
                if backfill?.merge != nil {
                    for index in before..<pending.count { backfill?.merge?.observe(pending[index]) }
                }
                admitNewRecords(from: before)
            }
            switch event {
            case .relation(let relationMessage):
                let relation = try catalog!.resolve(relationMessage)
                let included = configuration.tables.matchesTable(relation.qualifiedName)
                assembler.register(relation, included: included)
                if included && relation.keyIndexes.isEmpty { warnKeyless(relation.qualifiedName) }
            case .begin(let begin):
                transactionHasRecords = false
                currentBegin = begin
            case .message(let logical):
                if logical.prefix == Backfill.watermarkPrefix { watermark(logical) }
            case .commit(let commit):
                if commit.endLSN > highestCommitEnd { highestCommitEnd = commit.endLSN }
                if transactionHasRecords { pendingAcknowledge = commit.endLSN }
                if let end = configuration.endLSN, commit.endLSN >= end { reachedEnd = true }
            default:
                break
            }
            if pending.count >= configuration.maxBatchRecords { try flushPending() }
        }
    }

    /// Drops records that were already handed out before a reconnect.
    private func admitNewRecords(from start: Int) {
        let (lsn, index) = deliveredUpTo
        func isNew(_ record: borrowing ChangeRecord) -> Bool {
            record.commitLSN > lsn || (record.commitLSN == lsn && record.index > index)
        }
        // Once past what was handed out before a reconnect, every new record is new: check that
        // without building an array (this runs for every change).
        if lsn != .zero && !pending[start...].allSatisfy({ isNew($0) }) {
            pending.replaceSubrange(start..., with: pending[start...].filter { isNew($0) })
        }
        if pending.count > start { transactionHasRecords = true }
    }

    /// How long to collect more changes before handing out what is pending (`HandOffPacer`). Nil:
    /// hand out now.
    private func handOffWait() -> Duration? {
        guard !pending.isEmpty || pendingAcknowledge != nil, pending.count < configuration.maxBatchRecords else {
            return nil
        }
        return pacer.quietPoint(now: .now)
    }

    /// `duration` in whole milliseconds for `poll`, rounded up.
    private static func milliseconds(_ duration: Duration) -> Int32 {
        Int32(clamping: (duration.microseconds + 999) / 1000)
    }

    private func flushPending() throws {
        guard !pending.isEmpty || pendingAcknowledge != nil else { return }
        let batch = CaptureBatch(records: pending, acknowledgeLSN: pendingAcknowledge)
        while true {
            switch source.channel.send(batch, timeout: 1) {
            case .sent:
                pacer.handedOut(records: pending.count, now: .now)
                if let last = pending.last { deliveredUpTo = (last.commitLSN, last.index) }
                if let ack = pendingAcknowledge, ack > highestHandedOut { highestHandedOut = ack }
                pending.removeAll(keepingCapacity: true)
                pendingAcknowledge = nil
                return
            case .timedOut:
                // The consumer is slow: keep the server's wal_sender_timeout from firing.
                try sendStatusIfDue()
            case .cancelled:
                throw Stopped()
            }
        }
    }

    // MARK: status updates

    /// Nothing assembled, nothing open, everything handed out acknowledged.
    private var isIdle: Bool {
        pending.isEmpty && !assembler.inTransaction && source.acknowledgedLSN >= highestHandedOut
    }

    /// The position to report as flushed: what the consumer acknowledged, or, when idle, the end of
    /// everything received (so an idle or filtered slot does not pin WAL).
    private var confirmedPosition: LSN {
        var position = source.acknowledgedLSN
        if isIdle { position = max(position, highestCommitEnd, keepalivePosition) }
        return max(position, reportedFlush)
    }

    private func sendStatusIfDue() throws {
        let elapsed = ContinuousClock.now - lastStatus
        if elapsed >= .seconds(configuration.statusInterval)
            || (confirmedPosition > reportedFlush && elapsed >= .milliseconds(200))
        {
            try sendStatus()
        }
    }

    private func sendStatus() throws {
        guard let replication else { return }
        let flushed = confirmedPosition
        try replication.sendCopyData(
            StandbyStatusUpdate.encode(
                written: max(received, flushed), flushed: flushed, applied: flushed, clock: PostgresClock.now(),
                replyRequested: false))
        reportedFlush = flushed
        lastStatus = .now
        source.state.report(received: max(received, flushed), confirmed: flushed)
    }

    // MARK: heartbeats

    /// `heartbeat`: writes a transactional logical message when one is due. Its transaction comes
    /// back through the slot with no records, so once everything before it is acknowledged its
    /// commit is confirmed (`confirmedPosition`). A failure is logged and tried again next time:
    /// a heartbeat is never worth stopping capture for.
    private func heartbeatIfDue() {
        guard let interval = configuration.heartbeat, ContinuousClock.now - lastHeartbeat >= interval else { return }
        lastHeartbeat = .now
        do {
            if heartbeatConnection == nil {
                heartbeatConnection = try PostgresConnection(configuration.connection, applicationName: "cdcd-heartbeat")
            }
            try heartbeatConnection?.execute("SELECT pg_logical_emit_message(true, 'cdcd-heartbeat', '')")
        } catch {
            heartbeatConnection?.close()
            heartbeatConnection = nil
            logger.warning("heartbeat failed", metadata: ["cdc.error": "\(error)"])
        }
    }

    // MARK: backfills

    /// A watermark came through the stream: at its chunk's high watermark, the chunk's rows the
    /// stream did not change between the watermarks join the pending records, for one pipeline.
    private func watermark(_ message: PgOutputMessage.LogicalMessage) {
        guard let backfill, let begin = currentBegin else { return }
        let content = String(decoding: message.content, as: UTF8.self)
        guard var rows = backfill.merge?.watermark(content, commitLSN: begin.finalLSN, commitTime: begin.commitTime)
        else { return }
        backfill.merge = nil
        for index in rows.indices { rows[index].pipeline = backfill.pipeline }
        let before = pending.count
        pending.append(contentsOf: rows)
        admitNewRecords(from: before)
    }

    /// Between reads: picks up a request (at most once a second) or starts the next chunk once the
    /// last one's high watermark has come through; finishes the request after the last table.
    private func backfillStepIfDue() throws {
        guard let directory = configuration.backfillDirectory else { return }
        if backfill == nil {
            guard ContinuousClock.now - lastBackfillPoll >= .seconds(1) else { return }
            lastBackfillPoll = .now
            guard FileManager.default.fileExists(atPath: directory) else { return }
            do {
                let connection =
                    try backfillConnection
                    ?? PostgresConnection(configuration.connection, applicationName: "cdcd-backfill")
                backfillConnection = connection
                backfill = try Backfill.next(in: directory, publication: configuration.publication, connection: connection)
            } catch {
                logger.error("cannot start a backfill", metadata: ["cdc.error": "\(error)"])
                backfillConnection?.close()
                backfillConnection = nil
                return
            }
            if let backfill {
                logger.info(
                    "backfill starting",
                    metadata: [
                        "cdc.backfill": "\(backfill.id)", "cdc.pipeline": "\(backfill.pipeline)",
                        "cdc.tables": "\(backfill.tableNames.joined(separator: ", "))",
                    ])
            }
        }
        guard let backfill, backfill.merge == nil, let catalog, let connection = backfillConnection else { return }
        do {
            if try backfill.startNextChunk(connection, catalog: catalog, database: database) { return }
            backfill.finish()
            logger.info(
                "backfill done",
                metadata: ["cdc.backfill": "\(backfill.id)", "cdc.pipeline": "\(backfill.pipeline)", "cdc.rows_read": "\(backfill.rows)"])
        } catch {
            backfill.finish(failed: true)
            logger.error(
                "backfill failed", metadata: ["cdc.backfill": "\(backfill.id)", "cdc.error": "\(error)"])
        }
        self.backfill = nil
        backfillConnection?.close()
        backfillConnection = nil
    }

    // MARK: teardown

    private func closeConnections(sendFinalStatus: Bool) {
        if sendFinalStatus, let replication, !replication.isClosed {
            // Give the consumer a moment to acknowledge what it has, so a named slot resumes after it.
            let deadline = ContinuousClock.now + .seconds(2)
            while source.acknowledgedLSN < highestHandedOut && ContinuousClock.now < deadline && !source.isStopping {
                Thread.sleep(forTimeInterval: 0.01)
            }
            try? sendStatus()
            replication.endCopy()
        }
        replication?.close()
        replication = nil
        catalog?.connection.close()
        catalog = nil
        heartbeatConnection?.close()
        heartbeatConnection = nil
        backfillConnection?.close()
        backfillConnection = nil
    }

    private func resetAfterDisconnect() {
        // A backfill in progress starts over (its request file is still there).
        backfill = nil
        currentBegin = nil
        pending.removeAll(keepingCapacity: true)
        pendingAcknowledge = nil
        transactionHasRecords = false
        keepalivePosition = .zero
    }

    private func dropPublication() {
        do {
            let connection = try PostgresConnection(configuration.connection)
            try SourceCatalog(connection).dropPublication(configuration.publication)
            connection.close()
        } catch {
            logger.warning(
                "could not drop publication", metadata: ["cdc.publication": "\(configuration.publication)", "cdc.error": "\(error)"])
        }
    }

    private func warnKeyless(_ table: String) {
        guard warnedKeyless.insert(table).inserted else { return }
        logger.warning(
            "table \(table) has no primary key and REPLICA IDENTITY DEFAULT: its records have empty keys and the source rejects its UPDATEs and DELETEs; add a primary key or set REPLICA IDENTITY FULL",
            metadata: ["cdc.table": "\(table)"])
    }

    /// Sleeps in small steps; false when a stop was requested meanwhile.
    private func sleep(_ seconds: Double) -> Bool {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while ContinuousClock.now < deadline {
            if source.isStopping { return false }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return !source.isStopping
    }
}

