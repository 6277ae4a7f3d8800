import CDCCore

/// Why a DynamoDB (Streams) call failed: a code the reader acts on and a message for people that
/// names the call, stream and shard — never a credential.
public struct DynamoDBError: Error, CustomStringConvertible, Sendable {
    public enum Code: Sendable, Hashable {
        /// Throttled (`LimitExceededException`, `ProvisionedThroughputExceededException`, …): back off, retry.
        case throttled
        /// The shard iterator expired (`ExpiredIteratorException`): get a new one.
        case expiredIterator
        /// The position asked for is older than the stream keeps (`TrimmedDataAccessException`).
        case trimmed
        /// The stream, table or shard does not exist (`ResourceNotFoundException`).
        case notFound
        /// No answer (connection refused, timeout) or a 5xx: retry with backoff.
        case unavailable
        /// Refused for good (bad credentials, access denied, a bad request): stop with this error.
        case rejected
        /// An answer cdcd cannot read.
        case badAnswer
        /// Credentials or configuration missing.
        case configuration
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }

    /// Worth retrying after a pause.
    public var isRetryable: Bool { code == .throttled || code == .unavailable }

    /// The error for a non-2xx answer to `operation` about `what` (stream, shard, table): classified
    /// by the exception type in the body (`__type`) and the status.
    public static func answer(operation: String, what: String, status: Int, body: [UInt8]) -> DynamoDBError {
        let (type, message) = DynamoDBStreamsAPI.decodeError(body)
        let text = "\(operation) \(what): HTTP \(status) \(type.isEmpty ? "" : type + ": ")\(message)"
        let code: Code
        if DynamoDBStreamsAPI.isThrottling(type) || status == 429 {
            code = .throttled
        } else if type == "ExpiredIteratorException" {
            code = .expiredIterator
        } else if type == "TrimmedDataAccessException" {
            code = .trimmed
        } else if type == "ResourceNotFoundException" {
            code = .notFound
        } else if status >= 500 {
            code = .unavailable
        } else {
            code = .rejected
        }
        return DynamoDBError(code, text)
    }
}
