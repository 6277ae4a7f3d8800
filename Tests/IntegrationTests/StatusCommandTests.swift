import CDCCore
import CDCTestKit
import Foundation
import Testing

/// `cdcd status`: from the running daemon's `/status`, and from the state directory when it is down.
@Suite("cdcd status")
struct StatusCommandTests {
    @Test func tableFromTheDaemonAndFromTheStateDirectory() async throws {
        let port = AdminHTTP.freePort()
        let setup = try RunCommandTests.Setup(
            pipelines: """
                  - name: all
                    starting_position: TRIM_HORIZON
                    sink: { file: { path: ./all.jsonl } }
                  - name: broken
                    starting_position: TRIM_HORIZON
                    retry: { max_attempts: 1 }
                    sink: { file: { path: /dev/full } }
                """, admin: "listen: 127.0.0.1:\(port), token: status-token-77")
        defer { setup.cleanUp() }
        let daemon = try setup.start()
        try await setup.waitUntilSlotReady()
        try TestPostgres.connect().execute("INSERT INTO \(setup.table) SELECT g, 'x', 1 FROM generate_series(1, 30) g")
        _ = try await setup.waitForLines("all.jsonl", count: 30)
        _ = try await AdminHTTP.waitFor("http://127.0.0.1:\(port)/status", token: "status-token-77") {
            $0.body.contains(#""dlqSize":30"#) && $0.body.contains(#""slotLagBytes""#)
        }

        let running = try await TestPostgres.run(
            TestPostgres.cdcdBinary, ["status", "--config", setup.config], allowFailure: true)
        #expect(running.status == 0, "\(running.stderr)")
        let lines = running.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first == "cdcd is running (admin http://127.0.0.1:\(port)): ready")
        #expect(
            lines.contains {
                $0.hasPrefix("source:   ") && $0.contains("slot \(setup.slot)  streaming") && $0.contains("slot lag ")
            })
        #expect(lines.contains { $0.hasPrefix("stream:   offsets 1…30  30 records  ") })
        #expect(lines.contains("PIPELINE  STATE    CHECKPOINT  LAG  ITERATOR AGE  DELIVERED  DLQ  LAST ERROR"))
        #expect(lines.contains { $0.hasPrefix("all       running  30          0    0 ms          30         0    -") })
        #expect(
            lines.contains {
                $0.hasPrefix(
                    "broken    running  30          0    0 ms          0          30   writing to /dev/full failed")
            })

        let json = try await TestPostgres.run(TestPostgres.cdcdBinary, ["status", "--config", setup.config, "--json"])
        let object = try JSONValue.parse(json.stdout)
        #expect(object["running"] == true)
        #expect(object["pipelines"]?[0]?["checkpoint"] == 30)

        daemon.signal(SIGTERM)
        #expect(await daemon.wait(timeout: .seconds(20)) == 0)
        try TestPostgres.connect().execute("INSERT INTO \(setup.table) SELECT g, 'x', 1 FROM generate_series(31, 35) g")

        let stopped = try await TestPostgres.run(
            TestPostgres.cdcdBinary, ["status", "--config", setup.config], allowFailure: true)
        #expect(stopped.status == 3, "\(stopped.stderr)")
        let offline = stopped.stdout.split(separator: "\n").map(String.init)
        #expect(
            offline.first?.hasPrefix(
                "cdcd is not running (no answer on http://127.0.0.1:\(port)); from the state directory ") == true)
        // The slot is idle and behind by the 5 changes made since.
        #expect(
            offline.contains {
                $0.contains("slot \(setup.slot)") && $0.contains("(slot idle)") && !$0.contains("slot lag 0 B")
            })
        #expect(offline.contains { $0.hasPrefix("all       stopped  30          0    0 ms          -          0") })
        #expect(offline.contains { $0.hasPrefix("broken    stopped  30          0    0 ms          -          30") })

        let explicitURL = try await TestPostgres.run(
            TestPostgres.cdcdBinary, ["status", "--config", setup.config, "--admin", "http://127.0.0.1:\(port)"],
            allowFailure: true)
        #expect(explicitURL.status == 3)
    }
}
