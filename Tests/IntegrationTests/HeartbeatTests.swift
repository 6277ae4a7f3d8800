import CDCCore
import CDCTestKit
import Foundation
import LibPQ
import Testing

/// `heartbeat:` on a server of its own with no other WAL traffic at all: the heartbeats' commits
/// come back through the slot and move its `confirmed_flush_lsn` along with the WAL they write.
@Suite("Postgres source heartbeat")
struct HeartbeatTests {
    @Test func heartbeatsMoveTheSlotOnAnIdleServer() async throws {
        let name = "bf-heartbeat-\(getpid())"
        let url = try await TestPostgres.pgScript(["start", name]).trimmingCharacters(in: .whitespacesAndNewlines)
        defer { _ = try? TestPostgres.runBlocking("/bin/bash", [TestPostgres.repositoryRoot + "/scripts/pg.sh", "destroy", name]) }
        let directory = NSTemporaryDirectory() + TestPostgres.uniqueName("heartbeat")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let db = try TestPostgres.connect(url)
        defer { db.close() }
        try db.execute("CREATE TABLE public.idle (id int PRIMARY KEY)")
        let yaml = """
            state_dir: ./state
            admin: { listen: "127.0.0.1:0" }
            source:
              postgres:
                url: "\(url)"
                slot: hb
                publication: hb
                tables: [public.idle]
                snapshot: never
                heartbeat: 1s
            pipelines:
              - name: out
                sink: { file: { path: ./out.jsonl } }
            """
        try yaml.write(toFile: directory + "/cdcd.yaml", atomically: true, encoding: .utf8)
        let daemon = try BackgroundProcess(
            TestPostgres.cdcdBinary, ["run", "--config", directory + "/cdcd.yaml"], logPath: directory + "/cdcd.log")
        defer { daemon.kill() }
        let slot = "SELECT confirmed_flush_lsn::text, pg_current_wal_insert_lsn()::text FROM pg_replication_slots WHERE slot_name = 'hb' AND active"
        var seen: [String] = []
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline && Set(seen).count < 4 {
            if let row = try db.execute(slot).rows.first, let confirmed = row[0] { seen.append(confirmed) }
            try await Task.sleep(for: .milliseconds(250))
        }
        let log = (try? String(contentsOfFile: directory + "/cdcd.log", encoding: .utf8)) ?? ""
        // Nothing but cdcd writes to this server: each new position is a heartbeat's.
        #expect(Set(seen).count >= 4, "confirmed_flush_lsn took \(Set(seen).sorted()); log: \(log.suffix(2000))")
        let ordered = seen.compactMap { LSN(string: $0) }
        #expect(ordered == ordered.sorted())
        let last = try #require(try db.execute(slot).rows.first)
        let behind = try db.execute("SELECT pg_wal_lsn_diff($1::pg_lsn, $2::pg_lsn)::bigint", [last[1], last[0]]).scalar
        print("heartbeat: confirmed_flush_lsn took \(Set(seen).count) positions; at the end \(behind ?? "?") bytes behind the WAL insert position")
        #expect((Int(behind ?? "") ?? .max) < 64 * 1024)
        #expect(!log.contains("heartbeat failed"))
        // Heartbeats are not records.
        #expect(((try? String(contentsOfFile: directory + "/out.jsonl", encoding: .utf8)) ?? "").isEmpty)
    }
}
