import CDCConfig
import CDCCore
import Foundation
import Testing

@Suite("The design's example config and the defaults")
struct ConfigExampleTests {
    typealias Pipeline = CDCDConfiguration.Pipeline

    @Test func designExampleParsesToTheExpectedValues() throws {
        let config = try parse(designExample, environment: ["ORDERS_WEBHOOK_SECRET": testSecret])
        let expected = CDCDConfiguration(
            file: "cdcd.yaml",
            stateDirectory: "/etc/cdcd/cdcd-state",
            source: .postgres(
                PostgresSourceConfig(
                    url: "postgres://cdc@127.0.0.1:5432/app", slot: "cdcd", publication: "cdcd",
                    tables: [try TablePattern("public.*")], snapshot: .initial)),
            admin: .init(host: "127.0.0.1", port: 8473, token: nil),
            pipelines: [
                Pipeline(
                    name: "replica", line: 12, tables: [try TablePattern("public.*")],
                    sink: .postgres(.init(url: "postgres://app@10.0.0.2/app"))),
                Pipeline(
                    name: "paid-orders", line: 15, tables: [try TablePattern("public.orders")],
                    filter: [["eventName": ["MODIFY"], "newImage": ["status": ["paid"]]]],
                    batchSize: 50,
                    sink: .webhook(.init(url: "https://example.com/hooks/orders", secret: testSecret))),
            ])
        #expect(config == expected)
    }

    @Test func pipelineDefaultsAreLambdas() throws {
        let config = try parse(minimalConfig())
        let pipeline = try #require(config.pipelines.first)
        #expect(pipeline.view == .newAndOldImages)
        #expect(pipeline.format == .cdcd)
        #expect(pipeline.startingPosition == .latest)
        #expect(pipeline.batchSize == 100)
        #expect(pipeline.batchWindow == .zero)
        #expect(pipeline.parallelization == 1)
        #expect(pipeline.filter.isEmpty)
        #expect(pipeline.function == nil)
        #expect(pipeline.retry == Pipeline.Retry(maxAttempts: nil, maxRecordAge: nil, bisectOnError: false))
        #expect(pipeline.retry.backoff == .init(initial: .seconds(1), maximum: .seconds(60)))
        #expect(pipeline.onFailure == .dlq)
        #expect(pipeline.sink == .stdout)
    }

    @Test func topLevelDefaults() throws {
        let config = try parse(minimalConfig())
        #expect(config.stateDirectory == "/etc/cdcd/cdcd-state")
        #expect(config.admin == .init(host: "127.0.0.1", port: 8473, token: nil))
        #expect(config.admin.listen == "127.0.0.1:8473")
        #expect(config.stream == .init(retention: .seconds(86_400), maxBytes: 10 << 30))
        guard case .postgres(let source) = config.source else {
            Issue.record("expected a postgres source")
            return
        }
        #expect(source.slot == "cdcd")
        #expect(source.publication == "cdcd")
        #expect(source.snapshot == .initial)
        // No source tables written: the union of the pipelines' tables.
        #expect(source.tables == [try TablePattern("public.orders")])
    }

    @Test func sourceTablesDefaultToTheUnionOfThePipelines() throws {
        let config = try parse(
            """
            source:
              postgres: { url: "host=db dbname=app" }
            pipelines:
              - { name: a, tables: [public.orders, public.items], sink: { stdout: {} } }
              - { name: b, tables: [public.items, sales.*], sink: { stdout: {} } }
              - { name: c, sink: { stdout: } }
            """)
        guard case .postgres(let source) = config.source else {
            Issue.record("expected a postgres source")
            return
        }
        #expect(source.tables.map(\.text) == ["public.orders", "public.items", "sales.*"])
        #expect(config.pipelines[2].tables.isEmpty)
    }

