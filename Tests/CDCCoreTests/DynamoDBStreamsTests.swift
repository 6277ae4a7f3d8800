import Testing

@testable import CDCCore

/// The pure DynamoDB Streams parts: answers decoded from bytes, shard lineage, AttributeValues to
/// plain JSON, records mapped and rendered in both formats.
@Suite("DynamoDB Streams")
struct DynamoDBStreamsTests {
    static let arn = "arn:aws:dynamodb:us-east-1:123456789012:table/orders/stream/2026-11-28T00:00:00.000"

    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test func describeStreamPage() throws {
        let body = Self.bytes(
            #"""
            {"StreamDescription":{"StreamArn":"\#(Self.arn)","StreamStatus":"ENABLED","StreamViewType":"NEW_IMAGE",
             "TableName":"orders","KeySchema":[{"AttributeName":"sk","KeyType":"RANGE"},{"AttributeName":"pk","KeyType":"HASH"}],
             "Shards":[{"ShardId":"shard-1","SequenceNumberRange":{"StartingSequenceNumber":"100","EndingSequenceNumber":"200"}},
                       {"ShardId":"shard-2","ParentShardId":"shard-1","SequenceNumberRange":{"StartingSequenceNumber":"300"}}],
             "LastEvaluatedShardId":"shard-2"}}
            """#)
        let d = try DynamoDBStreamsAPI.decodeStreamDescription(body)
        #expect(d.streamARN == Self.arn)
        #expect(d.tableName == "orders")
        #expect(d.keyAttributes == ["pk", "sk"])
        #expect(d.streamViewType == "NEW_IMAGE")
        #expect(
            d.shards == [
                .init(id: "shard-1", parentID: nil, endingSequenceNumber: "200"), .init(id: "shard-2", parentID: "shard-1"),
            ])
        #expect(d.lastEvaluatedShardID == "shard-2")
        #expect(throws: DynamoDBStreamsAPI.DecodingError.self) {
            try DynamoDBStreamsAPI.decodeStreamDescription(Self.bytes("<html>"))
        }
    }

    @Test func requestsAndOtherAnswers() throws {
        let request = DynamoDBStreamsAPI.getShardIterator(arn: "a", shardID: "s", start: .afterSequenceNumber("12"))
        #expect(request.target == "DynamoDBStreams_20120810.GetShardIterator")
        #expect(
            String(decoding: request.body, as: UTF8.self)
                == #"{"StreamArn":"a","ShardId":"s","ShardIteratorType":"AFTER_SEQUENCE_NUMBER","SequenceNumber":"12"}"#)
        #expect(
            String(decoding: DynamoDBStreamsAPI.describeStream(arn: "a", exclusiveStartShardID: "x").body, as: UTF8.self)
                == #"{"StreamArn":"a","ExclusiveStartShardId":"x"}"#)
        #expect(try DynamoDBStreamsAPI.decodeShardIterator(Self.bytes(#"{"ShardIterator":"it"}"#)) == "it")
        let records = try DynamoDBStreamsAPI.decodeRecords(Self.bytes(#"{"Records":[{"eventID":"1"}]}"#))
        #expect(records.records.count == 1)
        #expect(records.nextShardIterator == nil)  // a closed shard read to its end
        #expect(
            try DynamoDBStreamsAPI.decodeLatestStreamARN(
                Self.bytes(#"{"Table":{"TableName":"t","LatestStreamArn":"arn:x","StreamSpecification":{"StreamEnabled":true}}}"#))
                == "arn:x")
        #expect(
            try DynamoDBStreamsAPI.decodeLatestStreamARN(Self.bytes(#"{"Table":{"TableName":"t"}}"#)) == nil)
        let error = DynamoDBStreamsAPI.decodeError(
            Self.bytes(#"{"__type":"com.amazonaws.dynamodb.v20120810#ExpiredIteratorException","message":"Iterator expired"}"#))
        #expect(error.type == "ExpiredIteratorException")
        #expect(error.message == "Iterator expired")
        #expect(DynamoDBStreamsAPI.isThrottling("LimitExceededException"))
        #expect(DynamoDBStreamsAPI.isThrottling("ProvisionedThroughputExceededException"))
        #expect(!DynamoDBStreamsAPI.isThrottling("ResourceNotFoundException"))
    }

    // MARK: Lineage

    @Test func childShardsWaitForTheirParents() {
        let shards: [ShardLineage.Shard] = [
            .init(id: "c1", parentID: "p"), .init(id: "p", endingSequenceNumber: "9"), .init(id: "g", parentID: "c1"),
            .init(id: "c2", parentID: "p"), .init(id: "orphan", parentID: "trimmed-long-ago"),
        ]
        #expect(ShardLineage.readable(shards, finished: []).map(\.id) == ["p", "orphan"])
        #expect(ShardLineage.readable(shards, finished: ["p"]).map(\.id) == ["c1", "c2", "orphan"])
        #expect(ShardLineage.readable(shards, finished: ["p", "c1"]).map(\.id) == ["g", "c2", "orphan"])
        #expect(ShardLineage.readable(shards, finished: ["p", "c1", "c2", "g", "orphan"]).isEmpty)
        let ordered = ShardLineage.ordered(shards).map(\.id)
        #expect(Set(ordered) == Set(shards.map(\.id)))
        for shard in shards {
            if let parent = shard.parentID, let p = ordered.firstIndex(of: parent) {
                #expect(p < ordered.firstIndex(of: shard.id)!, "\(parent) before \(shard.id) in \(ordered)")
            }
        }
    }

    // MARK: AttributeValues

    @Test func attributeValuesToPlainJSON() throws {
        let typed = try JSONValue.parse(
            #"""
            {"s":{"S":"x"},"n":{"N":"12345678901234567890123456789012345678"},"f":{"N":"1.10"},"b":{"B":"3q2+7w=="},
             "t":{"BOOL":true},"z":{"NULL":true},"m":{"M":{"l":{"L":[{"N":"1"},{"S":"a"}]}}},
             "ss":{"SS":["a","b"]},"ns":{"NS":["1","2.50"]},"bs":{"BS":["AA=="]},"weird":{"N":"not a number"}}
            """#)
        let plain = DynamoDBAttributeValue.plainMap(typed)
        #expect(
            String(decoding: plain.jsonBytes, as: UTF8.self)
                == #"{"s":"x","n":12345678901234567890123456789012345678,"f":1.10,"b":"3q2+7w==","t":true,"z":null,"m":{"l":[1,"a"]},"ss":["a","b"],"ns":[1,2.50],"bs":["AA=="],"weird":"not a number"}"#
        )
    }

    // MARK: Records

    static func raw(_ eventName: String, new: String?, old: String?, view: String = "NEW_AND_OLD_IMAGES") throws -> JSONValue {
        var dynamodb = #""ApproximateCreationDateTime":1795876049,"Keys":{"pk":{"S":"a"},"sk":{"N":"1"}},"#
        if let new { dynamodb += #""NewImage":\#(new),"# }
        if let old { dynamodb += #""OldImage":\#(old),"# }
        dynamodb += #""SequenceNumber":"1100000000017454423009","SizeBytes":42,"StreamViewType":"\#(view)""#
        return try JSONValue.parse(
            #"{"eventID":"e1","eventName":"\#(eventName)","eventVersion":"1.1","eventSource":"aws:dynamodb","awsRegion":"us-east-1","eventSourceARN":"\#(arn)","dynamodb":{\#(dynamodb)}}"#
        )
    }

    static let mapper = DynamoDBRecordMapper(
        streamARN: arn, tableName: "orders", keyAttributes: ["pk", "sk"], region: "us-east-1")

    @Test func mapsAModify() throws {
        let record = try Self.mapper.map(
            Self.raw("MODIFY", new: #"{"pk":{"S":"a"},"sk":{"N":"1"},"v":{"N":"2.5"}}"#, old: #"{"pk":{"S":"a"},"sk":{"N":"1"},"v":{"N":"1.10"}}"#),
            shardID: "shard-1", position: LSN(77), index: 3)
        #expect(record.eventName == .modify)
        #expect(record.eventID == "e1")
        #expect(record.sequenceNumber == "1100000000017454423009")
        #expect(record.position == "000000000000000000770000000003")
        #expect(record.relation.qualifiedName == "dynamodb.orders")
        #expect(record.relation.columns.map(\.name) == ["pk", "sk", "document"])
        #expect(record.relation.columns.map(\.kind) == [.text, .numeric, .jsonb])
        #expect(record.keyValues == [.text(Array("a".utf8)), .text(Array("1".utf8))])
        #expect(record.newValues?.last == .text(Array(#"{"pk":"a","sk":1,"v":2.5}"#.utf8)))
        #expect(record.oldValues?.last == .text(Array(#"{"pk":"a","sk":1,"v":1.10}"#.utf8)))
        #expect(record.commitTime == (1_795_876_049 - 946_684_800) * 1_000_000)
        // The same key shape shares one relation.
        let again = try Self.mapper.map(Self.raw("REMOVE", new: nil, old: nil), shardID: "s", position: LSN(78), index: 1)
        #expect(again.relation === record.relation)
        #expect(again.newValues == nil)
    }

    @Test func aStreamWithoutNewImagesNeverInventsTheDocument() throws {
        let record = try Self.mapper.map(Self.raw("INSERT", new: nil, old: nil, view: "KEYS_ONLY"), shardID: "s", position: LSN(1), index: 1)
        #expect(record.newValues?.last == .unchangedToast)
    }

    @Test func badRecordsNameStreamAndShard() {
        #expect {
            try Self.mapper.map(try JSONValue.parse(#"{"eventName":"INSERT"}"#), shardID: "shard-9", position: LSN(1), index: 1)
        } throws: { error in
            "\(error)".contains("shard-9") && "\(error)".contains(Self.arn)
        }
    }

    @Test(arguments: RecordRenderer.View.allCases)
    func dynamoDBFormatPassesTheRecordThrough(_ view: RecordRenderer.View) throws {
        let new = #"{"pk":{"S":"a"},"sk":{"N":"1"},"v":{"N":"2.5"}}"#
        let old = #"{"pk":{"S":"a"},"sk":{"N":"1"},"v":{"N":"1.10"}}"#
        let record = try Self.mapper.map(Self.raw("MODIFY", new: new, old: old), shardID: "s", position: LSN(1), index: 1)
        let line = String(decoding: RecordRenderer(format: .dynamodb, view: view).renderLine(record), as: UTF8.self)
        var dynamodb = #""ApproximateCreationDateTime":1795876049,"Keys":{"pk":{"S":"a"},"sk":{"N":"1"}},"#
        if view == .newImage || view == .newAndOldImages { dynamodb += #""NewImage":\#(new),"# }
        if view == .oldImage || view == .newAndOldImages { dynamodb += #""OldImage":\#(old),"# }
        dynamodb += #""SequenceNumber":"1100000000017454423009","SizeBytes":42,"StreamViewType":"\#(view.rawValue)""#
        #expect(
            line
                == #"{"eventID":"e1","eventName":"MODIFY","eventVersion":"1.1","eventSource":"aws:dynamodb","awsRegion":"us-east-1","eventSourceARN":"\#(Self.arn)","dynamodb":{\#(dynamodb)}}"#
                + "\n")
    }

    @Test func cdcdFormatHasPlainJSON() throws {
        let record = try Self.mapper.map(
            Self.raw("INSERT", new: #"{"pk":{"S":"a"},"sk":{"N":"1"},"v":{"N":"99999999999999999999.01"},"m":{"M":{"x":{"NULL":true}}}}"#, old: nil),
            shardID: "shard-1", position: LSN(1), index: 1)
        let value = try JSONValue.parse(RecordRenderer(format: .cdcd, view: .newAndOldImages).renderLine(record).dropLast().map { $0 })
        #expect(value["eventSource"] == .string("cdcd:dynamodb"))
        #expect(value["sequenceNumber"] == .string("1100000000017454423009"))
        #expect(value["table"] == .string("dynamodb.orders"))
        #expect(value["source"]?["shard"] == .string("shard-1"))
        #expect(value["keys"] == .object([.init("pk", .string("a")), .init("sk", .number("1"))]))
        #expect(value["newImage"]?["v"] == .number("99999999999999999999.01"))
        #expect(value["newImage"]?["m"] == .object([.init("x", .null)]))
        #expect(value["oldImage"] == nil)
        #expect(value["sizeBytes"] == .number("42"))
    }
}
