import CCurl
import CDCCore
import CurlHTTP
import Foundation
import Logging
import Synchronization

/// POSTs a pipeline's records to an HTTP endpoint, signed the Standard Webhooks way, over libcurl's
/// multi interface (`CurlMulti`: a thread, many requests in flight, connections reused, HTTP/2 when
/// the server offers it). With `eventLoops` above 1, each `write` goes to the next loop in turn:
/// concurrent writes (pipeline lanes) use several cores, and one write's records stay on one loop.
///
/// `batch: false`: one request per record, body = the record's JSON, `webhook-id` = its `eventID`.
/// The items of a batch go out concurrently, except that records with the same key (table and key
/// values) are never in flight at once: they are sent one after the other, in order, and a key's
/// later records wait until its earlier one succeeded. `batch: true`: one `{"Records":[...]}`
/// request per batch; a `batchItemFailures` answer fails the named records.
///
/// `write` returns once every item was answered 2xx; otherwise it throws a `SinkError` whose
/// `failedSequenceNumbers` name the items not delivered, and whose other fields follow
/// `WebhookResponse`'s rules (retryable, `Retry-After`, 410 disabling the pipeline). Messages name
/// the redacted URL and the status, never a secret or a header value.
public final class WebhookSink: Sink {
    public let configuration: Configuration
    private let loops: [CurlMulti]
    private let nextLoop = Atomic<Int>(0)
    private let signer: WebhookSigner
    private let logger: Logger

    /// Sets libcurl up for the endpoint; throws (not retryable) when it refuses the settings.
    public init(configuration: Configuration, logger: Logger) throws(SinkError) {
        self.configuration = configuration
        self.signer = WebhookSigner(keys: configuration.signingKeys)
        self.logger = logger
        let overridden = Set(configuration.headers.map { $0.name.lowercased() })
        var headers = [
            ("Content-Type", "application/json"), ("User-Agent", "cdcd"),
        ].filter { !overridden.contains($0.0.lowercased()) }.map { "\($0.0): \($0.1)" }
        headers.append("Expect:")  // no 100-continue round trip
        headers += configuration.headers.map { "\($0.name): \($0.value)" }
        let options = CurlOptions(
            url: configuration.url, timeoutMilliseconds: Int(max(1, configuration.timeout.milliseconds)),
            connectTimeoutMilliseconds: Int(max(1, configuration.connectTimeout.milliseconds)),
            verifyTLS: !configuration.insecureSkipVerify, caFile: configuration.caFile, fixedHeaders: headers)
        let perLoop = max(1, configuration.maximumConcurrentRequests / max(1, configuration.eventLoops))
        do {
            var loops: [CurlMulti] = []
            for _ in 0..<max(1, configuration.eventLoops) {
                loops.append(try CurlMulti(options: options, maximumTransfers: perLoop))
            }
            self.loops = loops
        } catch {
            throw SinkError(retryable: false, message: "webhook \(configuration.displayURL): \(error.message)")
        }
        if configuration.insecureSkipVerify {
            logger.warning(
                "webhook TLS verification is off (insecure_skip_verify): the receiver's certificate is not checked",
                metadata: ["cdc.url": "\(configuration.displayURL)"])
        }
        if !signer.signs {
            logger.notice(
                "webhook requests are not signed (no secret)", metadata: ["cdc.url": "\(configuration.displayURL)"])
        }
    }

    public func write(_ items: [SinkItem]) async throws(SinkError) {
        guard !items.isEmpty else { return }
        if configuration.batch {
            try await writeBatch(items)
        } else {
            try await writeEach(items)
        }
    }

    public func close() async {
        for loop in loops { await loop.stop() }
    }

    /// The loop for the next write (round robin).
    private func loop() -> CurlMulti {
        loops[nextLoop.add(1, ordering: .relaxed).oldValue % loops.count]
    }

    // MARK: batch: true

    private func writeBatch(_ items: [SinkItem]) async throws(SinkError) {
        let body = WebhookPayload.batchBody(of: items)
        let id = WebhookPayload.batchID(of: items)
        let multi = loop()
        let response = await withCheckedContinuation { continuation in
            multi.submit([request(id: id, body: body) { continuation.resume(returning: $0) }])
        }
        let sequenceNumbers = items.map(\.sequenceNumber)
        switch response.outcome(
            url: configuration.displayURL, sequenceNumbers: sequenceNumbers, batch: true, now: Self.now())
        {
        case .delivered:
            return
        case .partiallyFailed(let failed):
            throw SinkError(
                retryable: true, failedSequenceNumbers: failed,
                message: "webhook \(configuration.displayURL) reported \(failed.count) of \(items.count) records failed (batchItemFailures)")
        case .failed(let failure):
            throw SinkError(
                retryable: failure.retryable, disablesPipeline: failure.disablesPipeline,
                retryAfter: failure.retryAfter, message: failure.message)
        }
    }

    // MARK: batch: false

    private func writeEach(_ items: [SinkItem]) async throws(SinkError) {
        let url = configuration.displayURL
        let multi = loop()
        let delivery = WebhookDelivery(items: items) { [self] delivery, index in
            request(id: WebhookPayload.id(of: items[index]), body: items[index].json) { response in
                let outcome = response.outcome(url: url, now: Self.now())
                delivery.finished(index: index, outcome: outcome, multi: multi)
            }
        }
        let outcomes = await delivery.run(on: multi)
        var failedSequenceNumbers: [String] = []
        var first: WebhookResponse.Failure?
        var failures = 0
        var disables = false
        var retryAfter: Duration?
        for (index, outcome) in outcomes.enumerated() {
            switch outcome {
            case .delivered?, .partiallyFailed?:
                continue
            case .failed(let failure)?:
                failures += 1
                if first == nil { first = failure }
                disables = disables || failure.disablesPipeline
                if let wait = failure.retryAfter { retryAfter = max(retryAfter ?? .zero, wait) }
            case nil:
                break  // not sent: an earlier record with its key failed
            }
            failedSequenceNumbers.append(items[index].sequenceNumber)
        }
        guard let first else { return }
        let more = failures > 1 ? " (\(failures) of \(items.count) requests failed)" : ""
        throw SinkError(
            retryable: first.retryable, disablesPipeline: disables, failedSequenceNumbers: failedSequenceNumbers,
            retryAfter: retryAfter, message: first.message + more)
    }

    // MARK: requests

    /// A signed POST of `body` with `webhook-id` `id`, stamped now.
    private func request(
        id: String, body: [UInt8], completion: @escaping @Sendable (WebhookResponse) -> Void
    ) -> CurlRequest {
        let headers = signer.headers(id: id, timestamp: Self.now(), body: body).map { "\($0.name): \($0.value)" }
        return CurlRequest(headers: headers, body: body, completion: completion)
    }

    static func now() -> Int64 { Int64(time(nil)) }
}
