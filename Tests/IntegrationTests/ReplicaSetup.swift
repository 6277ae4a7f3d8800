import CDCCore
import CDCTestKit
import Foundation
import LibPQ

/// A source schema in the test server, a fresh target database beside it, and a cdcd.yaml whose
/// one pipeline replicates the schema into the target with the Postgres sink.
struct ReplicaSetup {
    let directory: String
    let schema: String
    let slot: String
    let targetDatabase: String
    var config: String { directory + "/cdcd.yaml" }
    var targetURL: String { TestPostgres.url + " dbname=\(targetDatabase)" }

    /// `sourceSQL` and `targetSQL` may say `{S}` for the schema's name; `sink` is extra keys of
    /// the postgres sink, `pipeline` extra keys of the pipeline, `source` extra keys of the source,
    /// `otherPipelines` more entries of `pipelines:` (YAML at the list's indentation, `- name: …`).
    init(
        sourceSQL: String, targetSQL: String = "", sink: String = "create_tables: true", pipeline: String = "",
        tables: String? = nil, batchSize: Int = 2000, snapshot: String = "never", source: String = "",
        otherPipelines: String = ""
    ) throws {
        directory = NSTemporaryDirectory() + TestPostgres.uniqueName("replica")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        schema = TestPostgres.uniqueName("rs")
        slot = TestPostgres.uniqueName("rs_slot")
        targetDatabase = TestPostgres.uniqueName("target")
        let db = try TestPostgres.connect()
        defer { db.close() }
        try db.execute("CREATE SCHEMA \(schema)")
        try db.execute(sourceSQL.replacingOccurrences(of: "{S}", with: schema))
        try db.execute("CREATE DATABASE \(targetDatabase)")
        if !targetSQL.isEmpty {
            let target = try TestPostgres.connect(targetURL)
            defer { target.close() }
            try target.execute(targetSQL.replacingOccurrences(of: "{S}", with: schema))
        }
        var lines = [
            "state_dir: ./state",
            "admin: { listen: \"127.0.0.1:0\" }",
            "source:",
            "  postgres:",
            "    url: \"\(TestPostgres.url)\"",
            "    slot: \(slot)",
            "    publication: \(slot)",
            "    tables: [\(tables ?? "\(schema).*")]",
            "    snapshot: \(snapshot)",
        ]
        lines += source.split(separator: "\n").map { "    " + $0 }
        lines += [
            "pipelines:",
            "  - name: replica",
            "    starting_position: TRIM_HORIZON",
            "    batch_size: \(batchSize)",
            "    batch_window: 50ms",
        ]
        lines += pipeline.split(separator: "\n").map { "    " + $0 }
        lines += ["    sink:", "      postgres:", "        url: \"\(targetURL)\""]
        lines += sink.split(separator: "\n").map { "        " + $0 }
        lines += otherPipelines.split(separator: "\n").map { "  " + $0 }
        let yaml = lines.joined(separator: "\n") + "\n"
        try yaml.write(toFile: config, atomically: true, encoding: .utf8)
    }

    func start() throws -> BackgroundProcess {
        try BackgroundProcess(TestPostgres.cdcdBinary, ["run", "--config", config], logPath: directory + "/cdcd.log")
    }

    func source() throws -> PostgresConnection { try TestPostgres.connect() }
    func target() throws -> PostgresConnection { try TestPostgres.connect(targetURL) }

    /// Every row of a table as text, in a stable order, on one side.
    static func rows(_ connection: PostgresConnection, _ table: String, orderBy: String = "t::text") throws -> [String] {
        try connection.execute("SELECT t::text FROM \(table) t ORDER BY \(orderBy)").rows.map { $0[0] ?? "NULL" }
    }

    /// Waits until `table` has the same rows on both sides; returns them (source side).
    @discardableResult
    func waitUntilEqual(_ table: String, orderBy: String = "t::text", timeout: Duration = .seconds(90)) async throws
        -> [String]
    {
        let source = try source()
        let target = try target()
        defer {
            source.close()
            target.close()
        }
        let deadline = ContinuousClock.now + timeout
        var last: ([String], [String]) = ([], [])
        while ContinuousClock.now < deadline {
            let expected = try Self.rows(source, table, orderBy: orderBy)
            // The target table may not exist yet (create_tables makes it with the first change).
            if let actual = try? Self.rows(target, table, orderBy: orderBy), actual == expected { return expected }
            last = (expected, (try? Self.rows(target, table, orderBy: orderBy)) ?? ["(no table)"])
            try await Task.sleep(for: .milliseconds(100))
        }
        throw CaptureTimeout(
            what: "\(table) equal on both sides: source \(last.0.prefix(5)) … (\(last.0.count)), target \(last.1.prefix(5)) … (\(last.1.count))")
    }

    func waitUntilSlotReady() async throws {
        let db = try source()
        defer { db.close() }
        for _ in 0..<600 {
            if try db.execute(
                "SELECT 1 FROM pg_replication_slots WHERE slot_name = $1 AND active AND confirmed_flush_lsn IS NOT NULL",
                [slot]
            ).rows.count == 1 {
                return
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw CaptureTimeout(what: "slot \(slot); cdcd log: \(log())")
    }

    func log() -> String { (try? String(contentsOfFile: directory + "/cdcd.log", encoding: .utf8)) ?? "" }

    func cleanUp() {
        let db = try? TestPostgres.connect()
        _ = try? db?.execute("SELECT pg_drop_replication_slot($1)", [slot])
        _ = try? db?.execute("DROP PUBLICATION IF EXISTS \(SQL.identifier(slot))")
        _ = try? db?.execute("DROP SCHEMA IF EXISTS \(schema) CASCADE")
        _ = try? db?.execute("DROP DATABASE IF EXISTS \(targetDatabase) WITH (FORCE)")
        db?.close()
        try? FileManager.default.removeItem(atPath: directory)
    }
}
