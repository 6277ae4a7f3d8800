import CDCConfig
import CDCCore
import Foundation
import Testing

@Suite("Durations, scalars, paths, redaction")
struct ConfigValueTests {
    @Test(arguments: [
        ("30s", Duration.seconds(30)), ("500ms", .milliseconds(500)), ("5m", .seconds(300)), ("1h", .seconds(3600)),
        ("24h", .seconds(86_400)), ("7d", .seconds(604_800)), ("90", .seconds(90)), ("0.5", .milliseconds(500)),
        ("0", .zero), ("1.5s", .milliseconds(1500)), ("1h30m", .seconds(5400)), ("2m30s", .seconds(150)),
        ("250ms", .milliseconds(250)), (".25", .milliseconds(250)),
    ])
    func durations(_ text: String, _ expected: Duration) {
        #expect(ConfigLoader.parseDuration(text) == expected)
    }

    @Test(arguments: ["", "5 mins", "-1", "1x", "s", "ms", "1.2.3s", "30 s", "1e3", "1h-5m", "999999999999999999h"])
    func invalidDurations(_ text: String) {
        #expect(ConfigLoader.parseDuration(text) == nil)
    }

    @Test(arguments: [
        ("2", Duration.seconds(2)), ("0.25", .milliseconds(250)), ("5m", .seconds(300)), ("\"30s\"", .seconds(30)),
    ])
    func durationsInAConfig(_ written: String, _ expected: Duration) throws {
        let config = try parse(minimalConfig(pipelineExtra: "batch_window: \(written)"))
        #expect(config.pipelines[0].batchWindow == expected)
    }

    /// YAML 1.2 core schema: `yes`/`on` are text, numbers keep their exact text, quoted is always text.
    @Test func filterScalarsFollowTheYAML12CoreSchema() throws {
        let yaml = minimalConfig(
            pipelineExtra: """
                filter:
                  - v: [yes, on, No, 0x1F, 0o17, +5, .5, 5., 1e3, -0.0, "007", 007, 99.90, ~, null, 'true', TRUE, !!str 42, !!int "12", 12abc]
                """)
        let filter = try parse(yaml).pipelines[0].filter
        let expected: [JSONValue] = [
            "yes", "on", "No", 31, 15, 5, .number("0.5"), .number("5.0"), .number("1e3"), .number("-0.0"), "007", 7,
            .number("99.90"), .null, .null, "true", true, "42", 12, "12abc",
        ]
        #expect(filter == [["v": .array(expected)]])
    }

