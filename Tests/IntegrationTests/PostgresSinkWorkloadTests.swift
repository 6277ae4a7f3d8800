import CDCCore
import CDCTestKit
import Foundation
import LibPQ
import Testing

/// The replica under pgbench: a 30 s run, then the same workload while cdcd is SIGKILLed and
/// restarted again and again. Afterwards every table is equal on both sides (ordered md5), and the
/// insert-only `pgbench_history` and a counter table prove nothing was applied twice.
@Suite("Postgres replica sink: pgbench")
struct PostgresSinkWorkloadTests {
    static let tables = ["pgbench_accounts", "pgbench_branches", "pgbench_tellers", "pgbench_history", "counter"]

    /// Runs pgbench against the test server with the setup's schema first on the search path.
    static func pgbench(_ setup: ReplicaSetup, _ arguments: String) async throws -> String {
        let connection = TestPostgres.connectionString
        let command =
            "PGOPTIONS='-c search_path=\(setup.schema)' pgbench -h \(connection.host ?? "127.0.0.1") -p \(connection.port ?? "5432") -U postgres \(arguments) postgres"
        let result = try await TestPostgres.run("/bin/sh", ["-c", command + " 2>&1"])
        return result.stdout
    }

    /// pgbench's own tables, created before cdcd starts (`-I dt`), and a counter table.
    static func prepare() throws -> ReplicaSetup {
        try ReplicaSetup(
            sourceSQL: "CREATE TABLE {S}.counter (client int PRIMARY KEY, n bigint NOT NULL);",
            batchSize: 5000)
    }

    static let script = """
        \\set aid random(1, 100000 * :scale)
        \\set bid random(1, 1 * :scale)
        \\set tid random(1, 10 * :scale)
        \\set delta random(-5000, 5000)
        BEGIN;
        UPDATE pgbench_accounts SET abalance = abalance + :delta WHERE aid = :aid;
        UPDATE pgbench_tellers SET tbalance = tbalance + :delta WHERE tid = :tid;
        UPDATE pgbench_branches SET bbalance = bbalance + :delta WHERE bid = :bid;
        INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (:tid, :bid, :aid, :delta, CURRENT_TIMESTAMP);
        INSERT INTO counter VALUES (:client_id, 1) ON CONFLICT (client) DO UPDATE SET n = counter.n + 1;
        END;
        """

    /// Ordered md5 of every table, on one side.
    static func digests(_ connection: PostgresConnection, schema: String) throws -> [String] {
        try tables.map { table in
            try connection.execute("SELECT count(*) || ':' || md5(string_agg(t::text, ',' ORDER BY t::text)) FROM \(schema).\(table) t")
                .scalar ?? ""
        }
    }

    static func waitUntilEqual(_ setup: ReplicaSetup, timeout: Duration = .seconds(180)) async throws -> [String] {
        let source = try setup.source()
        let target = try setup.target()
        let expected = try digests(source, schema: setup.schema)
        let deadline = ContinuousClock.now + timeout
        var actual: [String] = []
        while ContinuousClock.now < deadline {
            actual = (try? digests(target, schema: setup.schema)) ?? []
            if actual == expected { return expected }
            try await Task.sleep(for: .milliseconds(500))
        }
        Issue.record("replica differs: source \(expected) target \(actual)\n\(setup.log().suffix(3000))")
        return expected
    }

    @Test func pgbenchRunReplicatesAllTables() async throws {
        let setup = try Self.prepare()
        defer { setup.cleanUp() }
        _ = try await Self.pgbench(setup, "-i -I dt")
        let daemon = try setup.start()
        defer { daemon.kill() }
        try await setup.waitUntilSlotReady()
        _ = try await Self.pgbench(setup, "-i -I gvp")
        let scriptPath = setup.directory + "/tx.sql"
        try Self.script.write(toFile: scriptPath, atomically: true, encoding: .utf8)
        let output = try await Self.pgbench(setup, "-n -c 4 -j 2 -T 30 -f \(scriptPath)")
        #expect(output.contains("number of failed transactions: 0"), "\(output)")
        let digests = try await Self.waitUntilEqual(setup)
        #expect(digests[0].hasPrefix("100000:"))
        #expect(daemon.isRunning, "\(setup.log().suffix(2000))")
    }

    @Test func sigkillAtRandomMomentsNeitherLosesNorDuplicates() async throws {
        let setup = try Self.prepare()
        defer { setup.cleanUp() }
        _ = try await Self.pgbench(setup, "-i -I dt")
        var daemon = try setup.start()
        try await setup.waitUntilSlotReady()
        _ = try await Self.pgbench(setup, "-i -I gvp")
        let scriptPath = setup.directory + "/tx.sql"
        try Self.script.write(toFile: scriptPath, atomically: true, encoding: .utf8)
        async let workload = Self.pgbench(setup, "-n -c 4 -j 2 -T 30 -f \(scriptPath)")
        var kills = 0
        let end = ContinuousClock.now + .seconds(28)
        while ContinuousClock.now < end {
            try await Task.sleep(for: .milliseconds(Int.random(in: 1500...4500)))
            daemon.kill()
            kills += 1
            daemon = try setup.start()
        }
        let output = try await workload
        #expect(output.contains("number of failed transactions: 0"), "\(output)")
        #expect(kills >= 5)
        let digests = try await Self.waitUntilEqual(setup)
        daemon.kill()
        // Each source transaction added one history row and one counter increment: the replica has
        // exactly as many of both.
        let target = try setup.target()
        let source = try setup.source()
        let count = "SELECT (SELECT count(*) FROM \(setup.schema).pgbench_history) || '/' || (SELECT sum(n) FROM \(setup.schema).counter)"
        #expect(try target.execute(count).scalar == source.execute(count).scalar)
        #expect(digests.count == Self.tables.count)
        let history = Int(try source.execute("SELECT count(*) FROM \(setup.schema).pgbench_history").scalar ?? "") ?? 0
        #expect(history > 1000, "the workload ran: \(history) transactions")
    }
}
