import CDCCore
import CDCTestKit
import Foundation
import LibPQ
import Testing

/// `cdcd run` with `source: {dynamodb: ...}` against a local DynamoDB Streams API (moto's server on
/// loopback), items written by boto3: every view type, a restart after SIGTERM and after SIGKILL,
/// the file sink, the Postgres sink and an unchanged Lambda handler.
///
/// moto gives each stream a single shard that never closes: a split is staged by a loopback proxy
/// (`Tests/Support/dynamodb_faults.py --split`) that puts a closed parent shard in front of moto's
/// shard; the lineage rule itself is unit-tested on `ShardLineage` (CDCCoreTests).
@Suite("DynamoDB source", .serialized)
struct DynamoDBSourceTests {
    /// A scratch folder with a cdcd.yaml reading one table's stream.
    struct Setup {
        let directory: String
        let table: String
        let local: LocalDynamoDB
        var config: String { directory + "/cdcd.yaml" }

        init(_ local: LocalDynamoDB, table: String, pipelines: String, endpoint: String? = nil) throws {
            self.local = local
            self.table = table
            directory = NSTemporaryDirectory() + TestPostgres.uniqueName("ddb")
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let yaml = """
                state_dir: ./state
                source:
                  dynamodb:
                    table: \(table)
                    endpoint: \(endpoint ?? local.endpoint)
                    region: us-east-1
                admin: { listen: "127.0.0.1:0" }
                pipelines:
                \(pipelines)
                """
            try yaml.write(toFile: config, atomically: true, encoding: .utf8)
        }

        func start() throws -> BackgroundProcess {
            try BackgroundProcess(TestPostgres.cdcdBinary, ["run", "--config", config], logPath: directory + "/cdcd.log")
        }

        func lines(_ file: String) -> [JSONValue] {
            let text = (try? String(contentsOfFile: directory + "/" + file, encoding: .utf8)) ?? ""
            return text.split(separator: "\n").compactMap { try? JSONValue.parse(String($0)) }
        }

        func waitForLines(_ file: String, count: Int, timeout: Duration = .seconds(60)) async throws -> [JSONValue] {
            let deadline = ContinuousClock.now + timeout
            while ContinuousClock.now < deadline {
                let current = lines(file)
                if current.count >= count { return current }
                try await Task.sleep(for: .milliseconds(50))
            }
            throw CaptureTimeout(what: "\(count) lines in \(file) (got \(lines(file).count))")
        }

        func cleanUp() { try? FileManager.default.removeItem(atPath: directory) }
    }

    static func withLocalDynamoDB(_ body: (LocalDynamoDB) async throws -> Void) async throws {
        let log = NSTemporaryDirectory() + TestPostgres.uniqueName("moto") + ".log"
        let local = try await LocalDynamoDB(logPath: log)
        defer {
            local.stop()
            try? FileManager.default.removeItem(atPath: log)
        }
        try await body(local)
    }

    static let operations = """
        [{"put":{"pk":"a","sk":1,"v":1.10,"tags":["x",1,true,null],"m":{"n":12345678901234567890123456789012345678}}},
         {"put":{"pk":"b","sk":2,"v":"two"}},
         {"update":{"pk":"a","sk":1},"set":{"v":2.5}},
         {"delete":{"pk":"b","sk":2}}]
        """

    static let twoFilePipelines = """
          - name: raw
            starting_position: TRIM_HORIZON
            format: dynamodb
            sink: { file: { path: raw.jsonl } }
          - name: plain
            starting_position: TRIM_HORIZON
            sink: { file: { path: plain.jsonl } }
        """