    @Test func filterOrAlternativesAndOperators() throws {
        let yaml = minimalConfig(
            pipelineExtra: """
                filter:
                  - $or:
                      - { eventName: [REMOVE] }
                      - { newImage: { status: [{ anything-but: [new, void] }], ref: [{ prefix: { equals-ignore-case: ORD- } }] } }
                """)
        let filter = try parse(yaml).pipelines[0].filter
        #expect(
            filter == [
                [
                    "$or": [
                        ["eventName": ["REMOVE"]],
                        [
                            "newImage": [
                                "status": [["anything-but": ["new", "void"]]],
                                "ref": [["prefix": ["equals-ignore-case": "ORD-"]]],
                            ]
                        ],
                    ]
                ]
            ])
    }

    @Test func relativePathsAreResolvedAgainstTheConfigFolder() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cdcd-config-\(UUID().uuidString)")
        let configFolder = folder.appendingPathComponent("etc")
        try FileManager.default.createDirectory(at: configFolder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = configFolder.appendingPathComponent("cdcd.yaml").path
        try """
        state_dir: state
        source: { postgres: { url: "postgres://db/app", tables: [public.*] } }
        pipelines:
          - name: file
            sink: { file: { path: ../out/./changes.jsonl } }
          - name: hook
            sink: { webhook: { url: "https://example.com", ca_file: ./certs/ca.pem } }
          - name: command
            function: { command: [./bin/handler, handler.py, ../lib/x.py, /usr/bin/env, "--x=./y"] }
          - name: absolute
            sink: { file: { path: /var/log/cdcd/changes.jsonl } }
          - name: home
            sink: { file: { path: ~/changes.jsonl } }
        """.write(toFile: path, atomically: true, encoding: .utf8)

        let config = try ConfigLoader.load(path: path, environment: ["HOME": "/home/cdc"])
        let base = configFolder.path
        let parent = folder.path
        #expect(config.file == path)
        #expect(config.stateDirectory == base + "/state")
        #expect(config.pipelines[0].sink == .file(.init(path: parent + "/out/changes.jsonl")))
        guard case .webhook(let webhook) = config.pipelines[1].sink else {
            Issue.record("expected a webhook sink")
            return
        }
        #expect(webhook.caFile == base + "/certs/ca.pem")
        #expect(
            config.pipelines[2].function
                == .command(
                    .init(
                        arguments: [
                            base + "/bin/handler", "handler.py", parent + "/lib/x.py", "/usr/bin/env", "--x=./y",
                        ],
                        workingDirectory: base)))
        #expect(config.pipelines[3].sink == .file(.init(path: "/var/log/cdcd/changes.jsonl")))
        #expect(config.pipelines[4].sink == .file(.init(path: "/home/cdc/changes.jsonl")))
    }

    @Test func loadReportsSyntaxErrorsWithThePathGiven() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("cdcd-\(UUID().uuidString).yaml").path
        try "source:\n  postgres: [\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect {
            try ConfigLoader.load(path: path, environment: [:])
        } throws: { error in
            guard let error = error as? ConfigError else { return false }
            return error.code == .syntax && error.file == path && error.line == 3
                && error.description.hasPrefix("\(path):3: YAML syntax error: ")
        }
    }

    @Test(arguments: [
        ("postgres://user:pw@host/db", "postgres://user:***@host/db"),
        ("postgresql://user@host:5432/db", "postgresql://user@host:5432/db"),
        ("postgres://host/db", "postgres://host/db"),
        (
            "postgres://u:p%40ss@h:5432/db?sslmode=require&password=x",
            "postgres://u:***@h:5432/db?sslmode=require&password=***"
        ),
        ("postgres://u:pa/ss@w@h/db", "postgres://u:***@h/db"),
        ("host=db user=app password=secret dbname=app", "host=db user=app password=*** dbname=app"),
        ("host=db password = 'se cret\\'x' dbname=app", "host=db password = *** dbname=app"),
        ("PASSWORD=x host=db", "PASSWORD=*** host=db"),
        ("https://hooks.example.com/x?token=abc&x=1", "https://hooks.example.com/x?token=***&x=1"),
        ("https://user:pw@example.com", "https://user:***@example.com"),
        ("not a conninfo password secret", "not a conninfo password=***"),
        ("host='unterminated password=secret", "host='unterminated password=***"),
    ])
    func redactURL(_ url: String, _ expected: String) {
        #expect(CDCDConfiguration.redactURL(url) == expected)
    }

    /// Printing, debug-printing or dumping a configuration never shows a password, secret, token or header value.
    @Test func descriptionsHideSecrets() throws {
        let secrets = [
            "S3cretSourcePw", "S3cretSinkPw", "S3cretToken", "S3cretHeader", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "S3cretEndpoint",
        ]
        let config = try parse(
            """
            source: { postgres: { url: "postgres://cdc:S3cretSourcePw@db/app", tables: [public.*] } }
            admin: { token: S3cretToken }
            pipelines:
              - name: replica
                sink: { postgres: { url: "host=replica password=S3cretSinkPw" } }
              - name: hook
                sink:
                  webhook:
                    url: https://example.com/hook
                    secret: ${SECRET}
                    headers: { Authorization: "Bearer S3cretHeader" }
            """, environment: ["SECRET": testSecret])
        let dynamo = DynamoDBSourceConfig(
            stream: .table("t"), endpoint: "http://u:S3cretEndpoint@localhost:5000", region: "x")
        var dumped = ""
        dump(config, to: &dumped)
        dump(dynamo, to: &dumped)
        let texts = [
            String(describing: config), String(reflecting: config), dumped, String(describing: dynamo),
            "\(config.pipelines)", "\(config.source)", "\(config.admin)",
        ]
        for text in texts {
            for secret in secrets {
                #expect(!text.contains(secret), "\(secret) printed in \(text)")
            }
        }
        #expect(String(describing: config).contains("postgres://cdc:***@db/app"))
        #expect(String(describing: config).contains("https://example.com/hook"))
    }

    @Test func webhookSecretKeyIsDecoded() throws {
        let webhook = CDCDConfiguration.Pipeline.Sink.Webhook(url: "https://x", secret: "whsec_aGVsbG8")
        #expect(webhook.secretKey == Array("hello".utf8))
        #expect(CDCDConfiguration.Pipeline.Sink.Webhook.decodeSecret("whsec_%%%") == nil)
    }
}
