import CDCCore
import CDCTestKit
import Foundation
import LibPQ
import Testing

/// `cdcd run` as a daemon: config file, capture into the stream, pipelines into file sinks,
/// SIGTERM, SIGKILL and restarts.
@Suite("cdcd run")
struct RunCommandTests {
    /// A scratch folder with a cdcd.yaml for one table.
    struct Setup {
        let directory: String
        let table: String
        let slot: String
        /// The source server (the shared test server unless a test brings its own).
        let url: String
        var config: String { directory + "/cdcd.yaml" }

        init(
            pipelines: String, extraTableSQL: String = "", url: String = TestPostgres.url,
            sourceURL: String? = nil, admin: String = "listen: 127.0.0.1:0"
        ) throws {
            self.url = url
            directory = NSTemporaryDirectory() + TestPostgres.uniqueName("run")
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            table = "public." + TestPostgres.uniqueName("rt")
            slot = TestPostgres.uniqueName("run_slot")
            let db = try TestPostgres.connect(url)
            try db.execute("CREATE TABLE \(table) (id int PRIMARY KEY, v text, version int)")
            let yaml = """
                state_dir: ./state
                source:
                  postgres:
                    url: "\(sourceURL ?? url)"
                    slot: \(slot)
                    publication: \(slot)
                    tables: [\(table)]
                    snapshot: never
                admin: { \(admin) }
                pipelines:
                \(pipelines.replacingOccurrences(of: "TABLE", with: table))
                """
            try yaml.write(toFile: config, atomically: true, encoding: .utf8)
        }

        func start(_ arguments: [String] = []) throws -> BackgroundProcess {
            try BackgroundProcess(
                TestPostgres.cdcdBinary, ["run", "--config", config] + arguments, logPath: directory + "/cdcd.log")
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

        func waitUntilSlotReady() async throws {
            let db = try TestPostgres.connect(url)
            defer { db.close() }
            for _ in 0..<600 {
                if try db.execute(
                    "SELECT 1 FROM pg_replication_slots WHERE slot_name = $1 AND active AND confirmed_flush_lsn IS NOT NULL",
                    [slot]).rows.count == 1
                {
                    return
                }
                try await Task.sleep(for: .milliseconds(50))
            }
            throw CaptureTimeout(what: "slot \(slot)")
        }

        /// The crash tests' workload: `rows` inserts, then 9 rounds of updates of every row, in
        /// 100-row transactions `pause` apart: `rows × 10` changes, each row's versions 1...10 in order.
        func versionedWorkload(rows: Int, pause: Duration) -> Task<Void, any Error> {
            let table = self.table
            return Task.detached {
                let db = try TestPostgres.connect()
                for round in 1...10 {
                    for start in stride(from: 1, through: rows, by: 100) {
                        try db.execute(
                            round == 1
                                ? "INSERT INTO \(table) SELECT g, 'v', 1 FROM generate_series(\(start), \(start + 99)) g"
                                : "UPDATE \(table) SET version = version + 1 WHERE id BETWEEN \(start) AND \(start + 99)")
                        try await Task.sleep(for: pause)
                    }
                }
            }
        }

        /// SIGKILLs the daemon `times` times, 0.3–1.2 s apart, restarting it each time; returns the
        /// one running at the end.
        func killAndRestart(_ daemon: BackgroundProcess, times: Int) async throws -> BackgroundProcess {
            var daemon = daemon
            for _ in 0..<times {
                try await Task.sleep(for: .milliseconds(Int.random(in: 300...1200)))
                daemon.signal(SIGKILL)
                _ = await daemon.wait(timeout: .seconds(10))
                daemon = try start()
            }
            return daemon
        }

        func cleanUp() {
            let db = try? TestPostgres.connect(url)
            _ = try? db?.execute("SELECT pg_drop_replication_slot($1)", [slot])
            _ = try? db?.execute("DROP PUBLICATION IF EXISTS \(SQL.identifier(slot))")
            _ = try? db?.execute("DROP TABLE IF EXISTS \(table)")
            try? FileManager.default.removeItem(atPath: directory)
        }
    }

