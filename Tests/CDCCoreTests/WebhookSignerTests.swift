import Foundation
import Testing

@testable import CDCCore

@Suite("Webhook signing and payloads")
struct WebhookSignerTests {
    /// The Standard Webhooks reference example (standard-webhooks/standard-webhooks, spec and libraries).
    static let secret = Array(Data(base64Encoded: "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")!)
    static let id = "msg_p5jXN8AQM9LWM0D4loKWxJek"
    static let timestamp: Int64 = 1_614_265_330
    static let body = Array(#"{"test": 2432232314}"#.utf8)

    @Test func standardWebhooksReferenceSignature() {
        let signer = WebhookSigner(keys: [Self.secret])
        #expect(
            signer.signature(id: Self.id, timestamp: Self.timestamp, body: Self.body)
                == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
    }

    @Test func rotationSignsWithEveryKeySpaceSeparated() {
        let signer = WebhookSigner(keys: [Self.secret, Array("second-key".utf8)])
        #expect(
            signer.signature(id: Self.id, timestamp: Self.timestamp, body: Self.body)
                == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE= v1,4Wzb6tcIfznzcEHPT7GcEE5B7qzv9qwZv0ckDDA6dJo=")
    }

    @Test func headersAndUnsignedRequests() {
        let headers = WebhookSigner(keys: [Self.secret]).headers(id: "a", timestamp: 5, body: [])
        #expect(headers.map(\.name) == ["webhook-id", "webhook-timestamp", "webhook-signature"])
        #expect(headers[1].value == "5")
        let unsigned = WebhookSigner(keys: [])
        #expect(!unsigned.signs)
        #expect(unsigned.headers(id: "a", timestamp: 5, body: []).map(\.name) == ["webhook-id", "webhook-timestamp"])
    }

    @Test func descriptionShowsNoKey() {
        let signer = WebhookSigner(keys: [Self.secret])
        #expect("\(signer)" == "WebhookSigner(1 keys)")
        #expect(!String(reflecting: signer).contains(String(decoding: Self.secret, as: UTF8.self)))
    }

    // MARK: ids

    static let relation = Relation(
        oid: 1, schema: "public", name: "orders", replicaIdentity: .default,
        columns: [.init(name: "id", typeOID: 23, typeModifier: -1, kind: .integer, isReplicaIdentity: true)],
        keyIndexes: [0])

    static func item(_ index: UInt32, key: String) -> SinkItem {
        let record = ChangeRecord(
            eventName: .insert, relation: relation, database: "app", commitLSN: LSN(0x16B_3748), index: index, xid: 1,
            commitTime: 0, keyValues: [.text(Array(key.utf8))], newValues: [.text(Array(key.utf8))])
        var writer = JSONWriter()
        RecordRenderer(format: .cdcd).render(record, into: &writer)
        return SinkItem(sequenceNumber: record.sequenceNumber, record: record, json: writer.bytes)
    }

    @Test func itemIDIsTheEventIDAlsoWithoutTheRecord() {
        let item = Self.item(3, key: "42")
        #expect(WebhookPayload.id(of: item) == "00000000016B3748-000003")
        // A dead-letter replay carries only the JSON: same id.
        let replayed = SinkItem(sequenceNumber: item.sequenceNumber, record: nil, json: item.json)
        #expect(WebhookPayload.id(of: replayed) == "00000000016B3748-000003")
    }

    @Test func itemIDWithoutEventIDHashesTheContent() {
        let a = SinkItem(sequenceNumber: "7", record: nil, json: Array(#"{"x":1}"#.utf8))
        let b = SinkItem(sequenceNumber: "7", record: nil, json: Array(#"{"x":2}"#.utf8))
        #expect(WebhookPayload.id(of: a) == WebhookPayload.id(of: a))
        #expect(WebhookPayload.id(of: a) != WebhookPayload.id(of: b))
        #expect(WebhookPayload.id(of: a).hasPrefix("msg_"))
        #expect(WebhookPayload.id(of: a).count == 4 + 32)
    }

    @Test func batchIDDependsOnlyOnTheBatchContent() {
        let batch = [Self.item(1, key: "1"), Self.item(2, key: "2")]
        let id = WebhookPayload.batchID(of: batch)
        #expect(id.hasPrefix("batch_"))
        #expect(WebhookPayload.batchID(of: [Self.item(1, key: "1"), Self.item(2, key: "2")]) == id)
        #expect(WebhookPayload.batchID(of: [Self.item(1, key: "1")]) != id)
        #expect(WebhookPayload.batchID(of: batch.reversed()) != id)
    }

    @Test func batchBodyIsALambdaEvent() throws {
        let batch = [Self.item(1, key: "1"), Self.item(2, key: "2")]
        let parsed = try JSONValue.parse(WebhookPayload.batchBody(of: batch))
        #expect(parsed["Records"]?.arrayValue?.count == 2)
        #expect(parsed["Records"]?[1]?["eventID"] == "00000000016B3748-000002")
    }

    @Test func orderingKeysFollowTableAndKeyValues() {
        let a1 = WebhookPayload.orderingKey(of: Self.item(1, key: "1"))
        #expect(a1 == WebhookPayload.orderingKey(of: Self.item(9, key: "1")))
        #expect(a1 != WebhookPayload.orderingKey(of: Self.item(2, key: "12")))
        // Without a record: from the JSON's table and keys; the same key again gives the same key.
        let bare = { (json: String) in SinkItem(sequenceNumber: "1", record: nil, json: Array(json.utf8)) }
        #expect(
            WebhookPayload.orderingKey(of: bare(#"{"table":"t","keys":{"id":1}}"#))
                == WebhookPayload.orderingKey(of: bare(#"{"table":"t","keys":{"id":1},"x":2}"#)))
        #expect(WebhookPayload.orderingKey(of: bare(#"{"x":1}"#)) == nil)
    }
}
