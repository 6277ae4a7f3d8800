import CDCCore

/// `source: { postgres: {...} }` — PostgreSQL logical replication with pgoutput.
public struct PostgresSourceConfig: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    /// `snapshot`: what happens on the first run, when the slot is created.
    public enum Snapshot: String, Sendable, Hashable, CaseIterable {
        /// Copy the tables' current rows first (as `INSERT` records with `source.snapshot: true`), then
        /// stream changes from the slot's start, so the target starts complete. The default, as Debezium.
        case initial
        /// Stream only changes made after the slot was created.
        case never
    }

    /// `url`: a libpq URI (`postgres://user@host:5432/db`) or conninfo (`host=... dbname=...`).
    /// Never print it as is: use `CDCDConfiguration.redactURL(_:)`.
    public var url: String
    /// `slot`: the replication slot (created when missing). Default `cdcd`.
    public var slot: String
    /// `publication`: created when missing, with the configured tables. Default `cdcd`.
    public var publication: String
    /// `tables`: what to capture. When absent, the union of the pipelines' `tables`.
    public var tables: [TablePattern]
    /// `snapshot`: default `.initial`.
    public var snapshot: Snapshot
    /// `heartbeat`: how often to write a `pg_logical_emit_message` into the source's WAL, so the
    /// slot's confirmed position moves on a database with no other WAL traffic (and capture's
    /// liveness shows); nil (the default) writes none.
    public var heartbeat: Duration?

    public static let defaultSlot = "cdcd"
    public static let defaultPublication = "cdcd"

    public init(
        url: String, slot: String = PostgresSourceConfig.defaultSlot,
        publication: String = PostgresSourceConfig.defaultPublication, tables: [TablePattern],
        snapshot: Snapshot = .initial, heartbeat: Duration? = nil
    ) {
        self.heartbeat = heartbeat
        self.url = url
        self.slot = slot
        self.publication = publication
        self.tables = tables
        self.snapshot = snapshot
    }

    public var description: String {
        Redaction.describe(
            "PostgresSourceConfig",
            [
                "url": CDCDConfiguration.redactURL(url), "slot": slot, "publication": publication,
                "tables": tables.map(\.text).description, "snapshot": snapshot.rawValue,
                "heartbeat": heartbeat.map { "\($0)" } ?? "off",
            ])
    }
    public var debugDescription: String { description }
    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "url": CDCDConfiguration.redactURL(url), "slot": slot, "publication": publication, "tables": tables,
                "snapshot": snapshot, "heartbeat": heartbeat as Any,
            ], displayStyle: .struct)
    }
}
