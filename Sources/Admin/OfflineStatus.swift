import CDCConfig
import Capture
import Foundation
import LibPQ

/// `cdcd status` when the daemon is not running: what the state directory and the source say —
/// each pipeline's saved checkpoint, lag behind the stream and DLQ size, and the slot's lag.
///
/// Reads only: checkpoints and DLQs are read as files; the stream is opened (which takes its lock,
/// so this fails cleanly if a daemon does hold it) only when it exists.
public enum OfflineStatus {
    public static func read(_ configuration: CDCDConfiguration) -> DaemonStatus {
        var source = DaemonStatus.Source(server: "?", slot: "?")
        if case .postgres(let postgres) = configuration.source {
            source = DaemonStatus.Source(
                server: (try? ConnectionString(postgres.url))?.redacted ?? "?", slot: postgres.slot)
            let lag: SlotLag
            do {
                lag = SlotLag.readOnce(try ConnectionString(postgres.url), slot: postgres.slot)
            } catch {
                lag = SlotLag(error: "\(error)")
            }
            source.slotLagBytes = lag.bytes
            source.slotActive = lag.active
            source.confirmedLSN = lag.confirmedLSN
            source.slotError = lag.error
        }
        if case .dynamodb(let dynamodb) = configuration.source {
            switch dynamodb.stream {
            case .arn(let arn): source = DaemonStatus.Source(server: arn, slot: "")
            case .table(let table): source = DaemonStatus.Source(server: "dynamodb table \(table)", slot: "")
            }
        }
        let streamDirectory = configuration.stateDirectory + "/stream"
        var stream: StreamLog?
        var streamError: String?
        if FileManager.default.fileExists(atPath: streamDirectory) {
            do {
                stream = try StreamLog(directory: streamDirectory)
            } catch {
                streamError = "cannot open the stream: \(error)"
            }
        }
        defer { try? stream?.close() }
        let now = StreamLog.wallClockMicroseconds()
        let pipelines = configuration.pipelines.map { pipeline in
            let directory = configuration.stateDirectory + "/pipelines/" + pipeline.name
            let saved = (try? String(contentsOfFile: directory + "/checkpoint", encoding: .utf8))
                .flatMap { UInt64($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            var entry = DaemonStatus.PipelineEntry(
                name: pipeline.name, state: saved == nil ? "new" : "stopped", checkpoint: saved ?? 0,
                dlqSize: DaemonMonitor.countLines(atPath: directory + "/dlq.jsonl"))
            if let stream, let saved {
                entry.lag = stream.durableEnd > saved ? stream.durableEnd - saved : 0
                entry.iteratorAgeMillis = DaemonMonitor.iteratorAge(stream, checkpoint: saved, now: now)
            }
            entry.lastError = streamError
            return entry
        }
        let streamStatus = stream.map {
            DaemonStatus.Stream(
                firstOffset: $0.firstOffset, lastOffset: $0.durableEnd, bytes: $0.totalBytes, segments: $0.segmentCount)
        }
        var status = DaemonStatus(running: false, source: source, stream: streamStatus, pipelines: pipelines)
        status.reasons = ["the daemon is not running"]
        return status
    }
}
