import CDCCore

/// The compact binary encoding of a `ChangeRecord` in the stream.
///
/// Two forms share one layout:
/// - self-contained (`encode(_:)` / `decode(_:relations:)`): a format byte, the relation, then the
///   record body. For tests, tools and anything that stores single records.
/// - split, as `StreamLog` stores records: the relation is written once per segment as its own
///   entry and each record body refers to it by a segment-local id (`encodeRelation`,
///   `encodeBody`, `decodeBody`, internal).
///
/// Layout (varint = unsigned LEB128, zigzag = signed LEB128 via zigzag, LE = little-endian):
/// - relation: `oid` varint, `schema` and `name` (varint length + UTF-8), replica identity (1 byte,
///   pg's letter), column count varint, per column: name, type OID varint, typmod zigzag, kind
///   (1 tag byte; an array adds its element's kind and the delimiter byte), replica-identity flag
///   (1 byte); key index count varint, key indexes varint.
/// - body: 1 byte = event (bits 0–1: INSERT, MODIFY, REMOVE, TRUNCATE) | snapshot (bit 2) |
///   old key present (bit 3) | new values present (bit 4) | old values present (bit 5) | DynamoDB
///   payload present (bit 6) | target pipeline present (bit 7, backfill rows only); files without
///   bits 6 and 7 read as before;
///   `database` (varint length + UTF-8); commit LSN (8 bytes LE); index varint; xid varint;
///   commit time (8 bytes LE); then the value lists — keys, old keys?, new values?, old values? —
///   each a varint count followed by values: varint 0 = NULL, 1 = unchanged TOAST, n ≥ 2 = a
///   text value of n − 2 bytes that follow. With bit 6 of the first byte, a DynamoDB payload
///   follows (`ChangeRecord.dynamodb`): eventID, sequence number, shard, stream ARN, region, event
///   version, ApproximateCreationDateTime text, StreamViewType (strings), SizeBytes (zigzag), 1 byte
///   of image flags (bit 0 new, bit 1 old), then Keys, NewImage?, OldImage? as JSON text (strings).
///   Then, with bit 7, the target pipeline's name (a backfill row, `ChangeRecord.pipeline`).
public enum StreamRecordCodec {
    /// The first byte of the self-contained form.
    public static let formatVersion: UInt8 = 1

    // MARK: Self-contained form

    /// The self-contained encoding of `record`, relation included.
    public static func encode(_ record: ChangeRecord) -> [UInt8] {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(256)
        encode(record, into: &buffer)
        return buffer
    }

    /// Appends the self-contained encoding of `record` to `buffer`.
    public static func encode(_ record: ChangeRecord, into buffer: inout [UInt8]) {
        buffer.append(formatVersion)
        encodeRelation(record.relation, into: &buffer)
        encodeBody(record, into: &buffer)
    }

    /// Decodes the self-contained form. With a `relations` cache, records of the same relation share
    /// one `Relation` instance.
    public static func decode(_ bytes: [UInt8], relations: RelationCache? = nil) throws(StreamError) -> ChangeRecord {
        try StreamBytes.withBytes(of: bytes) { (raw) throws(StreamError) -> ChangeRecord in
            try decode(raw, relations: relations)
        }
    }

    /// Decodes the self-contained form from borrowed bytes.
    public static func decode(
        _ bytes: UnsafeRawBufferPointer, relations: RelationCache? = nil
    ) throws(StreamError) -> ChangeRecord {
        var reader = StreamByteReader(bytes)
        let version = try reader.readUInt8()
        guard version == formatVersion else { throw reader.corrupt("unknown record format \(version)") }
        let definition = try decodeRelation(&reader)
        let relation = relations?.intern(definition) ?? definition.makeRelation()
        let record = try decodeBody(&reader, relation: relation)
        guard reader.remaining == 0 else { throw reader.corrupt("\(reader.remaining) bytes after the record") }
        return record
    }

    // MARK: Relation

