import CDCCore
import Foundation
import Logging
import Metrics

/// Moves DynamoDB batches into the durable stream: append, fsync (group commit), and only then
/// save the shard positions (`ShardPositions`) — never a position past what is on disk.
public struct DynamoDBCaptureToStream: Sendable {
    public let source: DynamoDBSource
    public let stream: StreamLog
    /// The positions file (`<state_dir>/dynamodb-shards.json`).
    public let positionsPath: String
    let logger: Logger

    public init(source: DynamoDBSource, stream: StreamLog, positionsPath: String, logger: Logger) {
        self.source = source
        self.stream = stream
        self.positionsPath = positionsPath
        self.logger = logger
    }

    /// Where to resume `streamARN`: the saved positions, advanced by records the stream holds past
    /// the saved offset (appended before a crash, not yet saved), and the stream's last capture
    /// position. For `DynamoDBSource.Configuration.resume`.
    public static func resume(
        stream: StreamLog, positionsPath: String, streamARN: String
    ) throws -> (positions: ShardPositions, lastPosition: LSN) {
        var positions = try ShardPositions.load(path: positionsPath, streamARN: streamARN) ?? ShardPositions(streamARN: streamARN)
        let last = try stream.lastEntry()
        if let last {
            var from = max(positions.streamOffset.map { $0 + 1 } ?? 0, stream.firstOffset)
            while from <= last.offset {
                let entries = try stream.read(from: from, maxRecords: 1000)
                guard let end = entries.last else { break }
                positions.advance(with: entries.lazy.map(\.record))
                from = end.offset + 1
            }
            positions.streamOffset = last.offset
        }
        return (positions, last?.record.commitLSN ?? .zero)
    }

    /// Runs until the source stops or fails.
    public func run(groupRecords: Int = 20_000) async throws {
        var batches = source.batches().makeAsyncIterator()
        while let first = try await batches.next() {
            var positions = first.positions
            var appended = first.records.count
            var lastOffset = try stream.append(first.records)?.upperBound
            while appended < groupRecords, let more = source.nextBatchIfReady() {
                if let range = try stream.append(more.records) { lastOffset = range.upperBound }
                appended += more.records.count
                positions = more.positions
            }
            if appended > 0 {
                try stream.sync()
                Counter(label: CaptureToStream.capturedMetric).increment(by: appended)
            }
            if let lastOffset { positions.streamOffset = lastOffset }
            else if let last = try stream.lastEntry() { positions.streamOffset = last.offset }
            try positions.save(path: positionsPath)
        }
    }
}
