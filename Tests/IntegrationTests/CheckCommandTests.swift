import CDCTestKit
import Foundation
import LibPQ
import Testing

/// `cdcd check` against a real server: one line per finding, exit status 0/1.
@Suite("cdcd check")
struct CheckCommandTests {
    @Test func reportsMissingAndKeylessTablesAsErrors() async throws {
        let db = try TestPostgres.connect()
        let schema = TestPostgres.uniqueName("check")
        try db.execute(
            """
            CREATE SCHEMA \(schema);
            CREATE TABLE \(schema).good (id int PRIMARY KEY);
            CREATE TABLE \(schema).keyless (a int);
            CREATE TABLE \(schema).full_identity (a int);
            ALTER TABLE \(schema).full_identity REPLICA IDENTITY FULL;
            """)
        let bad = try await TestPostgres.run(
            TestPostgres.cdcdBinary,
            ["check", "--source", TestPostgres.url, "--tables", "\(schema).*,\(schema).missing"], allowFailure: true)
        #expect(bad.status == 1)
        let lines = bad.stdout.split(separator: "\n").map(String.init)
        #expect(lines.contains("ok: wal_level=logical"))
        #expect(lines.contains("error: table \(schema).missing does not exist"))
        #expect(lines.contains { $0.hasPrefix("error: table \(schema).keyless has no primary key and REPLICA IDENTITY DEFAULT") })
        #expect(lines.contains("ok: table \(schema).good has a key"))
        #expect(lines.contains("ok: table \(schema).full_identity has a key"))

        let good = try await TestPostgres.run(
            TestPostgres.cdcdBinary, ["check", "--source", TestPostgres.url, "--tables", "\(schema).good"],
            allowFailure: true)
        #expect(good.status == 0)
        #expect(!good.stdout.contains("error:"))
        try db.execute("DROP SCHEMA \(schema) CASCADE")
    }

    @Test func unreachableSourceIsOneErrorLine() async throws {
        let result = try await TestPostgres.run(
            TestPostgres.cdcdBinary, ["check", "--source", "postgres://u:pw-secret@127.0.0.1:1/app"],
            allowFailure: true)
        #expect(result.status == 1)
        #expect(result.stdout.hasPrefix("error: 127.0.0.1:1/app: cannot connect"))
        #expect(!(result.stdout + result.stderr).contains("pw-secret"))
    }
}