    /// Appends the relation's definition.
    static func encodeRelation(_ relation: Relation, into buffer: inout [UInt8]) {
        StreamBytes.appendVarint(UInt64(relation.oid), to: &buffer)
        StreamBytes.appendString(relation.schema, to: &buffer)
        StreamBytes.appendString(relation.name, to: &buffer)
        buffer.append(relation.replicaIdentity.rawValue)
        StreamBytes.appendVarint(UInt64(relation.columns.count), to: &buffer)
        for column in relation.columns {
            StreamBytes.appendString(column.name, to: &buffer)
            StreamBytes.appendVarint(UInt64(column.typeOID), to: &buffer)
            StreamBytes.appendZigzag(Int64(column.typeModifier), to: &buffer)
            encodeKind(column.kind, into: &buffer)
            buffer.append(column.isReplicaIdentity ? 1 : 0)
        }
        StreamBytes.appendVarint(UInt64(relation.keyIndexes.count), to: &buffer)
        for index in relation.keyIndexes { StreamBytes.appendVarint(UInt64(index), to: &buffer) }
    }

    static func decodeRelation(_ reader: inout StreamByteReader) throws(StreamError) -> RelationDefinition {
        let oid = try reader.readVarint(as: UInt32.self)
        let schema = try reader.readString()
        let name = try reader.readString()
        let identityByte = try reader.readUInt8()
        guard let identity = Relation.ReplicaIdentity(rawValue: identityByte) else {
            throw reader.corrupt("unknown replica identity \(identityByte)")
        }
        let columnCount = try reader.readCount()
        var columns: [Relation.Column] = []
        columns.reserveCapacity(columnCount)
        for _ in 0..<columnCount {
            let columnName = try reader.readString()
            let typeOID = try reader.readVarint(as: UInt32.self)
            let typmod = try reader.readZigzag()
            guard let typeModifier = Int32(exactly: typmod) else { throw reader.corrupt("type modifier out of range") }
            let kind = try decodeKind(&reader, depth: 0)
            let flag = try reader.readUInt8()
            guard flag <= 1 else { throw reader.corrupt("bad replica identity flag") }
            columns.append(
                Relation.Column(
                    name: columnName, typeOID: typeOID, typeModifier: typeModifier, kind: kind,
                    isReplicaIdentity: flag == 1))
        }
        let keyCount = try reader.readCount()
        var keyIndexes: [Int] = []
        keyIndexes.reserveCapacity(keyCount)
        for _ in 0..<keyCount {
            let index = try reader.readVarint(as: Int.self)
            guard index < columnCount else { throw reader.corrupt("key index \(index) out of range") }
            keyIndexes.append(index)
        }
        return RelationDefinition(
            oid: oid, schema: schema, name: name, replicaIdentity: identity, columns: columns, keyIndexes: keyIndexes)
    }

    private static func encodeKind(_ kind: ValueKind, into buffer: inout [UInt8]) {
        switch kind {
        case .bool: buffer.append(1)
        case .integer: buffer.append(2)
        case .float: buffer.append(3)
        case .numeric: buffer.append(4)
        case .json: buffer.append(5)
        case .jsonb: buffer.append(6)
        case .bytea: buffer.append(7)
        case .timestamptz: buffer.append(8)
        case .timestamp: buffer.append(9)
        case .date: buffer.append(10)
        case .time: buffer.append(11)
        case .text: buffer.append(12)
        case .array(let element, let delimiter):
            buffer.append(13)
            encodeKind(element, into: &buffer)
            buffer.append(delimiter)
        }
    }

    private static func decodeKind(_ reader: inout StreamByteReader, depth: Int) throws(StreamError) -> ValueKind {
        let tag = try reader.readUInt8()
        switch tag {
        case 1: return .bool
        case 2: return .integer
        case 3: return .float
        case 4: return .numeric
        case 5: return .json
        case 6: return .jsonb
        case 7: return .bytea
        case 8: return .timestamptz
        case 9: return .timestamp
        case 10: return .date
        case 11: return .time
        case 12: return .text
        case 13:
            guard depth < 16 else { throw reader.corrupt("array kind nested too deep") }
            let element = try decodeKind(&reader, depth: depth + 1)
            let delimiter = try reader.readUInt8()
            return .array(element: element, delimiter: delimiter)
        default:
            throw reader.corrupt("unknown value kind \(tag)")
        }
    }

