import CDCCore
import Foundation
import Testing

@testable import Capture

/// DynamoDB records in the stream: the typed images and identifiers survive the codec, and shard
/// positions advance from records read back.
@Suite("DynamoDB records in the stream")
struct DynamoDBRecordCodecTests {
    static func record(_ sequence: String, shard: String = "shard-1", position: UInt64 = 5) throws -> ChangeRecord {
        let mapper = DynamoDBRecordMapper(streamARN: "arn:s", tableName: "orders", keyAttributes: ["pk"], region: "eu-west-1")
        let raw = try JSONValue.parse(
            #"{"eventID":"id-\#(sequence)","eventName":"MODIFY","eventVersion":"1.1","awsRegion":"eu-west-1","eventSourceARN":"arn:s","dynamodb":{"ApproximateCreationDateTime":1795876049.853,"Keys":{"pk":{"N":"7"}},"NewImage":{"pk":{"N":"7"},"b":{"B":"AAE="},"l":{"L":[{"NULL":true}]}},"OldImage":{"pk":{"N":"7"}},"SequenceNumber":"\#(sequence)","SizeBytes":31,"StreamViewType":"NEW_AND_OLD_IMAGES"}}"#
        )
        return try mapper.map(raw, shardID: shard, position: LSN(position), index: 2)
    }

    @Test func roundTrip() throws {
        let record = try Self.record("300")
        let decoded = try StreamRecordCodec.decode(StreamRecordCodec.encode(record))
        #expect(decoded.dynamodb == record.dynamodb)
        #expect(decoded.sequenceNumber == "300")
        #expect(decoded.eventID == "id-300")
        #expect(decoded.position == record.position)
        #expect(decoded.keyValues == record.keyValues)
        #expect(decoded.newValues == record.newValues)
        #expect(decoded.oldValues == record.oldValues)
        #expect(decoded.relation.qualifiedName == "dynamodb.orders")
        let renderer = RecordRenderer(format: .dynamodb)
        #expect(renderer.renderLine(decoded) == renderer.renderLine(record))
    }

    @Test func positionsAdvanceFromRecords() throws {
        var positions = ShardPositions(streamARN: "arn:s", shards: ["done": .finished])
        positions.advance(with: [
            try Self.record("1", shard: "a"), try Self.record("2", shard: "b"), try Self.record("3", shard: "a"),
            try Self.record("9", shard: "done"),
        ])
        #expect(positions.shards == ["a": .after("3"), "b": .after("2"), "done": .finished])
        positions.streamOffset = 12
        #expect(ShardPositions.decode(positions.encoded()) == positions)
    }

    /// A crash after the stream's fsync and before the positions file was saved: on restart the
    /// records the stream holds past the saved offset advance the positions, so they are not read
    /// from DynamoDB (and stored) twice.
    @Test func resumeAdvancesPastWhatTheStreamHolds() throws {
        let dir = TemporaryDirectory("ddb-resume")
        let log = try StreamLog(directory: dir.stream)
        let positionsPath = dir.path + "/dynamodb-shards.json"
        let first = try #require(try log.append([try Self.record("10", shard: "a", position: 100)]))
        try log.sync()
        try ShardPositions(streamARN: "arn:s", streamOffset: first.upperBound, shards: ["a": .after("10")])
            .save(path: positionsPath)
        // Appended and synced, positions not saved (the crash).
        try log.append([
            try Self.record("11", shard: "a", position: 101), try Self.record("7", shard: "b", position: 101),
        ])
        try log.sync()
        let resumed = try DynamoDBCaptureToStream.resume(stream: log, positionsPath: positionsPath, streamARN: "arn:s")
        #expect(resumed.positions.shards == ["a": .after("11"), "b": .after("7")])
        #expect(resumed.lastPosition == LSN(101))
        // Another stream's positions do not count (the table's stream was re-enabled).
        let other = try DynamoDBCaptureToStream.resume(stream: log, positionsPath: positionsPath, streamARN: "arn:other")
        #expect(other.positions.shards.isEmpty)
        // No file at all: the whole stream is the record of what was captured.
        try FileManager.default.removeItem(atPath: positionsPath)
        let fresh = try DynamoDBCaptureToStream.resume(stream: log, positionsPath: positionsPath, streamARN: "arn:s")
        #expect(fresh.positions.shards == ["a": .after("11"), "b": .after("7")])
        try log.close()
    }

    @Test(arguments: [
        (400, "LimitExceededException", DynamoDBError.Code.throttled),
        (400, "ProvisionedThroughputExceededException", .throttled),
        (400, "ThrottlingException", .throttled),
        (400, "ExpiredIteratorException", .expiredIterator),
        (400, "TrimmedDataAccessException", .trimmed),
        (400, "ResourceNotFoundException", .notFound),
        (400, "UnrecognizedClientException", .rejected),
        (403, "AccessDeniedException", .rejected),
        (500, "InternalServerError", .throttled),
        (503, "", .unavailable),
        (429, "", .throttled),
    ])
    func errorAnswersAreClassified(status: Int, type: String, code: DynamoDBError.Code) {
        let body = Array(#"{"__type":"com.amazonaws.dynamodb.v20120810#\#(type)","message":"details"}"#.utf8)
        let error = DynamoDBError.answer(operation: "GetRecords", what: "stream arn:s shard s-1", status: status, body: type.isEmpty ? [] : body)
        #expect(error.code == code)
        #expect(error.isRetryable == (code == .throttled || code == .unavailable))
        #expect(error.message.hasPrefix("GetRecords stream arn:s shard s-1: HTTP \(status)"))
    }
}
