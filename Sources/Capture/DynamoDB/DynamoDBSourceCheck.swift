import CDCCore

/// Checks that a DynamoDB stream can be read as configured (`cdcd check`): credentials signed and
/// accepted, the table's stream enabled (for `table:`), the stream found and ENABLED, its view type
/// able to give the images the pipelines ask for. Reads only.
public struct DynamoDBSourceCheck: Sendable {
    public var stream: DynamoDBSource.Configuration.Stream
    public var region: String
    public var endpoint: String?
    public var credentials: AWSCredentials
    /// Some pipeline renders old images (`OLD_IMAGE`, `NEW_AND_OLD_IMAGES`).
    public var wantsOldImages: Bool
    /// Some pipeline renders new images.
    public var wantsNewImages: Bool

    public init(
        stream: DynamoDBSource.Configuration.Stream, region: String, endpoint: String?, credentials: AWSCredentials,
        wantsOldImages: Bool, wantsNewImages: Bool
    ) {
        self.stream = stream
        self.region = region
        self.endpoint = endpoint
        self.credentials = credentials
        self.wantsOldImages = wantsOldImages
        self.wantsNewImages = wantsNewImages
    }

    /// One finding per line of `cdcd check` (blocking HTTP calls).
    public func run() -> [CheckFinding] {
        let client = DynamoDBClient(credentials: credentials, region: region, endpoint: endpoint, timeoutMilliseconds: 10_000)
        var findings: [CheckFinding] = []
        let arn: String
        switch stream {
        case .arn(let given):
            arn = given
        case .table(let table):
            do {
                let body = try client.call(DynamoDBStreamsAPI.describeTable(table), what: "table \(table)")
                guard let found = try DynamoDBStreamsAPI.decodeLatestStreamARN(body) else {
                    return [CheckFinding(.error, "source.dynamodb: table \(table) has no stream enabled; enable DynamoDB Streams on it")]
                }
                arn = found
                findings.append(CheckFinding(.ok, "source.dynamodb: table \(table) streams to \(arn)"))
            } catch {
                return [CheckFinding(.error, "source.dynamodb: \(error)")]
            }
        }
        do {
            let body = try client.call(DynamoDBStreamsAPI.describeStream(arn: arn, exclusiveStartShardID: nil), what: "stream \(arn)")
            let description = try DynamoDBStreamsAPI.decodeStreamDescription(body)
            if description.streamStatus != "ENABLED" && description.streamStatus != "ENABLING" {
                findings.append(
                    CheckFinding(.warning, "source.dynamodb: stream \(arn) is \(description.streamStatus): it gets no new records"))
            } else {
                findings.append(
                    CheckFinding(.ok, "source.dynamodb: stream \(arn) is \(description.streamStatus) (\(description.streamViewType))"))
            }
            let view = description.streamViewType
            if wantsOldImages && view != "OLD_IMAGE" && view != "NEW_AND_OLD_IMAGES" {
                findings.append(
                    CheckFinding(.warning, "source.dynamodb: a pipeline asks for old images but stream \(arn) is \(view); records will have no oldImage"))
            }
            if wantsNewImages && view != "NEW_IMAGE" && view != "NEW_AND_OLD_IMAGES" {
                findings.append(
                    CheckFinding(.warning, "source.dynamodb: a pipeline asks for new images but stream \(arn) is \(view); records will have no newImage"))
            }
        } catch {
            findings.append(CheckFinding(.error, "source.dynamodb: \(error)"))
        }
        return findings
    }
}
