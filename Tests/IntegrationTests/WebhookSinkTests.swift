import CDCCore
import CDCTestKit
import Foundation
import Logging
import Sinks
import Testing

/// `WebhookSink` against a real loopback receiver (Tests/Support/webhook_receiver.py) that checks
/// signatures with its own implementation of Standard Webhooks. No database: items are built here.
@Suite("Webhook sink")
struct WebhookSinkTests {
    static let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    static let otherSecret = "whsec_" + Data("another secret, 32 bytes long!!!".utf8).base64EncodedString()
    static func key(_ secret: String) -> [UInt8] { Array(Data(base64Encoded: String(secret.dropFirst(6)))!) }

    static let relation = Relation(
        oid: 1, schema: "public", name: "orders", replicaIdentity: .default,
        columns: [
            .init(name: "id", typeOID: 23, typeModifier: -1, kind: .integer, isReplicaIdentity: true),
            .init(name: "version", typeOID: 23, typeModifier: -1, kind: .integer, isReplicaIdentity: false),
        ],
        keyIndexes: [0])

    /// Change `index` (1-based, one transaction) of row `id` at `version`.
    static func item(_ index: Int, id: Int, version: Int = 1) -> SinkItem {
        let record = ChangeRecord(
            eventName: .insert, relation: relation, database: "app", commitLSN: LSN(0x100_0000), index: UInt32(index),
            xid: 1, commitTime: 0, keyValues: [.text(Array(String(id).utf8))],
            newValues: [.text(Array(String(id).utf8)), .text(Array(String(version).utf8))])
        var writer = JSONWriter()
        RecordRenderer(format: .cdcd).render(record, into: &writer)
        return SinkItem(sequenceNumber: record.sequenceNumber, record: record, json: writer.bytes)
    }

    static func sink(
        _ receiver: WebhookReceiver, secrets: [String] = [secret], batch: Bool = false, timeout: Duration = .seconds(5),
        headers: [(name: String, value: String)] = [], url: String? = nil, logger: Logger = Logger(label: "test")
    ) throws -> WebhookSink {
        try WebhookSink(
            configuration: .init(
                url: url ?? receiver.url, headers: headers, timeout: timeout, signingKeys: secrets.map(key),
                batch: batch),
            logger: logger)
    }

    static func error(_ body: () async throws(SinkError) -> Void) async -> SinkError? {
        do {
            try await body()
            return nil
        } catch {
            return error
        }
    }

    @Test func signsEveryRequestWithEveryKeyAndReusesConnections() async throws {
        // The receiver knows only the second secret: rotation sends a signature per key.
        let receiver = try await WebhookReceiver(secrets: [Self.otherSecret])
        let sink = try Self.sink(
            receiver, secrets: [Self.secret, Self.otherSecret], headers: [("Authorization", "Bearer t0ken")])
        let items = (1...200).map { Self.item($0, id: $0) }
        for chunk in stride(from: 0, to: items.count, by: 50) { try await sink.write(Array(items[chunk..<chunk + 50])) }
        await sink.close()
        let requests = receiver.requests
        #expect(requests.count == 200)
        #expect(requests.allSatisfy { $0["signature_ok"] == true && $0["timestamp_ok"] == true })
        #expect(requests.allSatisfy { $0["headers"]?["webhook-signature"]?.stringValue?.split(separator: " ").count == 2 })
        #expect(requests.allSatisfy { $0["headers"]?["authorization"] == "Bearer t0ken" })
        #expect(requests.allSatisfy { $0["headers"]?["content-type"] == "application/json" })
        #expect(requests.allSatisfy { $0["headers"]?["expect"] == nil })
        // webhook-id is the record's eventID; the body is the bare record.
        #expect(requests.allSatisfy { $0["id"] != nil && $0["id"] == $0["body"]?["eventID"] })
        #expect(Set(requests.compactMap { $0["id"]?.stringValue }).count == 200)
        // Connections are reused: far fewer client ports than requests.
        let ports = Set(requests.compactMap { $0["client_port"]?.numberString })
        #expect(ports.count <= WebhookSink.Configuration.defaultMaximumConcurrentRequests)
        #expect(ports.count < 100, "\(ports.count) connections for 200 requests")
    }

    @Test func aWrongSecretIsDetectedByTheReceiver() async throws {
        let receiver = try await WebhookReceiver(secrets: [Self.otherSecret])
        let sink = try Self.sink(receiver, secrets: [Self.secret])
        try await sink.write([Self.item(1, id: 1), Self.item(2, id: 2)])
        await sink.close()
        #expect(receiver.requests.count == 2)
        #expect(receiver.requests.allSatisfy { $0["signature_ok"] == false })
    }

