/// A receiver's answer to one webhook request, and what it means for delivery.
///
/// Pure: the sink fills it from libcurl (status, `Retry-After`, body, or the transport error) and asks
/// for the `Outcome`. Rules (the design's "Sinks / webhook"):
/// - 2xx: delivered. For a batch, a body `{"batchItemFailures":[{"itemIdentifier":"<sequenceNumber>"}]}`
///   fails those items (and the pipeline retries from the lowest); an identifier that is missing,
///   empty or not in the batch fails the whole batch, as Lambda does. Any other body is ignored.
/// - 429, 5xx, timeouts and connection errors: retryable, waiting `Retry-After` when given.
/// - 410 Gone: the receiver is gone for good: disable the pipeline (its position is kept).
/// - other 4xx: not retryable (the pipeline's dead-letter policy applies).
/// - 1xx, 3xx (redirects are not followed) and anything else: not retryable.
public struct WebhookResponse: Sendable, Hashable {
    /// The HTTP status; 0 when no response arrived (see `transportError`).
    public var status: Int
    /// The `Retry-After` header's value, when present.
    public var retryAfter: String?
    /// The response body (possibly cut at a size limit).
    public var body: [UInt8]
    /// Why no response arrived (timeout, refused connection, TLS failure); nil when one did.
    public var transportError: TransportError?

    public init(status: Int, retryAfter: String? = nil, body: [UInt8] = [], transportError: TransportError? = nil) {
        self.status = status
        self.retryAfter = retryAfter
        self.body = body
        self.transportError = transportError
    }

    /// A failure below HTTP, from libcurl.
    public struct TransportError: Sendable, Hashable {
        /// Retrying can help (timeouts, connection errors); false for configuration errors such as
        /// a CA file that cannot be read or a malformed URL.
        public var retryable: Bool
        /// What happened, for people (never a secret or a header value).
        public var message: String

        public init(retryable: Bool, message: String) {
            self.retryable = retryable
            self.message = message
        }
    }

    /// What the pipeline should do with the request's items.
    public enum Outcome: Sendable, Hashable {
        /// Every item delivered.
        case delivered
        /// Delivered except these items (a batch's `batchItemFailures`, by sequence number).
        case partiallyFailed([String])
        /// Nothing delivered.
        case failed(Failure)
    }

    /// A failed request: whether and when to retry, and a message naming status and URL.
    public struct Failure: Sendable, Hashable {
        public var retryable: Bool
        public var disablesPipeline: Bool
        public var retryAfter: Duration?
        public var message: String
    }

    /// The longest `Retry-After` honoured; longer waits are cut to this.
    public static let maximumRetryAfter: Duration = .seconds(300)

    /// Classifies the response to a request to `url` (already redacted) carrying the items with
    /// `sequenceNumbers` (a batch; empty or one for a single record). `now` is the current time in
    /// Unix seconds, for `Retry-After` dates.
    public func outcome(url: String, sequenceNumbers: [String] = [], batch: Bool = false, now: Int64) -> Outcome {
        if let transportError {
            return .failed(
                Failure(
                    retryable: transportError.retryable, disablesPipeline: false, retryAfter: nil,
                    message: "webhook \(url): \(transportError.message)"))
        }
        switch status {
        case 200..<300:
            guard batch else { return .delivered }
            return batchItemFailures(url: url, sequenceNumbers: sequenceNumbers)
        case 410:
            return .failed(
                Failure(
                    retryable: false, disablesPipeline: true, retryAfter: nil,
                    message: "webhook \(url) answered 410 Gone: the receiver says it will never take these events again"
                        + " (fix the URL, then start the pipeline again; its position is kept)"))
        case 429, 500..<600:
            return .failed(
                Failure(
                    retryable: true, disablesPipeline: false, retryAfter: retryDelay(now: now),
                    message: "webhook \(url) answered \(status)\(retryAfterNote(now: now))"))
        case 300..<400:
            return .failed(
                Failure(
                    retryable: false, disablesPipeline: false, retryAfter: nil,
                    message: "webhook \(url) answered \(status) (a redirect; cdcd does not follow redirects: configure the final URL)"))
        default:
            return .failed(
                Failure(
                    retryable: false, disablesPipeline: false, retryAfter: nil,
                    message: "webhook \(url) answered \(status) (the receiver rejected the request; not retried)"))
        }
    }

    private func retryAfterNote(now: Int64) -> String {
        guard let delay = retryDelay(now: now) else { return "" }
        return " (Retry-After: waiting \(delay.components.seconds) s)"
    }

    /// The wait `Retry-After` asks for: delay-seconds or an HTTP date (RFC 9110 §10.2.3), at most
    /// `maximumRetryAfter`; nil when absent or unreadable.
    public func retryDelay(now: Int64) -> Duration? {
        guard let value = retryAfter?.trimmingASCIISpaces, !value.isEmpty else { return nil }
        let seconds: Int64
        if value.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) {
            seconds = Int64(value.prefix(12)) ?? Int64.max
        } else if let date = HTTPDate.parse(value) {
            seconds = max(0, date - now)
        } else {
            return nil
        }
        return min(.seconds(seconds), Self.maximumRetryAfter)
    }

    private func batchItemFailures(url: String, sequenceNumbers: [String]) -> Outcome {
        // Only a JSON object with a batchItemFailures array means anything; other bodies are ignored.
        guard body.contains(where: { $0 == UInt8(ascii: "{") }),
            let parsed = try? JSONValue.parse(body), let failures = parsed["batchItemFailures"]?.arrayValue
        else { return .delivered }
        if failures.isEmpty { return .delivered }
        let known = Set(sequenceNumbers)
        var failed: [String] = []
        for failure in failures {
            guard let identifier = failure["itemIdentifier"]?.stringValue ?? failure["itemIdentifier"]?.numberText,
                known.contains(identifier)
            else {
                return .failed(
                    Failure(
                        retryable: true, disablesPipeline: false, retryAfter: nil,
                        message: "webhook \(url) answered \(status) with a batchItemFailures entry that names no item"
                            + " of the batch (expected itemIdentifier = a record's sequenceNumber): the whole batch is retried"))
            }
            failed.append(identifier)
        }
        return .partiallyFailed(failed)
    }
}

extension JSONValue {
    fileprivate var numberText: String? {
        if case .number(let text) = self { return text }
        return nil
    }
}

extension String {
    fileprivate var trimmingASCIISpaces: String {
        var s = Substring(self)
        while let first = s.first, first == " " || first == "\t" { s = s.dropFirst() }
        while let last = s.last, last == " " || last == "\t" || last == "\r" || last == "\n" { s = s.dropLast() }
        return String(s)
    }
}
