import CDCCore
import CDCTestKit
import Foundation
import LibPQ
import Testing

/// The admin endpoint of a real `cdcd run`: health, readiness following the source, Prometheus
/// metrics read by the reference parser, graceful stop under load.
@Suite("admin endpoint")
struct AdminEndpointTests {
    static let token = "adm-test-token-93f1"

    struct ParserMissing: Error, CustomStringConvertible {
        var detail: String
        var description: String {
            "no python3 with prometheus_client (apt-get install python3-prometheus-client): \(detail)"
        }
    }

    /// The Prometheus text format as `prometheus_client` parses it: `name{labels}` → value, for
    /// every sample. Uses whichever python3 has the parser (Debian's python3-prometheus-client).
    static func parseMetrics(_ text: String, directory: String) async throws -> [String: Double] {
        let input = directory + "/metrics.txt"
        try text.write(toFile: input, atomically: true, encoding: .utf8)
        let script = """
            import json, sys
            from prometheus_client.parser import text_string_to_metric_families
            out = {}
            for family in text_string_to_metric_families(open(sys.argv[1]).read()):
                for s in family.samples:
                    labels = ",".join(f'{k}="{v}"' for k, v in sorted(s.labels.items()))
                    out[s.name + ("{" + labels + "}" if labels else "")] = s.value
            print(json.dumps(out))
            """
        var lastError = ""
        for python in ["/usr/bin/python3", "/usr/local/bin/python3", "python3"] {
            let executable = python.hasPrefix("/") ? python : "/usr/bin/env"
            let arguments = python.hasPrefix("/") ? ["-c", script, input] : [python, "-c", script, input]
            guard !python.hasPrefix("/") || FileManager.default.isExecutableFile(atPath: python) else { continue }
            let result = try await TestPostgres.run(executable, arguments, allowFailure: true)
            if result.status == 0 {
                let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Double]
                return object ?? [:]
            }
            lastError = result.stderr
        }
        throw ParserMissing(detail: lastError)
    }

    @Test func metricsAreValidPrometheusTextAndMove() async throws {
        let setup = try RunCommandTests.Setup(
            pipelines: """
                  - name: all
                    starting_position: TRIM_HORIZON
                    sink: { file: { path: ./all.jsonl } }
                  - name: odd
                    starting_position: TRIM_HORIZON
                    filter: [{ newImage: { v: [odd] } }]
                    sink: { file: { path: ./odd.jsonl } }
                  - name: broken
                    starting_position: TRIM_HORIZON
                    retry: { max_attempts: 1 }
                    sink: { file: { path: /dev/full } }
                """, admin: "listen: 127.0.0.1:0, token: \(Self.token)")
        defer { setup.cleanUp() }
        let daemon = try setup.start()
        let base = try await AdminHTTP.waitForAddress(logPath: daemon.logPath)
        try await setup.waitUntilSlotReady()

        #expect(await AdminHTTP.get(base + "/healthz").status == 401)
        #expect(await AdminHTTP.get(base + "/metrics", token: "wrong").status == 401)
        let health = await AdminHTTP.get(base + "/healthz", token: Self.token)
        #expect(health.status == 200 && health.body == "ok\n")

        let db = try TestPostgres.connect()
        func insert(_ range: ClosedRange<Int>) throws {
            try db.execute(
                "INSERT INTO \(setup.table) SELECT g, CASE WHEN g % 2 = 1 THEN 'odd' ELSE 'even' END, 1 FROM generate_series(\(range.lowerBound), \(range.upperBound)) g"
            )
        }
        try insert(1...100)
        _ = try await setup.waitForLines("all.jsonl", count: 100)
        _ = try await AdminHTTP.waitFor(base + "/status", token: Self.token) { $0.body.contains(#""dlqSize":100"#) }
        let first = try await Self.parseMetrics(
            await AdminHTTP.get(base + "/metrics", token: Self.token).body, directory: setup.directory)

        let all = #"{pipeline="all"}"#
        let broken = #"{pipeline="broken"}"#
        let odd = #"{pipeline="odd"}"#
        #expect(first["cdcd_capture_changes_total"] == 100)
        #expect(first["cdcd_source_connected"] == 1)
        #expect(first["cdcd_ready"] == 1)
        #expect(first["cdcd_stream_records"] == 100)
        #expect(first["cdcd_stream_last_offset"] == 100)
        #expect((first["cdcd_stream_bytes"] ?? 0) > 0)
        #expect(first["cdcd_pipeline_delivered_total" + all] == 100)
        #expect(first["cdcd_pipeline_delivered_total" + odd] == 50)
        #expect(first["cdcd_pipeline_filtered_total" + odd] == 50)
        #expect(first["cdcd_pipeline_dead_lettered_total" + broken] == 100)
        #expect(first["cdcd_pipeline_dlq_records" + broken] == 100)
        #expect((first["cdcd_pipeline_failed_batches_total" + broken] ?? 0) >= 1)
        #expect(first["cdcd_pipeline_failed_batches_total" + all] == 0)
        #expect((first["cdcd_pipeline_retried_total" + broken] ?? 0) >= 1)
        #expect((first["cdcd_pipeline_batch_duration_seconds_count" + all] ?? 0) >= 1)
        #expect(first[#"cdcd_pipeline_batch_duration_seconds_bucket{le="+Inf",pipeline="all"}"#] != nil)
        #expect(first["cdcd_pipeline_iterator_age_milliseconds" + all] != nil)
        #expect(first["cdcd_pipeline_lag_records" + all] == 0)
        #expect(first["cdcd_pipeline_checkpoint" + all] == 100)
        #expect(first["cdcd_pipeline_disabled" + all] == 0)
        #expect(first["cdcd_pipeline_trimmed_total" + all] == 0)

        // The slot lag is read every few seconds over a normal connection.
        let withLag = try await AdminHTTP.waitFor(base + "/metrics", token: Self.token, timeout: .seconds(30)) {
            $0.body.contains("cdcd_source_slot_lag_bytes ")
        }
        #expect(
            try await Self.parseMetrics(withLag.body, directory: setup.directory)["cdcd_source_slot_lag_bytes"] != nil)

        try insert(101...250)
        _ = try await setup.waitForLines("all.jsonl", count: 250)
        _ = try await AdminHTTP.waitFor(base + "/status", token: Self.token) { $0.body.contains(#""dlqSize":250"#) }
        let second = try await Self.parseMetrics(
            await AdminHTTP.get(base + "/metrics", token: Self.token).body, directory: setup.directory)
        #expect(second["cdcd_capture_changes_total"] == 250)
        #expect(second["cdcd_stream_last_offset"] == 250)
        #expect(second["cdcd_pipeline_delivered_total" + all] == 250)
        #expect(second["cdcd_pipeline_filtered_total" + odd] == 125)
        #expect(second["cdcd_pipeline_dead_lettered_total" + broken] == 250)
        #expect(
            (second["cdcd_pipeline_failed_batches_total" + broken] ?? 0)
                > (first["cdcd_pipeline_failed_batches_total" + broken] ?? 0))
        #expect(
            (second["cdcd_pipeline_batch_duration_seconds_count" + all] ?? 0)
                > (first["cdcd_pipeline_batch_duration_seconds_count" + all] ?? 0))
        #expect((second["cdcd_stream_bytes"] ?? 0) > (first["cdcd_stream_bytes"] ?? 0))

        daemon.signal(SIGTERM)
        #expect(await daemon.wait(timeout: .seconds(20)) == 0, "\(daemon.log.suffix(2000))")
    }

    @Test func readyzFollowsTheSource() async throws {
        // A server of our own, stopped and started under the daemon.
        let name = "cdcd-adm-ready-\(getpid())"
        let url = try await TestPostgres.pgScript(["start", name]).trimmingCharacters(in: .whitespacesAndNewlines)
        defer {
            _ = try? TestPostgres.runBlocking(
                "/bin/bash", [TestPostgres.repositoryRoot + "/scripts/pg.sh", "destroy", name])
        }
        let setup = try RunCommandTests.Setup(
            pipelines: """
                  - name: all
                    starting_position: TRIM_HORIZON
                    sink: { file: { path: ./all.jsonl } }
                """, url: url)
        defer { setup.cleanUp() }
        let daemon = try setup.start()
        let base = try await AdminHTTP.waitForAddress(logPath: daemon.logPath)
        let ready = try await AdminHTTP.waitFor(base + "/readyz") { $0.status == 200 }
        #expect(ready.body.contains(#""ready":true"#))

        try await TestPostgres.pgScript(["stop", name])
        let unready = try await AdminHTTP.waitFor(base + "/readyz", timeout: .seconds(30)) { $0.status == 503 }
        #expect(unready.body.contains(#""ready":false"#))
        #expect(unready.body.contains("is not connected"))
        #expect(await AdminHTTP.get(base + "/healthz").status == 200)
        let status = await AdminHTTP.get(base + "/status")
        #expect(status.body.contains(#""streaming":false"#))

        try await TestPostgres.pgScript(["restart", name])
        _ = try await AdminHTTP.waitFor(base + "/readyz", timeout: .seconds(90)) { $0.status == 200 }
        // Capture really resumed: a change made now arrives.
        try TestPostgres.connect(url).execute("INSERT INTO \(setup.table) VALUES (1, 'after', 1)")
        _ = try await setup.waitForLines("all.jsonl", count: 1)
        daemon.signal(SIGTERM)
        #expect(await daemon.wait(timeout: .seconds(20)) == 0, "\(daemon.log.suffix(2000))")
    }

    @Test func sigtermDuringLoadExitsInTimeWithCheckpointsSaved() async throws {
        let setup = try RunCommandTests.Setup(
            pipelines: """
                  - name: all
                    starting_position: TRIM_HORIZON
                    batch_size: 200
                    sink: { file: { path: ./all.jsonl } }
                  - name: slow
                    starting_position: TRIM_HORIZON
                    batch_size: 50
                    function: { command: ["python3", "-c", "import sys,time\\nfor l in sys.stdin:\\n time.sleep(0.2); print('{}', flush=True)"] }
                    sink: { file: { path: ./slow.jsonl } }
                """)
        defer { setup.cleanUp() }
        let daemon = try setup.start(["--drain-seconds", "5"])
        try await setup.waitUntilSlotReady()
        let table = setup.table
        let load = Task.detached {
            let db = try TestPostgres.connect()
            var next = 1
            while !Task.isCancelled {
                try db.execute("INSERT INTO \(table) SELECT g, 'x', 1 FROM generate_series(\(next), \(next + 99)) g")
                next += 100
                try? await Task.sleep(for: .milliseconds(20))
            }
            return next - 1
        }
        _ = try await setup.waitForLines("all.jsonl", count: 1000)
        _ = try await setup.waitForLines("slow.jsonl", count: 100)
        let stopAt = ContinuousClock.now
        daemon.signal(SIGTERM)
        let status = await daemon.wait(timeout: .seconds(15))
        let took = ContinuousClock.now - stopAt
        load.cancel()
        let inserted = (try? await load.value) ?? 0
        #expect(status == 0, "\(daemon.log.suffix(2000))")
        #expect(took < .seconds(5 + 5), "stopped in \(took)")
        // Checkpoints were saved, and each covers no more than its sink holds.
        for (pipeline, file) in [("all", "all.jsonl"), ("slow", "slow.jsonl")] {
            let text = try String(
                contentsOfFile: setup.directory + "/state/pipelines/\(pipeline)/checkpoint", encoding: .utf8)
            let checkpoint = try #require(UInt64(text.trimmingCharacters(in: .whitespacesAndNewlines)))
            #expect(checkpoint > 0, "\(pipeline): \(daemon.log.suffix(3000))")
            #expect(UInt64(setup.lines(file).count) >= checkpoint, "\(pipeline)")
        }
        // After a restart, everything inserted arrives.
        let again = try setup.start()
        let lines = try await setup.waitForLines("all.jsonl", count: inserted, timeout: .seconds(120))
        again.signal(SIGTERM)
        #expect(await again.wait(timeout: .seconds(20)) == 0)
        #expect(Set(lines.compactMap { $0["keys"]?["id"]?.numberString }).count == inserted)
    }
}