    @Test func answersAreClassified() async throws {
        let receiver = try await WebhookReceiver(
            secrets: [Self.secret],
            plan: #"""
                {"by_id": {
                  "0000000001000000-000001": [{"status": 500, "body": "\u0000garbage{"}],
                  "0000000001000000-000002": [{"status": 429, "headers": {"Retry-After": "3"}}],
                  "0000000001000000-000003": [{"status": 410}],
                  "0000000001000000-000004": [{"status": 400}],
                  "0000000001000000-000005": [{"status": 302, "headers": {"Location": "http://127.0.0.1:9/elsewhere"}}],
                  "0000000001000000-000006": [{"status": 200, "body": "]]not json"}]
                }}
                """#)
        let sink = try Self.sink(receiver)
        let e500 = await Self.error { () async throws(SinkError) in try await sink.write([Self.item(1, id: 1)]) }
        #expect(e500?.retryable == true)
        #expect(e500?.failedSequenceNumbers == [Self.item(1, id: 1).sequenceNumber])
        #expect(e500?.message.contains("answered 500") == true)
        #expect(e500?.message.contains("http://127.0.0.1:\(receiver.port)/hooks") == true)
        let e429 = await Self.error { () async throws(SinkError) in try await sink.write([Self.item(2, id: 2)]) }
        #expect(e429?.retryable == true)
        #expect(e429?.retryAfter == .seconds(3))
        let e410 = await Self.error { () async throws(SinkError) in try await sink.write([Self.item(3, id: 3)]) }
        #expect(e410?.disablesPipeline == true)
        let e400 = await Self.error { () async throws(SinkError) in try await sink.write([Self.item(4, id: 4)]) }
        #expect(e400?.retryable == false)
        #expect(e400?.disablesPipeline == false)
        let e302 = await Self.error { () async throws(SinkError) in try await sink.write([Self.item(5, id: 5)]) }
        #expect(e302?.retryable == false)
        #expect(e302?.message.contains("302") == true)
        // A 2xx with a garbage body is a success.
        try await sink.write([Self.item(6, id: 6)])
        // The second attempts (default plan: 204) succeed; the redirect was not followed.
        try await sink.write([Self.item(1, id: 1), Self.item(2, id: 2)])
        await sink.close()
        #expect(receiver.requests.count == 8)
        #expect(receiver.requests.allSatisfy { $0["signature_ok"] == true })
    }

    @Test func failedItemsAndTheSameKeysLaterItemsAreReportedUnsent() async throws {
        // Row 1's first change fails: its second change must not be sent; row 2's change is.
        let receiver = try await WebhookReceiver(
            plan: #"{"by_id": {"0000000001000000-000001": [{"status": 503}]}}"#)
        let sink = try Self.sink(receiver, secrets: [])
        let items = [Self.item(1, id: 1), Self.item(2, id: 2), Self.item(3, id: 1, version: 2)]
        let error = await Self.error { () async throws(SinkError) in try await sink.write(items) }
        await sink.close()
        #expect(error?.retryable == true)
        #expect(error?.failedSequenceNumbers == [items[0].sequenceNumber, items[2].sequenceNumber])
        #expect(receiver.requests.compactMap { $0["id"]?.stringValue }.sorted() == ["0000000001000000-000001", "0000000001000000-000002"])
    }

    @Test func sameKeyIsNeverInFlightTwiceOtherKeysAre() async throws {
        // Random delays would reorder a key's changes if two were in flight at once.
        let receiver = try await WebhookReceiver(plan: #"{"random_delay": 0.03}"#)
        let sink = try Self.sink(receiver, secrets: [])
        var items: [SinkItem] = []
        for version in 1...10 { for id in 1...8 { items.append(Self.item(items.count + 1, id: id, version: version)) } }
        let start = ContinuousClock.now
        try await sink.write(items)
        let elapsed = ContinuousClock.now - start
        await sink.close()
        var versions: [String: [String]] = [:]
        for request in receiver.requests {
            guard let id = request["body"]?["keys"]?["id"]?.numberString,
                let version = request["body"]?["newImage"]?["version"]?.numberString
            else { continue }
            versions[id, default: []].append(version)
        }
        #expect(versions.count == 8)
        #expect(versions.values.allSatisfy { $0 == (1...10).map(String.init) }, "\(versions)")
        // 80 requests of up to 30 ms each: keys were sent concurrently (one after the other: ~1.2 s).
        #expect(elapsed < .seconds(1), "\(elapsed)")
    }

    @Test func aSlowReceiverTimesOutAndTheRetrySucceeds() async throws {
        let receiver = try await WebhookReceiver(secrets: [Self.secret], plan: #"{"per_id": [{"delay": 3}]}"#)
        let sink = try Self.sink(receiver, timeout: .milliseconds(500))
        let start = ContinuousClock.now
        let error = await Self.error { () async throws(SinkError) in try await sink.write([Self.item(1, id: 1)]) }
        #expect(ContinuousClock.now - start < .seconds(2))
        #expect(error?.retryable == true)
        #expect(error?.message.contains("Timeout") == true, "\(error?.message ?? "")")
        try await sink.write([Self.item(1, id: 1)])
        await sink.close()
        let requests = receiver.requests
        #expect(requests.count == 2)
        #expect(Set(requests.compactMap { $0["id"]?.stringValue }).count == 1)
    }

    @Test func batchesCarryRecordsAndHonourBatchItemFailures() async throws {
        let receiver = try await WebhookReceiver(secrets: [Self.secret], plan: #"{"batch_fail_ids_once": [3]}"#)
        let sink = try Self.sink(receiver, batch: true)
        let items = (1...5).map { Self.item($0, id: $0) }
        let error = await Self.error { () async throws(SinkError) in try await sink.write(items) }
        #expect(error?.retryable == true)
        #expect(error?.failedSequenceNumbers == [items[2].sequenceNumber])
        try await sink.write(items)
        await sink.close()
        let requests = receiver.requests
        #expect(requests.count == 2)
        #expect(requests.allSatisfy { $0["signature_ok"] == true })
        // Same batch content, same webhook-id.
        #expect(requests[0]["id"] == requests[1]["id"])
        #expect(requests[0]["id"]?.stringValue?.hasPrefix("batch_") == true)
        #expect(requests[0]["body"]?["Records"]?.arrayValue?.count == 5)
    }

    @Test func aDownReceiverIsARetryableConnectionError() async throws {
        let receiver = try await WebhookReceiver()
        await receiver.stop()
        let sink = try Self.sink(receiver, secrets: [])
        let error = await Self.error { () async throws(SinkError) in try await sink.write([Self.item(1, id: 1)]) }
        #expect(error?.retryable == true)
        try await receiver.start()
        try await sink.write([Self.item(1, id: 1)])
        await sink.close()
        #expect(receiver.requests.count == 1)
    }

    @Test func tlsIsVerifiedAgainstTheCAFileAndSkippedOnlyWhenAsked() async throws {
        let receiver = try await WebhookReceiver(secrets: [Self.secret], tls: true)
        func sink(caFile: String? = nil, insecure: Bool = false, _ logger: Logger = Logger(label: "test")) throws
            -> WebhookSink
        {
            try WebhookSink(
                configuration: .init(
                    url: receiver.url, timeout: .seconds(5), signingKeys: [Self.key(Self.secret)], caFile: caFile,
                    insecureSkipVerify: insecure),
                logger: logger)
        }
        // The system's CAs do not know the receiver's self-signed certificate: refused, retryable.
        let untrusted = try sink()
        let error = await Self.error { () async throws(SinkError) in try await untrusted.write([Self.item(1, id: 1)]) }
        await untrusted.close()
        #expect(error?.retryable == true)
        #expect(error?.message.contains("certificate") == true, "\(error?.message ?? "")")
        #expect(receiver.requests.isEmpty)
        // ca_file: verified and delivered.
        let trusted = try sink(caFile: WebhookReceiver.certificate)
        try await trusted.write([Self.item(1, id: 1)])
        await trusted.close()
        // insecure_skip_verify: delivered, with a warning.
        let store = RecordingLogHandler.Store()
        let insecure = try sink(insecure: true, RecordingLogHandler.logger(store))
        try await insecure.write([Self.item(2, id: 2)])
        await insecure.close()
        #expect(store.messages.contains { $0.hasPrefix("warning") && $0.contains("TLS verification is off") })
        #expect(receiver.requests.count == 2)
        #expect(receiver.requests.allSatisfy { $0["signature_ok"] == true })
    }

    @Test func secretsAndHeaderValuesNeverReachLogsOrErrors() async throws {
        let store = RecordingLogHandler.Store()
        let logger = RecordingLogHandler.logger(store)
        let receiver = try await WebhookReceiver(plan: #"{"default": {"status": 500}}"#)
        let sink = try WebhookSink(
            configuration: .init(
                url: "http://hookuser:pa55word@127.0.0.1:\(receiver.port)/hooks?token=qu3rysecret",
                headers: [("Authorization", "Bearer hdr-s3cret")], timeout: .seconds(5),
                signingKeys: [Self.key(Self.secret)], insecureSkipVerify: true),
            logger: logger)
        let error = await Self.error { () async throws(SinkError) in
            try await sink.write([Self.item(1, id: 1), Self.item(2, id: 2)])
        }
        await sink.close()
        let texts = store.messages + [error?.description ?? "", "\(sink.configuration)", String(reflecting: error)]
        #expect(store.messages.contains { $0.contains("TLS verification is off") })
        #expect(error?.message.contains("answered 500") == true)
        for text in texts {
            for secret in [
                "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "hdr-s3cret", "pa55word", "qu3rysecret",
                String(decoding: Self.key(Self.secret), as: UTF8.self),
            ] {
                #expect(!text.contains(secret), "\(text)")
            }
        }
    }
}
