import CDCCore
import CDCTestKit
import Capture
import Foundation
import LibPQ
import Testing

/// INSERT/UPDATE/DELETE/TRUNCATE, key changes, TOAST, schema changes and transaction order, against
/// a real server.
@Suite("Capture: changes")
struct CaptureChangesTests {
    let db: PostgresConnection
    let schema: String

    init() throws {
        db = try TestPostgres.connect()
        schema = TestPostgres.uniqueName("changes")
        try db.execute("CREATE SCHEMA \(schema)")
    }

    @Test func insertUpdateDeleteTruncateAndKeyChange() async throws {
        try db.execute("CREATE TABLE \(schema).orders (id int PRIMARY KEY, status text, total numeric)")
        let capture = try CaptureSession(tables: ["\(schema).orders"])
        try await capture.waitUntilStreaming()
        try db.execute(
            """
            INSERT INTO \(schema).orders VALUES (1, 'new', 9.90), (2, 'new', 5);
            UPDATE \(schema).orders SET status = 'paid' WHERE id = 1;
            UPDATE \(schema).orders SET id = 20 WHERE id = 2;
            DELETE FROM \(schema).orders WHERE id = 1;
            TRUNCATE \(schema).orders;
            """)
        let records = try await capture.records(count: 6)
        capture.stop()
        let json = records.map { RecordJSON.render($0) }
        #expect(json.map { $0["eventName"]?.stringValue } == ["INSERT", "INSERT", "MODIFY", "MODIFY", "REMOVE", "TRUNCATE"])
        #expect(json[0]["keys"] == ["id": 1])
        #expect(json[0]["newImage"] == ["id": 1, "status": "new", "total": "9.90"])
        #expect(json[2]["newImage"]?["status"] == "paid")
        #expect(json[2]["oldKeys"] == nil)
        // The key change: one MODIFY whose keys hold the new key and oldKeys the old one.
        #expect(json[3]["keys"] == ["id": 20])
        #expect(json[3]["oldKeys"] == ["id": 2])
        // DEFAULT replica identity: a delete carries the key only.
        #expect(json[4]["keys"] == ["id": 1])
        #expect(json[4]["oldImage"] == nil)
        #expect(json[4]["newImage"] == nil)
        #expect(json[5]["table"] == .string("\(schema).orders"))
        #expect(json[5]["keys"] == nil)
        // Stable identifiers: strictly increasing fixed-width sequence numbers, unique event IDs.
        let sequence = records.map(\.sequenceNumber)
        #expect(sequence == sequence.sorted())
        #expect(Set(sequence).count == sequence.count)
        #expect(sequence.allSatisfy { $0.count == 30 })
        #expect(Set(records.map(\.eventID)).count == records.count)
        #expect(json[0]["sequenceNumber"]?.stringValue == records[0].sequenceNumber)
    }

    @Test func replicaIdentityFullGivesOldImages() async throws {
        try db.execute(
            """
            CREATE TABLE \(schema).items (id int PRIMARY KEY, name text);
            ALTER TABLE \(schema).items REPLICA IDENTITY FULL;
            INSERT INTO \(schema).items VALUES (1, 'a');
            """)
        let capture = try CaptureSession(tables: ["\(schema).items"])
        try await capture.waitUntilStreaming()
        try db.execute(
            """
            UPDATE \(schema).items SET name = 'b' WHERE id = 1;
            DELETE FROM \(schema).items WHERE id = 1;
            """)
        let records = try await capture.records(count: 2)
        capture.stop()
        let update = RecordJSON.render(records[0])
        #expect(update["oldImage"] == ["id": 1, "name": "a"])
        #expect(update["newImage"] == ["id": 1, "name": "b"])
        // Keys are the primary key even though FULL marks every column as identity.
        #expect(update["keys"] == ["id": 1])
        let delete = RecordJSON.render(records[1])
        #expect(delete["oldImage"] == ["id": 1, "name": "b"])
    }

    @Test(arguments: [false, true])
    func unchangedToastIsNeverInvented(full: Bool) async throws {
        let table = "\(schema).docs_\(full ? "full" : "default")"
        try db.execute(
            """
            CREATE TABLE \(table) (id int PRIMARY KEY, body text, n int);
            ALTER TABLE \(table) ALTER body SET STORAGE EXTERNAL;
            \(full ? "ALTER TABLE \(table) REPLICA IDENTITY FULL;" : "")
            INSERT INTO \(table) SELECT 1, string_agg(md5(i::text), '') FROM generate_series(1, 1000) i;
            """)
        let body = try db.execute("SELECT body FROM \(table) WHERE id = 1").scalar!
        #expect(body.utf8.count == 32000)
        let capture = try CaptureSession(tables: [table])
        try await capture.waitUntilStreaming()
        try db.execute("UPDATE \(table) SET n = 5 WHERE id = 1")
        let records = try await capture.records(count: 1)
        capture.stop()
        let json = RecordJSON.render(records[0])
        if full {
            // The old image has the value: the new image is filled from it.
            #expect(json["newImage"]?["body"] == .string(body))
            #expect(json["unchangedColumns"] == [])
        } else {
            #expect(json["newImage"]?["body"] == nil)
            #expect(json["newImage"]?["n"] == 5)
            #expect(json["unchangedColumns"] == ["body"])
        }
    }

