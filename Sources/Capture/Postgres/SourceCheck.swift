import CDCCore
import LibPQ

/// One result of `cdcd check`: a line a person reads.
public struct CheckFinding: Sendable, CustomStringConvertible {
    public enum Severity: String, Sendable, Comparable {
        case ok, warning, error
        public static func < (a: Severity, b: Severity) -> Bool {
            let order: [Severity] = [.ok, .warning, .error]
            return order.firstIndex(of: a)! < order.firstIndex(of: b)!
        }
    }
    public var severity: Severity
    public var message: String
    public init(_ severity: Severity, _ message: String) {
        self.severity = severity
        self.message = message
    }
    public var description: String { "\(severity.rawValue): \(message)" }
}

/// Checks that a PostgreSQL source can be captured as configured: reachable, `wal_level=logical`,
/// replication privilege, a free slot, the tables exist and have a key, the publication and slot
/// fit. Reads only; creates nothing.
public struct SourceCheck: Sendable {
    public var connection: ConnectionString
    public var tables: [TablePattern]
    public var slot: String
    public var publication: String
    /// Pipelines that ask for old images need REPLICA IDENTITY FULL: warn for tables without it.
    public var wantsOldImages: Bool

    public init(
        connection: ConnectionString, tables: [TablePattern], slot: String, publication: String,
        wantsOldImages: Bool = false
    ) {
        self.connection = connection
        self.tables = tables
        self.slot = slot
        self.publication = publication
        self.wantsOldImages = wantsOldImages
    }

    /// Runs every check; never throws (a failure is a finding).
    public func run() -> [CheckFinding] {
        var findings: [CheckFinding] = []
        let server = connection.redacted
        let db: PostgresConnection
        do {
            db = try PostgresConnection(connection)
        } catch {
            return [CheckFinding(.error, "\(error)")]
        }
        defer { db.close() }
        do {
            findings.append(CheckFinding(.ok, "connected to \(server) (PostgreSQL \(db.serverVersion / 10000).\(db.serverVersion % 100))"))
            let walLevel = try db.execute("SHOW wal_level").scalar ?? "?"
            findings.append(
                walLevel == "logical"
                    ? CheckFinding(.ok, "wal_level=logical")
                    : CheckFinding(
                        .error,
                        "\(server) has wal_level=\(walLevel); logical replication needs wal_level=logical (ALTER SYSTEM SET wal_level = logical, then restart PostgreSQL)"
                    ))
            let role = try db.execute(
                "SELECT rolname, rolreplication OR rolsuper, rolsuper FROM pg_roles WHERE rolname = current_user")
            if let row = role.rows.first {
                let name = row[0] ?? "?"
                findings.append(
                    row[1] == "t"
                        ? CheckFinding(.ok, "role \(name) may use replication")
                        : CheckFinding(
                            .error,
                            "role \(name) lacks the REPLICATION privilege (ALTER ROLE \(SQL.identifier(name)) REPLICATION; see deploy/source-role.sql)"
                        ))
            }
            let existingSlot = try db.execute(
                "SELECT plugin, active FROM pg_replication_slots WHERE slot_name = $1", [slot]
            ).rows.first
            if let existingSlot {
                if existingSlot[0] != "pgoutput" {
                    findings.append(
                        CheckFinding(.error, "replication slot \(slot) exists with plugin \(existingSlot[0] ?? "?"), not pgoutput"))
                } else {
                    findings.append(
                        CheckFinding(
                            existingSlot[1] == "t" ? .warning : .ok,
                            existingSlot[1] == "t"
                                ? "replication slot \(slot) exists and is in use by another process"
                                : "replication slot \(slot) exists and will be resumed"))
                }
            } else {
                let slots = try db.execute(
                    "SELECT current_setting('max_replication_slots')::int - (SELECT count(*) FROM pg_replication_slots)"
                ).scalar.flatMap { Int($0) } ?? 0
                findings.append(
                    slots > 0
                        ? CheckFinding(.ok, "replication slot \(slot) will be created (\(slots) free)")
                        : CheckFinding(
                            .error, "no free replication slot for \(slot): raise max_replication_slots or drop unused slots"))
            }
            try checkTables(db, &findings)
            let publicationExists = try !db.execute("SELECT 1 FROM pg_publication WHERE pubname = $1", [publication])
                .rows.isEmpty
            findings.append(
                CheckFinding(
                    .ok,
                    publicationExists
                        ? "publication \(publication) exists" : "publication \(publication) will be created"))
        } catch {
            findings.append(CheckFinding(.error, "\(error)"))
        }
        return findings
    }

    private func checkTables(_ db: PostgresConnection, _ findings: inout [CheckFinding]) throws {
        let rows = try db.execute(
            """
            SELECT n.nspname, c.relname, c.relreplident,
                   EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary)
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
              AND n.nspname NOT LIKE 'pg_toast%'
            ORDER BY 1, 2
            """
        ).rows
        let all = rows.map { (name: "\($0[0] ?? "").\($0[1] ?? "")", identity: $0[2] ?? "d", hasKey: $0[3] == "t") }
        for pattern in tables where !all.contains(where: { pattern.matches($0.name) }) {
            findings.append(
                pattern.isExact
                    ? CheckFinding(.error, "table \(pattern.text) does not exist")
                    : CheckFinding(.warning, "table pattern \(pattern.text) matches no table"))
        }
        for table in all where tables.matchesTable(table.name) {
            switch (table.hasKey, table.identity) {
            case (_, "n"):
                findings.append(
                    CheckFinding(
                        .error,
                        "table \(table.name) has REPLICA IDENTITY NOTHING: its UPDATEs and DELETEs cannot be captured; set REPLICA IDENTITY FULL or DEFAULT with a primary key"
                    ))
            case (false, "d"):
                findings.append(
                    CheckFinding(
                        .error,
                        "table \(table.name) has no primary key and REPLICA IDENTITY DEFAULT: only its INSERTs can be captured (the source rejects its UPDATEs and DELETEs); add a primary key or set REPLICA IDENTITY FULL"
                    ))
            default:
                if wantsOldImages && table.identity != "f" {
                    findings.append(
                        CheckFinding(
                            .warning,
                            "table \(table.name) lacks REPLICA IDENTITY FULL: records will have no oldImage (ALTER TABLE ... REPLICA IDENTITY FULL)"
                        ))
                } else {
                    findings.append(CheckFinding(.ok, "table \(table.name) has a key"))
                }
            }
        }
    }
}