    @Test func deliversFiltersStopsOnSigtermAndResumes() async throws {
        let setup = try Setup(
            pipelines: """
                  - name: all
                    tables: [TABLE]
                    starting_position: TRIM_HORIZON
                    batch_size: 50
                    sink: { file: { path: ./all.jsonl } }
                  - name: paid
                    filter: [{ eventName: [INSERT], newImage: { v: [{ prefix: "paid" }] } }]
                    starting_position: TRIM_HORIZON
                    sink: { file: { path: ./paid.jsonl } }
                """)
        defer { setup.cleanUp() }
        let db = try TestPostgres.connect()
        var daemon = try setup.start()
        try await setup.waitUntilSlotReady()
        try db.execute(
            "INSERT INTO \(setup.table) SELECT g, CASE WHEN g % 2 = 0 THEN 'paid' ELSE 'new' END, 1 FROM generate_series(1, 400) g")
        _ = try await setup.waitForLines("all.jsonl", count: 400)
        _ = try await setup.waitForLines("paid.jsonl", count: 200)
        daemon.signal(SIGTERM)
        #expect(await daemon.wait(timeout: .seconds(20)) == 0, "\(daemon.log)")

        // Changes made while cdcd is down are delivered after the restart, nothing twice.
        try db.execute("UPDATE \(setup.table) SET version = 2 WHERE id <= 100")
        daemon = try setup.start()
        let all = try await setup.waitForLines("all.jsonl", count: 500)
        daemon.signal(SIGTERM)
        #expect(await daemon.wait(timeout: .seconds(20)) == 0, "\(daemon.log)")
        #expect(all.count == 500)
        #expect(Set(all.compactMap { $0["eventID"]?.stringValue }).count == 500)
        #expect(all.prefix(400).allSatisfy { $0["eventName"] == "INSERT" })
        #expect(all.suffix(100).allSatisfy { $0["eventName"] == "MODIFY" })
        let paid = setup.lines("paid.jsonl")
        #expect(paid.count == 200)
        #expect(paid.allSatisfy { $0["newImage"]?["v"] == "paid" })
    }

    @Test func crashesWithSigkillLoseNothingAndKeepPerKeyOrder() async throws {
        let setup = try Setup(
            pipelines: """
                  - name: all
                    starting_position: TRIM_HORIZON
                    batch_size: 200
                    sink: { file: { path: ./all.jsonl } }
                """)
        defer { setup.cleanUp() }
        var daemon = try setup.start()
        try await setup.waitUntilSlotReady()
        // The workload: 2,000 inserts then 9 rounds of updates of every row, in 100-row
        // transactions: 20,000 changes, each row's versions 1...10 in order.
        let workload = setup.versionedWorkload(rows: 2000, pause: .milliseconds(15))
        let kills = 6
        daemon = try await setup.killAndRestart(daemon, times: kills)
        try await workload.value
        // Wait for 20,000 distinct changes (the file also holds redeliveries after the kills).
        let deadline = ContinuousClock.now + .seconds(120)
        var lines = setup.lines("all.jsonl")
        while Set(lines.compactMap { $0["eventID"]?.stringValue }).count < 20_000 && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
            lines = setup.lines("all.jsonl")
        }
        daemon.signal(SIGTERM)
        #expect(await daemon.wait(timeout: .seconds(20)) == 0)
        // Every change at least once: (id, version) pairs 1...2000 × 1...10.
        var seen: [Int: [Int]] = [:]
        var firstOccurrence = Set<String>()
        for line in lines {
            guard let id = Int(line["keys"]?["id"]?.numberString ?? ""),
                let version = Int(line["newImage"]?["version"]?.numberString ?? ""),
                let eventID = line["eventID"]?.stringValue
            else { continue }
            // Per-key order: first deliveries of a key's changes come in version order.
            if firstOccurrence.insert(eventID).inserted { seen[id, default: []].append(version) }
        }
        #expect(seen.count == 2000)
        let wrong = seen.filter { $0.value != Array(1...10) }.sorted { $0.key < $1.key }.prefix(5)
        #expect(wrong.isEmpty, "keys with missing or out-of-order versions: \(Array(wrong)); log: \(daemon.log.suffix(3000))")
        #expect(kills >= 5)
    }

    /// Linux's scheduling policy of each of `pid`'s threads (field 41 of `/proc/PID/task/TID/stat`).
    static func threadPolicies(_ pid: pid_t) -> [Int] {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        return tasks.compactMap { task in
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/stat", encoding: .utf8),
                let end = stat.lastIndex(of: ")")
            else { return nil }
            // After the command name in parentheses: field 3 (state) onwards.
            let fields = stat[stat.index(after: end)...].split(separator: " ")
            return fields.count > 38 ? Int(fields[38]) : nil
        }
    }

