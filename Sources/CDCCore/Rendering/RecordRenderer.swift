/// Renders `ChangeRecord`s as one-line JSON objects: the cdcd record (design.md, "Stream records") or a
/// DynamoDB Streams record as Lambda receives it (`format: dynamodb`), cut down to a pipeline's view.
///
/// Output is deterministic: the same record and settings always give the same bytes (fixed key order,
/// compact, no newline inside), so replays and retries carry identical bodies.
///
/// **cdcd format**, keys in this order: `eventID`, `eventName`, `eventSource` (`cdcd:postgres`),
/// `sequenceNumber`, `table` (`schema.table`, unquoted), `source` {`database`, `schema`, `table`,
/// `lsn` (commit LSN, `X/Y`), `xid`, `commitTime` (RFC 3339, always 6 fractional digits, `Z`),
/// `snapshot`}, `keys`, `oldKeys` (only when the key changed), `newImage`, `oldImage`,
/// `unchangedColumns`, `sizeBytes`. TRUNCATE has no `keys`, `oldKeys` or images.
///
/// **dynamodb format**: `eventID`, `eventName`, `eventVersion` (`1.1`), `eventSource`
/// (`aws:dynamodb`), `awsRegion`, `eventSourceARN`
/// (`arn:aws:dynamodb:<region>:000000000000:table/<schema.table>/stream/cdcd`), `dynamodb`
/// {`ApproximateCreationDateTime` (whole epoch seconds, floored), `Keys`, `NewImage`, `OldImage`,
/// `SequenceNumber`, `SizeBytes`, `StreamViewType`} with typed AttributeValues. DynamoDB has no
/// counterpart of `oldKeys` or `unchangedColumns`: they are left out (the old key is in `OldImage`
/// when the table gives old images). TRUNCATE is `eventName: "TRUNCATE"` with `Keys: {}`.
///
/// **Images and views**: `newImage` is the new row without its `.unchangedToast` columns (never an
/// invented value; they are named in `unchangedColumns`); `oldImage` is present only when the record
/// has an old row (REPLICA IDENTITY FULL). `KEYS_ONLY` drops both images, `NEW_IMAGE` drops
/// `oldImage`, `OLD_IMAGE` drops `newImage`. `keys` are always present (except for TRUNCATE).
/// A key value that is `.unchangedToast` is left out of `keys` too.
///
/// **sizeBytes** (`SizeBytes`): over every column in `keys`, `oldKeys`, `newImage` and `oldImage` as
/// the cdcd format renders them for the view, the sum of the UTF-8 length of the column name plus
/// the length in bytes of the value's PostgreSQL text form (0 for NULL; unchanged-TOAST columns are
/// not rendered, so not counted). It depends only on the record and the view, not on the format (the
/// dynamodb format counts `oldKeys` too, though it does not render them); 0 for TRUNCATE.
public struct RecordRenderer: Sendable {
    /// The record shape.
    public enum Format: String, Sendable, Hashable, CaseIterable {
        case cdcd
        case dynamodb
    }

    /// Which images a pipeline's records carry (DynamoDB's StreamViewType).
    public enum View: String, Sendable, Hashable, CaseIterable {
        case keysOnly = "KEYS_ONLY"
        case newImage = "NEW_IMAGE"
        case oldImage = "OLD_IMAGE"
        case newAndOldImages = "NEW_AND_OLD_IMAGES"

        var includesNewImage: Bool { self == .newImage || self == .newAndOldImages }
        var includesOldImage: Bool { self == .oldImage || self == .newAndOldImages }
    }

    public var format: Format
    public var view: View
    /// `awsRegion` and the region in `eventSourceARN` of dynamodb-format records.
    public var awsRegion: String

    public init(format: Format = .cdcd, view: View = .newAndOldImages, awsRegion: String = "local") {
        self.format = format
        self.view = view
        self.awsRegion = awsRegion
    }

    /// Appends the record as one JSON object (no trailing newline).
    public func render(_ record: ChangeRecord, into writer: inout JSONWriter) {
        if let change = record.dynamodb {
            renderDynamoDBSource(record, change, into: &writer)
            return
        }
        switch format {
        case .cdcd: renderCDCD(record, into: &writer)
        case .dynamodb: renderDynamoDB(record, into: &writer)
        }
    }

