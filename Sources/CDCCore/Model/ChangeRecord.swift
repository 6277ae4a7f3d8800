/// The name of a change, as DynamoDB Streams spells it (plus TRUNCATE).
public enum EventName: String, Sendable, Hashable {
    case insert = "INSERT"
    case modify = "MODIFY"
    case remove = "REMOVE"
    case truncate = "TRUNCATE"
}

/// One change of one row (or one TRUNCATE of one table): the unit of the stream.
///
/// Values are kept in the exact PostgreSQL text form; rendering to JSON happens at the edge
/// (`RecordRenderer`), and the Postgres sink applies the text values as they are.
///
/// A value type with copy-on-write storage: the fields live in one `Storage` object, so a copy (into
/// a stream entry, a sink item, a sink's array) is one retain instead of a copy of every field, and
/// a mutation copies the fields only when the storage is shared. The accessors are `@inlinable` so
/// that other modules read a field as directly as a stored property's.
public struct ChangeRecord: Sendable {
    /// The fields of a record, shared by its copies until one of them is mutated.
    ///
    /// `@unchecked Sendable`: an instance is mutated only when uniquely referenced (every mutation
    /// goes through `ChangeRecord.makeUnique()` first, copy-on-write), so an instance seen by more
    /// than one record — and so possibly by more than one thread — is only ever read.
    /// `@exclusivity(unchecked)`: the fields are reached only through a `ChangeRecord`, whose own
    /// accesses the compiler checks; a second, dynamic check per field access would only cost time.
    @usableFromInline
    final class Storage: @unchecked Sendable {
        @usableFromInline @exclusivity(unchecked) var eventName: EventName
        @usableFromInline @exclusivity(unchecked) var relation: Relation
        @usableFromInline @exclusivity(unchecked) var database: String
        @usableFromInline @exclusivity(unchecked) var commitLSN: LSN
        @usableFromInline @exclusivity(unchecked) var index: UInt32
        @usableFromInline @exclusivity(unchecked) var xid: UInt32
        @usableFromInline @exclusivity(unchecked) var commitTime: Int64
        @usableFromInline @exclusivity(unchecked) var snapshot: Bool
        /// The key values; empty while `keysInNewValues`.
        @usableFromInline @exclusivity(unchecked) var keyValues: [PgValue]
        /// The key values are `newValues` at `relation.keyIndexes` and are not stored twice (an
        /// INSERT: one array fewer per record). Cleared, the keys stored, before any mutation.
        @usableFromInline @exclusivity(unchecked) var keysInNewValues = false
        @usableFromInline @exclusivity(unchecked) var oldKeyValues: [PgValue]?
        @usableFromInline @exclusivity(unchecked) var newValues: [PgValue]?
        @usableFromInline @exclusivity(unchecked) var oldValues: [PgValue]?
        @usableFromInline @exclusivity(unchecked) var dynamodb: DynamoDBChange?
        @usableFromInline @exclusivity(unchecked) var pipeline: String?

        init(
            eventName: EventName, relation: Relation, database: String, commitLSN: LSN, index: UInt32,
            xid: UInt32, commitTime: Int64, snapshot: Bool, keyValues: [PgValue], oldKeyValues: [PgValue]?,
            newValues: [PgValue]?, oldValues: [PgValue]?, dynamodb: DynamoDBChange?, pipeline: String?
        ) {
            self.eventName = eventName
            self.relation = relation
            self.database = database
            self.commitLSN = commitLSN
            self.index = index
            self.xid = xid
            self.commitTime = commitTime
            self.snapshot = snapshot
            self.keyValues = keyValues
            self.oldKeyValues = oldKeyValues
            self.newValues = newValues
            self.oldValues = oldValues
            self.dynamodb = dynamodb
            self.pipeline = pipeline
        }

        /// A new instance with the same field values (the copy of copy-on-write).
        @usableFromInline
        func copy() -> Storage {
            let copy = Storage(
                eventName: eventName, relation: relation, database: database, commitLSN: commitLSN, index: index,
                xid: xid, commitTime: commitTime, snapshot: snapshot, keyValues: keyValues,
                oldKeyValues: oldKeyValues, newValues: newValues, oldValues: oldValues, dynamodb: dynamodb,
                pipeline: pipeline)
            copy.keysInNewValues = keysInNewValues
            return copy
        }

        /// The key values read from `newValues` (when `keysInNewValues`).
        @usableFromInline
        var keyValuesFromNewValues: [PgValue] {
            let values = newValues!
            return relation.keyIndexes.map { values[$0] }
        }
    }

