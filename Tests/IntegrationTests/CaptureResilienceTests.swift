import CDCCore
import CDCTestKit
import Capture
import Foundation
import LibPQ
import Testing

/// Server restarts and bad input: capture resumes without loss, and every mistake is one clear line
/// that names the thing and never a password.
@Suite("Capture: restarts and bad input")
struct CaptureResilienceTests {
    @Test func serverRestartResumesFromNamedSlotWithoutLoss() async throws {
        // A server of its own: restarting the shared one would disturb the other tests.
        let name = TestPostgres.uniqueName("restart")
        let url = try await TestPostgres.pgScript(["start", name]).trimmingCharacters(in: .whitespacesAndNewlines)
        defer { _ = try? TestPostgres.runBlocking("/bin/bash", [TestPostgres.repositoryRoot + "/scripts/pg.sh"] + ["destroy", name]) }
        var db = try TestPostgres.connect(url)
        try db.execute("CREATE TABLE public.events (id int PRIMARY KEY)")
        let capture = try CaptureSession(url: url, tables: ["public.events"], slot: "resume_slot")
        try await capture.waitUntilStreaming()
        for batch in 0..<10 {
            try db.execute("INSERT INTO public.events SELECT g FROM generate_series(\(batch * 100 + 1), \(batch * 100 + 100)) g")
        }
        var ids = try await capture.records(count: 500).map { $0.keyValues[0].string! }
        db.close()
        // Restart while capture is mid-stream. A fast shutdown waits until the logical walsender's
        // client confirms everything sent, so keep consuming while the server goes down.
        let restart = Task { try await TestPostgres.pgScript(["restart", name]) }
        // Read on to the last acknowledgement: a walsender shutting down waits until its client has
        // confirmed everything it sent.
        ids += try await capture.records(count: 1000 - ids.count, untilAcknowledgement: true).map {
            $0.keyValues[0].string!
        }
        _ = try await restart.value
        db = try TestPostgres.connect(url)
        for batch in 10..<20 {
            try db.execute("INSERT INTO public.events SELECT g FROM generate_series(\(batch * 100 + 1), \(batch * 100 + 100)) g")
        }
        ids += try await capture.records(count: 2000 - ids.count, timeout: .seconds(90)).map { $0.keyValues[0].string! }
        capture.stop()
        #expect(ids.count == 2000)
        #expect(Set(ids) == Set((1...2000).map(String.init)))
    }

    @Test func slowConsumerIsNotKilledByWalSenderTimeout() async throws {
        // A server with a 2 s wal_sender_timeout and a consumer that takes 1.5 s per batch: capture
        // must keep reporting status while the hand-off is full, so the stream never breaks.
        let name = TestPostgres.uniqueName("slow")
        let url = try await TestPostgres.pgScript(["start", name, "--conf", "wal_sender_timeout = 2s"])
            .trimmingCharacters(in: .whitespacesAndNewlines)
        defer { _ = try? TestPostgres.runBlocking("/bin/bash", [TestPostgres.repositoryRoot + "/scripts/pg.sh", "destroy", name]) }
        let db = try TestPostgres.connect(url)
        try db.execute("CREATE TABLE public.t (id int PRIMARY KEY, pad text)")
        let store = RecordingLogHandler.Store()
        let capture = try CaptureSession(
            url: url, tables: ["public.t"], maxBatchRecords: 100, statusInterval: 0.5,
            logger: RecordingLogHandler.logger(store))
        try await capture.waitUntilStreaming()
        try db.execute("INSERT INTO public.t SELECT g, repeat('x', 500) FROM generate_series(1, 1000) g")
        // Take one batch, then stall for 2.5 timeouts while the hand-off is full.
        var records = try await capture.records(count: 1)
        try await Task.sleep(for: .seconds(5))
        records += try await capture.records(count: 1000 - records.count, timeout: .seconds(60))
        capture.stop()
        #expect(records.count == 1000)
        #expect(Set(records.map(\.eventID)).count == 1000)
        #expect(!store.messages.contains { $0.contains("connection lost") })
        #expect(capture.batches.count >= 10)
    }