    // MARK: Body

    private static let snapshotFlag: UInt8 = 1 << 2
    private static let oldKeyFlag: UInt8 = 1 << 3
    private static let newValuesFlag: UInt8 = 1 << 4
    private static let oldValuesFlag: UInt8 = 1 << 5
    private static let dynamoDBFlag: UInt8 = 1 << 6
    private static let pipelineFlag: UInt8 = 1 << 7

    /// Appends everything of `record` except its relation.
    static func encodeBody(_ record: ChangeRecord, into buffer: inout [UInt8]) {
        var head: UInt8
        switch record.eventName {
        case .insert: head = 0
        case .modify: head = 1
        case .remove: head = 2
        case .truncate: head = 3
        }
        if record.snapshot { head |= snapshotFlag }
        if record.oldKeyValues != nil { head |= oldKeyFlag }
        if record.newValues != nil { head |= newValuesFlag }
        if record.oldValues != nil { head |= oldValuesFlag }
        if record.dynamodb != nil { head |= dynamoDBFlag }
        if record.pipeline != nil { head |= pipelineFlag }
        // The fixed fields and the key values, written in place in one append.
        var database = record.database
        database.withUTF8 { name in
            let index = UInt64(record.index)
            let xid = UInt64(record.xid)
            let keyCount = record.keyValueCount
            var size = 1 &+ StreamBytes.varintSize(UInt64(name.count)) &+ name.count &+ 8
            size &+= StreamBytes.varintSize(index) &+ StreamBytes.varintSize(xid) &+ 8
            size &+= StreamBytes.varintSize(UInt64(keyCount))
            for position in 0..<keyCount { size &+= encodedSize(record.keyValue(at: position)) }
            StreamBytes.appendInPlace(count: size, to: &buffer) { out in
                out.pointee = head
                var n = 1 &+ StreamBytes.storeVarint(UInt64(name.count), at: out + 1)
                if let source = name.baseAddress, name.count > 0 {
                    (out + n).update(from: source, count: name.count)
                    n &+= name.count
                }
                n &+= storeLE(record.commitLSN.rawValue, at: out + n)
                n &+= StreamBytes.storeVarint(index, at: out + n)
                n &+= StreamBytes.storeVarint(xid, at: out + n)
                n &+= storeLE(UInt64(bitPattern: record.commitTime), at: out + n)
                n &+= StreamBytes.storeVarint(UInt64(keyCount), at: out + n)
                for position in 0..<keyCount { n &+= store(record.keyValue(at: position), at: out + n) }
            }
        }
        if let values = record.oldKeyValues { encodeValues(values, into: &buffer) }
        if let values = record.newValues { encodeValues(values, into: &buffer) }
        if let values = record.oldValues { encodeValues(values, into: &buffer) }
        if let change = record.dynamodb { encodeDynamoDB(change, into: &buffer) }
        if let pipeline = record.pipeline { StreamBytes.appendString(pipeline, to: &buffer) }
    }

    private static func encodeDynamoDB(_ d: DynamoDBChange, into buffer: inout [UInt8]) {
        for text in [
            d.eventID, d.sequenceNumber, d.shardID, d.streamARN, d.awsRegion, d.eventVersion,
            d.approximateCreationDateTime, d.streamViewType,
        ] {
            StreamBytes.appendString(text, to: &buffer)
        }
        StreamBytes.appendZigzag(d.sizeBytes, to: &buffer)
        buffer.append((d.newImage != nil ? 1 : 0) | (d.oldImage != nil ? 2 : 0))
        for image in [d.keys, d.newImage, d.oldImage] {
            if let image { StreamBytes.appendString(String(decoding: image.jsonBytes, as: UTF8.self), to: &buffer) }
        }
    }

