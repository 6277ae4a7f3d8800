import CDCConfig
import CDCCore
import Testing

@Suite("${VAR} interpolation")
struct ConfigEnvironmentTests {
    private func sourceURL(_ config: CDCDConfiguration) -> String? {
        if case .postgres(let source) = config.source { return source.url }
        return nil
    }

    private func config(url: String) -> String {
        """
        source:
          postgres:
            url: \(url)
            tables: [public.*]
        pipelines: [{ name: a, sink: { stdout: {} } }]
        """
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var written: String
        var environment: [String: String]
        var expected: String
        var testDescription: String { "\(written) with \(environment)" }
    }

    @Test(arguments: [
        Case(
            written: "${DATABASE_URL}", environment: ["DATABASE_URL": "postgres://u:pw@db/app"],
            expected: "postgres://u:pw@db/app"),
        Case(
            written: "postgres://cdc:${PGPASSWORD}@db/app", environment: ["PGPASSWORD": "p#w: x"],
            expected: "postgres://cdc:p#w: x@db/app"),
        Case(written: "'${URL:-postgres://localhost/app}'", environment: [:], expected: "postgres://localhost/app"),
        Case(
            written: "'${URL:-postgres://localhost/app}'", environment: ["URL": ""],
            expected: "postgres://localhost/app"),
        Case(
            written: "'${URL:-postgres://localhost/app}'", environment: ["URL": "postgres://db/x"],
            expected: "postgres://db/x"),
        Case(
            written: "'postgres://db/app?application_name=$${literal}'", environment: [:],
            expected: "postgres://db/app?application_name=${literal}"),
        Case(
            written: "'postgres://db/app?application_name=a$b'", environment: [:],
            expected: "postgres://db/app?application_name=a$b"),
        Case(
            written: "'${HOST_A}${HOST_B}'", environment: ["HOST_A": "postgres://d", "HOST_B": "b/app"],
            expected: "postgres://db/app"),
    ])
    func expansion(_ test: Case) throws {
        #expect(sourceURL(try parse(config(url: test.written), environment: test.environment)) == test.expected)
    }

    @Test func unsetVariableIsAnErrorNamingIt() {
        let error = parseError(config(url: "${DATABASE_URL}"), environment: ["OTHER": "x"])
        #expect(error?.code == .unsetVariable)
        #expect(
            error?.description
                == "cdcd.yaml:3: source.postgres.url: environment variable DATABASE_URL is not set (set it, or give a default: ${DATABASE_URL:-default})"
        )
    }

    @Test func setButEmptyIsNotUnset() {
        let error = parseError(config(url: "${DATABASE_URL}"), environment: ["DATABASE_URL": ""])
        #expect(error?.description == "cdcd.yaml:3: source.postgres.url: must not be empty (${DATABASE_URL} is empty)")
    }

    /// Values from the environment never appear in errors, whatever the error.
    @Test(arguments: [
        (
            "source:\n  postgres:\n    url: ${SECRET}\n    tables: [a.b]\npipelines: [{ name: a, sink: { stdout: {} } }]",
            "mysql://root:hunter2-SECRET@db/app",
            "cdcd.yaml:3: source.postgres.url: must be a postgres:// URI (postgres://user@host:5432/db) or a libpq conninfo (host=... dbname=...), got the value of ${SECRET}"
        ),
        (
            "source:\n  postgres:\n    url: mysql://root:LiteralPw@${SECRET}/app\n    tables: [a.b]\npipelines: [{ name: a, sink: { stdout: {} } }]",
            "host-SECRET",
            "cdcd.yaml:3: source.postgres.url: must be a postgres:// URI (postgres://user@host:5432/db) or a libpq conninfo (host=... dbname=...), got the value of mysql://root:***@${SECRET}/app"
        ),
        (
            minimalConfig(pipelineExtra: "batch_size: ${SECRET}"), "20000-SECRET",
            "cdcd.yaml:7: pipelines[0].batch_size: must be a whole number, got the value of ${SECRET}"
        ),
        (
            minimalConfig(pipelineExtra: "view: ${SECRET}"), "NEW_IMAGES-SECRET",
            "cdcd.yaml:7: pipelines[0].view: must be one of KEYS_ONLY, NEW_IMAGE, OLD_IMAGE, NEW_AND_OLD_IMAGES, got the value of ${SECRET}"
        ),
        (
            minimalConfig(pipelineExtra: "batch_window: ${SECRET}"), "10-SECRET-minutes",
            "cdcd.yaml:7: pipelines[0].batch_window: invalid duration the value of ${SECRET}: write 500ms, 30s, 5m, 1h, 24h, or a number of seconds"
        ),
        (
            "source: { postgres: { url: 'postgres://db', tables: [a.b] } }\npipelines:\n  - name: a\n    sink:\n      webhook:\n        url: https://example.com/x\n        secret: ${SECRET}\n",
            "whsec_!!SECRET!!",
            "cdcd.yaml:7: pipelines[0].sink.webhook.secret: must be a Standard Webhooks secret, whsec_ followed by base64 (the value (from ${SECRET}) is not shown)"
        ),
        (
            "source: { postgres: { url: 'postgres://db', tables: [a.b] } }\npipelines:\n  - name: a\n    sink:\n      webhook:\n        url: ${SECRET}\n",
            "ftp://user:SECRET@example.com/",
            "cdcd.yaml:6: pipelines[0].sink.webhook.url: must be an http:// or https:// URL, got the value of ${SECRET}"
        ),
    ])
    func secretsAreNotEchoed(_ yaml: String, _ secret: String, _ expected: String) {
        let error = parseError(yaml, environment: ["SECRET": secret])
        #expect(error?.description == expected)
        #expect(error?.description.contains("SECRET@") == false)
        #expect(error?.description.contains(secret) == false)
    }

    @Test func filterValuesAreTypedAfterExpansion() throws {
        let yaml = minimalConfig(
            pipelineExtra: """
                filter:
                  - newImage:
                      status: ["${STATUS}"]
                      total:
                        - ${TOTAL}
                """)
        let config = try parse(yaml, environment: ["STATUS": "paid", "TOTAL": "99.90"])
        #expect(config.pipelines[0].filter == [["newImage": ["status": ["paid"], "total": [.number("99.90")]]]])
    }
}
