import CDCTestKit
import Foundation
import Testing

/// A secret given in the config (source password, admin token, webhook secret and headers, a
/// sink's password) never appears in a log line or an error, at any level, in either log format.
@Suite("secrets in logs")
struct SecretsInLogsTests {
    static let sourcePassword = "src-pw-Zq81xK"
    static let adminToken = "adm-tok-Hw55pL"
    static let webhookSecret = "whsec_c2VjcmV0LXdlYmhvb2sta2V5LTQy"
    static let headerToken = "hdr-tok-Mm20vR"
    static let sinkPassword = "sink-pw-Ty77qA"
    static let all = [
        sourcePassword, adminToken, webhookSecret, "c2VjcmV0LXdlYmhvb2sta2V5LTQy", headerToken, sinkPassword,
    ]

    static func expectClean(_ text: String, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
        for secret in all {
            #expect(
                !text.contains(secret), "\(what) shows a secret: \(text.suffix(4000))", sourceLocation: sourceLocation)
        }
    }

    @Test(arguments: ["text", "json"])
    func runningDaemonAtTraceLevel(format: String) async throws {
        let setup = try RunCommandTests.Setup(
            pipelines: """
                  - name: all
                    starting_position: TRIM_HORIZON
                    sink: { file: { path: ./all.jsonl } }
                """, sourceURL: TestPostgres.url + " password=\(Self.sourcePassword)",
            admin: "listen: 127.0.0.1:0, token: \(Self.adminToken)")
        defer { setup.cleanUp() }
        let daemon = try setup.start(["--log-level", "trace", "--log-format", format])
        let base = try await AdminHTTP.waitForAddress(logPath: daemon.logPath)
        try await setup.waitUntilSlotReady()
        try TestPostgres.connect().execute("INSERT INTO \(setup.table) SELECT g, 'x', 1 FROM generate_series(1, 20) g")
        _ = try await setup.waitForLines("all.jsonl", count: 20)
        for token in [Self.adminToken, "wrong-token", nil] {
            for path in ["/healthz", "/readyz", "/status", "/metrics"] {
                _ = await AdminHTTP.get(base + path, token: token)
            }
        }
        let status = try await TestPostgres.run(
            TestPostgres.cdcdBinary, ["status", "--config", setup.config, "--admin", base], allowFailure: true)
        #expect(status.status == 0)
        Self.expectClean(status.stdout + status.stderr, "cdcd status")
        let check = try await TestPostgres.run(
            TestPostgres.cdcdBinary, ["check", "--config", setup.config], allowFailure: true)
        Self.expectClean(check.stdout + check.stderr, "cdcd check")
        daemon.signal(SIGTERM)
        #expect(await daemon.wait(timeout: .seconds(20)) == 0)
        let log = daemon.log
        #expect(log.contains("trace") || log.contains("\"level\":\"trace\""))
        if format == "json" {
            let lines = log.split(separator: "\n")
            #expect(lines.allSatisfy { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) != nil })
        }
        Self.expectClean(log, "cdcd run's log")
    }

    @Test func sinkSecretsAndFailingSources() async throws {
        let directory = NSTemporaryDirectory() + TestPostgres.uniqueName("secrets")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let sinks = """
            admin: { listen: "127.0.0.1:0", token: \(Self.adminToken) }
            pipelines:
              - name: hook
                sink:
                  webhook:
                    url: http://127.0.0.1:1/hook
                    secret: \(Self.webhookSecret)
                    headers: { Authorization: "Bearer \(Self.headerToken)" }
              - name: replica
                sink: { postgres: { url: "postgres://app:\(Self.sinkPassword)@127.0.0.1:1/app" } }
            """
        let configs = [
            // Reachable source, sinks with secrets.
            "state_dir: ./state-a\nsource:\n  postgres:\n    url: \"\(TestPostgres.url) password=\(Self.sourcePassword)\"\n    tables: [public.secrets_none]\n    snapshot: never\n"
                + sinks,
            // Unreachable source with a password in a URI.
            "state_dir: ./state-b\nsource:\n  postgres:\n    url: \"postgres://app:\(Self.sourcePassword)@127.0.0.1:1/app\"\n    tables: [public.t]\n"
                + sinks,
        ]
        for (index, yaml) in configs.enumerated() {
            let path = directory + "/cdcd-\(index).yaml"
            try yaml.write(toFile: path, atomically: true, encoding: .utf8)
            let daemon = try BackgroundProcess(
                TestPostgres.cdcdBinary, ["run", "--config", path, "--log-level", "trace"],
                logPath: directory + "/run-\(index).log")
            if await daemon.wait(timeout: .seconds(8)) == nil {
                daemon.signal(SIGTERM)
                _ = await daemon.wait(timeout: .seconds(20))
            }
            Self.expectClean(daemon.log, "cdcd run with config \(index)")
            for arguments in [
                ["check", "--config", path], ["status", "--config", path],
                ["dlq", "list", "--config", path, "--pipeline", "hook"],
            ] {
                let result = try await TestPostgres.run(TestPostgres.cdcdBinary, arguments, allowFailure: true)
                Self.expectClean(result.stdout + result.stderr, arguments.joined(separator: " "))
            }
        }
        let tail = try await TestPostgres.run(
            TestPostgres.cdcdBinary,
            ["tail", "--source", "postgres://app:\(Self.sourcePassword)@127.0.0.1:1/app", "--log-level", "trace"],
            allowFailure: true)
        #expect(tail.status != 0)
        Self.expectClean(tail.stdout + tail.stderr, "cdcd tail")
    }
}
