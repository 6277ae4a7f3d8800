/// What a DynamoDB Streams record carries beyond the cdcd record model: DynamoDB's own identifiers
/// and the typed images exactly as received (`format: dynamodb` passes them through).
///
/// A `ChangeRecord` from the DynamoDB source has one (`ChangeRecord.dynamodb`); its `eventID` and
/// `sequenceNumber` are DynamoDB's. Its relation and values are a projection for the Postgres sink
/// (see `DynamoDBRecordMapper`).
public struct DynamoDBChange: Sendable, Hashable {
    /// DynamoDB's `eventID`.
    public var eventID: String
    /// DynamoDB's `dynamodb.SequenceNumber` (unique in the stream, ordered within a shard only).
    public var sequenceNumber: String
    /// The shard the record was read from.
    public var shardID: String
    /// `eventSourceARN`: the stream's ARN.
    public var streamARN: String
    /// `awsRegion`.
    public var awsRegion: String
    /// `eventVersion` as received (`1.1`).
    public var eventVersion: String
    /// `dynamodb.ApproximateCreationDateTime`: the number text as received (epoch seconds).
    public var approximateCreationDateTime: String
    /// `dynamodb.StreamViewType` of the stream.
    public var streamViewType: String
    /// `dynamodb.SizeBytes` as received.
    public var sizeBytes: Int64
    /// `dynamodb.Keys`, `NewImage`, `OldImage`: maps of typed AttributeValues, as received.
    public var keys: JSONValue
    public var newImage: JSONValue?
    public var oldImage: JSONValue?

    public init(
        eventID: String, sequenceNumber: String, shardID: String, streamARN: String, awsRegion: String,
        eventVersion: String = "1.1", approximateCreationDateTime: String, streamViewType: String, sizeBytes: Int64,
        keys: JSONValue, newImage: JSONValue? = nil, oldImage: JSONValue? = nil
    ) {
        self.eventID = eventID
        self.sequenceNumber = sequenceNumber
        self.shardID = shardID
        self.streamARN = streamARN
        self.awsRegion = awsRegion
        self.eventVersion = eventVersion
        self.approximateCreationDateTime = approximateCreationDateTime
        self.streamViewType = streamViewType
        self.sizeBytes = sizeBytes
        self.keys = keys
        self.newImage = newImage
        self.oldImage = oldImage
    }
}