    @Test func everyPipelineKey() throws {
        let yaml = """
            state_dir: /var/lib/cdcd
            source:
              postgres:
                url: postgres://cdc@db/app
                slot: my_slot_1
                publication: pub
                tables: [public.*]
                snapshot: never
            admin: { listen: "[::1]:9000", token: "t0ken" }
            stream: { retention: 48h, max_size: 500MB }
            pipelines:
              - name: all-keys
                tables: [public.orders]
                filter:
                  - { eventName: [INSERT, MODIFY], newImage: { total: [{ numeric: [">", 100] }] } }
                  - { newImage: { note: [{ exists: false }], flag: [true, null, 42, "42", 99.90, yes] } }
                view: KEYS_ONLY
                format: dynamodb
                starting_position: AT_TIMESTAMP
                starting_timestamp: 2026-01-02T03:04:05Z
                batch_size: 10000
                batch_window: 500ms
                parallelization: 10
                function: { command: [python3, ./handlers/h.py, --flag], timeout: 5m }
                retry:
                  max_attempts: 3
                  max_record_age: 1h
                  bisect_on_error: true
                  backoff: { initial: 2s, max: 30s }
                on_failure: dlq
                sink:
                  webhook:
                    url: https://example.com/hook
                    headers: { Authorization: Bearer abc, X-Team: data }
                    timeout: 10
                    secret: \(testSecret)
                    batch: true
                    ca_file: ../certs/ca.pem
                    insecure_skip_verify: false
            """
        let config = try parse(yaml)
        #expect(config.stateDirectory == "/var/lib/cdcd")
        #expect(
            config.source
                == .postgres(
                    .init(
                        url: "postgres://cdc@db/app", slot: "my_slot_1", publication: "pub",
                        tables: [try TablePattern("public.*")], snapshot: .never)))
        #expect(config.admin == .init(host: "::1", port: 9000, token: "t0ken"))
        #expect(config.admin.listen == "[::1]:9000")
        #expect(config.stream == .init(retention: .seconds(48 * 3600), maxBytes: 500_000_000))
        let p = try #require(config.pipelines.first)
        #expect(
            p.filter == [
                ["eventName": ["INSERT", "MODIFY"], "newImage": ["total": [["numeric": [">", 100]]]]],
                ["newImage": ["note": [["exists": false]], "flag": [true, .null, 42, "42", .number("99.90"), "yes"]]],
            ])
        #expect(p.view == .keysOnly)
        #expect(p.format == .dynamodb)
        #expect(p.startingPosition == .atTimestamp(Date(timeIntervalSince1970: 1_767_323_045)))
        #expect(p.batchSize == 10000)
        #expect(p.batchWindow == .milliseconds(500))
        #expect(p.parallelization == 10)
        #expect(
            p.function
                == .command(
                    .init(
                        arguments: ["python3", "/etc/cdcd/handlers/h.py", "--flag"],
                        timeout: .seconds(300), workingDirectory: "/etc/cdcd")))
        #expect(
            p.retry
                == .init(
                    maxAttempts: 3, maxRecordAge: .seconds(3600), bisectOnError: true,
                    backoff: .init(initial: .seconds(2), maximum: .seconds(30))))
        #expect(
            p.sink
                == .webhook(
                    .init(
                        url: "https://example.com/hook",
                        headers: [
                            .init(name: "Authorization", value: "Bearer abc"), .init(name: "X-Team", value: "data"),
                        ],
                        timeout: .seconds(10), secret: testSecret, batch: true, caFile: "/etc/certs/ca.pem",
                        insecureSkipVerify: false)))
    }

    @Test func lambdaFunctionWithoutSink() throws {
        let config = try parse(
            """
            source: { postgres: { url: "postgres://db/app", tables: [public.*] } }
            pipelines:
              - name: lambda-style
                function: { lambda: handlers.orders.handler, python: ./venv/bin/python }
            """)
        let pipeline = try #require(config.pipelines.first)
        #expect(pipeline.sink == nil)
        guard case .lambda(let lambda) = pipeline.function else {
            Issue.record("expected a lambda function")
            return
        }
        #expect(lambda.handler == "handlers.orders.handler")
        #expect(lambda.module == "handlers.orders")
        #expect(lambda.functionName == "handler")
        #expect(lambda.timeout == .seconds(30))
        #expect(lambda.python == "/etc/cdcd/venv/bin/python")
        #expect(lambda.searchPath == "/etc/cdcd")
    }

    @Test func transformsAndPostgresSink() throws {
        let config = try parse(
            """
            source: { postgres: { url: "postgres://db/app", tables: [public.*] } }
            pipelines:
              - name: t
                function:
                  transforms:
                    - redact: { columns: [email], method: hash }
                    - redact: { columns: [phone] }
                    - drop_columns: [internal_note]
                    - keep_columns: [id, status]
                      tables: [public.orders]
                    - rename_columns: { status: state }
                    - rename_table: analytics.orders
                      tables: [public.orders]
                sink:
                  postgres:
                    url: postgres://app@replica/app
                    tables: { public.orders: replica.orders_v2, sales.*: archive.* }
                    create_tables: true
                    checkpoint_schema: cdcd_meta
            """)
        let p = try #require(config.pipelines.first)
        typealias T = Pipeline.Function.Transform
        #expect(
            p.function
                == .transforms([
                    T(operation: .redact(columns: ["email"], method: .hash)),
                    T(operation: .redact(columns: ["phone"], method: .mask)),
                    T(operation: .dropColumns(["internal_note"])),
                    T(tables: [try TablePattern("public.orders")], operation: .keepColumns(["id", "status"])),
                    T(operation: .renameColumns([.init(from: "status", to: "state")])),
                    T(
                        tables: [try TablePattern("public.orders")],
                        operation: .renameTable(schema: "analytics", table: "orders")),
                ]))
        guard case .postgres(let sink) = p.sink else {
            Issue.record("expected a postgres sink")
            return
        }
        #expect(sink.createTables)
        #expect(sink.checkpointSchema == "cdcd_meta")
        #expect(sink.target(schema: "public", table: "orders") == ("replica", "orders_v2"))
        #expect(sink.target(schema: "sales", table: "deals") == ("archive", "deals"))
        #expect(sink.target(schema: "public", table: "items") == ("public", "items"))
    }

    @Test func dynamodbSource() throws {
        let arn = "arn:aws:dynamodb:us-east-1:123456789012:table/orders/stream/2026-01-02T03:04:05.678"
        let config = try parse(
            """
            source:
              dynamodb: { stream_arn: "\(arn)", endpoint: "http://127.0.0.1:5000" }
            pipelines: [{ name: d, sink: { file: { path: out/changes.jsonl } } }]
            """)
        #expect(
            config.source == .dynamodb(.init(stream: .arn(arn), endpoint: "http://127.0.0.1:5000", region: "us-east-1"))
        )
        #expect(config.pipelines[0].sink == .file(.init(path: "/etc/cdcd/out/changes.jsonl")))

        let byTable = try parse(
            """
            source: { dynamodb: { table: orders } }
            pipelines: [{ name: d, sink: { stdout: {} } }]
            """, environment: ["AWS_REGION": "eu-west-1"])
        #expect(byTable.source == .dynamodb(.init(stream: .table("orders"), region: "eu-west-1")))
    }

    @Test func anchorsAndMergeKeys() throws {
        let config = try parse(
            """
            source: { postgres: { url: "postgres://db/app", tables: [public.*] } }
            x-defaults: &defaults
              batch_size: 500
              sink: { stdout: {} }
            pipelines:
              - <<: *defaults
                name: a
              - <<: *defaults
                name: b
                batch_size: 7
            """)
        #expect(config.pipelines.map(\.name) == ["a", "b"])
        #expect(config.pipelines.map(\.batchSize) == [500, 7])
        #expect(config.pipelines.map(\.sink) == [.stdout, .stdout])
    }
}