    /// The fields; shared with other copies of the record until `makeUnique()`.
    @usableFromInline
    var storage: Storage

    public var eventName: EventName {
        @inlinable get { storage.eventName }
        @inlinable _modify {
            makeUnique()
            yield &storage.eventName
        }
    }
    public var relation: Relation {
        @inlinable get { storage.relation }
        @inlinable _modify {
            makeUnique()
            yield &storage.relation
        }
    }
    /// Name of the source database (`source.database`).
    public var database: String {
        @inlinable get { storage.database }
        @inlinable _modify {
            makeUnique()
            yield &storage.database
        }
    }
    /// The transaction's commit LSN (pgoutput Begin's final LSN): shared by all its changes.
    public var commitLSN: LSN {
        @inlinable get { storage.commitLSN }
        @inlinable _modify {
            makeUnique()
            yield &storage.commitLSN
        }
    }
    /// 1-based position of this change in its transaction.
    public var index: UInt32 {
        @inlinable get { storage.index }
        @inlinable _modify {
            makeUnique()
            yield &storage.index
        }
    }
    public var xid: UInt32 {
        @inlinable get { storage.xid }
        @inlinable _modify {
            makeUnique()
            yield &storage.xid
        }
    }
    /// Commit time in microseconds since 2000-01-01 00:00:00 UTC (PostgreSQL's epoch).
    public var commitTime: Int64 {
        @inlinable get { storage.commitTime }
        @inlinable _modify {
            makeUnique()
            yield &storage.commitTime
        }
    }
    /// True for rows read by an initial snapshot or backfill rather than from the WAL.
    public var snapshot: Bool {
        @inlinable get { storage.snapshot }
        @inlinable _modify {
            makeUnique()
            yield &storage.snapshot
        }
    }
    /// The key values, in `relation.keyIndexes` order (the new key for a MODIFY).
    public var keyValues: [PgValue] {
        @inlinable get { storage.keysInNewValues ? storage.keyValuesFromNewValues : storage.keyValues }
        @inlinable _modify {
            makeUnique()
            yield &storage.keyValues
        }
    }
    /// The old key, in `relation.keyIndexes` order; present only when a MODIFY changed the key.
    public var oldKeyValues: [PgValue]? {
        @inlinable get { storage.oldKeyValues }
        @inlinable _modify {
            makeUnique()
            yield &storage.oldKeyValues
        }
    }
    /// The new row, one value per column of `relation`; `.unchangedToast` where the server did not
    /// send the value and no old image could supply it. Nil for REMOVE and TRUNCATE.
    public var newValues: [PgValue]? {
        @inlinable get { storage.newValues }
        @inlinable _modify {
            makeUnique()
            yield &storage.newValues
        }
    }
    /// The full old row (REPLICA IDENTITY FULL only), one value per column. Nil otherwise.
    public var oldValues: [PgValue]? {
        @inlinable get { storage.oldValues }
        @inlinable _modify {
            makeUnique()
            yield &storage.oldValues
        }
    }
    /// Set for records of the DynamoDB source: DynamoDB's identifiers and typed images. Such a
    /// record's `commitLSN`/`index` are cdcd's capture position (increasing in stream order), its
    /// relation and values a projection for the Postgres sink (key attributes + a `document`).
    public var dynamodb: DynamoDBChange? {
        @inlinable get { storage.dynamodb }
        @inlinable _modify {
            makeUnique()
            yield &storage.dynamodb
        }
    }
    /// A backfill row (`cdcd snapshot --pipeline NAME`) is for that one pipeline; the others skip
    /// it. Nil (every other record): for every pipeline.
    public var pipeline: String? {
        @inlinable get { storage.pipeline }
        @inlinable _modify {
            makeUnique()
            yield &storage.pipeline
        }
    }

    public init(
        eventName: EventName, relation: Relation, database: String, commitLSN: LSN, index: UInt32,
        xid: UInt32, commitTime: Int64, snapshot: Bool = false, keyValues: [PgValue],
        oldKeyValues: [PgValue]? = nil, newValues: [PgValue]? = nil, oldValues: [PgValue]? = nil,
        dynamodb: DynamoDBChange? = nil
    ) {
        storage = Storage(
            eventName: eventName, relation: relation, database: database, commitLSN: commitLSN, index: index,
            xid: xid, commitTime: commitTime, snapshot: snapshot, keyValues: keyValues, oldKeyValues: oldKeyValues,
            newValues: newValues, oldValues: oldValues, dynamodb: dynamodb, pipeline: nil)
    }

