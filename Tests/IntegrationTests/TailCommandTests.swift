import CDCCore
import CDCTestKit
import Foundation
import LibPQ
import Testing

/// `cdcd tail` as a user runs it: a process printing JSON Lines.
@Suite("cdcd tail")
struct TailCommandTests {
    @Test func tailStreamsJSONLinesUntilEndLSNAndResumesFromItsSlot() async throws {
        let db = try TestPostgres.connect()
        let table = TestPostgres.uniqueName("tailed")
        let slot = TestPostgres.uniqueName("tail_slot")
        try db.execute("CREATE TABLE public.\(table) (id int PRIMARY KEY, v text)")
        defer {
            _ = try? db.execute("SELECT pg_drop_replication_slot($1)", [slot])
            _ = try? db.execute("DROP PUBLICATION IF EXISTS \(SQL.identifier(slot))")
        }
        // First run: creates the slot and publication, nothing to read yet.
        let start = try db.execute("SELECT pg_current_wal_insert_lsn()").scalar!
        let first = try await TestPostgres.run(
            TestPostgres.cdcdBinary,
            ["tail", "--source", TestPostgres.url, "--slot", slot, "--tables", "public.\(table)", "--end-lsn", start])
        #expect(first.stdout.isEmpty)
        try db.execute("INSERT INTO public.\(table) VALUES (1, 'a'), (2, 'b')")
        try db.execute("UPDATE public.\(table) SET v = 'c' WHERE id = 1")
        let end = try db.execute("SELECT pg_current_wal_insert_lsn()").scalar!
        let second = try await TestPostgres.run(
            TestPostgres.cdcdBinary,
            ["tail", "--source", TestPostgres.url, "--slot", slot, "--tables", "public.\(table)", "--end-lsn", end])
        let lines = second.stdout.split(separator: "\n").map { try! JSONValue.parse(String($0)) }
        #expect(lines.map { $0["eventName"]?.stringValue } == ["INSERT", "INSERT", "MODIFY"])
        #expect(lines[2]["newImage"] == ["id": 1, "v": "c"])
        // Third run from the same slot: everything was confirmed, nothing is repeated.
        try db.execute("INSERT INTO public.\(table) VALUES (3, 'd')")
        let end3 = try db.execute("SELECT pg_current_wal_insert_lsn()").scalar!
        let third = try await TestPostgres.run(
            TestPostgres.cdcdBinary,
            ["tail", "--source", TestPostgres.url, "--slot", slot, "--tables", "public.\(table)", "--end-lsn", end3,
             "--format", "dynamodb"])
        let thirdLines = third.stdout.split(separator: "\n").map { try! JSONValue.parse(String($0)) }
        #expect(thirdLines.count == 1)
        #expect(thirdLines.first?["dynamodb"]?["Keys"] == ["id": ["N": "3"]])
        #expect(thirdLines.first?["eventSource"] == "aws:dynamodb")
    }
}