    @Test("every thread of cdcd run is SCHED_BATCH by default, SCHED_OTHER with --cpu-scheduling-policy other", arguments: [nil, "other"])
    func cpuSchedulingPolicy(flag: String?) async throws {
        let setup = try Setup(
            pipelines: """
                  - name: all
                    starting_position: TRIM_HORIZON
                    sink: { file: { path: ./all.jsonl } }
                """)
        defer { setup.cleanUp() }
        let daemon = try setup.start(flag.map { ["--cpu-scheduling-policy", $0] } ?? [])
        try await setup.waitUntilSlotReady()
        let db = try TestPostgres.connect()
        try db.execute("INSERT INTO \(setup.table) SELECT g, 'x', 1 FROM generate_series(1, 100) g")
        _ = try await setup.waitForLines("all.jsonl", count: 100)
        let policies = Self.threadPolicies(daemon.pid)
        daemon.signal(SIGTERM)
        #expect(await daemon.wait(timeout: .seconds(20)) == 0, "\(daemon.log)")
        #expect(policies.count >= 4, "the daemon's threads: \(policies)")
        #expect(Set(policies) == [flag == nil ? 3 : 0], "SCHED_BATCH is 3, SCHED_OTHER 0: \(policies)")
    }

    @Test func oneFailingPipelineDoesNotStopTheOthersNorTheSlot() async throws {
        let setup = try Setup(
            pipelines: """
                  - name: broken
                    starting_position: TRIM_HORIZON
                    retry: { backoff: { initial: 100ms, max: 200ms } }
                    sink: { file: { path: /dev/full } }
                  - name: healthy
                    starting_position: TRIM_HORIZON
                    sink: { file: { path: ./healthy.jsonl } }
                """)
        defer { setup.cleanUp() }
        let db = try TestPostgres.connect()
        let daemon = try setup.start()
        try await setup.waitUntilSlotReady()
        let before = try db.execute("SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = $1", [setup.slot]).scalar!
        for round in 0..<3 {
            try db.execute("INSERT INTO \(setup.table) SELECT g, 'x', 1 FROM generate_series(\(round * 100 + 1), \(round * 100 + 100)) g")
            _ = try await setup.waitForLines("healthy.jsonl", count: (round + 1) * 100)
        }
        try await Task.sleep(for: .seconds(1))
        let after = try db.execute("SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = $1", [setup.slot]).scalar!
        daemon.signal(SIGTERM)
        #expect(await daemon.wait(timeout: .seconds(20)) == 0)
        #expect(LSN(string: after)! > LSN(string: before)!)
        #expect(daemon.log.contains("delivery failed, retrying"))
        #expect(daemon.log.contains("No space left on device"))
    }