    /// The record as one JSON Lines line: the JSON object and `\n`.
    public func renderLine(_ record: ChangeRecord) -> [UInt8] {
        var writer = JSONWriter(capacity: 512)
        render(record, into: &writer)
        writer.writeRaw(UInt8(ascii: "\n"))
        return writer.bytes
    }

    // MARK: cdcd

    private func renderCDCD(_ r: ChangeRecord, into w: inout JSONWriter) {
        let relation = r.relation
        w.writeRaw("{\"eventID\":")
        Self.writeEventID(r, into: &w)
        w.writeRaw(",\"eventName\":\"")
        w.writeRaw(Self.eventNameLiteral(r.eventName))
        w.writeRaw("\",\"eventSource\":\"cdcd:postgres\",\"sequenceNumber\":")
        Self.writeSequenceNumber(r, into: &w)
        w.writeRaw(",\"table\":")
        w.writeString(relation.qualifiedName)
        w.writeRaw(",\"source\":{\"database\":")
        w.writeString(r.database)
        w.writeRaw(",\"schema\":")
        w.writeString(relation.schema)
        w.writeRaw(",\"table\":")
        w.writeString(relation.name)
        w.writeRaw(",\"lsn\":\"")
        w.writeHexZeroPadded(r.commitLSN.rawValue >> 32, width: 1)
        w.writeRaw(UInt8(ascii: "/"))
        w.writeHexZeroPadded(r.commitLSN.rawValue & 0xFFFF_FFFF, width: 1)
        w.writeRaw("\",\"xid\":")
        w.writeUInt(UInt64(r.xid))
        w.writeRaw(",\"commitTime\":")
        Self.writeTimestamp(postgresMicroseconds: r.commitTime, into: &w)
        w.writeRaw(",\"snapshot\":")
        w.writeBool(r.snapshot)
        w.endObject()

        var size = 0
        if r.eventName != .truncate {
            w.writeRaw(",\"keys\":")
            size &+= writeKeys(r, relation, attributeValues: false, into: &w)
            if let old = r.oldKeyValues {
                w.writeRaw(",\"oldKeys\":")
                size &+= writeKeys(old, relation, attributeValues: false, into: &w)
            }
            if view.includesNewImage, let new = r.newValues {
                w.writeRaw(",\"newImage\":")
                size &+= writeImage(new, relation, attributeValues: false, into: &w)
            }
            if view.includesOldImage, let old = r.oldValues {
                w.writeRaw(",\"oldImage\":")
                size &+= writeImage(old, relation, attributeValues: false, into: &w)
            }
        }
        w.writeRaw(",\"unchangedColumns\":[")
        if let new = r.newValues {
            var first = true
            for (column, value) in zip(relation.columns, new) where Self.isUnchanged(value) {
                if !first { w.comma() }
                first = false
                w.writeString(column.name)
            }
        }
        w.writeRaw("],\"sizeBytes\":")
        w.writeInt(size)
        w.endObject()
    }

    // MARK: dynamodb