    @Test func unreachableServerNamesItAndHidesThePassword() async throws {
        let capture = try CaptureSession(
            url: "host=127.0.0.1 port=1 user=alice password=s3cretpw dbname=app", tables: [])
        let error = try #require(await capture.failure())
        let text = "\(error)"
        #expect(text.contains("127.0.0.1:1/app"))
        #expect(text.contains("cannot connect"))
        #expect(!text.contains("s3cretpw"))
        #expect(!text.contains("\n"))
    }

    @Test func unknownTableIsNamed() async throws {
        let capture = try CaptureSession(tables: ["public.no_such_table"])
        let error = try #require(await capture.failure())
        #expect("\(error)".contains("table public.no_such_table does not exist"))
    }

    @Test func tableWithoutKeyIsReported() async throws {
        let db = try TestPostgres.connect()
        let table = TestPostgres.uniqueName("keyless")
        try db.execute("CREATE TABLE public.\(table) (a int, b text)")
        let store = RecordingLogHandler.Store()
        let capture = try CaptureSession(
            tables: ["public.\(table)"], logger: RecordingLogHandler.logger(store))
        try await capture.waitUntilStreaming()
        try db.execute("INSERT INTO public.\(table) VALUES (1, 'x')")
        let records = try await capture.records(count: 1)
        capture.stop()
        #expect(records.first?.keyValues == [])
        #expect(store.messages.contains { $0.contains("table public.\(table) has no primary key") })
    }

    @Test func malformedConnectionStringDoesNotEchoIt() throws {
        #expect {
            _ = try ConnectionString("postgres://bob:hunter2@[::1")
        } throws: { error in
            !"\(error)".contains("hunter2") && "\(error)".contains("not valid")
        }
    }

    /// A server with `wal_level=replica` that asks TCP clients for a password.
    @Test func walLevelReplicaAndWrongPassword() async throws {
        let name = TestPostgres.uniqueName("strict")
        let trustURL = try await TestPostgres.pgScript(["start", name, "--wal-level", "replica", "--host-auth", "scram-sha-256"])
            .trimmingCharacters(in: .whitespacesAndNewlines)
        defer { _ = try? TestPostgres.runBlocking("/bin/bash", [TestPostgres.repositoryRoot + "/scripts/pg.sh"] + ["destroy", name]) }
        let port = trustURL.split(separator: " ").first { $0.hasPrefix("port=") }!.dropFirst(5)
        let socket = try TestPostgres.connect("host=/tmp/cdcd-pg-\(name) port=\(port) user=postgres dbname=postgres")
        try socket.execute("ALTER ROLE postgres PASSWORD 'right-pw'")
        socket.close()

        let wrong = try CaptureSession(
            url: "host=127.0.0.1 port=\(port) user=postgres password=wrong-pw dbname=postgres", tables: [])
        let wrongError = "\(try #require(await wrong.failure()))"
        #expect(wrongError.contains("password authentication failed"))
        #expect(wrongError.contains("127.0.0.1:\(port)/postgres"))
        #expect(!wrongError.contains("wrong-pw"))

        let right = try CaptureSession(
            url: "host=127.0.0.1 port=\(port) user=postgres password=right-pw dbname=postgres", tables: [])
        let levelError = "\(try #require(await right.failure()))"
        #expect(levelError.contains("wal_level=replica"))
        #expect(levelError.contains("wal_level=logical"))
        #expect(!levelError.contains("right-pw"))
    }

    @Test func tailCommandPrintsOneLineErrors() async throws {
        let result = try await TestPostgres.run(
            TestPostgres.cdcdBinary,
            ["tail", "--source", "postgres://alice:s3cretpw@127.0.0.1:1/app"], allowFailure: true)
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("cdcd: error: 127.0.0.1:1/app: cannot connect"))
        #expect(result.stderr.split(separator: "\n").count == 1)
        #expect(!result.stderr.contains("s3cretpw"))
    }
}