    /// An INSERT (or snapshot row) of `newValues`: its key values are read from them when asked
    /// for, not stored as a second array.
    public static func insert(
        relation: Relation, database: String, commitLSN: LSN, index: UInt32, xid: UInt32, commitTime: Int64,
        snapshot: Bool = false, newValues: [PgValue]
    ) -> ChangeRecord {
        precondition(newValues.count == relation.columns.count, "an INSERT has one value per column")
        let record = ChangeRecord(
            eventName: .insert, relation: relation, database: database, commitLSN: commitLSN, index: index, xid: xid,
            commitTime: commitTime, snapshot: snapshot, keyValues: [], newValues: newValues)
        record.storage.keysInNewValues = true
        return record
    }

    /// Calls `body` with the new values of the record at `record`, where they are stored; nil,
    /// without calling it, when the record has none. For hot loops over stored records (with
    /// `PgValue.withTextBytes(at:_:)`): no reference is counted, neither the record's nor the
    /// array's. The array's address is taken and the read ends before `body` runs; the record at
    /// `record` (its storage is never mutated in place while shared) keeps the array alive and
    /// unchanged, and must not change during the call.
    @inlinable
    public static func withNewValues<R>(
        of record: UnsafePointer<ChangeRecord>, _ body: (UnsafeBufferPointer<PgValue>) throws -> R
    ) rethrows -> R? {
        let values: UnsafeBufferPointer<PgValue>
        switch record.pointee.storage.newValues {
        case .none: return nil
        case .some(let array): values = array.withUnsafeBufferPointer { $0 }
        }
        return try body(values)
    }

    /// The number of key values (`keyValues.count`, without building the array).
    @inlinable
    public var keyValueCount: Int {
        storage.keysInNewValues ? storage.relation.keyIndexes.count : storage.keyValues.count
    }

    /// The key value at `position` (`keyValues[position]`, without building the array).
    @inlinable
    public func keyValue(at position: Int) -> PgValue {
        storage.keysInNewValues ? storage.newValues![storage.relation.keyIndexes[position]] : storage.keyValues[position]
    }

    /// Gives this record its own storage before a mutation when the storage is shared with copies,
    /// and stores key values read from `newValues` (a mutation may change the values or the
    /// relation they are read from).
    @inlinable
    mutating func makeUnique() {
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
        if storage.keysInNewValues {
            storage.keyValues = storage.keyValuesFromNewValues
            storage.keysInNewValues = false
        }
    }

    /// Names of the columns whose new value was not sent (unchanged TOAST) and is left out of
    /// `newImage`.
    public var unchangedColumns: [String] {
        guard let newValues else { return [] }
        var names: [String] = []
        for (i, value) in newValues.enumerated() where value == .unchangedToast {
            names.append(relation.columns[i].name)
        }
        return names
    }

    /// Decimal, 30 digits: the commit LSN (20 digits) then the index (10 digits). Unique, strictly
    /// increasing in commit order, identical after a restart or replay; string order is numeric order.
    /// For a DynamoDB record, DynamoDB's own `SequenceNumber` (ordered within its shard only; the
    /// stream order is `position`).
    public var sequenceNumber: String {
        if let dynamodb { return dynamodb.sequenceNumber }
        return position
    }

    /// The 30-digit (commit LSN, index) form: the record's place in capture order, for both sources
    /// (what the Postgres sink checkpoints on). Equal to `sequenceNumber` for Postgres records.
    public var position: String {
        String(unsafeUninitializedCapacity: 30) { buffer in
            var value = commitLSN.rawValue
            for i in stride(from: 19, through: 0, by: -1) {
                buffer[i] = UInt8(ascii: "0") + UInt8(value % 10)
                value /= 10
            }
            var index = index
            for i in stride(from: 29, through: 20, by: -1) {
                buffer[i] = UInt8(ascii: "0") + UInt8(index % 10)
                index /= 10
            }
            return 30
        }
    }

    /// `<commit LSN as 16 hex digits>-<index, at least 6 digits>`: stable across restarts and
    /// replays, what webhook receivers deduplicate on.
    public var eventID: String {
        if let dynamodb { return dynamodb.eventID }
        return Self.padded(String(commitLSN.rawValue, radix: 16, uppercase: true), 16) + "-"
            + Self.padded(String(index), 6)
    }

    @inline(__always)
    static func padded(_ s: String, _ width: Int) -> String {
        s.utf8.count >= width ? s : String(repeating: "0", count: width - s.utf8.count) + s
    }
}
