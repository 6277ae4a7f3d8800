/// The DynamoDB Streams and DynamoDB JSON 1.0 calls cdcd makes, as pure values: request bodies
/// (`X-Amz-Target` + JSON) and decoded answers. No I/O; the source sends them (signed) over libcurl.
public enum DynamoDBStreamsAPI {
    /// One call: its `X-Amz-Target` and JSON body.
    public struct Request: Sendable, Hashable {
        /// `DynamoDBStreams_20120810.GetRecords`, `DynamoDB_20120810.DescribeTable`, …
        public var target: String
        public var body: [UInt8]
        /// The signing service name (`dynamodb` for both APIs; AWS routes Streams by host).
        public var isStreams: Bool
    }

    public static func describeStream(arn: String, exclusiveStartShardID: String?) -> Request {
        var members = [JSONValue.Member("StreamArn", .string(arn))]
        if let exclusiveStartShardID { members.append(.init("ExclusiveStartShardId", .string(exclusiveStartShardID))) }
        return Request(target: "DynamoDBStreams_20120810.DescribeStream", body: JSONValue.object(members).jsonBytes, isStreams: true)
    }

    /// How to start reading a shard.
    public enum IteratorStart: Sendable, Hashable {
        case trimHorizon
        case latest
        case afterSequenceNumber(String)
    }

    public static func getShardIterator(arn: String, shardID: String, start: IteratorStart) -> Request {
        var members = [JSONValue.Member("StreamArn", .string(arn)), .init("ShardId", .string(shardID))]
        switch start {
        case .trimHorizon: members.append(.init("ShardIteratorType", .string("TRIM_HORIZON")))
        case .latest: members.append(.init("ShardIteratorType", .string("LATEST")))
        case .afterSequenceNumber(let sequence):
            members.append(.init("ShardIteratorType", .string("AFTER_SEQUENCE_NUMBER")))
            members.append(.init("SequenceNumber", .string(sequence)))
        }
        return Request(target: "DynamoDBStreams_20120810.GetShardIterator", body: JSONValue.object(members).jsonBytes, isStreams: true)
    }

    public static func getRecords(iterator: String, limit: Int) -> Request {
        Request(
            target: "DynamoDBStreams_20120810.GetRecords",
            body: JSONValue.object([.init("ShardIterator", .string(iterator)), .init("Limit", .number(String(limit)))])
                .jsonBytes, isStreams: true)
    }

    public static func describeTable(_ table: String) -> Request {
        Request(
            target: "DynamoDB_20120810.DescribeTable", body: JSONValue.object([.init("TableName", .string(table))]).jsonBytes,
            isStreams: false)
    }

    // MARK: Answers

    /// DescribeStream's `StreamDescription` (one page of shards).
    public struct StreamDescription: Sendable, Hashable {
        public var streamARN: String
        public var streamStatus: String
        public var streamViewType: String
        public var tableName: String
        /// `KeySchema`: attribute names, the HASH key first, then the RANGE key.
        public var keyAttributes: [String]
        public var shards: [ShardLineage.Shard]
        /// Set when more shards follow (pass it as `ExclusiveStartShardId`).
        public var lastEvaluatedShardID: String?
    }

    /// A JSON answer that lacks what it must hold.
    public struct DecodingError: Error, CustomStringConvertible, Sendable {
        public var message: String
        public var description: String { message }
    }

    static func parse(_ body: [UInt8], _ what: String) throws(DecodingError) -> JSONValue {
        do {
            return try JSONValue.parse(body)
        } catch {
            throw DecodingError(message: "\(what): the answer is not JSON (\(error))")
        }
    }

    public static func decodeStreamDescription(_ body: [UInt8]) throws(DecodingError) -> StreamDescription {
        let root = try parse(body, "DescribeStream")
        guard let d = root["StreamDescription"], let arn = d["StreamArn"]?.stringValue else {
            throw DecodingError(message: "DescribeStream: the answer has no StreamDescription.StreamArn")
        }
        var keys: [(String, String)] = []
        for element in d["KeySchema"]?.arrayValue ?? [] {
            if let name = element["AttributeName"]?.stringValue {
                keys.append((name, element["KeyType"]?.stringValue ?? "HASH"))
            }
        }
        keys.sort { $0.1 == "HASH" && $1.1 != "HASH" }
        var shards: [ShardLineage.Shard] = []
        for element in d["Shards"]?.arrayValue ?? [] {
            guard let id = element["ShardId"]?.stringValue else {
                throw DecodingError(message: "DescribeStream \(arn): a shard without ShardId")
            }
            shards.append(
                ShardLineage.Shard(
                    id: id, parentID: element["ParentShardId"]?.stringValue,
                    endingSequenceNumber: element["SequenceNumberRange"]?["EndingSequenceNumber"]?.stringValue))
        }
        return StreamDescription(
            streamARN: arn, streamStatus: d["StreamStatus"]?.stringValue ?? "",
            streamViewType: d["StreamViewType"]?.stringValue ?? "", tableName: d["TableName"]?.stringValue ?? "",
            keyAttributes: keys.map(\.0), shards: shards,
            lastEvaluatedShardID: d["LastEvaluatedShardId"]?.stringValue)
    }

    public static func decodeShardIterator(_ body: [UInt8]) throws(DecodingError) -> String? {
        let root = try parse(body, "GetShardIterator")
        return root["ShardIterator"]?.stringValue
    }

    /// GetRecords: the records (raw stream records) and the next iterator (nil: the shard is closed
    /// and read to its end).
    public struct Records: Sendable, Hashable {
        public var records: [JSONValue]
        public var nextShardIterator: String?
    }

    public static func decodeRecords(_ body: [UInt8]) throws(DecodingError) -> Records {
        let root = try parse(body, "GetRecords")
        guard case .object = root else { throw DecodingError(message: "GetRecords: the answer is not an object") }
        return Records(records: root["Records"]?.arrayValue ?? [], nextShardIterator: root["NextShardIterator"]?.stringValue)
    }

    /// DescribeTable's `Table.LatestStreamArn` (nil when the table has no stream enabled).
    public static func decodeLatestStreamARN(_ body: [UInt8]) throws(DecodingError) -> String? {
        let root = try parse(body, "DescribeTable")
        guard let table = root["Table"] else { throw DecodingError(message: "DescribeTable: the answer has no Table") }
        guard table["StreamSpecification"]?["StreamEnabled"] != .bool(false) else { return nil }
        return table["LatestStreamArn"]?.stringValue
    }

    /// An error answer (`{"__type": "com.amazonaws...#Name", "message": "..."}`): the short name and
    /// the message.
    public static func decodeError(_ body: [UInt8]) -> (type: String, message: String) {
        guard let root = try? JSONValue.parse(body) else {
            return ("", String(decoding: body.prefix(200), as: UTF8.self))
        }
        var type = root["__type"]?.stringValue ?? ""
        if let hash = type.lastIndex(of: "#") { type = String(type[type.index(after: hash)...]) }
        let message = root["message"]?.stringValue ?? root["Message"]?.stringValue ?? ""
        return (type, message)
    }

    /// Error types that mean "slow down and try again".
    public static func isThrottling(_ type: String) -> Bool {
        type == "LimitExceededException" || type == "ProvisionedThroughputExceededException"
            || type == "ThrottlingException" || type == "RequestLimitExceeded" || type == "InternalServerError"
    }
}
