import CDCCore
import CDCTestKit
import Foundation
import LibPQ
import Testing

/// A quiet publication on a busy database: five minutes of writes to a table cdcd does not
/// capture must not make the slot hold WAL back (capture confirms the server's keepalive positions
/// when nothing is pending).
@Suite("Quiet slot on a busy database")
struct QuietSlotTests {
    @Test func fiveMinutesOfUnpublishedWritesKeepTheSlotCurrent() async throws {
        let setup = try ReplicaSetup(sourceSQL: "CREATE TABLE {S}.quiet (id int PRIMARY KEY);")
        defer { setup.cleanUp() }
        let busy = "public." + TestPostgres.uniqueName("busy")
        let db = try setup.source()
        defer { _ = try? db.execute("DROP TABLE IF EXISTS \(busy)") }
        try db.execute("CREATE TABLE \(busy) (id bigserial PRIMARY KEY, v text)")
        let daemon = try setup.start()
        defer { daemon.kill() }
        try await setup.waitUntilSlotReady()
        let start = try db.execute("SELECT pg_current_wal_lsn()::text").scalar ?? "0/0"
        let lag = """
            SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::bigint,
                   pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::bigint,
                   pg_wal_lsn_diff(pg_current_wal_lsn(), '\(start)')::bigint
            FROM pg_replication_slots WHERE slot_name = $1
            """
        var worstBehind = 0
        var worstRetained = 0
        let end = ContinuousClock.now + .seconds(300)
        while ContinuousClock.now < end {
            try db.execute("INSERT INTO \(busy) (v) SELECT md5(g::text) FROM generate_series(1, 2000) g")
            try await Task.sleep(for: .milliseconds(200))
            if let row = try db.execute(lag, [setup.slot]).rows.first {
                worstBehind = max(worstBehind, Int(row[0] ?? "0") ?? 0)
                worstRetained = max(worstRetained, Int(row[1] ?? "0") ?? 0)
            }
        }
        let final = try #require(try db.execute(lag, [setup.slot]).rows.first).map { Int($0 ?? "0") ?? 0 }
        let generated = final[2]
        print(
            "quiet slot: generated \(generated / 1_048_576) MB of WAL in 5 min; confirmed_flush at most \(worstBehind / 1024) kB behind, retained WAL at most \(worstRetained / 1_048_576) MB, at the end \(final[1] / 1_048_576) MB"
        )
        #expect(generated > 50 * 1_048_576, "the workload wrote WAL")
        // The confirmed position follows within a status interval of writes; the retained WAL (up to
        // restart_lsn, which moves with the server's running-xacts records) stays a small part.
        #expect(worstBehind < 16 * 1_048_576)
        #expect(worstRetained < generated / 4)
        #expect(daemon.isRunning)
    }
}
