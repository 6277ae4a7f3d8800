import CDCCore
import Capture
import Foundation

/// The running daemon seen from outside: builds `DaemonStatus` snapshots from the source, the
/// stream, the pipelines and the slot lag probe, without touching their hot paths (each of them
/// keeps its own counters under a lock; this only reads them).
public final class DaemonMonitor: Sendable {
    let source: PostgresSource?
    let dynamodb: DynamoDBSource?
    let stream: StreamLog
    let pipelines: [Pipeline]
    let slotLag: SlotLagProbe?

    public init(source: PostgresSource, stream: StreamLog, pipelines: [Pipeline], slotLag: SlotLagProbe?) {
        self.source = source
        self.dynamodb = nil
        self.stream = stream
        self.pipelines = pipelines
        self.slotLag = slotLag
    }

    /// A monitor for a daemon capturing a DynamoDB stream (`source.server` names the stream).
    public init(dynamodb: DynamoDBSource, stream: StreamLog, pipelines: [Pipeline]) {
        self.source = nil
        self.dynamodb = dynamodb
        self.stream = stream
        self.pipelines = pipelines
        self.slotLag = nil
    }

    /// The pipelines' names, in config order.
    public var pipelineNames: [String] { pipelines.map(\.configuration.name) }

    /// A consistent-enough picture of everything now (each part is read under its own lock).
    public func snapshot() -> DaemonStatus {
        var sourceStatus: DaemonStatus.Source
        if let source {
            sourceStatus = DaemonStatus.Source(
                server: source.configuration.connection.redacted, slot: source.configuration.slot)
            sourceStatus.streaming = source.isStreaming
        } else if let dynamodb {
            var name = dynamodb.streamARN ?? ""
            if case .table(let table) = dynamodb.configuration.stream {
                name = name.isEmpty ? "dynamodb table \(table)" : "dynamodb table \(table) (\(name))"
            }
            sourceStatus = DaemonStatus.Source(server: name, slot: "")
            sourceStatus.streaming = dynamodb.isStreaming
        } else {
            sourceStatus = DaemonStatus.Source(server: "", slot: "")
        }
        let positions = source?.reportedPositions ?? (received: .zero, confirmed: .zero)
        if positions.received != .zero {
            sourceStatus.receivedLSN = positions.received.description
            sourceStatus.confirmedLSN = positions.confirmed.description
        }
        if let lag = slotLag?.latest {
            sourceStatus.slotLagBytes = lag.bytes
            sourceStatus.slotActive = lag.active
            sourceStatus.slotError = lag.error
            if sourceStatus.confirmedLSN == nil { sourceStatus.confirmedLSN = lag.confirmedLSN }
        }
        let end = stream.durableEnd
        let streamStatus = DaemonStatus.Stream(
            firstOffset: stream.firstOffset, lastOffset: end, bytes: stream.totalBytes, segments: stream.segmentCount)
        let now = StreamLog.wallClockMicroseconds()
        let entries = pipelines.map { pipeline in
            let status = pipeline.status
            var entry = DaemonStatus.PipelineEntry(
                name: pipeline.configuration.name, state: status.state.rawValue, checkpoint: status.checkpoint,
                dlqSize: Self.countLines(atPath: pipeline.deadLetters.path))
            entry.lag = end > status.checkpoint ? end - status.checkpoint : 0
            entry.iteratorAgeMillis = Self.iteratorAge(stream, checkpoint: status.checkpoint, now: now)
            entry.delivered = status.delivered
            entry.filtered = status.filtered
            entry.retried = status.retried
            entry.deadLettered = status.deadLettered
            entry.trimmedRecords = status.trimmedRecords
            entry.rewinds = status.rewinds
            entry.lastError = status.lastError
            return entry
        }
        var status = DaemonStatus(running: true, source: sourceStatus, stream: streamStatus, pipelines: entries)
        status.reasons = Readiness.reasons(status)
        status.ready = status.reasons.isEmpty
        return status
    }

    /// How long the oldest record a pipeline has not handled yet has been in the stream, in
    /// milliseconds (0 when the pipeline is caught up).
    static func iteratorAge(_ stream: StreamLog, checkpoint: UInt64, now: Int64) -> Int64 {
        guard stream.durableEnd > checkpoint else { return 0 }
        guard let next = try? stream.read(from: max(checkpoint + 1, stream.firstOffset), maxRecords: 1).first else {
            return 0
        }
        return max(0, (now - next.appendedAt) / 1000)
    }

    /// Lines in a file (0 when it does not exist): the DLQ holds one entry per line. Counts bytes
    /// without parsing, so a large queue stays cheap to report.
    public static func countLines(atPath path: String) -> Int {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return 0 }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 65536)
        var lines = 0
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { break }
            for i in 0..<n where buffer[i] == UInt8(ascii: "\n") { lines += 1 }
        }
        return lines
    }
}
