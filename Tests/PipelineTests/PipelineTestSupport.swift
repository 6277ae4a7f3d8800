import CDCCore
import Foundation
import Logging
import Synchronization
import Testing

@testable import Capture

/// A throwaway directory holding a stream (`stream/`) and pipeline state (`state/`), removed on deinit.
final class Workspace: Sendable {
    let path: String

    init() {
        var template = Array("/tmp/cdcd-pipeline-XXXXXX".utf8CString)
        path = template.withUnsafeMutableBufferPointer { buffer in
            guard let made = mkdtemp(buffer.baseAddress!) else { fatalError("mkdtemp failed") }
            return String(cString: made)
        }
    }

    var streamDirectory: String { path + "/stream" }
    var stateDirectory: String { path + "/state" }

    /// The checkpoint a pipeline saved, read straight from its state directory.
    func savedCheckpoint(_ pipeline: String = "p") throws -> UInt64? {
        try CheckpointStore(directory: stateDirectory + "/pipelines/" + pipeline).load()
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// A clock the test moves by hand (microseconds since 1970), for the stream's append times.
final class ManualClock: Sendable {
    private let value: Mutex<Int64>
    init(_ start: Int64 = 1_800_000_000_000_000) { value = Mutex(start) }
    var now: Int64 { value.withLock { $0 } }
    func advance(seconds: Int64) { value.withLock { $0 += seconds * 1_000_000 } }
    var function: @Sendable () -> Int64 { { self.now } }
}

/// Records for three tables. The record built from `n` has key `n` and a sequence number that grows with
/// `n`, so tests name records by their key.
enum Rows {
    static func t(_ s: String) -> PgValue { .text(Array(s.utf8)) }

    static let orders = Relation(
        oid: 16384, schema: "public", name: "orders", replicaIdentity: .default,
        columns: [
            .init(name: "id", typeOID: 20, typeModifier: -1, kind: .integer, isReplicaIdentity: true),
            .init(name: "status", typeOID: 25, typeModifier: -1, kind: .text, isReplicaIdentity: false),
            .init(name: "total", typeOID: 1700, typeModifier: -1, kind: .numeric, isReplicaIdentity: false),
        ],
        keyIndexes: [0])

    static let customers = Relation(
        oid: 16390, schema: "public", name: "customers", replicaIdentity: .default,
        columns: [
            .init(name: "id", typeOID: 20, typeModifier: -1, kind: .integer, isReplicaIdentity: true),
            .init(name: "name", typeOID: 25, typeModifier: -1, kind: .text, isReplicaIdentity: false),
        ],
        keyIndexes: [0])

    static let auditLog = Relation(
        oid: 16400, schema: "audit", name: "log", replicaIdentity: .default,
        columns: [
            .init(name: "id", typeOID: 20, typeModifier: -1, kind: .integer, isReplicaIdentity: true),
            .init(name: "what", typeOID: 25, typeModifier: -1, kind: .text, isReplicaIdentity: false),
        ],
        keyIndexes: [0])

    static func record(_ n: Int, _ relation: Relation, _ values: [PgValue], event: EventName = .insert) -> ChangeRecord {
        ChangeRecord(
            eventName: event, relation: relation, database: "app", commitLSN: LSN(0x100_0000 + UInt64(n) * 64),
            index: 1, xid: 700 + UInt32(n), commitTime: 849_123_000_000_000 + Int64(n), keyValues: [t(String(n))],
            newValues: values)
    }

    static func order(_ n: Int, status: String = "new", event: EventName = .insert) -> ChangeRecord {
        record(n, orders, [t(String(n)), t(status), t("\(n).90")], event: event)
    }

    static func orders(_ keys: ClosedRange<Int>) -> [ChangeRecord] { keys.map { order($0) } }

    static func customer(_ n: Int) -> ChangeRecord { record(n, customers, [t(String(n)), t("customer \(n)")]) }

    static func audit(_ n: Int) -> ChangeRecord { record(n, auditLog, [t(String(n)), t("login")]) }

    /// An order whose `status` is 4 KiB long, so that a few of them fill a 4 KiB stream segment.
    static func bigOrder(_ n: Int) -> ChangeRecord {
        record(n, orders, [t(String(n)), t(String(repeating: "x", count: 4096)), t("1.00")])
    }

    /// The sequence number of the record built from `n`.
    static func sequenceNumber(_ n: Int) -> String { order(n).sequenceNumber }

    /// The key (`keys.id`) of a delivered item, from its record or else from its JSON.
    static func key(of item: SinkItem) -> Int? {
        if let key = item.record?.keyValues.first?.string.flatMap({ Int($0) }) { return key }
        return key(ofJSON: (try? JSONValue.parse(item.json)) ?? .null)
    }

    static func key(ofJSON value: JSONValue) -> Int? {
        guard case .number(let text)? = value["keys"]?["id"] else { return nil }
        return Int(text)
    }
}

/// A sink that records every batch it is handed and answers as its script says.
final class ScriptedSink: Sink {
    /// What one `write` call does.
    enum Answer: Sendable {
        case succeed
        case fail(SinkError)
        /// Waits this long, then succeeds; when the task is cancelled meanwhile it fails (retryable)
        /// at once, like a connection torn down by shutdown.
        case slow(Duration)
        /// Waits until `condition` holds (at most 10 s), then succeeds.
        case waitUntil(@Sendable () -> Bool)
    }

    /// One `write` call: what it was given, and whether it answered success.
    struct Call: Sendable {
        var keys: [Int]
        var sequenceNumbers: [String]
        var json: [[UInt8]]
        var succeeded = false
    }

    typealias Script = @Sendable (_ call: Int, _ keys: [Int]) -> Answer

    private let state: Mutex<(calls: [Call], script: Script)>

    /// `script` gets the 0-based number of the call and the keys of the batch.
    init(_ script: @escaping Script = { _, _ in .succeed }) {
        state = Mutex((calls: [], script: script))
    }

    func setScript(_ script: @escaping Script) { state.withLock { $0.script = script } }

    var calls: [Call] { state.withLock { $0.calls } }
    /// The keys of every batch received, in call order (failed calls included).
    var batches: [[Int]] { calls.map(\.keys) }
    /// The keys of every item of every batch answered with success, in order.
    var delivered: [Int] { calls.filter(\.succeeded).flatMap(\.keys) }

    func write(_ items: [SinkItem]) async throws(SinkError) {
        let keys = items.map { Rows.key(of: $0) ?? -1 }
        let (index, answer) = state.withLock { state -> (Int, Answer) in
            state.calls.append(Call(keys: keys, sequenceNumbers: items.map(\.sequenceNumber), json: items.map(\.json)))
            return (state.calls.count - 1, state.script(state.calls.count - 1, keys))
        }
        switch answer {
        case .succeed:
            break
        case .fail(let error):
            throw error
        case .slow(let duration):
            try? await Task.sleep(for: duration)
            if Task.isCancelled { throw SinkError(retryable: true, message: "interrupted by shutdown") }
        case .waitUntil(let condition):
            let deadline = ContinuousClock.now + .seconds(10)
            while !condition() && ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(5)) }
        }
        state.withLock { $0.calls[index].succeeded = true }
    }

