import CDCCore
import CDCTestKit
import Foundation
import LibPQ
import Sinks
import Testing

/// The Postgres replica sink against two real databases: `cdcd run` replicates a source schema
/// into a fresh target database; both sides are compared row by row as `row::text`.
@Suite("Postgres replica sink")
struct PostgresSinkTests {
    static let userTypes = """
        CREATE SCHEMA IF NOT EXISTS {S};
        CREATE TYPE {S}.mood AS ENUM ('happy', 'sad');
        CREATE DOMAIN {S}.posint AS integer CHECK (VALUE > 0);
        CREATE DOMAIN {S}.price AS numeric(12,2);
        CREATE TYPE {S}.pair AS (a integer, b text);
        """

    @Test func everyTypeRoundTripsExactly() async throws {
        let setup = try ReplicaSetup(
            sourceSQL: Self.userTypes + """
                CREATE TABLE {S}.all_types (
                    id int PRIMARY KEY, b bool, i2 int2, i4 int4, i8 int8, o oid, f4 float4, f8 float8,
                    f8nan float8, f8inf float8, num numeric, js json, jsb jsonb, by bytea, tstz timestamptz,
                    ts timestamp, d date, t time, ttz timetz, tx text, vc varchar(10), u uuid, iv interval,
                    r int4range, m {S}.mood, p {S}.posint, pr {S}.price, c {S}.pair,
                    ia int[], ta text[], ia2 int[][], tsa timestamptz[], ma {S}.mood[], na numeric[],
                    big text DEFAULT 'x' NOT NULL
                );
                """,
            targetSQL: Self.userTypes)
        defer { setup.cleanUp() }
        let daemon = try setup.start()
        defer { daemon.kill() }
        try await setup.waitUntilSlotReady()
        let db = try setup.source()
        let table = "\(setup.schema).all_types"
        try db.execute(
            #"""
            INSERT INTO \#(table) VALUES (
                1, true, 1, -2, 9007199254740993, 42, 1.5, 1e300, 'NaN', '-Infinity',
                12345678901234567890.123456789, E'{"a": 1,\n "b": [true, null]}', '{"x": "y", "n": 1.50}',
                '\x00ff10', '2026-01-02 03:04:05.678901+00', '2026-01-02 03:04:05', '2026-01-02', '03:04:05',
                '03:04:05+02', E'h\u00e9llo "q"\n\ttab', 'short', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
                '1 day 02:00:00', '[1,5)', 'happy', 7, 9.5, ROW(1, 'x y'),
                '{1,2,NULL}', '{"a b","NULL",NULL,"q\"x"}', '{{1,2},{3,4}}',
                '{"2026-01-02 03:04:05+00"}', '{happy,sad}', '{1.10,NaN}', 'big'
            );
            INSERT INTO \#(table) (id) VALUES (2);
            INSERT INTO \#(table) (id, f4, f8, num, tstz) VALUES (3, 0.1, 0.1, 0.1, '-infinity');
            UPDATE \#(table) SET tx = 'changed', i8 = -9223372036854775808 WHERE id = 1;
            """#)
        let rows = try await setup.waitUntilEqual(table, orderBy: "id")
        #expect(rows.count == 3)
        // The table was created from the source: its columns, types, NOT NULL and default, its key.
        let target = try setup.target()
        let columns = try target.execute(
            """
            SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod) || CASE WHEN attnotnull THEN ' not null' ELSE '' END, ', ' ORDER BY attnum)
            FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0
            """, [table]).scalar ?? ""
        #expect(columns.contains("vc character varying(10)"))
        #expect(columns.contains("pr \(setup.schema).price"))
        #expect(columns.contains("big text not null"))
        #expect(try target.execute("SELECT pg_get_expr(adbin, adrelid) FROM pg_attrdef WHERE adrelid = $1::regclass", [table]).scalar == "'x'::text")
        #expect(try target.execute("SELECT count(*) FROM pg_index WHERE indrelid = $1::regclass AND indisprimary", [table]).scalar == "1")
        // The checkpoint row names the last change applied.
        let checkpoint = try target.execute("SELECT sequence_number FROM cdcd.checkpoints WHERE pipeline = 'replica'").scalar
        #expect(checkpoint?.count == 30)
    }

    @Test func keyChangesToastTruncateQuotedNamesAndKeylessTables() async throws {
        let setup = try ReplicaSetup(
            sourceSQL: """
                CREATE TABLE {S}.docs (id int PRIMARY KEY, title text, body text);
                ALTER TABLE {S}.docs ALTER COLUMN body SET STORAGE EXTERNAL;
                CREATE TABLE {S}."Order Items" ("Item ID" int PRIMARY KEY, "select" text, "Ünïcode" text);
                CREATE TABLE {S}.history (at int, note text);
                CREATE TABLE {S}.full_nokey (a int, b text, j json);
                ALTER TABLE {S}.full_nokey REPLICA IDENTITY FULL;
                CREATE TABLE {S}.gone (id int PRIMARY KEY, v text);
                """)
        defer { setup.cleanUp() }
        let daemon = try setup.start()
        defer { daemon.kill() }
        try await setup.waitUntilSlotReady()
        let db = try setup.source()
        let s = setup.schema
        try db.execute(
            """
            INSERT INTO \(s).docs SELECT g, 'title ' || g, repeat(md5(g::text), 400) FROM generate_series(1, 20) g;
            INSERT INTO \(s)."Order Items" VALUES (1, 'a', 'é'), (2, 'b', 'ü');
            INSERT INTO \(s).history VALUES (1, 'x'), (1, 'x'), (2, 'y');
            INSERT INTO \(s).full_nokey VALUES (1, 'one', '{"k": 1}'), (1, 'one', '{"k": 1}'), (2, 'two', '[]');
            INSERT INTO \(s).gone SELECT g, 'v' FROM generate_series(1, 10) g;
            """)
        try await setup.waitUntilEqual("\(s).docs")
        try await setup.waitUntilEqual("\(s).gone")
        try db.execute(
            """
            UPDATE \(s).docs SET title = 'moved' , id = id + 100 WHERE id <= 5;
            UPDATE \(s).docs SET title = 'retitled' WHERE id BETWEEN 6 AND 10;
            UPDATE \(s)."Order Items" SET "select" = 'z', "Item ID" = 3 WHERE "Item ID" = 1;
            DELETE FROM \(s)."Order Items" WHERE "Item ID" = 2;
            UPDATE \(s).full_nokey SET b = 'uno' WHERE a = 1 AND ctid = (SELECT min(ctid) FROM \(s).full_nokey WHERE a = 1);
            DELETE FROM \(s).full_nokey WHERE a = 2;
            TRUNCATE \(s).gone;
            INSERT INTO \(s).gone VALUES (99, 'after truncate');
            INSERT INTO \(s).history VALUES (3, 'z');
            """)
        let docs = try await setup.waitUntilEqual("\(s).docs")
        #expect(docs.count == 20)
        try await setup.waitUntilEqual("\(s).\"Order Items\"")
        try await setup.waitUntilEqual("\(s).history")
        try await setup.waitUntilEqual("\(s).full_nokey")
        let gone = try await setup.waitUntilEqual("\(s).gone")
        #expect(gone == ["(99,\"after truncate\")"])
        // The moved and retitled rows kept their unchanged TOASTed body.
        let target = try setup.target()
        #expect(try target.execute("SELECT count(*) FROM \(s).docs WHERE length(body) = 12800").scalar == "20")
        #expect(try target.execute("SELECT count(*) FROM \(s).history").scalar == "4")
        #expect(try target.execute("SELECT string_agg(b, ',' ORDER BY b) FROM \(s).full_nokey").scalar == "one,uno")
    }

    @Test func aRejectedRowIsDeadLetteredAloneAndTheRestApplied() async throws {
        let setup = try ReplicaSetup(
            sourceSQL: "CREATE TABLE {S}.items (id int PRIMARY KEY, qty int);",
            targetSQL: "CREATE SCHEMA {S}; CREATE TABLE {S}.items (id int PRIMARY KEY, qty int CHECK (qty < 1000));",
            sink: "create_tables: false")
        defer { setup.cleanUp() }
        let daemon = try setup.start()
        defer { daemon.kill() }
        try await setup.waitUntilSlotReady()
        let db = try setup.source()
        let s = setup.schema
        try db.execute("INSERT INTO \(s).items SELECT g, g FROM generate_series(1, 100) g")
        try db.execute("INSERT INTO \(s).items VALUES (101, 5000)")
        try db.execute("INSERT INTO \(s).items SELECT g, g FROM generate_series(102, 200) g")
        let target = try setup.target()
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline,
            try target.execute("SELECT count(*) FROM \(s).items").scalar != "199"
        {
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(try target.execute("SELECT count(*), sum(id) FROM \(s).items").rows.first == ["199", String(20100 - 101)])
        // The dead-letter queue holds the one rejected row, its error naming table, key and reason.
        let list = try await TestPostgres.run(TestPostgres.cdcdBinary, ["dlq", "list", "--config", setup.config, "--pipeline", "replica"])
        #expect(list.stdout.contains("\(s).items key (id)=(101)"), "\(list.stdout)")
        #expect(list.stdout.contains("check constraint"), "\(list.stdout)")
        // After fixing the target, the replay applies it (although it is below the checkpoint).
        try target.execute("ALTER TABLE \(s).items DROP CONSTRAINT items_qty_check")
        daemon.kill()
        _ = await daemon.wait(timeout: .seconds(10))
        let replay = try await TestPostgres.run(
            TestPostgres.cdcdBinary, ["dlq", "replay", "--config", setup.config, "--pipeline", "replica"])
        #expect(replay.status == 0, "\(replay.stderr)")
        try await setup.waitUntilEqual("\(s).items")
    }

    @Test func schemaChangesAddColumnsAndStopOnDrops() async throws {
        let setup = try ReplicaSetup(sourceSQL: "CREATE TABLE {S}.t (id int PRIMARY KEY, a text, b text);")
        defer { setup.cleanUp() }
        let daemon = try setup.start()
        defer { daemon.kill() }
        try await setup.waitUntilSlotReady()
        let db = try setup.source()
        let s = setup.schema
        try db.execute("INSERT INTO \(s).t SELECT g, 'a', 'b' FROM generate_series(1, 10) g")
        try await setup.waitUntilEqual("\(s).t")
        // ADD COLUMN with a default: added to the target with it, so untouched rows match.
        try db.execute("ALTER TABLE \(s).t ADD COLUMN c int NOT NULL DEFAULT 7")
        try db.execute("INSERT INTO \(s).t VALUES (11, 'a', 'b', 8)")
        try await setup.waitUntilEqual("\(s).t")
        // DROP COLUMN: the replica cannot follow; the pipeline stops naming the column.
        try db.execute("ALTER TABLE \(s).t DROP COLUMN b")
        try db.execute("INSERT INTO \(s).t VALUES (12, 'a', 9)")
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline, !setup.log().contains("pipeline disabled") {
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(setup.log().contains("column \"b\" of \(s).t was dropped in the source"), "\(setup.log())")
        // Capture goes on (the daemon is still running).
        #expect(daemon.isRunning)
    }

    @Test func targetDownThenUpLosesNothing() async throws {
        let name = "cdcd-replica-down-\(getpid())"
        let targetServer = try await TestPostgres.pgScript(["start", name]).trimmingCharacters(in: .whitespacesAndNewlines)
        defer { _ = try? TestPostgres.runBlocking("/bin/bash", [TestPostgres.repositoryRoot + "/scripts/pg.sh", "destroy", name]) }
        let setup = try ReplicaSetup(sourceSQL: "CREATE TABLE {S}.t (id int PRIMARY KEY, v int);")
        defer { setup.cleanUp() }
        // Point the sink at the separate server.
        let yaml = try String(contentsOfFile: setup.config, encoding: .utf8)
            .replacingOccurrences(of: setup.targetURL, with: targetServer)
        try yaml.write(toFile: setup.config, atomically: true, encoding: .utf8)
        let daemon = try setup.start()
        defer { daemon.kill() }
        try await setup.waitUntilSlotReady()
        let db = try setup.source()
        let s = setup.schema
        try db.execute("INSERT INTO \(s).t SELECT g, 0 FROM generate_series(1, 100) g")
        let target = { try TestPostgres.connect(targetServer) }
        func targetCount() -> String? { try? target().execute("SELECT count(*) FROM \(s).t").scalar }
        var deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline, targetCount() != "100" { try await Task.sleep(for: .milliseconds(100)) }
        try await TestPostgres.pgScript(["stop", name])
        try db.execute("UPDATE \(s).t SET v = 1")
        try db.execute("INSERT INTO \(s).t SELECT g, 2 FROM generate_series(101, 200) g")
        try await Task.sleep(for: .seconds(3))
        try await TestPostgres.pgScript(["restart", name])  // same port
        deadline = ContinuousClock.now + .seconds(90)
        while ContinuousClock.now < deadline,
            (try? target().execute("SELECT count(*), sum(v) FROM \(s).t").rows.first) != ["200", "300"]
        {
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(try target().execute("SELECT count(*), sum(v) FROM \(s).t").rows.first == ["200", "300"], "\(setup.log())")
        #expect(setup.log().contains("retrying"))
    }

    /// Batches commit asynchronously (`synchronous_commit = off`, the default): a target that
    /// crashes loses the commits its WAL writer had not written yet. cdcd finds the checkpoint row
    /// behind what it committed when it reconnects and delivers again from its saved checkpoint,
    /// which `flush` made sure the target still has. The table has no key (insert-only): a
    /// duplicate would be an extra row, a loss a missing one.
    @Test func targetCrashLosingAsynchronousCommitsLosesNothing() async throws {
        let name = "cdcd-replica-crash-\(getpid())"
        // The WAL writer wakes every 10 s and WAL buffers are large: the last commits before an
        // immediate shutdown are still in shared memory, and lost.
        let targetServer = try await TestPostgres.pgScript([
            "start", name, "--conf", "wal_writer_delay = 10000ms", "--conf", "wal_buffers = 64MB",
        ]).trimmingCharacters(in: .whitespacesAndNewlines)
        defer { _ = try? TestPostgres.runBlocking("/bin/bash", [TestPostgres.repositoryRoot + "/scripts/pg.sh", "destroy", name]) }
        let setup = try ReplicaSetup(sourceSQL: "CREATE TABLE {S}.t (n int NOT NULL, v text);", batchSize: 500)
        defer { setup.cleanUp() }
        let yaml = try String(contentsOfFile: setup.config, encoding: .utf8)
            .replacingOccurrences(of: setup.targetURL, with: targetServer)
        try yaml.write(toFile: setup.config, atomically: true, encoding: .utf8)
        let daemon = try setup.start()
        defer { daemon.kill() }
        try await setup.waitUntilSlotReady()
        let s = setup.schema
        let checkpointSQL = "SELECT sequence_number FROM cdcd.checkpoints WHERE pipeline = 'replica'"
        func onTarget(_ sql: String) -> String? { try? TestPostgres.connect(targetServer).execute(sql).scalar }
        let source = try setup.source()
        var losses = 0
        var rounds = 0
        // Three rounds, and up to three more while no crash has lost a commit yet (whether one does
        // depends on timing: about one run in three had none in three rounds).
        for round in 0..<6 where round < 3 || losses == 0 {
            rounds += 1
            // While the target is down, a burst of 60,000 rows (1,000-row transactions) is
            // captured; once it is back, cdcd catches up batch after batch, flushing at most once a
            // second, and the target crashes again in the middle of that.
            try await TestPostgres.pgScript(["crash", name])
            let first = round * 60_000
            try source.execute(
                """
                DO $$ BEGIN FOR i IN 0..59 LOOP
                  INSERT INTO \(s).t SELECT g, md5(g::text) FROM generate_series(\(first) + i * 1000 + 1, \(first) + i * 1000 + 1000) g;
                  COMMIT;
                END LOOP; END $$
                """)
            try await TestPostgres.pgScript(["restart", name])
            let deadline = ContinuousClock.now + .seconds(60)
            while ContinuousClock.now < deadline,
                Int(onTarget("SELECT count(*) FROM \(s).t") ?? "") ?? 0 < first + 15_000
            {
                try await Task.sleep(for: .milliseconds(10))
            }
            let before = onTarget(checkpointSQL) ?? ""
            // SIGQUIT to the postmaster: an immediate shutdown, at once (no script in between).
            let pidFile = "/tmp/cdcd-pg-\(name)/data/postmaster.pid"
            let postmaster = try String(contentsOfFile: pidFile, encoding: .utf8).split(separator: "\n").first.flatMap { Int32($0) }
            if let postmaster { kill(postmaster, SIGQUIT) }
            while let postmaster, kill(postmaster, 0) == 0 { try await Task.sleep(for: .milliseconds(20)) }
            try await TestPostgres.pgScript(["restart", name])  // same port, crash recovery
            let after = onTarget(checkpointSQL) ?? ""
            if after < before { losses += 1 }
        }
        let digest = "SELECT count(*) || ':' || coalesce(md5(string_agg(n || v, ',' ORDER BY n)), '') FROM \(s).t"
        let expected = try setup.source().execute(digest).scalar
        let deadline = ContinuousClock.now + .seconds(120)
        var actual: String?
        while ContinuousClock.now < deadline {
            actual = try? TestPostgres.connect(targetServer).execute(digest).scalar
            if actual == expected { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(actual == expected, "\(setup.log().suffix(3000))")
        #expect(expected?.hasPrefix("\(rounds * 60_000):") == true)
        // Commits were lost at least once, and each loss was delivered again (not skipped).
        #expect(losses > 0, "no crash lost a commit: the test did not exercise the rewind")
        if losses > 0 {
            #expect(setup.log().contains("delivering again from the saved checkpoint"), "\(setup.log().suffix(3000))")
        }
        #expect(daemon.isRunning)
    }

    @Test func anInsertOfARowTheTargetAlreadyHasBecomesAnUpsert() async throws {
        let setup = try ReplicaSetup(
            sourceSQL: "CREATE TABLE {S}.t (id int PRIMARY KEY, v text);",
            targetSQL: "CREATE SCHEMA {S}; CREATE TABLE {S}.t (id int PRIMARY KEY, v text); INSERT INTO {S}.t VALUES (5, 'stale');",
            sink: "create_tables: false")
        defer { setup.cleanUp() }
        let daemon = try setup.start()
        defer { daemon.kill() }
        try await setup.waitUntilSlotReady()
        let db = try setup.source()
        try db.execute("INSERT INTO \(setup.schema).t SELECT g, 'fresh' FROM generate_series(1, 10) g")
        let rows = try await setup.waitUntilEqual("\(setup.schema).t", orderBy: "id")
        #expect(rows.count == 10)
        #expect(!setup.log().contains("dead-letter"))
    }

    @Test func binaryCopyKeepsEdgeValuesExact() async throws {
        // Every column has a binary conversion, so the inserts go by COPY in binary form.
        let setup = try ReplicaSetup(
            sourceSQL: """
                CREATE TABLE {S}.edges (
                    id int8 PRIMARY KEY, b bool, i2 int2, i4 int4, o oid, f4 float4, f8 float8, num numeric,
                    num2 numeric(12,3), js json, jsb jsonb, by bytea, tstz timestamptz, ts timestamp(3), d date,
                    tx text, vc varchar(12), bp char(4), u uuid
                );
                """)
        defer { setup.cleanUp() }
        let daemon = try setup.start()
        defer { daemon.kill() }
        try await setup.waitUntilSlotReady()
        let db = try setup.source()
        let table = "\(setup.schema).edges"
        try db.execute(
            #"""
            BEGIN;
            INSERT INTO \#(table) VALUES
              (1, true, -32768, -2147483648, 4294967295, 3.4e38, 1e-310, -0.0001, 123456789.125,
               '{"k": [1, 2.50, "\t"]}', '{"b": 1.0, "a": null}', '\x00ff', '0044-03-15 12:00:00+00 BC',
               '294276-12-31 23:59:59.999', '5874897-12-31', E'tab\there\nnew line \\ back', 'élan', 'ab', 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11'),
              (2, false, 32767, 2147483647, 0, 'NaN', '-Infinity', 'NaN', -0.5, 'null', '[]', '\x', '-infinity',
               'infinity', '-infinity', '', '', '', '00000000-0000-0000-0000-000000000000'),
              (3, NULL, NULL, NULL, NULL, '-0', '-0', '1e-20', 0, NULL, NULL, NULL, '2000-01-01 00:00:00+00',
               '1999-12-31 23:59:59.999', '2000-01-01', NULL, NULL, NULL, NULL),
              (4, true, 0, 0, 1, 1.17549435e-38, 2.2250738585072014e-308, 9999999999999999999999999.00000000000000000001,
               99999999.999, '1', '"x"', '\xdeadbeef', '2024-02-29 23:59:59.999999-11:30', '1970-01-01 00:00:00',
               '0001-01-01 BC', repeat('long ', 2000), 'exactly12chr', 'full', gen_random_uuid());
            INSERT INTO \#(table) (id, num, tstz, tx) SELECT g, g / 7.0, timestamptz '2026-01-01 00:00:00+00' + g * interval '1.5 seconds', md5(g::text) FROM generate_series(5, 3000) g;
            COMMIT;
            """#)
        let rows = try await setup.waitUntilEqual(table, orderBy: "id")
        #expect(rows.count == 3000)
        #expect(!setup.log().contains("goes as text"), "\(setup.log().suffix(2000))")
    }

    @Test func aValueBinaryCopyCannotReadGoesAsText() async throws {
        // A record whose timestamp is in another date style than capture's (as a stream written
        // under other settings would hold): the binary COPY stops, the batch goes again as text.
        let database = TestPostgres.uniqueName("target")
        let admin = try TestPostgres.connect()
        defer {
            _ = try? admin.execute("DROP DATABASE IF EXISTS \(database) WITH (FORCE)")
            admin.close()
        }
        try admin.execute("CREATE DATABASE \(database)")
        let url = TestPostgres.url + " dbname=\(database)"
        let target = try TestPostgres.connect(url)
        defer { target.close() }
        try target.execute("CREATE TABLE public.events (id int8 PRIMARY KEY, at timestamptz, n numeric)")
        let relation = Relation(
            oid: 1, schema: "public", name: "events", replicaIdentity: .default,
            columns: [
                .init(name: "id", typeOID: 20, typeModifier: -1, kind: .integer, isReplicaIdentity: true),
                .init(name: "at", typeOID: 1184, typeModifier: -1, kind: .timestamptz, isReplicaIdentity: false),
                .init(name: "n", typeOID: 1700, typeModifier: -1, kind: .numeric, isReplicaIdentity: false),
            ],
            keyIndexes: [0])
        func item(_ n: Int, _ at: String) -> SinkItem {
            let values: [PgValue] = [.text(Array(String(n).utf8)), .text(Array(at.utf8)), .text(Array("\(n).5".utf8))]
            let record = ChangeRecord(
                eventName: .insert, relation: relation, database: "app", commitLSN: LSN(0x100_0000 + UInt64(n) * 64),
                index: 1, xid: 700, commitTime: 849_123_000_000_000, keyValues: [values[0]], newValues: values)
            return SinkItem(record: record, json: [])
        }
        let store = RecordingLogHandler.Store()
        let sink = PostgresSink(
            .init(pipeline: "p", target: try ConnectionString(url)), logger: RecordingLogHandler.logger(store))
        try await sink.write((1...1500).map { item($0, "2026-01-02 03:04:05+00") })
        // Row 2600 is in the second part of 1,000 rows: the first part went to the server already.
        try await sink.write((1501...3000).map { item($0, $0 == 2600 ? "Fri Jan 02 03:04:05 2026 UTC" : "2026-01-02 03:04:05.25+00") })
        try await sink.write([item(3001, "2026-01-02 03:04:05+00")])
        await sink.close()
        #expect(try target.execute("SELECT count(*), count(DISTINCT at), sum(n) FROM public.events").rows[0] == ["3001", "2", "4506001.5"])
        #expect(try target.execute("SELECT at FROM public.events WHERE id = 2600").scalar == "2026-01-02 03:04:05+00")
        #expect(try target.execute("SELECT sequence_number FROM cdcd.checkpoints WHERE pipeline = 'p'").scalar == item(3001, "").record?.sequenceNumber)
        #expect(store.messages.filter { $0.contains("goes as text") }.count == 1, "\(store.messages)")
    }
}