    @Test(arguments: ["KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES"])
    func insertModifyRemoveForEachViewType(_ view: String) async throws {
        try await Self.withLocalDynamoDB { local in
            let table = LocalDynamoDB.uniqueTable("views")
            let arn = try await local.createTable(table, view: view)
            try await local.write(table, Self.operations)
            let setup = try Setup(
                local, table: table,
                pipelines: Self.twoFilePipelines + """

                      - name: filtered
                        starting_position: TRIM_HORIZON
                        tables: [dynamodb.\(table)]
                        filter: [{ eventName: [MODIFY, REMOVE], keys: { pk: [a] } }]
                        sink: { file: { path: filtered.jsonl } }
                    """)
            defer { setup.cleanUp() }
            let daemon = try setup.start()
            defer { daemon.kill() }
            let raw = try await setup.waitForLines("raw.jsonl", count: 4)
            let plain = try await setup.waitForLines("plain.jsonl", count: 4)
            // Table patterns and filters over the cdcd record: only a's MODIFY.
            let filtered = try await setup.waitForLines("filtered.jsonl", count: 1)
            #expect(filtered.map { $0["eventName"]?.stringValue } == ["MODIFY"])
            daemon.signal(SIGTERM)
            #expect(await daemon.wait(timeout: .seconds(20)) == 0, "\(daemon.log)")

            let hasNew = view == "NEW_IMAGE" || view == "NEW_AND_OLD_IMAGES"
            let hasOld = view == "OLD_IMAGE" || view == "NEW_AND_OLD_IMAGES"
            #expect(raw.map { $0["eventName"]?.stringValue } == ["INSERT", "INSERT", "MODIFY", "REMOVE"])
            #expect(Set(raw.compactMap { $0["eventID"]?.stringValue }).count == 4)
            for record in raw {
                let name = record["eventName"]?.stringValue
                let d = try #require(record["dynamodb"])
                #expect(record["eventSource"] == .string("aws:dynamodb"))
                #expect(record["eventSourceARN"] == .string(arn))
                #expect(d["StreamViewType"] == .string(view))
                #expect((d["NewImage"] != nil) == (hasNew && name != "REMOVE"), "\(record)")
                #expect((d["OldImage"] != nil) == (hasOld && name != "INSERT"), "\(record)")
            }
            // Sequence numbers: DynamoDB's, increasing within the (single) shard.
            let sequences = raw.compactMap { $0["dynamodb"]?["SequenceNumber"]?.stringValue }
            #expect(sequences.count == 4)
            #expect(zip(sequences, sequences.dropFirst()).allSatisfy { ($0.count, $0) < ($1.count, $1) })
            #expect(raw[0]["dynamodb"]?["Keys"] == (try JSONValue.parse(#"{"pk":{"S":"a"},"sk":{"N":"1"}}"#)))
            if hasNew {
                // Typed AttributeValues exactly as DynamoDB gave them.
                #expect(raw[0]["dynamodb"]?["NewImage"]?["v"] == (try JSONValue.parse(#"{"N":"1.10"}"#)))
                #expect(
                    raw[0]["dynamodb"]?["NewImage"]?["tags"]
                        == (try JSONValue.parse(#"{"L":[{"S":"x"},{"N":"1"},{"BOOL":true},{"NULL":true}]}"#)))
            }
            // cdcd format: the same records, plain JSON with exact numbers.
            #expect(plain.map { $0["eventID"] } == raw.map { $0["eventID"] })
            #expect(plain.map { $0["sequenceNumber"]?.stringValue } == sequences)
            #expect(plain.allSatisfy { $0["eventSource"] == .string("cdcd:dynamodb") })
            #expect(plain.allSatisfy { $0["table"] == .string("dynamodb.\(table)") })
            #expect(plain[0]["keys"] == (try JSONValue.parse(#"{"pk":"a","sk":1}"#)))
            if hasNew {
                #expect(plain[0]["newImage"]?["v"] == .number("1.10"))
                #expect(plain[0]["newImage"]?["m"]?["n"] == .number("12345678901234567890123456789012345678"))
                #expect(plain[0]["newImage"]?["tags"] == (try JSONValue.parse(#"["x",1,true,null]"#)))
                #expect(plain[2]["newImage"]?["v"] == .number("2.5"))
            } else {
                #expect(plain.allSatisfy { $0["newImage"] == nil })
            }
            if hasOld {
                #expect(plain[2]["oldImage"]?["v"] == .number("1.10"))
                #expect(plain[3]["oldImage"]?["v"] == .string("two"))
            } else {
                #expect(plain.allSatisfy { $0["oldImage"] == nil })
            }
        }
    }

    @Test func restartResumesWhereTheStreamLeftOff() async throws {
        try await Self.withLocalDynamoDB { local in
            let table = LocalDynamoDB.uniqueTable("resume")
            try await local.createTable(table, view: "NEW_AND_OLD_IMAGES", keyType: "N")
            func puts(_ range: ClosedRange<Int>) -> String {
                "[" + range.map { #"{"put":{"pk":\#($0),"sk":0,"v":"item \#($0)"}}"# }.joined(separator: ",") + "]"
            }
            try await local.write(table, puts(1...5))
            let setup = try Setup(local, table: table, pipelines: Self.twoFilePipelines)
            defer { setup.cleanUp() }
            // Run 1, stopped cleanly.
            var daemon = try setup.start()
            _ = try await setup.waitForLines("raw.jsonl", count: 5)
            daemon.signal(SIGTERM)
            #expect(await daemon.wait(timeout: .seconds(20)) == 0, "\(daemon.log)")
            let positions = try String(contentsOfFile: setup.directory + "/state/dynamodb-shards.json", encoding: .utf8)
            #expect(positions.contains("\"after\""))
            try await local.write(table, puts(6...10))
            // Run 2 resumes after the saved positions: nothing twice, nothing missing.
            daemon = try setup.start()
            let second = try await setup.waitForLines("raw.jsonl", count: 10)
            try await Task.sleep(for: .seconds(2))  // time for any duplicate to show up
            let ids = setup.lines("raw.jsonl").map { $0["dynamodb"]?["Keys"]?["pk"]?["N"]?.stringValue ?? "?" }
            #expect(ids == (1...10).map(String.init), "\(second.count) lines")
            // Run 2 killed; run 3 still misses nothing (at least once).
            daemon.kill()
            try await local.write(table, puts(11...15))
            daemon = try setup.start()
            defer { daemon.kill() }
            _ = try await setup.waitForLines("raw.jsonl", count: 15)
            try await Task.sleep(for: .seconds(1))
            let all = setup.lines("raw.jsonl").compactMap { $0["dynamodb"]?["Keys"]?["pk"]?["N"]?.stringValue }
            #expect(Set(all) == Set((1...15).map(String.init)))
            let streamed = setup.lines("plain.jsonl").compactMap { $0["eventID"]?.stringValue }
            #expect(Set(streamed).count == 15)
            daemon.signal(SIGTERM)
            #expect(await daemon.wait(timeout: .seconds(20)) == 0, "\(daemon.log)")
        }
    }

    @Test func replicatesATableIntoPostgres() async throws {
        try await Self.withLocalDynamoDB { local in
            let table = LocalDynamoDB.uniqueTable("replica")
            try await local.createTable(table, view: "NEW_AND_OLD_IMAGES")
            try await local.write(table, Self.operations)
            let setup = try Setup(
                local, table: table,
                pipelines: """
                      - name: replica
                        starting_position: TRIM_HORIZON
                        sink: { postgres: { url: "\(TestPostgres.url)", create_tables: true } }
                    """)
            defer { setup.cleanUp() }
            let db = try TestPostgres.connect()
            defer {
                _ = try? db.execute("DROP TABLE IF EXISTS dynamodb.\(SQL.identifier(table))")
                _ = try? db.execute("DELETE FROM cdcd.checkpoints WHERE pipeline = 'replica'")
                db.close()
            }
            let daemon = try setup.start()
            defer { daemon.kill() }
            let target = "dynamodb." + SQL.identifier(table)
            func rows() throws -> [[String?]] {
                guard try db.execute("SELECT to_regclass($1)", [target]).scalar != nil else { return [] }
                return try db.execute("SELECT pk, sk::text, document::text FROM \(target) ORDER BY pk").rows
            }
            let deadline = ContinuousClock.now + .seconds(60)
            while ContinuousClock.now < deadline, (try? rows()) != [["a", "1", #"{"m": {"n": 12345678901234567890123456789012345678}, "v": 2.5, "pk": "a", "sk": 1, "tags": ["x", 1, true, null]}"#]] {
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(
                try rows() == [
                    ["a", "1", #"{"m": {"n": 12345678901234567890123456789012345678}, "v": 2.5, "pk": "a", "sk": 1, "tags": ["x", 1, true, null]}"#]
                ], "\(daemon.log)")
            // Key columns from the key schema, typed, and the primary key.
            let columns = try db.execute(
                """
                SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a
                WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum
                """, [target]
            ).rows
            #expect(columns == [["pk", "text"], ["sk", "numeric"], ["document", "jsonb"]])
            // The admin endpoint: ready while the stream is read; /status names the stream.
            let admin = try await AdminHTTP.waitForAddress(logPath: setup.directory + "/cdcd.log")
            _ = try await AdminHTTP.waitFor(admin + "/readyz") { $0.status == 200 }
            let status = await AdminHTTP.get(admin + "/status")
            #expect(status.body.contains("arn:aws:dynamodb:us-east-1:") && status.body.contains(table), "\(status.body)")
            #expect(
                try db.execute(
                    "SELECT count(*) FROM pg_index WHERE indrelid = $1::regclass AND indisprimary", [target]
                ).scalar == "1")
            try await local.write(table, #"[{"put":{"pk":"c","sk":3,"v":"new"}},{"update":{"pk":"a","sk":1},"set":{"v":3}}]"#)
            let later = ContinuousClock.now + .seconds(60)
            while ContinuousClock.now < later, (try? rows().count) != 2 || (try? rows().first?[2])??.contains("\"v\": 3") != true {
                try await Task.sleep(for: .milliseconds(100))
            }
            let final = try rows()
            #expect(final.map { $0[0] } == ["a", "c"])
            #expect(final.first?[2]?.contains("\"v\": 3") == true)
            daemon.signal(SIGTERM)
            #expect(await daemon.wait(timeout: .seconds(20)) == 0, "\(daemon.log)")
        }
    }

    @Test func unchangedLambdaHandlerRunsOnDynamoDBRecords() async throws {
        try await Self.withLocalDynamoDB { local in
            let table = LocalDynamoDB.uniqueTable("lambda")
            try await local.createTable(table, view: "NEW_AND_OLD_IMAGES")
            try await local.write(table, Self.operations)
            let setup = try Setup(
                local, table: table,
                pipelines: """
                      - name: lambda
                        starting_position: TRIM_HORIZON
                        format: dynamodb
                        batch_size: 10
                        function: { lambda: handlers.stream.handler, timeout: 20s }
                    """)
            defer { setup.cleanUp() }
            try FileManager.default.createDirectory(atPath: setup.directory + "/handlers", withIntermediateDirectories: true)
            try "".write(toFile: setup.directory + "/handlers/__init__.py", atomically: true, encoding: .utf8)
            // A DynamoDB Streams handler as written for AWS Lambda: typed AttributeValues, eventSourceARN,
            // ReportBatchItemFailures.
            try #"""
                import json, os
                OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "handled.jsonl")

                def handler(event, context):
                    with open(OUT, "a") as out:
                        for record in event["Records"]:
                            assert record["eventSource"] == "aws:dynamodb"
                            assert ":table/" in record["eventSourceARN"] and "/stream/" in record["eventSourceARN"]
                            ddb = record["dynamodb"]
                            image = ddb.get("NewImage") or ddb.get("OldImage")
                            out.write(json.dumps({"event": record["eventName"], "pk": ddb["Keys"]["pk"]["S"],
                                                  "sk": ddb["Keys"]["sk"]["N"], "v": image["v"],
                                                  "seq": ddb["SequenceNumber"]}) + "\n")
                    return {"batchItemFailures": []}
                """#.write(toFile: setup.directory + "/handlers/stream.py", atomically: true, encoding: .utf8)
            let daemon = try setup.start()
            defer { daemon.kill() }
            let handled = try await setup.waitForLines("handled.jsonl", count: 4)
            daemon.signal(SIGTERM)
            #expect(await daemon.wait(timeout: .seconds(20)) == 0, "\(daemon.log)")
            #expect(handled.map { $0["event"]?.stringValue } == ["INSERT", "INSERT", "MODIFY", "REMOVE"])
            #expect(handled.map { $0["pk"]?.stringValue } == ["a", "b", "a", "b"])
            #expect(handled[0]["v"] == (try JSONValue.parse(#"{"N":"1.10"}"#)))
            #expect(handled[2]["v"] == (try JSONValue.parse(#"{"N":"2.5"}"#)))
        }
    }

    @Test func throttlingAndExpiredIteratorsAreRetried() async throws {
        try await Self.withLocalDynamoDB { local in
            let table = LocalDynamoDB.uniqueTable("faults")
            try await local.createTable(table, view: "NEW_AND_OLD_IMAGES")
            try await local.write(table, Self.operations)
            let proxyLog = NSTemporaryDirectory() + TestPostgres.uniqueName("faults") + ".log"
            let proxy = try await local.faultProxy(logPath: proxyLog)
            defer {
                proxy.process.kill()
                try? FileManager.default.removeItem(atPath: proxyLog)
            }
            let setup = try Setup(local, table: table, pipelines: Self.twoFilePipelines, endpoint: proxy.endpoint)
            defer { setup.cleanUp() }
            let daemon = try setup.start()
            defer { daemon.kill() }
            _ = try await setup.waitForLines("raw.jsonl", count: 4)
            try await local.write(table, #"[{"put":{"pk":"c","sk":3}},{"put":{"pk":"d","sk":4}}]"#)
            let raw = try await setup.waitForLines("raw.jsonl", count: 6)
            try await Task.sleep(for: .seconds(1))
            daemon.signal(SIGTERM)
            #expect(await daemon.wait(timeout: .seconds(20)) == 0, "\(daemon.log)")
            // Every fault was injected, retried past, and nothing was lost or read twice.
            for fault in ["LimitExceededException", "ProvisionedThroughputExceededException", "ExpiredIteratorException", "InternalServerError"] {
                #expect(proxy.process.log.contains("fault \(fault)"), "\(proxy.process.log)")
            }
            #expect(daemon.log.contains("shard iterator expired"), "\(daemon.log)")
            #expect(daemon.log.contains("DynamoDB call failed, retrying"), "\(daemon.log)")
            #expect(setup.lines("raw.jsonl").count == 6)
            #expect(Set(raw.compactMap { $0["eventID"]?.stringValue }).count == 6)
        }
    }

    @Test func aParentShardIsReadToItsEndBeforeItsChild() async throws {
        try await Self.withLocalDynamoDB { local in
            let table = LocalDynamoDB.uniqueTable("split")
            try await local.createTable(table, view: "NEW_AND_OLD_IMAGES")
            // The child (moto's shard) has records from the start; they must wait for the parent's.
            try await local.write(table, #"[{"put":{"pk":"c1","sk":1}},{"put":{"pk":"c2","sk":2}}]"#)
            let proxyLog = NSTemporaryDirectory() + TestPostgres.uniqueName("split") + ".log"
            let proxy = try await local.faultProxy(logPath: proxyLog, split: true)
            defer {
                proxy.process.kill()
                try? FileManager.default.removeItem(atPath: proxyLog)
            }
            let setup = try Setup(local, table: table, pipelines: Self.twoFilePipelines, endpoint: proxy.endpoint)
            defer { setup.cleanUp() }
            var daemon = try setup.start()
            defer { daemon.kill() }
            _ = try await setup.waitForLines("plain.jsonl", count: 5)
            daemon.signal(SIGTERM)
            #expect(await daemon.wait(timeout: .seconds(20)) == 0, "\(daemon.log)")
            let keys = setup.lines("plain.jsonl").compactMap { $0["keys"]?["pk"]?.stringValue }
            #expect(keys == ["p1", "p2", "p3", "c1", "c2"], "\(proxy.process.log)")
            let shards = setup.lines("plain.jsonl").compactMap { $0["source"]?["shard"]?.stringValue }
            #expect(shards.prefix(3).allSatisfy { $0 == "shardId-parent" })
            // Both DescribeStream pages were read; the parent is saved as finished.
            #expect(proxy.process.log.contains("page 1") && proxy.process.log.contains("page 2"))
            let positions = try String(contentsOfFile: setup.directory + "/state/dynamodb-shards.json", encoding: .utf8)
            #expect(positions.contains(#"{"id":"shardId-parent","finished":true}"#), "\(positions)")
            // A restart does not read the finished parent again.
            try await local.write(table, #"[{"put":{"pk":"c3","sk":3}}]"#)
            daemon = try setup.start()
            _ = try await setup.waitForLines("plain.jsonl", count: 6)
            try await Task.sleep(for: .seconds(1))
            daemon.signal(SIGTERM)
            #expect(await daemon.wait(timeout: .seconds(20)) == 0, "\(daemon.log)")
            #expect(setup.lines("plain.jsonl").compactMap { $0["keys"]?["pk"]?.stringValue } == ["p1", "p2", "p3", "c1", "c2", "c3"])
        }
    }

    @Test func newItemsFireSignedWebhooks() async throws {
        try await Self.withLocalDynamoDB { local in
            let table = LocalDynamoDB.uniqueTable("hooks")
            try await local.createTable(table, view: "NEW_IMAGE")
            try await local.write(table, Self.operations)
            let secret = "whsec_ZGR5bmFtb2RiLXdlYmhvb2stc2VjcmV0LTk="
            let receiver = try await WebhookReceiver(secrets: [secret])
            let setup = try Setup(
                local, table: table,
                pipelines: """
                      - name: new-items
                        starting_position: TRIM_HORIZON
                        filter: [{ eventName: [INSERT] }]
                        sink: { webhook: { url: "\(receiver.url)", secret: "\(secret)" } }
                    """)
            defer { setup.cleanUp() }
            let daemon = try setup.start()
            defer { daemon.kill() }
            let requests = try await receiver.waitForRequests { $0.filter(\.answeredSuccess).count >= 2 }
            try await Task.sleep(for: .seconds(1))
            daemon.signal(SIGTERM)
            #expect(await daemon.wait(timeout: .seconds(20)) == 0, "\(daemon.log)")
            #expect(receiver.requests.count == 2)
            #expect(requests.allSatisfy { $0["signature_ok"] == true })
            // webhook-id is DynamoDB's eventID; the body is the cdcd record of the new item.
            #expect(requests.allSatisfy { $0["id"] != nil && $0["id"] == $0["body"]?["eventID"] })
            #expect(Set(requests.compactMap { $0["body"]?["keys"]?["pk"]?.stringValue }) == ["a", "b"])
            #expect(!daemon.log.contains("ZGR5bmFtb2RiLXdlYmhvb2stc2VjcmV0LTk"))
        }
    }

    @Test func checkReportsTheStream() async throws {
        try await Self.withLocalDynamoDB { local in
            let table = LocalDynamoDB.uniqueTable("check")
            let arn = try await local.createTable(table, view: "NEW_IMAGE")
            let setup = try Setup(local, table: table, pipelines: Self.twoFilePipelines)
            defer { setup.cleanUp() }
            let check = try await TestPostgres.run(
                TestPostgres.cdcdBinary, ["check", "--config", setup.config], allowFailure: true)
            #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
            #expect(check.stdout.contains("ok: source.dynamodb: stream \(arn) is ENABLED (NEW_IMAGE)"), "\(check.stdout)")
            // The pipelines render old images by default: the stream cannot give them.
            #expect(check.stdout.contains("warning: source.dynamodb: a pipeline asks for old images"), "\(check.stdout)")
            let missing = try Setup(local, table: LocalDynamoDB.uniqueTable("nope"), pipelines: Self.twoFilePipelines)
            defer { missing.cleanUp() }
            let failed = try await TestPostgres.run(
                TestPostgres.cdcdBinary, ["check", "--config", missing.config], allowFailure: true)
            #expect(failed.status == 1)
            #expect(failed.stdout.contains("error: source.dynamodb:") && failed.stdout.contains(missing.table), "\(failed.stdout)")
        }
    }

    @Test func transformsAreRefusedRatherThanIgnored() async throws {
        try await Self.withLocalDynamoDB { local in
            let setup = try Setup(
                local, table: LocalDynamoDB.uniqueTable("transforms"),
                pipelines: """
                      - name: redacted
                        function: { transforms: [{ drop_columns: [secret] }] }
                        sink: { file: { path: raw.jsonl } }
                    """)
            defer { setup.cleanUp() }
            let daemon = try setup.start()
            defer { daemon.kill() }
            let status = await daemon.wait(timeout: .seconds(30))
            #expect(status != nil && status != 0, "\(daemon.log)")
            #expect(daemon.log.contains("pipelines.redacted.function.transforms: not supported with source.dynamodb"), "\(daemon.log)")
        }
    }

    @Test func aTableWithoutAStreamIsAClearError() async throws {
        try await Self.withLocalDynamoDB { local in
            let setup = try Setup(
                local, table: LocalDynamoDB.uniqueTable("missing"),
                pipelines: """
                      - name: raw
                        sink: { file: { path: raw.jsonl } }
                    """)
            defer { setup.cleanUp() }
            let daemon = try setup.start()
            defer { daemon.kill() }
            let status = await daemon.wait(timeout: .seconds(30))
            #expect(status != nil && status != 0, "\(daemon.log)")
            #expect(daemon.log.contains(setup.table), "\(daemon.log)")
            #expect(!daemon.log.contains("testing-secret"))
        }
    }
}
