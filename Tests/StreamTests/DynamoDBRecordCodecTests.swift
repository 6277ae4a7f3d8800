import CDCCore
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
}