    func close() async {}
}

extension SinkError {
    static func retryable(_ message: String = "503 Service Unavailable") -> SinkError {
        SinkError(retryable: true, message: message)
    }
    static func permanent(_ message: String = "400 Bad Request") -> SinkError {
        SinkError(retryable: false, message: message)
    }
}

/// Keeps every log message (level, text and metadata) for tests to check.
final class LogRecorder: Sendable {
    private let lines = Mutex<[String]>([])

    var messages: [String] { lines.withLock { $0 } }

    var logger: Logger {
        Logger(label: "pipeline-test") { _ in Handler(recorder: self) }
    }

    struct Handler: LogHandler {
        let recorder: LogRecorder
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let all = metadata.merging(event.metadata ?? [:]) { $1 }
            let rendered = all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            recorder.lines.withLock { $0.append("\(event.level) \(event.message) \(rendered)") }
        }
    }
}

extension Pipeline.RetryPolicy {
    /// Short backoffs, so that retries take milliseconds.
    static func fast(
        maxAttempts: Int? = nil, maxRecordAge: Duration? = nil, bisectOnError: Bool = false
    ) -> Pipeline.RetryPolicy {
        Pipeline.RetryPolicy(
            maxAttempts: maxAttempts,
            maxRecordAgeMicros: maxRecordAge.map {
                $0.components.seconds * 1_000_000 + $0.components.attoseconds / 1_000_000_000_000
            },
            bisectOnError: bisectOnError,
            backoff: Backoff(initial: .milliseconds(5), maximum: .milliseconds(20)))
    }
}

extension Pipeline {
    /// A pipeline named `p` (unless told) over `stream`, with fast retries.
    static func make(
        _ workspace: Workspace, stream: StreamLog, sink: any Sink, name: String = "p",
        tables: [TablePattern] = [], filter: RecordFilter? = nil, start: StartingPosition = .trimHorizon,
        batchSize: Int = 100, batchWindow: Duration = .zero, retry: RetryPolicy = .fast(),
        logger: Logger = Logger(label: "pipeline-test", factory: { _ in SwiftLogNoOpLogHandler() })
    ) throws -> Pipeline {
        try Pipeline(
            configuration: Configuration(
                name: name, tables: tables, filter: filter, startingPosition: start, batchSize: batchSize,
                batchWindow: batchWindow, retry: retry),
            stream: stream, sink: sink, stateDirectory: workspace.stateDirectory, logger: logger)
    }
}

/// The segment files of a stream directory, oldest first.
func segmentFiles(_ directory: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
        .filter { $0.hasSuffix(".log") }.sorted().map { directory + "/" + $0 }
}

/// Appends records and makes them durable (visible to pipelines).
func publish(_ stream: StreamLog, _ records: [ChangeRecord]) throws {
    try stream.append(records)
    try stream.sync()
}

/// Runs `pipeline` in a child task while `body` runs, then cancels it and returns how `run()` ended.
@discardableResult
func whileRunning(
    _ pipeline: Pipeline, _ body: () async throws -> Void
) async throws -> Result<Void, any Error> {
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await pipeline.run() }
        do {
            try await body()
        } catch {
            group.cancelAll()
            _ = await group.nextResult()
            throw error
        }
        group.cancelAll()
        return await group.nextResult() ?? .success(())
    }
}

/// Polls `condition` every few milliseconds until it holds or `timeout` passes; returns whether it held.
func eventually(timeout: Duration = .seconds(10), _ condition: () throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try condition() { return true }
        try? await Task.sleep(for: .milliseconds(5))
    }
    return try condition()
}

/// Parses a DLQ timestamp (RFC 3339 with fractional seconds).
func parseTimestamp(_ text: String) -> Date? {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    return formatter.date(from: text)
}
