import CDCCore
import CDCTestKit
import Foundation
import LibPQ
import Testing

/// `cdcd run` with a webhook sink against a real loopback receiver (Tests/Support/webhook_receiver.py),
/// which verifies Standard Webhooks signatures with its own implementation and logs every request.
@Suite("cdcd run: webhook sink")
struct WebhookRunTests {
    typealias Setup = RunCommandTests.Setup
    static let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

    /// A pipeline block for `Setup` delivering to `receiver`.
    static func pipeline(
        _ receiver: WebhookReceiver, extra: String = "", webhook: String = "", batchSize: Int = 100
    ) -> String {
        """
          - name: hooks
            tables: [TABLE]
            starting_position: TRIM_HORIZON
            batch_size: \(batchSize)
            retry: { backoff: { initial: 50ms, max: 500ms } }
        \(extra.isEmpty ? "" : "    " + extra)
            sink: { webhook: { url: "\(receiver.url)", secret: "\(secret)"\(webhook.isEmpty ? "" : ", " + webhook) } }
        """
    }

    /// Requests answered 2xx, by the `eventID` in their body (`batch: false`).
    static func delivered(_ requests: [JSONValue]) -> Set<String> {
        Set(requests.filter(\.answeredSuccess).compactMap { $0["body"]?["eventID"]?.stringValue })
    }

