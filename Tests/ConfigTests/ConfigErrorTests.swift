import CDCConfig
import Testing

/// One bad config and the exact error it must produce.
struct BadConfig: Sendable, CustomTestStringConvertible {
    var name: String
    var yaml: String
    var code: ConfigError.Code
    var expected: String
    var environment: [String: String] = [:]

    var testDescription: String { name }
}

/// `minimalConfig` with extra pipeline lines (the first at line 7).
private func bad(
    _ name: String, pipeline extra: String, _ code: ConfigError.Code, _ expected: String,
    environment: [String: String] = [:]
) -> BadConfig {
    BadConfig(
        name: name, yaml: minimalConfig(pipelineExtra: extra), code: code, expected: expected, environment: environment)
}

private let pipelineKeys =
    "name, tables, filter, view, format, starting_position, starting_timestamp, batch_size, batch_window, parallelization, function, retry, on_failure, sink"

let badConfigs: [BadConfig] = [
    // Unknown keys.
    bad(
        "unknown key with a suggestion", pipeline: "batchsize: 50", .unknownKey,
        "cdcd.yaml:7: pipelines[0].batchsize: unknown key 'batchsize'; did you mean 'batch_size'?"),
    bad(
        "camelCase key", pipeline: "startingPosition: LATEST", .unknownKey,
        "cdcd.yaml:7: pipelines[0].startingPosition: unknown key 'startingPosition'; did you mean 'starting_position'?"),
    bad(
        "unknown key without a suggestion", pipeline: "colour: red", .unknownKey,
        "cdcd.yaml:7: pipelines[0].colour: unknown key 'colour' (allowed here: \(pipelineKeys))"),
    BadConfig(
        name: "unknown top-level key", yaml: "sources:\n  postgres: {}\n", code: .unknownKey,
        expected: "cdcd.yaml:1: sources: unknown key 'sources'; did you mean 'source'?"),
    bad(
        "unknown key in a sink", pipeline: "function: { command: [x] }\nretry: { backof: { initial: 1s } }",
        .unknownKey,
        "cdcd.yaml:8: pipelines[0].retry.backof: unknown key 'backof'; did you mean 'backoff'?"),
    bad(
        "unknown filter operator",
        pipeline: "filter:\n  - eventName: [INSERT]\n    newImage:\n      \"order total\": [{ prefx: 5 }]", .unknownKey,
        "cdcd.yaml:10: pipelines[0].filter[0].newImage[\"order total\"]: unknown operator \"prefx\"; supported: prefix, suffix, equals-ignore-case, wildcard, anything-but, numeric, exists"
    ),
    BadConfig(
        name: "stdout takes no keys",
        yaml:
            "source: { postgres: { url: 'postgres://db', tables: [a.b] } }\npipelines:\n  - name: a\n    sink:\n      stdout:\n        pretty: true\n",
        code: .unknownKey,
        expected: "cdcd.yaml:6: pipelines[0].sink.stdout.pretty: unknown key 'pretty' (this takes no keys)"),

    // Wrong types.
    bad(
        "text for a number", pipeline: "batch_size: ten", .wrongType,
        "cdcd.yaml:7: pipelines[0].batch_size: must be a whole number, got 'ten'"),
    bad(
        "a list for a number", pipeline: "batch_size: [1]", .wrongType,
        "cdcd.yaml:7: pipelines[0].batch_size: must be a whole number, got a list"),
    bad(
        "a scalar for a mapping", pipeline: "retry: 3", .wrongType,
        "cdcd.yaml:7: pipelines[0].retry: must be a mapping of retry settings, got a single value"),
    bad(
        "a scalar for a list", pipeline: "filter: paid", .wrongType,
        "cdcd.yaml:7: pipelines[0].filter: must be a list (for example [{ eventName: [INSERT] }]), got a single value"),
    bad(
        "yes is not a boolean", pipeline: "retry: { bisect_on_error: yes }", .wrongType,
        "cdcd.yaml:7: pipelines[0].retry.bisect_on_error: must be true or false, got 'yes'"),
    bad(
        "filter leaf not in a list", pipeline: "filter:\n  - eventName: [INSERT]\n  - newImage:\n      status: paid",
        .invalidValue,
        "cdcd.yaml:10: pipelines[0].filter[1].newImage.status: needs an array of match conditions such as [\"paid\"], or a nested object, not \"paid\""
    ),
    BadConfig(
        name: "pipelines not a list",
        yaml: "source: { postgres: { url: 'postgres://db', tables: [a.b] } }\npipelines:\n  name: a\n",
        code: .wrongType,
        expected: "cdcd.yaml:3: pipelines: must be a list (for example - name: replica ...), got a mapping"),
    bad(
        "command as a string", pipeline: "function: { command: python3 handler.py }", .wrongType,
        "cdcd.yaml:7: pipelines[0].function.command: must be a list of arguments (for example [python3, handler.py]), got a single value"
    ),

    // Out of range.
    bad(
        "batch_size too big", pipeline: "batch_size: 20000", .outOfRange,
        "cdcd.yaml:7: pipelines[0].batch_size: must be between 1 and 10000, got 20000"),
    bad(
        "batch_size zero", pipeline: "batch_size: 0", .outOfRange,
        "cdcd.yaml:7: pipelines[0].batch_size: must be between 1 and 10000, got 0"),
    bad(
        "parallelization too big", pipeline: "parallelization: 11", .outOfRange,
        "cdcd.yaml:7: pipelines[0].parallelization: must be between 1 and 10, got 11"),
    bad(
        "batch_window too long", pipeline: "batch_window: 10m", .outOfRange,
        "cdcd.yaml:7: pipelines[0].batch_window: must be between 0s and 5m, got 10m"),
    bad(
        "zero timeout", pipeline: "function: { command: [x], timeout: 0 }", .outOfRange,
        "cdcd.yaml:7: pipelines[0].function.timeout: must be more than 0s, got 0s"),
    BadConfig(
        name: "stream retention too short",
        yaml:
            "source: { postgres: { url: 'postgres://db', tables: [a.b] } }\nstream:\n  retention: 30s\npipelines: [{ name: a, sink: { stdout: {} } }]\n",
        code: .outOfRange, expected: "cdcd.yaml:3: stream.retention: must be at least 1m, got 30s"),
    bad(
        "max_attempts zero", pipeline: "retry:\n  max_attempts: 0", .outOfRange,
        "cdcd.yaml:8: pipelines[0].retry.max_attempts: must be between 1 and 10000, got 0"),
    bad(
        "backoff max below initial", pipeline: "retry:\n  backoff:\n    initial: 10s\n    max: 500ms", .outOfRange,
        "cdcd.yaml:10: pipelines[0].retry.backoff.max: must be at least initial (10s), got 500ms"),

    // Missing keys.
    BadConfig(
        name: "pipeline without a name",
        yaml:
            "source: { postgres: { url: 'postgres://db', tables: [a.b] } }\npipelines:\n  - tables: [a.b]\n    sink: { stdout: {} }\n",
        code: .missingKey,
        expected: "cdcd.yaml:3: pipelines[0].name: required key missing; every pipeline needs a unique name"),
    BadConfig(
        name: "no source", yaml: "pipelines:\n  - { name: a, sink: { stdout: {} } }\n", code: .missingKey,
        expected:
            "cdcd.yaml:1: source: required key missing; write source: { postgres: { url: ... } } or source: { dynamodb: ... }"
    ),
    BadConfig(
        name: "source url missing", yaml: "source:\n  postgres:\n    slot: s\npipelines: []\n", code: .missingKey,
        expected:
            "cdcd.yaml:3: source.postgres.url: required key missing; for example postgres://cdc@127.0.0.1:5432/app"),
    BadConfig(
        name: "no pipelines", yaml: "source: { postgres: { url: 'postgres://db', tables: [a.b] } }\npipelines: []\n",
        code: .missingKey, expected: "cdcd.yaml:2: pipelines: list at least one pipeline"),
    BadConfig(
        name: "no sink and no function",
        yaml:
            "source: { postgres: { url: 'postgres://db', tables: [a.b] } }\npipelines:\n  - name: a\n    batch_size: 5\n",
        code: .missingKey,
        expected:
            "cdcd.yaml:3: pipelines[0].sink: required key missing: a pipeline needs a sink (postgres, webhook, file or stdout) unless a command or lambda function is its end"
    ),
    bad(
        "AT_TIMESTAMP without a timestamp", pipeline: "starting_position: AT_TIMESTAMP", .missingKey,
        "cdcd.yaml:7: pipelines[0].starting_timestamp: required key missing: AT_TIMESTAMP needs starting_timestamp (for example 2026-01-02T03:04:05Z)"
    ),
    BadConfig(
        name: "empty file", yaml: "# nothing here\n", code: .missingKey,
        expected: "cdcd.yaml: the config is empty: it needs at least source: and pipelines:"),

    // Conflicts: two sinks, two sources, two functions.
    BadConfig(
        name: "two sinks in one pipeline",
        yaml: """
            source: { postgres: { url: 'postgres://db', tables: [a.b] } }
            pipelines:
              - name: a
                sink:
                  postgres: { url: "postgres://replica/app" }
                  webhook: { url: "https://example.com/hook" }
            """,
        code: .conflict,
        expected:
            "cdcd.yaml:6: pipelines[0].sink.webhook: a pipeline has exactly one sink; got postgres and webhook (use one pipeline per sink)"
    ),
    BadConfig(
        name: "two sources",
        yaml: "source:\n  postgres: { url: 'postgres://db' }\n  dynamodb: { table: orders }\npipelines: []\n",
        code: .conflict, expected: "cdcd.yaml:3: source.dynamodb: exactly one source allowed; got postgres and dynamodb"
    ),
    bad(
        "command and lambda", pipeline: "function:\n  command: [x]\n  lambda: a.b", .conflict,
        "cdcd.yaml:9: pipelines[0].function.lambda: a function is one of command, lambda or transforms; got command and lambda"
    ),
    bad(
        "timestamp without AT_TIMESTAMP", pipeline: "starting_timestamp: 2026-01-01T00:00:00Z", .conflict,
        "cdcd.yaml:7: pipelines[0].starting_timestamp: only used with starting_position: AT_TIMESTAMP"),

    // Duplicates.
    BadConfig(
        name: "duplicate pipeline names",
        yaml: """
            source: { postgres: { url: 'postgres://db', tables: [a.b] } }
            pipelines:
              - name: orders
                sink: { stdout: {} }
              - name: items
                sink: { stdout: {} }
              - name: orders
                sink: { stdout: {} }
            """,
        code: .duplicateName,
        expected: "cdcd.yaml:7: pipelines[2].name: duplicate pipeline name 'orders' (also pipelines[0], line 3)"),
    bad(
        "a key written twice", pipeline: "batch_size: 5\nbatch_size: 6", .duplicateKey,
        "cdcd.yaml:8: pipelines[0].batch_size: key written twice in the same mapping (first at line 7)"),

    // Invalid values: table patterns, durations, enums, names, URLs.
    BadConfig(
        name: "table pattern without a schema",
        yaml:
            "source: { postgres: { url: 'postgres://db' } }\npipelines:\n  - name: a\n    tables:\n      - public.orders\n      - orders\n    sink: { stdout: {} }\n",
        code: .invalidValue,
        expected:
            "cdcd.yaml:6: pipelines[0].tables[1]: table pattern 'orders' must be schema.table (for example public.orders or public.*)"
    ),
    BadConfig(
        name: "source table pattern",
        yaml:
            "source:\n  postgres:\n    url: 'postgres://db'\n    tables: [public.]\npipelines: [{ name: a, sink: { stdout: {} } }]\n",
        code: .invalidValue,
        expected:
            "cdcd.yaml:4: source.postgres.tables[0]: table pattern 'public.' must be schema.table (for example public.orders or public.*)"
    ),
    bad(
        "bad duration", pipeline: "batch_window: 5 mins", .invalidValue,
        "cdcd.yaml:7: pipelines[0].batch_window: invalid duration '5 mins': write 500ms, 30s, 5m, 1h, 24h, or a number of seconds"
    ),
    bad(
        "negative duration", pipeline: "retry: { max_record_age: -1 }", .invalidValue,
        "cdcd.yaml:7: pipelines[0].retry.max_record_age: invalid duration '-1': write 500ms, 30s, 5m, 1h, 24h, or a number of seconds"
    ),
    bad(
        "bad view", pipeline: "view: NEW", .invalidValue,
        "cdcd.yaml:7: pipelines[0].view: must be one of KEYS_ONLY, NEW_IMAGE, OLD_IMAGE, NEW_AND_OLD_IMAGES, got 'NEW'"),
    bad(
        "near-miss view", pipeline: "view: new_image", .invalidValue,
        "cdcd.yaml:7: pipelines[0].view: must be one of KEYS_ONLY, NEW_IMAGE, OLD_IMAGE, NEW_AND_OLD_IMAGES, got 'new_image'; did you mean NEW_IMAGE?"
    ),
    bad(
        "bad format", pipeline: "format: json", .invalidValue,
        "cdcd.yaml:7: pipelines[0].format: must be one of cdcd, dynamodb, got 'json'"),
    bad(
        "bad starting position", pipeline: "starting_position: EARLIEST", .invalidValue,
        "cdcd.yaml:7: pipelines[0].starting_position: must be one of TRIM_HORIZON, LATEST, AT_TIMESTAMP, got 'EARLIEST'"
    ),
    bad(
        "bad on_failure", pipeline: "on_failure: drop", .invalidValue,
        "cdcd.yaml:7: pipelines[0].on_failure: must be one of dlq, got 'drop'"),
    bad(
        "bad timestamp", pipeline: "starting_position: AT_TIMESTAMP\nstarting_timestamp: yesterday", .invalidValue,
        "cdcd.yaml:8: pipelines[0].starting_timestamp: must be an RFC 3339 timestamp with a zone (2026-01-02T03:04:05Z) or epoch seconds, got 'yesterday'"
    ),
    BadConfig(
        name: "bad snapshot",
        yaml:
            "source:\n  postgres:\n    url: 'postgres://db'\n    tables: [a.b]\n    snapshot: always\npipelines: [{ name: a, sink: { stdout: {} } }]\n",
        code: .invalidValue,
        expected: "cdcd.yaml:5: source.postgres.snapshot: must be one of initial, never, got 'always'"),
    BadConfig(
        name: "bad slot name",
        yaml:
            "source:\n  postgres:\n    url: 'postgres://db'\n    tables: [a.b]\n    slot: My-Slot\npipelines: [{ name: a, sink: { stdout: {} } }]\n",
        code: .invalidValue,
        expected:
            "cdcd.yaml:5: source.postgres.slot: a replication slot name is lower-case letters, digits and _ (at most 63), got 'My-Slot'"
    ),
    BadConfig(
        name: "bad pipeline name",
        yaml:
            "source: { postgres: { url: 'postgres://db', tables: [a.b] } }\npipelines:\n  - name: paid orders\n    sink: { stdout: {} }\n",
        code: .invalidValue,
        expected:
            "cdcd.yaml:3: pipelines[0].name: a pipeline name is letters, digits, ., _ and - (at most 64), got 'paid orders'"
    ),
    BadConfig(
        name: "bad source URL hides its password",
        yaml:
            "source:\n  postgres:\n    url: mysql://root:hunter2@db/app\n    tables: [a.b]\npipelines: [{ name: a, sink: { stdout: {} } }]\n",
        code: .invalidValue,
        expected:
            "cdcd.yaml:3: source.postgres.url: must be a postgres:// URI (postgres://user@host:5432/db) or a libpq conninfo (host=... dbname=...), got 'mysql://root:***@db/app'"
    ),
    bad(
        "misspelt sink", pipeline: "function: { command: [x] }\nsink_: 1", .unknownKey,
        "cdcd.yaml:8: pipelines[0].sink_: unknown key 'sink_'; did you mean 'sink'?"),
    BadConfig(
        name: "bad webhook URL",
        yaml:
            "source: { postgres: { url: 'postgres://db', tables: [a.b] } }\npipelines:\n  - name: a\n    sink:\n      webhook:\n        url: ftp://example.com/x\n",
        code: .invalidValue,
        expected:
            "cdcd.yaml:6: pipelines[0].sink.webhook.url: must be an http:// or https:// URL, got 'ftp://example.com/x'"),
    BadConfig(
        name: "webhook header cdcd sets",
        yaml:
            "source: { postgres: { url: 'postgres://db', tables: [a.b] } }\npipelines:\n  - name: a\n    sink:\n      webhook:\n        url: https://example.com/x\n        headers:\n          Webhook-Signature: v1,abc\n",
        code: .invalidValue,
        expected:
            "cdcd.yaml:8: pipelines[0].sink.webhook.headers.Webhook-Signature: cdcd sets the Webhook-Signature header itself"
    ),
    BadConfig(
        name: "bad webhook secret is not shown",
        yaml:
            "source: { postgres: { url: 'postgres://db', tables: [a.b] } }\npipelines:\n  - name: a\n    sink:\n      webhook:\n        url: https://example.com/x\n        secret: \"not base64!\"\n",
        code: .invalidValue,
        expected:
            "cdcd.yaml:7: pipelines[0].sink.webhook.secret: must be a Standard Webhooks secret, whsec_ followed by base64 (the value is not shown)"
    ),
    BadConfig(
        name: "dynamodb without a stream",
        yaml: "source:\n  dynamodb:\n    region: us-east-1\npipelines: [{ name: a, sink: { stdout: {} } }]\n",
        code: .missingKey,
        expected:
            "cdcd.yaml:3: source.dynamodb.stream_arn: required key missing: name the stream with stream_arn, or its table with table"
    ),
    BadConfig(
        name: "dynamodb region against its ARN",
        yaml:
            "source:\n  dynamodb:\n    stream_arn: arn:aws:dynamodb:us-east-1:1:table/t/stream/2026-01-01T00:00:00.000\n    region: eu-west-1\npipelines: [{ name: a, sink: { stdout: {} } }]\n",
        code: .conflict,
        expected:
            "cdcd.yaml:4: source.dynamodb.region: 'eu-west-1' is not the stream ARN's region 'us-east-1'; leave region out or make them match"
    ),
    BadConfig(
        name: "transforms need a sink",
        yaml:
            "source: { postgres: { url: 'postgres://db', tables: [a.b] } }\npipelines:\n  - name: a\n    function: { transforms: [{ keep_columns: [id] }] }\n    sink: ~\n",
        code: .missingKey,
        expected:
            "cdcd.yaml:5: pipelines[0].sink: required key missing: a pipeline needs a sink (postgres, webhook, file or stdout) unless a command or lambda function is its end"
    ),
    bad(
        "bad lambda handler", pipeline: "function: { lambda: handler }", .invalidValue,
        "cdcd.yaml:7: pipelines[0].function.lambda: must be module.function as in a Lambda handler setting (for example handlers.orders.handler), got 'handler'"
    ),
    bad(
        "filter values from the environment are not quoted",
        pipeline: "filter:\n  - newImage:\n      total: [{ numeric: [\">\", \"${LIMIT}\"] }]", .invalidValue,
        "cdcd.yaml:9: pipelines[0].filter[0].newImage.total: is not a valid filter (it uses ${...}, so the details are not shown; check the values it expands to)",
        environment: ["LIMIT": "abc"]),
    bad(
        "filter .inf", pipeline: "filter: [{ newImage: { total: [.inf] } }]", .invalidValue,
        "cdcd.yaml:7: pipelines[0].filter[0].newImage.total[0]: '.inf' is not a number JSON can hold; quote it to match the text"
    ),
    BadConfig(
        name: "bad admin listen",
        yaml:
            "source: { postgres: { url: 'postgres://db', tables: [a.b] } }\nadmin:\n  listen: localhost\npipelines: [{ name: a, sink: { stdout: {} } }]\n",
        code: .invalidValue,
        expected:
            "cdcd.yaml:3: admin.listen: must be HOST:PORT with a port from 0 to 65535 (for example 127.0.0.1:8473 or [::1]:8473), got 'localhost'"
    ),
    BadConfig(
        name: "postgres sink table mapping with a wildcard target",
        yaml:
            "source: { postgres: { url: 'postgres://db', tables: [a.b] } }\npipelines:\n  - name: a\n    sink:\n      postgres:\n        url: postgres://r/app\n        tables:\n          public.orders: replica.*\n",
        code: .invalidValue,
        expected:
            "cdcd.yaml:8: pipelines[0].sink.postgres.tables[\"public.orders\"]: the target of one table is one schema.table without wildcards (for example replica.orders), got 'replica.*'"
    ),

    // YAML syntax, with Yams' line.
    BadConfig(
        name: "YAML syntax error",
        yaml: "source:\n  postgres:\n    url: postgres://db\n   slot: x\npipelines: []\n", code: .syntax,
        expected: "cdcd.yaml:4: YAML syntax error: did not find expected key (while parsing a block mapping at line 2)"),
    BadConfig(
        name: "unquoted ${VAR} in a flow mapping",
        yaml: "source:\n  postgres: { url: ${DATABASE_URL} }\npipelines: []\n", code: .syntax,
        expected:
            "cdcd.yaml:2: YAML syntax error: did not find expected ',' or '}' (while parsing a flow mapping at line 2); inside { } or [ ], quote values that hold ${VAR}: \"${VAR}\""
    ),

    // Environment.
    BadConfig(
        name: "unset environment variable",
        yaml: designExample, code: .unsetVariable,
        expected:
            "cdcd.yaml:19: pipelines[1].sink.webhook.secret: environment variable ORDERS_WEBHOOK_SECRET is not set (set it, or give a default: ${ORDERS_WEBHOOK_SECRET:-default})"
    ),
    bad(
        "malformed reference", pipeline: "batch_size: ${BATCH", .invalidValue,
        "cdcd.yaml:7: pipelines[0].batch_size: unterminated ${ (close it with }, or write $${ for a literal ${)"),
]

@Suite("Config errors name file, line and key")
struct ConfigErrorTests {
    @Test(arguments: badConfigs)
    func badConfigFails(_ bad: BadConfig) {
        guard let error = parseError(bad.yaml, environment: bad.environment) else { return }
        #expect(error.description == bad.expected)
        #expect(error.code == bad.code)
    }

    @Test func loadNamesAMissingFile() {
        #expect(
            throws: ConfigError(
                code: .unreadableFile, file: "/nonexistent/cdcd.yaml", line: nil, keyPath: "",
                message: "cannot read the config: no such file")
        ) {
            try ConfigLoader.load(path: "/nonexistent/cdcd.yaml", environment: [:])
        }
    }

    @Test func errorDescriptionFormat() {
        let error = ConfigError(
            code: .outOfRange, file: "cdcd.yaml", line: 12, keyPath: "pipelines[1].batch_size",
            message: "must be between 1 and 10000, got 20000")
        #expect(error.description == "cdcd.yaml:12: pipelines[1].batch_size: must be between 1 and 10000, got 20000")
    }
}
