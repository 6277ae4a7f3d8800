import CDCCore
import CDCTestKit
import Foundation
import LibPQ
import Testing

/// ADD COLUMN, DROP COLUMN, RENAME COLUMN and a type change on a table while transactions keep
/// writing to it, before, during and after the ALTER. The records (a file pipeline) change shape
/// once, at the ALTER; the replica follows an added column, and for the others stops with an error
/// naming table and column, stays stopped across a restart, and ends exact once the target has
/// the same change.
@Suite("Schema changes during a workload")
struct SchemaChangeTests {
    enum Change: String, CaseIterable, Sendable {
        case addColumn, dropColumn, renameColumn, changeType

        /// The ALTER on the source (and, for those the replica stops on, the fix on the target).
        var sql: String {
            switch self {
            case .addColumn: "ALTER TABLE {T} ADD COLUMN c int NOT NULL DEFAULT 7"
            case .dropColumn: "ALTER TABLE {T} DROP COLUMN a"
            case .renameColumn: "ALTER TABLE {T} RENAME COLUMN a TO a2"
            case .changeType: "ALTER TABLE {T} ALTER COLUMN b TYPE text USING b::text"
            }
        }

        /// A record's shape: its newImage's columns, and whether `b` is a JSON string or number.
        var oldShape: String { "a,b,id,n:number" }
        var newShape: String {
            switch self {
            case .addColumn: "a,b,c,id,n:number"
            case .dropColumn: "b,id,n:number"
            case .renameColumn: "a2,b,id,n:number"
            case .changeType: "a,b,id,n:string"
            }
        }

        /// What the replica's error says.
        var error: String {
            switch self {
            case .addColumn: ""
            case .dropColumn: "column \"a\" of {S}.t was dropped in the source"
            case .renameColumn: "column \"a\" of {S}.t was renamed to \"a2\" in the source"
            case .changeType: "column \"b\" of {S}.t changed type to text in the source (the target column is integer)"
            }
        }
    }

    static func shape(_ record: JSONValue) -> String? {
        guard case .object(let members)? = record["newImage"] else { return nil }
        let b: String =
            switch record["newImage"]?["b"] {
            case .string?: "string"
            case .number?: "number"
            default: "other"
            }
        return members.map(\.key).sorted().joined(separator: ",") + ":" + b
    }

    /// Updates of the first 200 rows (which have `b`) and inserts of new ones, touching only the
    /// columns no ALTER changes, every few milliseconds until stopped.
    final class Writer: @unchecked Sendable {
        private let lock = NSLock()
        private var stopped = false
        private(set) var transactions = 0
        func stop() { lock.withLock { stopped = true } }
        var isStopped: Bool { lock.withLock { stopped } }

        func run(table: String) async throws {
            let db = try TestPostgres.connect()
            defer { db.close() }
            var next = 1_000
            while !isStopped {
                try db.execute(
                    """
                    BEGIN;
                    UPDATE \(table) SET n = n + 1 WHERE id = \(Int.random(in: 1...200));
                    INSERT INTO \(table) (id, n) VALUES (\(next), 0);
                    COMMIT;
                    """)
                next += 1
                lock.withLock { transactions += 1 }
                try await Task.sleep(for: .milliseconds(3))
            }
        }
    }

    @Test(arguments: Change.allCases)
    func duringAWorkload(_ change: Change) async throws {
        let setup = try ReplicaSetup(
            sourceSQL: """
                CREATE TABLE {S}.t (id int PRIMARY KEY, n int NOT NULL DEFAULT 0, a text, b int);
                INSERT INTO {S}.t SELECT g, 0, 'x' || g, g FROM generate_series(1, 200) g;
                """,
            targetSQL: """
                CREATE SCHEMA {S};
                CREATE TABLE {S}.t (id int PRIMARY KEY, n int NOT NULL DEFAULT 0, a text, b int);
                INSERT INTO {S}.t SELECT g, 0, 'x' || g, g FROM generate_series(1, 200) g;
                """,
            batchSize: 100,
            otherPipelines: """
                - name: records
                  starting_position: TRIM_HORIZON
                  sink: { file: { path: ./records.jsonl } }
                """)
        defer { setup.cleanUp() }
        let s = setup.schema
        let table = "\(s).t"
        var daemon = try setup.start()
        defer { daemon.kill() }
        try await setup.waitUntilSlotReady()

        let writer = Writer()
        let writes = Task { try await writer.run(table: table) }
        // At least a second and 50 transactions before the ALTER, and as much after.
        try await Task.sleep(for: .seconds(1))
        while writer.transactions < 50 { try await Task.sleep(for: .milliseconds(20)) }
        let db = try setup.source()
        defer { db.close() }
        try db.execute(change.sql.replacingOccurrences(of: "{T}", with: table))
        let afterAlter = writer.transactions
        try await Task.sleep(for: .seconds(1))
        while writer.transactions < afterAlter + 50 { try await Task.sleep(for: .milliseconds(20)) }
        writer.stop()
        try await writes.value

        // The records: every update in commit order, the old shape up to the ALTER, the new one after.
        let expected = try db.execute("SELECT count(*) FROM \(table)").scalar.flatMap { Int($0) } ?? 0
        let file = setup.directory + "/records.jsonl"
        var shapes: [String] = []
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            let lines = ((try? String(contentsOfFile: file, encoding: .utf8)) ?? "").split(separator: "\n")
            let records = lines.compactMap { try? JSONValue.parse(String($0)) }
            if records.filter({ $0["eventName"] == "INSERT" }).count >= expected - 200 {
                shapes = records.filter { $0["eventName"] == "MODIFY" }.compactMap(Self.shape)
                break
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        let firstNew = try #require(shapes.firstIndex(of: change.newShape), "no record of the new shape: \(Set(shapes))")
        #expect(firstNew > 10, "records of the old shape before the ALTER")
        #expect(shapes[..<firstNew].allSatisfy { $0 == change.oldShape }, "\(Set(shapes[..<firstNew]))")
        #expect(shapes[firstNew...].allSatisfy { $0 == change.newShape }, "\(Set(shapes[firstNew...]))")

        if change == .addColumn {
            let rows = try await setup.waitUntilEqual(table, orderBy: "id")
            #expect(rows.count == expected)
            #expect(daemon.isRunning)
            return
        }
        // The replica stops, naming table and column, and says so again after a restart.
        let message = change.error.replacingOccurrences(of: "{S}", with: s)
        try await waitForLog(setup, message, count: 1)
        #expect(daemon.isRunning, "capture and the other pipeline go on")
        daemon.signal(SIGTERM)
        _ = await daemon.wait(timeout: .seconds(20))
        daemon = try setup.start()
        try await waitForLog(setup, message, count: 2)
        // Once the target has the same change, a restart goes on and the replica ends exact.
        let target = try setup.target()
        defer { target.close() }
        try target.execute(change.sql.replacingOccurrences(of: "{T}", with: table))
        daemon.signal(SIGTERM)
        _ = await daemon.wait(timeout: .seconds(20))
        daemon = try setup.start()
        let rows = try await setup.waitUntilEqual(table, orderBy: "id")
        #expect(rows.count == expected)
    }

    private func waitForLog(_ setup: ReplicaSetup, _ text: String, count: Int) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            let lines = setup.log().split(separator: "\n").filter { $0.contains("pipeline disabled") && $0.contains(text) }
            if lines.count >= count { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw CaptureTimeout(what: "\(count)× pipeline disabled: \"\(text)\" in the log: \(setup.log().suffix(3000))")
    }
}