    @Test func retries500ThenDeliversEverySignedChangeWithItsEventID() async throws {
        let receiver = try await WebhookReceiver(secrets: [Self.secret], plan: #"{"per_id": [{"status": 500}]}"#)
        let setup = try Setup(pipelines: Self.pipeline(receiver))
        defer { setup.cleanUp() }
        let daemon = try setup.start()
        try await setup.waitUntilSlotReady()
        try TestPostgres.connect().execute("INSERT INTO \(setup.table) SELECT g, 'x', 1 FROM generate_series(1, 50) g")
        let requests = try await receiver.waitForRequests { Self.delivered($0).count == 50 }
        daemon.signal(SIGTERM)
        #expect(await daemon.wait(timeout: .seconds(20)) == 0)
        #expect(requests.allSatisfy { $0["signature_ok"] == true && $0["timestamp_ok"] == true })
        #expect(requests.allSatisfy { $0["id"] == $0["body"]?["eventID"] })
        // Every change: first attempt 500, then a retry with the same webhook-id that succeeded.
        let byID = Dictionary(grouping: requests, by: { $0["id"]?.stringValue ?? "" })
        #expect(byID.count == 50)
        #expect(byID.values.allSatisfy { $0.first?["status"] == 500 && $0.contains(where: \.answeredSuccess) })
        #expect(daemon.log.contains("delivery failed, retrying"))
        #expect(daemon.log.contains("answered 500"))
        #expect(!daemon.log.contains("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"))
    }

    @Test func retryAfterIsHonoured() async throws {
        let receiver = try await WebhookReceiver(
            secrets: [Self.secret], plan: #"{"per_id": [{"status": 429, "headers": {"Retry-After": "2"}}]}"#)
        let setup = try Setup(pipelines: Self.pipeline(receiver))
        defer { setup.cleanUp() }
        let daemon = try setup.start()
        try await setup.waitUntilSlotReady()
        try TestPostgres.connect().execute("INSERT INTO \(setup.table) SELECT g, 'x', 1 FROM generate_series(1, 5) g")
        let requests = try await receiver.waitForRequests { Self.delivered($0).count == 5 }
        daemon.signal(SIGTERM)
        #expect(await daemon.wait(timeout: .seconds(20)) == 0)
        // The backoff is 50 ms; only Retry-After makes cdcd wait 2 s before the second attempt.
        for (_, attempts) in Dictionary(grouping: requests, by: { $0["id"]?.stringValue ?? "" }) {
            let times = attempts.compactMap { $0["received"]?.numberString.flatMap(Double.init) }
            #expect(times.count == 2)
            if times.count == 2 { #expect(times[1] - times[0] >= 1.9, "\(times)") }
        }
    }

    @Test func goneDisablesThePipelineAndKeepsItsPosition() async throws {
        let gone = try await WebhookReceiver(secrets: [Self.secret], plan: #"{"default": {"status": 410}}"#)
        let setup = try Setup(pipelines: Self.pipeline(gone))
        defer { setup.cleanUp() }
        var daemon = try setup.start()
        try await setup.waitUntilSlotReady()
        try TestPostgres.connect().execute("INSERT INTO \(setup.table) SELECT g, 'x', 1 FROM generate_series(1, 10) g")
        try await gone.waitForRequests { !$0.isEmpty }
        let deadline = ContinuousClock.now + .seconds(20)
        while !daemon.log.contains("pipeline disabled") && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(daemon.log.contains("pipeline disabled"))
        #expect(daemon.log.contains("410 Gone"))
        let seen = gone.requests.count
        try await Task.sleep(for: .seconds(1))
        #expect(gone.requests.count == seen, "a disabled pipeline sends nothing more")
        #expect(seen <= 10)
        daemon.signal(SIGTERM)
        _ = await daemon.wait(timeout: .seconds(20))
        // Its position was kept: once the URL works again, every change arrives.
        await gone.stop()
        let back = try await WebhookReceiver(secrets: [Self.secret], port: gone.port)
        daemon = try setup.start()
        let requests = try await back.waitForRequests { Self.delivered($0).count == 10 }
        daemon.signal(SIGTERM)
        #expect(await daemon.wait(timeout: .seconds(20)) == 0)
        #expect(requests.allSatisfy { $0["signature_ok"] == true })
    }

    @Test func aSlowReceiverTimesOutAndIsRetried() async throws {
        let receiver = try await WebhookReceiver(secrets: [Self.secret], plan: #"{"per_id": [{"delay": 2.5}]}"#)
        let setup = try Setup(pipelines: Self.pipeline(receiver, webhook: "timeout: 500ms"))
        defer { setup.cleanUp() }
        let daemon = try setup.start()
        try await setup.waitUntilSlotReady()
        try TestPostgres.connect().execute("INSERT INTO \(setup.table) SELECT g, 'x', 1 FROM generate_series(1, 5) g")
        let requests = try await receiver.waitForRequests {
            Dictionary(grouping: $0, by: { $0["id"]?.stringValue ?? "" }).filter { $0.value.count >= 2 }.count == 5
        }
        daemon.signal(SIGTERM)
        #expect(await daemon.wait(timeout: .seconds(20)) == 0)
        #expect(Set(requests.compactMap { $0["id"]?.stringValue }).count == 5)
        #expect(daemon.log.contains("Timeout was reached"))
    }

    @Test func receiverDownForTenSecondsThenUpLosesNothing() async throws {
        let receiver = try await WebhookReceiver(secrets: [Self.secret])
        let setup = try Setup(pipelines: Self.pipeline(receiver))
        defer { setup.cleanUp() }
        let daemon = try setup.start()
        try await setup.waitUntilSlotReady()
        let db = try TestPostgres.connect()
        try db.execute("INSERT INTO \(setup.table) SELECT g, 'x', 1 FROM generate_series(1, 100) g")
        try await receiver.waitForRequests { Self.delivered($0).count == 100 }
        await receiver.stop()
        try db.execute("INSERT INTO \(setup.table) SELECT g, 'x', 1 FROM generate_series(101, 200) g")
        try await Task.sleep(for: .seconds(10))
        try await receiver.start()
        let requests = try await receiver.waitForRequests { Self.delivered($0).count == 200 }
        daemon.signal(SIGTERM)
        #expect(await daemon.wait(timeout: .seconds(20)) == 0)
        #expect(requests.allSatisfy { $0["signature_ok"] == true })
        #expect(daemon.log.contains("Couldn't connect to server"))
    }

    @Test func garbageAnswersAreHandledInBatchMode() async throws {
        let receiver = try await WebhookReceiver(
            secrets: [Self.secret],
            plan: #"""
                {"sequence": [{"status": 500, "body": "\u0000\u00ff<html>oops"}, {"status": 200, "body": "{\"batchItemFailures\": 7"}],
                 "default": {"status": 200, "body": "]]] not json at all"}}
                """#)
        let setup = try Setup(pipelines: Self.pipeline(receiver, webhook: "batch: true", batchSize: 10))
        defer { setup.cleanUp() }
        let daemon = try setup.start()
        try await setup.waitUntilSlotReady()
        try TestPostgres.connect().execute("INSERT INTO \(setup.table) SELECT g, 'x', 1 FROM generate_series(1, 30) g")
        let requests = try await receiver.waitForRequests {
            Set($0.filter(\.answeredSuccess).flatMap { $0["body"]?["Records"]?.arrayValue ?? [] }
                .compactMap { $0["eventID"]?.stringValue }).count == 30
        }
        daemon.signal(SIGTERM)
        #expect(await daemon.wait(timeout: .seconds(20)) == 0)
        #expect(requests.allSatisfy { $0["signature_ok"] == true && $0["id"]?.stringValue?.hasPrefix("batch_") == true })
        #expect(requests.first?["status"] == 500)
        // The retried batch kept its webhook-id.
        #expect(requests.count >= 2 && requests[0]["id"] == requests[1]["id"])
    }

    @Test func perKeyOrderWithParallelizationFour() async throws {
        let receiver = try await WebhookReceiver(
            secrets: [Self.secret],
            plan: #"{"random_delay": 0.01, "sequence": [{"status": 204}, {"status": 500}, {"status": 204}, {"status": 503}]}"#)
        let setup = try Setup(pipelines: Self.pipeline(receiver, extra: "parallelization: 4", batchSize: 10))
        defer { setup.cleanUp() }
        let daemon = try setup.start()
        try await setup.waitUntilSlotReady()
        let db = try TestPostgres.connect()
        try db.execute("INSERT INTO \(setup.table) SELECT g, 'x', 1 FROM generate_series(1, 20) g")
        for _ in 2...10 { try db.execute("UPDATE \(setup.table) SET version = version + 1") }
        let requests = try await receiver.waitForRequests { Self.delivered($0).count == 200 }
        daemon.signal(SIGTERM)
        #expect(await daemon.wait(timeout: .seconds(20)) == 0)
        let wrong = Self.keysOutOfOrder(requests, versions: 10)
        #expect(wrong.isEmpty, "\(wrong)")
    }

    /// Keys whose changes' first successful deliveries are not versions 1...versions in order.
    static func keysOutOfOrder(_ requests: [JSONValue], versions: Int) -> [(Int, [Int])] {
        var seen: [Int: [Int]] = [:]
        var first = Set<String>()
        for request in requests where request.answeredSuccess {
            guard let body = request["body"], let eventID = body["eventID"]?.stringValue,
                let id = Int(body["keys"]?["id"]?.numberString ?? ""),
                let version = Int(body["newImage"]?["version"]?.numberString ?? "")
            else { continue }
            if first.insert(eventID).inserted { seen[id, default: []].append(version) }
        }
        return seen.filter { $0.value != Array(1...versions) }.sorted { $0.key < $1.key }.prefix(5).map { ($0.key, $0.value) }
    }

    @Test func sigkillDuringTenThousandChangesLosesNothingAndDuplicatesKeepTheirID() async throws {
        let receiver = try await WebhookReceiver(secrets: [Self.secret])
        let setup = try Setup(pipelines: Self.pipeline(receiver, extra: "parallelization: 4", batchSize: 100))
        defer { setup.cleanUp() }
        var daemon = try setup.start()
        try await setup.waitUntilSlotReady()
        // 1,000 inserts then 9 rounds of updates of every row, in 100-row transactions: 10,000 changes.
        let workload = setup.versionedWorkload(rows: 1000, pause: .milliseconds(30))
        let kills = 6
        daemon = try await setup.killAndRestart(daemon, times: kills)
        try await workload.value
        let requests = try await receiver.waitForRequests(timeout: .seconds(180), "10,000 changes") {
            Self.delivered($0).count >= 10_000
        }
        daemon.signal(SIGTERM)
        #expect(await daemon.wait(timeout: .seconds(20)) == 0)
        #expect(kills >= 5)
        #expect(Self.delivered(requests).count == 10_000)
        // Every duplicate carries the same webhook-id: the change's eventID.
        var ids: [String: Set<String>] = [:]
        for request in requests {
            guard let eventID = request["body"]?["eventID"]?.stringValue, let id = request["id"]?.stringValue else { continue }
            ids[eventID, default: []].insert(id)
        }
        #expect(ids.values.allSatisfy { $0.count == 1 })
        #expect(ids.allSatisfy { $0.value == [$0.key] })
        #expect(requests.allSatisfy { $0["signature_ok"] == true })
        let wrong = Self.keysOutOfOrder(requests, versions: 10)
        #expect(wrong.isEmpty, "\(wrong)")
        print("webhook crash test: \(requests.count) requests for 10,000 changes, \(kills) kills")
    }
}
