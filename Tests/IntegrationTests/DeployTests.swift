import CDCTestKit
import Foundation
import Testing

/// What `deploy/` ships: the systemd unit passes `systemd-analyze verify`, every example config
/// parses, the source role SQL runs, the Dockerfile has its two stages.
@Suite("deploy")
struct DeployTests {
    static let deploy = TestPostgres.repositoryRoot + "/deploy"

    static func scratch() throws -> String {
        let directory = NSTemporaryDirectory() + TestPostgres.uniqueName("deploy")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        return directory
    }

    @Test func systemdUnitVerifiesAndIsHardened() async throws {
        let unit = try String(contentsOfFile: Self.deploy + "/cdcd.service", encoding: .utf8)
        for directive in [
            "User=cdcd", "StateDirectory=cdcd", "Restart=on-failure", "NoNewPrivileges=yes", "ProtectSystem=strict",
            "ProtectHome=yes", "PrivateTmp=yes", "KillSignal=SIGTERM",
        ] {
            #expect(unit.split(separator: "\n").contains(Substring(directive)), "\(directive)")
        }
        // The stop timeout leaves the drain bound room.
        let timeout = unit.split(separator: "\n").first { $0.hasPrefix("TimeoutStopSec=") }
        let drain = unit.firstRange(of: /--drain-seconds (\d+)/).map { Int(unit[$0].split(separator: " ")[1])! } ?? 10
        let stop = timeout.flatMap { Int($0.dropFirst("TimeoutStopSec=".count).dropLast()) } ?? 0
        #expect(stop > drain + 5, "TimeoutStopSec \(stop)s vs drain \(drain)s")

        // verify needs ExecStart's program to exist: point it at the binary under test.
        let directory = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try unit.replacingOccurrences(of: "/usr/local/bin/cdcd", with: TestPostgres.cdcdBinary)
            .write(toFile: directory + "/cdcd.service", atomically: true, encoding: .utf8)
        let verify = try await TestPostgres.run(
            "/usr/bin/env", ["systemd-analyze", "verify", directory + "/cdcd.service"], allowFailure: true)
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
        #expect(verify.stderr.isEmpty, "\(verify.stderr)")
        let security = try await TestPostgres.run(
            "/usr/bin/env", ["systemd-analyze", "security", "--offline=true", directory + "/cdcd.service"],
            allowFailure: true)
        let level = security.stdout.firstRange(of: /Overall exposure level for cdcd.service: ([0-9.]+)/)
            .flatMap { Double(security.stdout[$0].split(separator: " ").last ?? "") }
        #expect((level ?? 10) <= 2.5, "\(security.stdout.suffix(500))")
    }

    @Test(arguments: ["replicate-to-postgres.yaml", "webhooks-on-inserts.yaml", "lambda-function.yaml"])
    func exampleConfigParses(file: String) async throws {
        let path = Self.deploy + "/examples/" + file
        let result = try await TestPostgres.run(
            "/usr/bin/env",
            [
                "SOURCE_URL=\(TestPostgres.url)", "REPLICA_URL=\(TestPostgres.url)",
                "ORDERS_WEBHOOK_SECRET=whsec_ZXhhbXBsZS1zZWNyZXQtZm9yLXRlc3Rz",
                "STATE_DIRECTORY=\(NSTemporaryDirectory())cdcd-example-state",
                TestPostgres.cdcdBinary, "check", "--config", path,
            ], allowFailure: true)
        // The config itself is valid (the source may lack the example's tables: later lines say so).
        #expect(
            result.stdout.hasPrefix("ok: \(path): config is valid (1 pipelines)"), "\(result.stdout)\(result.stderr)")
    }

    @Test func lambdaExampleHandlerImports() async throws {
        let result = try await TestPostgres.run(
            "/usr/bin/env",
            [
                "python3", "-c",
                "import sys; sys.path.insert(0, sys.argv[1]); import handler; print(handler.handler({'Records': []}, None))",
                Self.deploy + "/examples",
            ])
        #expect(result.stdout == "{'batchItemFailures': []}\n")
    }

    @Test func sourceRoleSQLRuns() async throws {
        let directory = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // In a transaction that is rolled back: the role and publication are cluster-wide names.
        try
            "BEGIN;\n\\i \(Self.deploy)/source-role.sql\nSELECT rolreplication, rolsuper FROM pg_roles WHERE rolname = 'cdcd';\nROLLBACK;\n"
            .write(toFile: directory + "/wrapper.sql", atomically: true, encoding: .utf8)
        let result = try await TestPostgres.run(
            "/usr/bin/env",
            [
                "psql", "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-v", "password='role-test-pw'", "-d",
                TestPostgres.url, "-f", directory + "/wrapper.sql",
            ],
            allowFailure: true)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("t|f"))
    }

    @Test func dockerfileBuildsInOneStageAndRunsSlimInAnother() throws {
        let text = try String(contentsOfFile: Self.deploy + "/Dockerfile", encoding: .utf8)
        let stages = text.split(separator: "\n").filter { $0.hasPrefix("FROM ") }
        #expect(stages.count == 2)
        #expect(stages.first?.contains("swift:") == true)
        #expect(stages.last?.contains("slim") == true)
        for package in ["libpq5", "libcurl4"] { #expect(text.contains(package)) }
        #expect(text.contains("USER cdcd"))
    }
}
