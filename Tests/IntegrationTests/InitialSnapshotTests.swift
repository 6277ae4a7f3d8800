import CDCCore
import CDCTestKit
import Foundation
import LibPQ
import Testing

/// `snapshot: initial`: the rows that exist when cdcd first starts reach the replica ahead of the
/// changes made after, with writes going on during the snapshot, and after a SIGKILL halfway.
@Suite("Initial snapshot")
struct InitialSnapshotTests {
    static let schemaSQL = """
        CREATE TABLE {S}.big (id int PRIMARY KEY, v text, n int);
        INSERT INTO {S}.big SELECT g, md5(g::text), 0 FROM generate_series(1, 200000) g;
        CREATE TABLE {S}.nokey (a int, b text);
        INSERT INTO {S}.nokey SELECT g % 100, 'x' FROM generate_series(1, 1000) g;
        """

    /// Updates, inserts and deletes on `big` until `stop` is set.
    final class Writer: @unchecked Sendable {
        private let lock = NSLock()
        private var stopped = false
        private(set) var transactions = 0
        func stop() { lock.withLock { stopped = true } }
        var isStopped: Bool { lock.withLock { stopped } }

        func run(schema: String) async throws {
            let db = try TestPostgres.connect()
            defer { db.close() }
            var next = 200_001
            while !isStopped {
                let id = Int.random(in: 1...200_000)
                try db.execute(
                    """
                    BEGIN;
                    UPDATE \(schema).big SET n = n + 1, v = 'w' || n WHERE id = \(id);
                    INSERT INTO \(schema).big VALUES (\(next), 'new', 0);
                    DELETE FROM \(schema).big WHERE id = \(Int.random(in: 1...200_000));
                    COMMIT;
                    """)
                next += 1
                lock.withLock { transactions += 1 }
                try await Task.sleep(for: .milliseconds(2))
            }
        }
    }

    @Test func snapshotWithConcurrentWritesEndsExact() async throws {
        let setup = try ReplicaSetup(sourceSQL: Self.schemaSQL, batchSize: 5000, snapshot: "initial")
        defer { setup.cleanUp() }
        let writer = Writer()
        let writes = Task { try await writer.run(schema: setup.schema) }
        let daemon = try setup.start()
        defer { daemon.kill() }
        try await Task.sleep(for: .seconds(6))
        writer.stop()
        try await writes.value
        #expect(writer.transactions > 100)
        let rows = try await setup.waitUntilEqual("\(setup.schema).big", orderBy: "id", timeout: .seconds(180))
        #expect(rows.count > 190_000)
        try await setup.waitUntilEqual("\(setup.schema).nokey")
        #expect(setup.log().contains("initial snapshot done"), "\(setup.log().suffix(2000))")
        #expect(FileManager.default.fileExists(atPath: setup.directory + "/state/snapshot-done"))
    }

    @Test func snapshotKilledHalfwayResumesAndEndsExact() async throws {
        let setup = try ReplicaSetup(sourceSQL: Self.schemaSQL, batchSize: 2000, snapshot: "initial")
        defer { setup.cleanUp() }
        let writer = Writer()
        let writes = Task { try await writer.run(schema: setup.schema) }
        var daemon = try setup.start()
        // Kill it once part of the snapshot is in the stream, before all of it is.
        let marker = setup.directory + "/state/snapshot-done"
        let stream = setup.directory + "/state/stream"
        var interrupted = false
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            let size = (try? FileManager.default.contentsOfDirectory(atPath: stream))?.reduce(0) { total, file in
                total + ((try? FileManager.default.attributesOfItem(atPath: stream + "/" + file)[.size] as? Int) ?? 0)
            } ?? 0
            if size > 2_000_000 {
                interrupted = !FileManager.default.fileExists(atPath: marker)
                break
            }
            try await Task.sleep(for: .milliseconds(5))
        }
        daemon.kill()
        #expect(interrupted, "the snapshot had finished before the kill")
        daemon = try setup.start()
        defer { daemon.kill() }
        try await Task.sleep(for: .seconds(3))
        writer.stop()
        try await writes.value
        try await setup.waitUntilEqual("\(setup.schema).big", orderBy: "id", timeout: .seconds(180))
        try await setup.waitUntilEqual("\(setup.schema).nokey")
        #expect(setup.log().contains("initial snapshot resuming"), "\(setup.log().suffix(2000))")
        #expect(FileManager.default.fileExists(atPath: marker))
    }
}
