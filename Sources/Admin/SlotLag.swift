import Foundation
import LibPQ

/// One reading of the source's replication slot: how far its `confirmed_flush_lsn` is behind the
/// server's current WAL position, in bytes (the WAL the slot pins), or why it could not be read.
public struct SlotLag: Sendable, Equatable {
    public var bytes: Int64?
    public var active: Bool?
    public var confirmedLSN: String?
    public var currentLSN: String?
    /// Set when the reading failed (server unreachable, slot missing). Never holds a password.
    public var error: String?

    public init(
        bytes: Int64? = nil, active: Bool? = nil, confirmedLSN: String? = nil, currentLSN: String? = nil,
        error: String? = nil
    ) {
        self.bytes = bytes
        self.active = active
        self.confirmedLSN = confirmedLSN
        self.currentLSN = currentLSN
        self.error = error
    }

    /// Reads the slot over an ordinary SQL connection (blocking: call it from a thread of its own).
    public static func read(_ connection: PostgresConnection, slot: String) -> SlotLag {
        do {
            let result = try connection.execute(
                """
                SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::bigint::text,
                       active::text, confirmed_flush_lsn::text, pg_current_wal_lsn()::text
                FROM pg_replication_slots WHERE slot_name = $1
                """, [slot])
            guard let row = result.rows.first else {
                return SlotLag(error: "replication slot \(slot) does not exist on \(connection.server)")
            }
            return SlotLag(
                bytes: row[0].flatMap { Int64($0) }, active: row[1] == "true", confirmedLSN: row[2],
                currentLSN: row[3])
        } catch {
            return SlotLag(error: "\(error)")
        }
    }

    /// Connects, reads the slot once and disconnects (for `cdcd status` when the daemon is down).
    public static func readOnce(_ connection: ConnectionString, slot: String) -> SlotLag {
        do {
            let db = try PostgresConnection(connection, applicationName: "cdcd-status")
            defer { db.close() }
            return read(db, slot: slot)
        } catch {
            return SlotLag(error: "\(error)")
        }
    }
}