    private static func decodeDynamoDB(_ reader: inout StreamByteReader) throws(StreamError) -> DynamoDBChange {
        var texts: [String] = []
        for _ in 0..<8 { texts.append(try reader.readString()) }
        let size = try reader.readZigzag()
        let flags = try reader.readUInt8()
        guard flags & ~3 == 0 else { throw reader.corrupt("unknown DynamoDB image flags") }
        func image(_ reader: inout StreamByteReader) throws(StreamError) -> JSONValue {
            let text = try reader.readString()
            do {
                return try JSONValue.parse(text)
            } catch {
                throw reader.corrupt("a DynamoDB image is not JSON")
            }
        }
        let keys = try image(&reader)
        let newImage = flags & 1 != 0 ? try image(&reader) : nil
        let oldImage = flags & 2 != 0 ? try image(&reader) : nil
        return DynamoDBChange(
            eventID: texts[0], sequenceNumber: texts[1], shardID: texts[2], streamARN: texts[3], awsRegion: texts[4],
            eventVersion: texts[5], approximateCreationDateTime: texts[6], streamViewType: texts[7], sizeBytes: size,
            keys: keys, newImage: newImage, oldImage: oldImage)
    }

    static func decodeBody(_ reader: inout StreamByteReader, relation: Relation) throws(StreamError) -> ChangeRecord {
        let head = try reader.readUInt8()
        let eventName: EventName
        switch head & 0b11 {
        case 0: eventName = .insert
        case 1: eventName = .modify
        case 2: eventName = .remove
        default: eventName = .truncate
        }
        let database = try reader.readString()
        let lsn = try reader.readLE(UInt64.self)
        let index = try reader.readVarint(as: UInt32.self)
        let xid = try reader.readVarint(as: UInt32.self)
        let commitTime = try reader.readLE(Int64.self)
        let keys = try decodeValues(&reader)
        let oldKeys = head & oldKeyFlag != 0 ? try decodeValues(&reader) : nil
        let newValues = head & newValuesFlag != 0 ? try decodeValues(&reader) : nil
        let oldValues = head & oldValuesFlag != 0 ? try decodeValues(&reader) : nil
        let dynamodb = head & dynamoDBFlag != 0 ? try decodeDynamoDB(&reader) : nil
        var record = ChangeRecord(
            eventName: eventName, relation: relation, database: database, commitLSN: LSN(lsn), index: index, xid: xid,
            commitTime: commitTime, snapshot: head & snapshotFlag != 0, keyValues: keys, oldKeyValues: oldKeys,
            newValues: newValues, oldValues: oldValues, dynamodb: dynamodb)
        if head & pipelineFlag != 0 { record.pipeline = try reader.readString() }
        return record
    }

    @inline(__always)
    private static func encodeValues(_ values: [PgValue], into buffer: inout [UInt8]) {
        // Read in place (`PgValue.withTextBytes(at:)`): copying a long value out of the array
        // would retain and release its storage, a cache line the capture thread wrote.
        values.withUnsafeBufferPointer { values in
            guard let base = values.baseAddress else { return StreamBytes.appendVarint(0, to: &buffer) }
            var size = StreamBytes.varintSize(UInt64(values.count))
            for index in values.indices {
                size &+= PgValue.withTextBytes(at: base + index) { bytes in
                    bytes.map { StreamBytes.varintSize(UInt64($0.count) &+ 2) &+ $0.count } ?? 1
                }
            }
            StreamBytes.appendInPlace(count: size, to: &buffer) { out in
                var written = StreamBytes.storeVarint(UInt64(values.count), at: out)
                for index in values.indices {
                    let at = out + written
                    written &+= PgValue.withTextBytes(at: base + index) { bytes in
                        guard let bytes else {
                            at.pointee = PgValue.isUnchangedToast(at: base + index) ? 1 : 0
                            return 1
                        }
                        return storeText(bytes, at: at)
                    }
                }
            }
        }
    }

