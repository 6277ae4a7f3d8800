/// One chunk of a backfill merged into the captured stream the DBLog way (Netflix, 2019), as a
/// pure state machine fed with what capture sees, in stream order.
///
/// The backfill writes a low watermark into the WAL (a transactional logical message
/// `low:<chunk id>`), reads the chunk (`setRows`), then writes a high watermark (`high:<chunk id>`).
/// The read's snapshot lies between the two commits. Every change committed between them is in
/// the stream between the two messages (`observe`): the chunk rows whose keys those changes touch
/// are dropped (the stream carries a state at least as new for them), the others are emitted at
/// the high watermark's position, where their value is exactly the table's state. So a snapshot
/// row never overwrites a newer change, and nothing is missed: a dropped row's latest state is in
/// the stream after the low watermark.
///
/// Driven by capture's `Backfill` (`cdcd snapshot`); the algorithm is in docs/decisions.md.
public struct WatermarkMerge: Sendable {
    public enum Phase: Sendable, Equatable {
        /// The low watermark has not come through the stream yet.
        case beforeLow
        /// Between the watermarks: changes of the table are collected.
        case betweenWatermarks
        /// The high watermark came; the chunk was emitted.
        case finished
    }

    /// The chunk's watermark id (unique per chunk of a backfill).
    public let chunkID: String
    /// The table the chunk belongs to (`schema.table`, as `Relation.qualifiedName`).
    public let table: String
    public private(set) var phase: Phase = .beforeLow
    private var rows: [ChangeRecord] = []
    private var changedKeys: Set<[PgValue]> = []
    private var truncated = false

    public init(chunkID: String, table: String) {
        self.chunkID = chunkID
        self.table = table
    }

    /// The message texts of the two watermarks (prefix `cdcd-watermark`).
    public var lowWatermark: String { "low:" + chunkID }
    public var highWatermark: String { "high:" + chunkID }

    /// The chunk as read between the watermarks: one `INSERT` record per row, keys set.
    public mutating func setRows(_ rows: [ChangeRecord]) {
        self.rows = rows
    }

    /// A captured change, in stream order. Between the watermarks, a change of the table marks its
    /// key (and old key, for a key change) as newer than the chunk; a TRUNCATE marks every row.
    public mutating func observe(_ record: ChangeRecord) {
        guard phase == .betweenWatermarks, record.relation.qualifiedName == table else { return }
        if record.eventName == .truncate {
            truncated = true
            return
        }
        changedKeys.insert(record.keyValues)
        if let old = record.oldKeyValues { changedKeys.insert(old) }
    }

    /// A watermark message that came through the stream in a transaction committed at `lsn`.
    /// Returns the chunk rows to emit there (snapshot records with that commit LSN and indexes
    /// 1, 2, …) when it is this chunk's high watermark; nil otherwise.
    public mutating func watermark(_ content: String, commitLSN lsn: LSN, commitTime: Int64) -> [ChangeRecord]? {
        switch phase {
        case .beforeLow:
            if content == lowWatermark { phase = .betweenWatermarks }
            return nil
        case .betweenWatermarks:
            guard content == highWatermark else { return nil }
            phase = .finished
            if truncated { return [] }
            var emitted: [ChangeRecord] = []
            emitted.reserveCapacity(rows.count)
            for var row in rows where !changedKeys.contains(row.keyValues) {
                row.commitLSN = lsn
                row.commitTime = commitTime
                row.index = UInt32(emitted.count + 1)
                row.snapshot = true
                emitted.append(row)
            }
            rows = []
            return emitted
        case .finished:
            return nil
        }
    }
}