    private func renderDynamoDB(_ r: ChangeRecord, into w: inout JSONWriter) {
        let relation = r.relation
        w.writeRaw("{\"eventID\":")
        Self.writeEventID(r, into: &w)
        w.writeRaw(",\"eventName\":\"")
        w.writeRaw(Self.eventNameLiteral(r.eventName))
        w.writeRaw("\",\"eventVersion\":\"1.1\",\"eventSource\":\"aws:dynamodb\",\"awsRegion\":")
        w.writeString(awsRegion)
        w.writeRaw(",\"eventSourceARN\":\"arn:aws:dynamodb:")
        w.writeStringFragment(awsRegion)
        w.writeRaw(":000000000000:table/")
        w.writeStringFragment(relation.qualifiedName)
        w.writeRaw("/stream/cdcd\",\"dynamodb\":{\"ApproximateCreationDateTime\":")
        w.writeInt(Self.floorDiv(r.commitTime, 1_000_000) &+ Self.unixSecondsAtPostgresEpoch)

        var size = 0
        w.writeRaw(",\"Keys\":")
        if r.eventName == .truncate {
            w.writeRaw("{}")
        } else {
            size &+= writeKeys(r, relation, attributeValues: true, into: &w)
            if let old = r.oldKeyValues {  // not rendered (DynamoDB has no oldKeys), but counted alike
                size &+= Self.size(of: old, names: relation.keyIndexes.lazy.map { relation.columns[$0].name })
            }
            if view.includesNewImage, let new = r.newValues {
                w.writeRaw(",\"NewImage\":")
                size &+= writeImage(new, relation, attributeValues: true, into: &w)
            }
            if view.includesOldImage, let old = r.oldValues {
                w.writeRaw(",\"OldImage\":")
                size &+= writeImage(old, relation, attributeValues: true, into: &w)
            }
        }
        w.writeRaw(",\"SequenceNumber\":")
        Self.writeSequenceNumber(r, into: &w)
        w.writeRaw(",\"SizeBytes\":")
        w.writeInt(size)
        w.writeRaw(",\"StreamViewType\":\"")
        w.writeRaw(Self.viewLiteral(view))
        w.writeRaw("\"}}")
    }

    // MARK: columns

    /// Writes `{name: value, …}` for the key columns; returns their sizeBytes share.
    private func writeKeys(
        _ record: ChangeRecord, _ relation: Relation, attributeValues: Bool, into w: inout JSONWriter
    ) -> Int {
        // By position: an INSERT's keys are read from its new values, no array built.
        writeKeys(count: record.keyValueCount, relation, attributeValues: attributeValues, into: &w) {
            record.keyValue(at: $0)
        }
    }

    private func writeKeys(
        _ values: [PgValue], _ relation: Relation, attributeValues: Bool, into w: inout JSONWriter
    ) -> Int {
        writeKeys(count: values.count, relation, attributeValues: attributeValues, into: &w) { values[$0] }
    }

    /// The key object of `count` values (`value(position)`) of the key columns.
    @inline(__always)
    private func writeKeys(
        count: Int, _ relation: Relation, attributeValues: Bool, into w: inout JSONWriter, value: (Int) -> PgValue
    ) -> Int {
        w.beginObject()
        var size = 0
        var first = true
        for position in 0..<min(relation.keyIndexes.count, count) {
            size &+= Self.writeMember(
                relation, relation.keyIndexes[position], value(position), attributeValues: attributeValues,
                first: &first, into: &w)
        }
        w.endObject()
        return size
    }

    /// Writes `{name: value, …}` for a whole row, skipping `.unchangedToast`; returns its sizeBytes share.
    private func writeImage(
        _ values: [PgValue], _ relation: Relation, attributeValues: Bool, into w: inout JSONWriter
    ) -> Int {
        w.beginObject()
        var size = 0
        var first = true
        for columnIndex in 0..<min(values.count, relation.columns.count) {
            size &+= Self.writeMember(
                relation, columnIndex, values[columnIndex], attributeValues: attributeValues, first: &first, into: &w)
        }
        w.endObject()
        return size
    }

    @inline(__always)
    private static func writeMember(
        _ relation: Relation, _ columnIndex: Int, _ value: PgValue, attributeValues: Bool, first: inout Bool,
        into w: inout JSONWriter
    ) -> Int {
        if isUnchanged(value) { return 0 }
        if !first { w.comma() }
        first = false
        let name = relation.jsonMemberNames[columnIndex]
        w.writeRaw(name)
        let kind = relation.columns[columnIndex].kind
        if attributeValues {
            ValueRenderer.writeAttributeValue(value, kind: kind, into: &w)
        } else {
            ValueRenderer.writeJSON(value, kind: kind, into: &w)
        }
        return relation.columns[columnIndex].name.utf8.count &+ textCount(value)
    }

    @inline(__always)
    private static func isUnchanged(_ value: PgValue) -> Bool {
        if case .unchangedToast = value { return true }
        return false
    }

    @inline(__always)
    private static func textCount(_ value: PgValue) -> Int {
        if case .text(let bytes) = value { return bytes.count }
        return 0
    }