    /// The bytes `store` writes for `value`.
    @inline(__always)
    private static func encodedSize(_ value: borrowing PgValue) -> Int {
        switch value {
        case .null, .unchangedToast: 1
        case .text(let text):
            StreamBytes.varintSize(UInt64(text.count) &+ 2) &+ text.count
        }
    }

    /// Writes one value at `out`: 0 for NULL, 1 for unchanged TOAST, else the varint of its length
    /// plus 2 and its bytes. Returns the bytes written.
    @inline(__always)
    private static func store(_ value: borrowing PgValue, at out: UnsafeMutablePointer<UInt8>) -> Int {
        switch value {
        case .null:
            out.pointee = 0
            return 1
        case .unchangedToast:
            out.pointee = 1
            return 1
        case .text(let text):
            return text.withUnsafeBytes { storeText($0, at: out) }
        }
    }

    /// Writes a text value's varint (its length plus 2) and bytes at `out`; returns the bytes written.
    @inline(__always)
    private static func storeText(_ bytes: UnsafeRawBufferPointer, at out: UnsafeMutablePointer<UInt8>) -> Int {
        let n = StreamBytes.storeVarint(UInt64(bytes.count) &+ 2, at: out)
        if let source = bytes.baseAddress, bytes.count > 0 {
            UnsafeMutableRawPointer(out + n).copyMemory(from: source, byteCount: bytes.count)
        }
        return n &+ bytes.count
    }

    /// Writes `value` little-endian at `out`; returns 8.
    @inline(__always)
    private static func storeLE(_ value: UInt64, at out: UnsafeMutablePointer<UInt8>) -> Int {
        UnsafeMutableRawPointer(out).storeBytes(of: value.littleEndian, as: UInt64.self)
        return 8
    }

    /// A value list. Its long values (more than `PgText.inlineCapacity` bytes) are copied into one
    /// array that they share, as the pgoutput decoder does: a first pass checks the values and adds
    /// up their lengths, a second copies them, a third makes the values.
    @inline(__always)
    private static func decodeValues(_ reader: inout StreamByteReader) throws(StreamError) -> [PgValue] {
        let count = try reader.readCount()
        var scan = reader
        var longBytes = 0
        var longValues = 0
        for _ in 0..<count {
            let tag = try scan.readVarint()
            guard tag >= 2 else { continue }
            guard tag - 2 <= UInt64(scan.remaining) else { throw scan.corrupt("value longer than the entry") }
            let length = Int(tag - 2)
            _ = try scan.readBuffer(count: length)
            if length > PgText.inlineCapacity {
                longBytes &+= length
                longValues &+= 1
            }
        }
        // With one long value or none, each is read as it comes (no pass to copy them).
        var shared: [UInt8] = []
        if longValues > 1 {
            shared.reserveCapacity(longBytes)
            var copy = reader
            for _ in 0..<count {
                let tag = try copy.readVarint()
                guard tag >= 2 else { continue }
                let bytes = try copy.readBuffer(count: Int(tag - 2))
                if bytes.count > PgText.inlineCapacity { shared.append(contentsOf: bytes) }
            }
        }
        var values: [PgValue] = []
        values.reserveCapacity(count)
        var sharedOffset = 0
        for _ in 0..<count {
            let tag = try reader.readVarint()
            switch tag {
            case 0: values.append(.null)
            case 1: values.append(.unchangedToast)
            default:  // checked by the first pass
                let length = Int(tag - 2)
                if longValues > 1 && length > PgText.inlineCapacity {
                    _ = try reader.readBuffer(count: length)
                    values.append(.text(PgText(shared: shared, offset: sharedOffset, count: length)))
                    sharedOffset &+= length
                } else {
                    values.append(.text(try reader.readText(count: length)))
                }
            }
        }
        return values
    }
}