    @Test func addColumnMidStream() async throws {
        try db.execute("CREATE TABLE \(schema).evolving (id int PRIMARY KEY, a text)")
        let capture = try CaptureSession(tables: ["\(schema).evolving"])
        try await capture.waitUntilStreaming()
        try db.execute(
            """
            INSERT INTO \(schema).evolving VALUES (1, 'x');
            ALTER TABLE \(schema).evolving ADD COLUMN b int DEFAULT 7;
            INSERT INTO \(schema).evolving VALUES (2, 'y', 8);
            UPDATE \(schema).evolving SET a = 'z' WHERE id = 1;
            """)
        let records = try await capture.records(count: 3)
        capture.stop()
        let json = records.map { RecordJSON.render($0) }
        #expect(json[0]["newImage"] == ["id": 1, "a": "x"])
        #expect(json[1]["newImage"] == ["id": 2, "a": "y", "b": 8])
        #expect(json[2]["newImage"] == ["id": 1, "a": "z", "b": 7])
    }

    @Test func interleavedTransactionsArriveInCommitOrder() async throws {
        try db.execute("CREATE TABLE \(schema).t (id int PRIMARY KEY)")
        let other = try TestPostgres.connect()
        let capture = try CaptureSession(tables: ["\(schema).t"])
        try await capture.waitUntilStreaming()
        try db.execute("BEGIN; INSERT INTO \(schema).t VALUES (1)")
        try other.execute("BEGIN; INSERT INTO \(schema).t VALUES (2)")
        try other.execute("COMMIT")
        try db.execute("INSERT INTO \(schema).t VALUES (3); COMMIT")
        let records = try await capture.records(count: 3)
        capture.stop()
        #expect(records.map { RecordJSON.render($0)["keys"]?["id"] } == [2, 1, 3])
        #expect(records[1].commitLSN > records[0].commitLSN)
        #expect(records[1].xid != records[0].xid)
        #expect(records.map(\.sequenceNumber) == records.map(\.sequenceNumber).sorted())
    }

    @Test func largeTransactionStreamsInBoundedBatches() async throws {
        try db.execute("CREATE TABLE \(schema).big (id int PRIMARY KEY, payload text)")
        let capture = try CaptureSession(tables: ["\(schema).big"], maxBatchRecords: 1000)
        try await capture.waitUntilStreaming()
        try db.execute(
            "INSERT INTO \(schema).big SELECT i, repeat('x', 100) FROM generate_series(1, 100000) i")
        // The transaction's end can arrive after its last full batch: read on to the acknowledgement.
        let records = try await capture.records(count: 100_000, timeout: .seconds(180), untilAcknowledgement: true)
        capture.stop()
        #expect(records.count == 100_000)
        // Handed out in bounded pieces, acknowledged once, at the end of the transaction.
        #expect(capture.batches.allSatisfy { $0.records.count <= 1000 })
        #expect(capture.batches.count >= 100)
        #expect(capture.batches.filter { $0.acknowledgeLSN != nil }.count == 1)
        #expect(capture.batches.last?.acknowledgeLSN != nil)
        #expect(records.last?.index == 100_000)
        #expect(Set(records.map(\.eventID)).count == 100_000)
    }

    /// Over a Unix socket capture reads again at once whatever a read left in the socket while it
    /// batches a fast stream (there are no TCP segments to let coalesce there).
    /// Over the server's Unix socket capture reads what a read left at once; over loopback TCP it
    /// fixes the receive buffer and reads at once while the socket is nearly full (`StreamSocket`).
    @Test(arguments: [true, false])
    func fastStreamArrivesWholeAndInOrder(unixSocket: Bool) async throws {
        try db.execute("CREATE TABLE \(schema).local (id int PRIMARY KEY, payload text)")
        let capture = try CaptureSession(
            url: unixSocket ? TestPostgres.unixSocketURL : TestPostgres.url, tables: ["\(schema).local"], maxBatchRecords: 1000)
        try await capture.waitUntilStreaming()
        for part in 0..<10 {
            try db.execute(
                "INSERT INTO \(schema).local SELECT i, repeat('x', 100) FROM generate_series(\(part * 20_000 + 1), \((part + 1) * 20_000)) i"
            )
        }
        let records = try await capture.records(count: 200_000, timeout: .seconds(180), untilAcknowledgement: true)
        capture.stop()
        #expect(records.count == 200_000)
        let ids = records.map { $0.keyValue(at: 0).string.flatMap { Int($0) } ?? 0 }
        #expect(ids == Array(1...200_000))
        #expect(capture.batches.filter { $0.acknowledgeLSN != nil }.count >= 1)
    }
}