    private static func size(of values: [PgValue], names: some Sequence<String>) -> Int {
        var size = 0
        for (name, value) in zip(names, values) where !isUnchanged(value) {
            size &+= name.utf8.count &+ textCount(value)
        }
        return size
    }

    // MARK: fields

    /// `"<commit LSN, 16 hex digits>-<index, at least 6 digits>"`, identical to `ChangeRecord.eventID`.
    private static func writeEventID(_ r: ChangeRecord, into w: inout JSONWriter) {
        w.writeRaw(UInt8(ascii: "\""))
        w.writeHexZeroPadded(r.commitLSN.rawValue, width: 16)
        w.writeRaw(UInt8(ascii: "-"))
        w.writeZeroPadded(UInt64(r.index), width: 6)
        w.writeRaw(UInt8(ascii: "\""))
    }

    /// `"<commit LSN, 20 digits><index, 10 digits>"`, identical to `ChangeRecord.sequenceNumber`.
    private static func writeSequenceNumber(_ r: ChangeRecord, into w: inout JSONWriter) {
        w.writeRaw(UInt8(ascii: "\""))
        w.writeZeroPadded(r.commitLSN.rawValue, width: 20)
        w.writeZeroPadded(UInt64(r.index), width: 10)
        w.writeRaw(UInt8(ascii: "\""))
    }

    private static func eventNameLiteral(_ name: EventName) -> StaticString {
        switch name {
        case .insert: "INSERT"
        case .modify: "MODIFY"
        case .remove: "REMOVE"
        case .truncate: "TRUNCATE"
        }
    }

    private static func viewLiteral(_ view: View) -> StaticString {
        switch view {
        case .keysOnly: "KEYS_ONLY"
        case .newImage: "NEW_IMAGE"
        case .oldImage: "OLD_IMAGE"
        case .newAndOldImages: "NEW_AND_OLD_IMAGES"
        }
    }

    // MARK: time

    /// 2000-01-01T00:00:00Z in Unix seconds.
    static let unixSecondsAtPostgresEpoch: Int64 = 946_684_800

    @inline(__always)
    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }

    /// Writes `"YYYY-MM-DDTHH:MM:SS.ffffffZ"` for `us` microseconds since 2000-01-01 00:00:00 UTC
    /// (proleptic Gregorian calendar; years outside 0…9999 are written unpadded with their sign).
    static func writeTimestamp(postgresMicroseconds us: Int64, into w: inout JSONWriter) {
        let microsPerDay: Int64 = 86_400_000_000
        let days = floorDiv(us, microsPerDay)
        let inDay = us - days * microsPerDay
        let (year, month, day) = civilDate(daysSinceUnixEpoch: days + 10_957)
        let seconds = inDay / 1_000_000
        w.writeRaw(UInt8(ascii: "\""))
        if year >= 0 && year <= 9999 {
            w.writeZeroPadded(UInt64(year), width: 4)
        } else {
            w.writeInt(year)
        }
        w.writeRaw(UInt8(ascii: "-"))
        w.writeZeroPadded(UInt64(month), width: 2)
        w.writeRaw(UInt8(ascii: "-"))
        w.writeZeroPadded(UInt64(day), width: 2)
        w.writeRaw(UInt8(ascii: "T"))
        w.writeZeroPadded(UInt64(seconds / 3600), width: 2)
        w.writeRaw(UInt8(ascii: ":"))
        w.writeZeroPadded(UInt64(seconds / 60 % 60), width: 2)
        w.writeRaw(UInt8(ascii: ":"))
        w.writeZeroPadded(UInt64(seconds % 60), width: 2)
        w.writeRaw(UInt8(ascii: "."))
        w.writeZeroPadded(UInt64(inDay % 1_000_000), width: 6)
        w.writeRaw("Z\"")
    }

    /// Year, month (1–12), day (1–31) of a day count since 1970-01-01 (Howard Hinnant's
    /// `civil_from_days`, proleptic Gregorian).
    static func civilDate(daysSinceUnixEpoch: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = daysSinceUnixEpoch + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097  // [0, 146096]
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365  // [0, 399]
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)  // [0, 365]
        let mp = (5 * doy + 2) / 153  // [0, 11]
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
