import Testing

@testable import CDCCore

@Suite("Webhook responses")
struct WebhookResponseTests {
    static let url = "https://hooks.example.com/orders"
    static let now: Int64 = 1_700_000_000

    struct Case: Sendable, CustomTestStringConvertible {
        var status: Int
        var retryAfter: String? = nil
        var retryable: Bool
        var disables: Bool = false
        var wait: Duration? = nil
        var testDescription: String { "\(status) \(retryAfter ?? "")" }
    }

    static let cases: [Case] = [
        Case(status: 429, retryable: true),
        Case(status: 429, retryAfter: "7", retryable: true, wait: .seconds(7)),
        Case(status: 503, retryAfter: " 120 ", retryable: true, wait: .seconds(120)),
        Case(status: 503, retryAfter: "99999999", retryable: true, wait: WebhookResponse.maximumRetryAfter),
        Case(status: 500, retryAfter: "soon", retryable: true),
        Case(status: 502, retryable: true),
        Case(status: 410, retryable: false, disables: true),
        Case(status: 400, retryable: false),
        Case(status: 404, retryable: false),
        Case(status: 301, retryable: false),
        Case(status: 302, retryAfter: "3", retryable: false),
        Case(status: 100, retryable: false),
    ]

    @Test("failures", arguments: cases)
    func failure(_ c: Case) {
        let response = WebhookResponse(status: c.status, retryAfter: c.retryAfter)
        guard case .failed(let failure) = response.outcome(url: Self.url, now: Self.now) else {
            Issue.record("\(c.status) is not a failure")
            return
        }
        #expect(failure.retryable == c.retryable)
        #expect(failure.disablesPipeline == c.disables)
        #expect(failure.retryAfter == c.wait)
        #expect(failure.message.contains(Self.url))
        #expect(failure.message.contains("\(c.status)"))
    }

    @Test(arguments: [200, 201, 202, 204, 299])
    func success(_ status: Int) {
        #expect(WebhookResponse(status: status, body: Array("garbage \u{0}{".utf8)).outcome(url: Self.url, now: 0) == .delivered)
    }

    @Test func retryAfterHTTPDate() {
        // 1_700_000_000 is Tue, 14 Nov 2023 22:13:20 GMT.
        let response = WebhookResponse(status: 503, retryAfter: "Tue, 14 Nov 2023 22:13:50 GMT")
        #expect(response.retryDelay(now: Self.now) == .seconds(30))
        let past = WebhookResponse(status: 503, retryAfter: "Tue, 14 Nov 2023 22:00:00 GMT")
        #expect(past.retryDelay(now: Self.now) == .zero)
    }

    @Test(arguments: [
        ("Sun, 06 Nov 1994 08:49:37 GMT", 784_111_777 as Int64?),
        ("Sunday, 06-Nov-94 08:49:37 GMT", 784_111_777),
        ("Sun Nov  6 08:49:37 1994", 784_111_777),
        ("Tue, 29 Feb 2028 00:00:00 GMT", 1_835_395_200),
        ("Sun, 06 Nov 1994 25:49:37 GMT", nil),
        ("tomorrow", nil),
        ("Sun, 06 Foo 1994 08:49:37 GMT", nil),
    ])
    func httpDates(_ text: String, _ expected: Int64?) {
        #expect(HTTPDate.parse(text) == expected)
    }

    @Test func transportErrorsAreRetryableAndNameTheURL() {
        let response = WebhookResponse(
            status: 0, transportError: .init(retryable: true, message: "Timeout was reached"))
        guard case .failed(let failure) = response.outcome(url: Self.url, now: 0) else {
            Issue.record("not a failure")
            return
        }
        #expect(failure.retryable)
        #expect(failure.message == "webhook \(Self.url): Timeout was reached")
    }

    @Test func batchItemFailures() {
        let sequence = ["001", "002", "003"]
        func outcome(_ body: String, status: Int = 200) -> WebhookResponse.Outcome {
            WebhookResponse(status: status, body: Array(body.utf8)).outcome(
                url: Self.url, sequenceNumbers: sequence, batch: true, now: 0)
        }
        #expect(outcome(#"{"batchItemFailures":[{"itemIdentifier":"002"}]}"#) == .partiallyFailed(["002"]))
        #expect(outcome(#"{"batchItemFailures":[{"itemIdentifier":3},{"itemIdentifier":"003"}]}"#) != .delivered)
        #expect(outcome(#"{"batchItemFailures":[]}"#) == .delivered)
        #expect(outcome("not json {") == .delivered)
        #expect(outcome("") == .delivered)
        #expect(outcome(#"{"other":1}"#) == .delivered)
        // Lambda's rule: an identifier that names no record of the batch fails the whole batch.
        guard case .failed(let failure) = outcome(#"{"batchItemFailures":[{"itemIdentifier":"999"}]}"#) else {
            Issue.record("an unknown itemIdentifier must fail the batch")
            return
        }
        #expect(failure.retryable)
        guard case .failed = outcome(#"{"batchItemFailures":[{}]}"#) else {
            Issue.record("a missing itemIdentifier must fail the batch")
            return
        }
        // Not a batch: the body is ignored.
        #expect(
            WebhookResponse(status: 200, body: Array(#"{"batchItemFailures":[{"itemIdentifier":"9"}]}"#.utf8))
                .outcome(url: Self.url, now: 0) == .delivered)
    }
}
