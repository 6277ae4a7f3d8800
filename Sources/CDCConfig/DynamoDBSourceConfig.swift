/// `source: { dynamodb: {...} }` — a DynamoDB stream, read with SigV4-signed requests. Credentials come
/// from the environment (`AWS_ACCESS_KEY_ID`, ...) when cdcd runs, never from the config.
public struct DynamoDBSourceConfig: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    /// Which stream: exactly one of `stream_arn` or `table` is written.
    public enum Stream: Sendable, Hashable {
        /// `stream_arn: arn:aws:dynamodb:REGION:ACCOUNT:table/NAME/stream/LABEL`.
        case arn(String)
        /// `table: NAME`: the table's latest stream, looked up when cdcd starts.
        case table(String)
    }

    public var stream: Stream
    /// `endpoint`: an `http(s)://` base URL for a local or compatible API (for example a moto server);
    /// nil means AWS's regional endpoint.
    public var endpoint: String?
    /// `region`: as written, else the stream ARN's region, else `AWS_REGION`, else `AWS_DEFAULT_REGION`.
    public var region: String

    public init(stream: Stream, endpoint: String? = nil, region: String) {
        self.stream = stream
        self.endpoint = endpoint
        self.region = region
    }

    private var streamText: String {
        switch stream {
        case .arn(let arn): "arn(\(arn))"
        case .table(let table): "table(\(table))"
        }
    }

    public var description: String {
        Redaction.describe(
            "DynamoDBSourceConfig",
            ["stream": streamText, "endpoint": endpoint.map(CDCDConfiguration.redactURL) ?? "nil", "region": region])
    }
    public var debugDescription: String { description }
    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "stream": stream, "endpoint": endpoint.map(CDCDConfiguration.redactURL) as Any, "region": region,
            ], displayStyle: .struct)
    }
}