    @Test func exhaustedRetriesGoToTheDeadLetterQueue() async throws {
        let setup = try Setup(
            pipelines: """
                  - name: broken
                    starting_position: TRIM_HORIZON
                    batch_size: 10
                    retry: { max_attempts: 2, backoff: { initial: 10ms, max: 20ms } }
                    sink: { file: { path: /dev/full } }
                """)
        defer { setup.cleanUp() }
        let check = try await TestPostgres.run(TestPostgres.cdcdBinary, ["check", "--config", setup.config], allowFailure: true)
        #expect(check.status == 0, "\(check.stdout)")
        #expect(check.stdout.contains("warning: table \(setup.table) lacks REPLICA IDENTITY FULL"))
        #expect(check.stdout.contains("ok: pipeline broken: sink is ready"))

        let db = try TestPostgres.connect()
        let daemon = try setup.start()
        try await setup.waitUntilSlotReady()
        try db.execute("INSERT INTO \(setup.table) SELECT g, 'x', 1 FROM generate_series(1, 25) g")
        let dlq = setup.directory + "/state/pipelines/broken/dlq.jsonl"
        let deadline = ContinuousClock.now + .seconds(60)
        var entries: [JSONValue] = []
        while ContinuousClock.now < deadline {
            let text = (try? String(contentsOfFile: dlq, encoding: .utf8)) ?? ""
            entries = text.split(separator: "\n").compactMap { try? JSONValue.parse(String($0)) }
            if entries.count >= 25 { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        daemon.signal(SIGTERM)
        #expect(await daemon.wait(timeout: .seconds(20)) == 0)
        #expect(entries.count == 25)
        #expect(entries.allSatisfy { $0["attempts"] == 2 })
        #expect(entries.allSatisfy { $0["error"]?.stringValue?.contains("No space left on device") == true })
        #expect(entries.first?["item"]?["keys"] == ["id": 1])

        let list = try await TestPostgres.run(
            TestPostgres.cdcdBinary, ["dlq", "list", "--config", setup.config, "--pipeline", "broken"])
        #expect(list.stdout.split(separator: "\n").count == 25)
        let drop = try await TestPostgres.run(
            TestPostgres.cdcdBinary, ["dlq", "drop", "--config", setup.config, "--pipeline", "broken"])
        #expect(drop.stdout == "dropped 25 records\n")
        let empty = try await TestPostgres.run(
            TestPostgres.cdcdBinary, ["dlq", "list", "--config", setup.config, "--pipeline", "broken"])
        #expect(empty.stdout.isEmpty)
    }

    @Test func unchangedDynamoDBLambdaHandlerRunsThroughTheAdapter() async throws {
        let setup = try Setup(
            pipelines: """
                  - name: lambda
                    starting_position: TRIM_HORIZON
                    format: dynamodb
                    batch_size: 10
                    retry: { backoff: { initial: 10ms, max: 50ms } }
                    function: { lambda: handlers.orders.handler, timeout: 20s }
                """)
        defer { setup.cleanUp() }
        // An AWS Lambda handler for DynamoDB Streams, as written for AWS: typed AttributeValues,
        // ReportBatchItemFailures. It fails each "bad" record once, then accepts it.
        try FileManager.default.createDirectory(atPath: setup.directory + "/handlers", withIntermediateDirectories: true)
        try "".write(toFile: setup.directory + "/handlers/__init__.py", atomically: true, encoding: .utf8)
        try #"""
            import json, os
            HERE = os.path.dirname(os.path.abspath(__file__))
            SEEN = os.path.join(HERE, "..", "failed-once.txt")
            OUT = os.path.join(HERE, "..", "handled.jsonl")

            def handler(event, context):
                failed = set(open(SEEN).read().split()) if os.path.exists(SEEN) else set()
                failures = []
                with open(OUT, "a") as out:
                    for record in event["Records"]:
                        seq = record["dynamodb"]["SequenceNumber"]
                        image = record["dynamodb"]["NewImage"]
                        if image["v"]["S"] == "bad" and seq not in failed:
                            with open(SEEN, "a") as f:
                                f.write(seq + "\n")
                            failures.append({"itemIdentifier": seq})
                            break
                        out.write(json.dumps({"id": int(image["id"]["N"]), "v": image["v"]["S"],
                                              "event": record["eventName"], "fn": context.function_name}) + "\n")
                print("handled", len(event["Records"]), "records")
                return {"batchItemFailures": failures}
            """#.write(toFile: setup.directory + "/handlers/orders.py", atomically: true, encoding: .utf8)
        let db = try TestPostgres.connect()
        let daemon = try setup.start()
        try await setup.waitUntilSlotReady()
        try db.execute(
            "INSERT INTO \(setup.table) SELECT g, CASE WHEN g % 7 = 0 THEN 'bad' ELSE 'ok' END, 1 FROM generate_series(1, 40) g")
        let handled = try await setup.waitForLines("handled.jsonl", count: 40)
        daemon.signal(SIGTERM)
        #expect(await daemon.wait(timeout: .seconds(20)) == 0, "\(daemon.log)")
        let ids = handled.compactMap { $0["id"]?.numberString.flatMap { Int($0) } }
        // Every record handled; the failed ones retried from the failed item on, so per-id order holds
        // in first occurrences and nothing is missing.
        #expect(Set(ids) == Set(1...40))
        var firstSeen: [Int] = []
        for id in ids where !firstSeen.contains(id) { firstSeen.append(id) }
        #expect(firstSeen == Array(1...40))
        #expect(handled.allSatisfy { $0["event"] == "INSERT" })
        let failedOnce = (try? String(contentsOfFile: setup.directory + "/failed-once.txt", encoding: .utf8)) ?? ""
        #expect(failedOnce.split(separator: "\n").count == 5)  // 7, 14, 21, 28, 35
        #expect(daemon.log.contains("handled"))  // the handler's print() went to cdcd's log, not the protocol
    }

    @Test func crashingHangingAndJunkFunctionsEndInTheDLQWithBisect() async throws {
        // One function process that crashes on id 13, hangs on id 17 and prints junk for id 29;
        // everything else it forwards. With bisect and 2 attempts, exactly those three end in the
        // dead-letter queue, each with its error, and every other record reaches the sink.
        let setup = try Setup(
            pipelines: """
                  - name: fn
                    starting_position: TRIM_HORIZON
                    batch_size: 8
                    retry: { max_attempts: 2, bisect_on_error: true, backoff: { initial: 10ms, max: 20ms } }
                    function: { command: ["python3", "./fn.py"], timeout: 1s }
                    sink: { file: { path: ./out.jsonl } }
                """)
        defer { setup.cleanUp() }
        try #"""
            import json, sys, time
            for line in sys.stdin:
                records = json.loads(line)["Records"]
                ids = [r["keys"]["id"] for r in records]
                if 13 in ids:
                    sys.exit(3)
                if 17 in ids:
                    time.sleep(30)
                if 29 in ids:
                    print("not json", flush=True)
                    continue
                print(json.dumps({"records": records}), flush=True)
            """#.write(toFile: setup.directory + "/fn.py", atomically: true, encoding: .utf8)
        let db = try TestPostgres.connect()
        let daemon = try setup.start()
        try await setup.waitUntilSlotReady()
        try db.execute("INSERT INTO \(setup.table) SELECT g, 'x', 1 FROM generate_series(1, 40) g")
        let dlqPath = setup.directory + "/state/pipelines/fn/dlq.jsonl"
        var dead: [JSONValue] = []
        let deadline = ContinuousClock.now + .seconds(120)
        while ContinuousClock.now < deadline {
            dead = ((try? String(contentsOfFile: dlqPath, encoding: .utf8)) ?? "").split(separator: "\n")
                .compactMap { try? JSONValue.parse(String($0)) }
            if dead.count >= 3 && setup.lines("out.jsonl").count >= 37 { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        daemon.signal(SIGTERM)
        #expect(await daemon.wait(timeout: .seconds(30)) == 0)
        let deadIDs = dead.compactMap { $0["item"]?["keys"]?["id"]?.numberString }
        #expect(deadIDs == ["13", "17", "29"])
        let errors = dead.compactMap { $0["error"]?.stringValue }
        #expect(errors.count == 3)
        #expect(errors.first?.contains("exited with status 3") == true)
        #expect(errors.dropFirst().first?.contains("did not answer within") == true)
        #expect(errors.last?.contains("not JSON") == true)
        let delivered = Set(setup.lines("out.jsonl").compactMap { $0["keys"]?["id"]?.numberString })
        #expect(delivered == Set((1...40).filter { ![13, 17, 29].contains($0) }.map(String.init)))
    }

    @Test func builtInTransformsShapeTheRecords() async throws {
        let setup = try Setup(
            pipelines: """
                  - name: shaped
                    starting_position: TRIM_HORIZON
                    function:
                      transforms:
                        - drop_columns: [version]
                        - redact: { columns: [v], method: hash }
                        - rename_table: analytics.orders
                    sink: { file: { path: ./shaped.jsonl } }
                """)
        defer { setup.cleanUp() }
        let db = try TestPostgres.connect()
        let daemon = try setup.start()
        try await setup.waitUntilSlotReady()
        try db.execute("INSERT INTO \(setup.table) VALUES (1, 'abc', 3)")
        let lines = try await setup.waitForLines("shaped.jsonl", count: 1)
        daemon.signal(SIGTERM)
        #expect(await daemon.wait(timeout: .seconds(20)) == 0, "\(daemon.log)")
        #expect(lines[0]["table"] == "analytics.orders")
        // sha256("abc")
        #expect(
            lines[0]["newImage"]
                == ["id": 1, "v": "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"])
        #expect(lines[0]["keys"] == ["id": 1])
    }

    @Test func configErrorsNameFileLineAndKey() async throws {
        let directory = NSTemporaryDirectory() + TestPostgres.uniqueName("badcfg")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/cdcd.yaml"
        try """
            source:
              postgres:
                url: "postgres://u:${CDCD_TEST_SECRET_PW}@127.0.0.1/app"
                tables: [public.t]
            pipelines:
              - name: p
                batch_size: 20000
                sink: { stdout: {} }
            """.write(toFile: path, atomically: true, encoding: .utf8)
        let result = try await TestPostgres.run(TestPostgres.cdcdBinary, ["run", "--config", path], allowFailure: true)
        #expect(result.status == 1)
        #expect(result.stderr.contains("cdcd.yaml:3"))
        #expect(result.stderr.contains("CDCD_TEST_SECRET_PW"))
    }
}

extension JSONValue {
    /// A number's exact text (or a string's text), for reading ids out of records.
    var numberString: String? {
        switch self {
        case .number(let text), .string(let text): text
        default: nil
        }
    }
}
