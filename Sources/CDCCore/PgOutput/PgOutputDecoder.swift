/// Decodes one pgoutput message (protocol version 1, as sent by PostgreSQL 10–17 with
/// `proto_version '1'`) from its bytes: the payload of one XLogData (`w`) message.
///
/// Pure and stateless: bytes in, a `PgOutputMessage` out. It does not know relations, so it does
/// not check a tuple's column count against the Relation message; callers that cache Relation
/// messages by OID do that. Every field must be present and the message must end exactly after
/// the last one (protocol version 2+ adds fields, which is reported as `.trailingBytes`).
///
/// TupleData columns: `n` → `.null`, `u` → `.unchangedToast`, `t` → `.text(bytes)`. `b` (binary,
/// only with the `binary 'true'` option, which cdcd never requests) is also returned as
/// `.text(bytes)` holding the type's binary send format, not its text form.
///
/// Cost: no Foundation, one array per tuple, one array per non-NULL value, small strings for names.
public enum PgOutputDecoder {
    /// Decodes one whole message; throws on anything that is not exactly one well-formed message.
    public static func decode(_ bytes: UnsafeRawBufferPointer) throws(PgOutputDecodingError) -> PgOutputMessage {
        var reader = ByteReader(bytes)
        guard reader.remaining > 0 else {
            throw PgOutputDecodingError(code: .empty, messageType: nil, offset: 0)
        }
        let type = try reader.readUInt8()
        reader.messageType = type
        let message: PgOutputMessage
        switch type {
        case UInt8(ascii: "B"):
            message = .begin(
                .init(
                    finalLSN: LSN(try reader.readUInt64()),
                    commitTime: try reader.readInt64(),
                    xid: try reader.readUInt32()
                )
            )
        case UInt8(ascii: "C"):
            message = .commit(
                .init(
                    flags: try reader.readUInt8(),
                    commitLSN: LSN(try reader.readUInt64()),
                    endLSN: LSN(try reader.readUInt64()),
                    commitTime: try reader.readInt64()
                )
            )
        case UInt8(ascii: "O"):
            message = .origin(.init(commitLSN: LSN(try reader.readUInt64()), name: try reader.readCString()))
        case UInt8(ascii: "R"):
            message = .relation(try decodeRelation(&reader))
        case UInt8(ascii: "Y"):
            message = .type(
                .init(oid: try reader.readUInt32(), namespace: try reader.readCString(), name: try reader.readCString())
            )
        case UInt8(ascii: "I"):
            let relationOID = try reader.readUInt32()
            try expectMarker(&reader, UInt8(ascii: "N"), code: .missingNewTuple)
            message = .insert(.init(relationOID: relationOID, newTuple: try decodeTuple(&reader)))
        case UInt8(ascii: "U"):
            message = .update(try decodeUpdate(&reader))
        case UInt8(ascii: "D"):
            let relationOID = try reader.readUInt32()
            let markerOffset = reader.offset
            let marker = try reader.readUInt8()
            guard let kind = PgOutputMessage.OldTupleKind(rawValue: marker) else {
                throw reader.error(.unexpectedTupleMarker, detail: Int(marker), at: markerOffset)
            }
            message = .delete(.init(relationOID: relationOID, oldKind: kind, oldTuple: try decodeTuple(&reader)))
        case UInt8(ascii: "T"):
            message = .truncate(try decodeTruncate(&reader))
        case UInt8(ascii: "M"):
            let flags = try reader.readUInt8()
            let lsn = LSN(try reader.readUInt64())
            let prefix = try reader.readCString()
            let length = try readLength(&reader)
            message = .message(
                .init(transactional: flags & 1 != 0, lsn: lsn, prefix: prefix, content: try reader.readBytes(length))
            )
        default:
            throw PgOutputDecodingError(code: .unknownMessageType, messageType: type, offset: 0, detail: Int(type))
        }
        try reader.expectEnd()
        return message
    }

    /// Decodes one whole message from an array (see the buffer overload).
    public static func decode(_ bytes: [UInt8]) throws(PgOutputDecodingError) -> PgOutputMessage {
        // `withUnsafeBytes` is rethrows (untyped); keep the typed error by returning a Result.
        let result: Result<PgOutputMessage, PgOutputDecodingError> = bytes.withUnsafeBytes { buffer in
            do throws(PgOutputDecodingError) {
                return .success(try decode(buffer))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    // MARK: - Parts

    @inline(__always)
    private static func expectMarker(
        _ reader: inout ByteReader,
        _ expected: UInt8,
        code: PgOutputDecodingError.Code
    ) throws(PgOutputDecodingError) {
        let markerOffset = reader.offset
        let marker = try reader.readUInt8()
        if _slowPath(marker != expected) {
            throw reader.error(code, detail: Int(marker), at: markerOffset)
        }
    }

    /// An Int32 length or Int16 count that must not be negative.
    @inline(__always)
    private static func readLength(_ reader: inout ByteReader) throws(PgOutputDecodingError) -> Int {
        let lengthOffset = reader.offset
        let length = Int(try reader.readInt32())
        if _slowPath(length < 0) { throw reader.error(.negativeLength, detail: length, at: lengthOffset) }
        return length
    }

    @inline(__always)
    private static func readCount16(_ reader: inout ByteReader) throws(PgOutputDecodingError) -> Int {
        let countOffset = reader.offset
        let count = Int(try reader.readInt16())
        if _slowPath(count < 0) { throw reader.error(.negativeLength, detail: count, at: countOffset) }
        return count
    }

    private static func decodeRelation(
        _ reader: inout ByteReader
    ) throws(PgOutputDecodingError) -> PgOutputMessage.RelationMessage {
        let oid = try reader.readUInt32()
        let namespace = try reader.readCString()
        let name = try reader.readCString()
        let replicaIdentity = try reader.readUInt8()
        let count = try readCount16(&reader)
        var columns: [PgOutputMessage.RelationMessage.Column] = []
        // Each column takes at least 10 bytes: never reserve more than the message can hold.
        columns.reserveCapacity(min(count, reader.remaining / 10))
        for _ in 0..<count {
            columns.append(
                .init(
                    flags: try reader.readUInt8(),
                    name: try reader.readCString(),
                    typeOID: try reader.readUInt32(),
                    typeModifier: try reader.readInt32()
                )
            )
        }
        return .init(oid: oid, namespace: namespace, name: name, replicaIdentity: replicaIdentity, columns: columns)
    }

    private static func decodeUpdate(
        _ reader: inout ByteReader
    ) throws(PgOutputDecodingError) -> PgOutputMessage.Update {
        let relationOID = try reader.readUInt32()
        let markerOffset = reader.offset
        let marker = try reader.readUInt8()
        var oldKind: PgOutputMessage.OldTupleKind? = nil
        var oldTuple: [PgValue]? = nil
        if marker != UInt8(ascii: "N") {
            guard let kind = PgOutputMessage.OldTupleKind(rawValue: marker) else {
                throw reader.error(.unexpectedTupleMarker, detail: Int(marker), at: markerOffset)
            }
            oldKind = kind
            oldTuple = try decodeTuple(&reader)
            try expectMarker(&reader, UInt8(ascii: "N"), code: .missingNewTuple)
        }
        let newTuple = try decodeTuple(&reader)
        return .init(relationOID: relationOID, oldKind: oldKind, oldTuple: oldTuple, newTuple: newTuple)
    }

    /// TupleData: Int16 column count, then per column a kind byte and, for `t`/`b`, Int32 length + bytes.
    /// Its long values (more than `PgText.inlineCapacity` bytes) are copied into one array that they
    /// share, so a row costs one allocation for all of them: a first pass checks the columns and
    /// adds up their lengths, a second copies them, a third makes the values.
    private static func decodeTuple(_ reader: inout ByteReader) throws(PgOutputDecodingError) -> [PgValue] {
        let count = try readCount16(&reader)
        var scan = reader
        var longBytes = 0
        var longValues = 0
        for _ in 0..<count {
            let kindOffset = scan.offset
            let kind = try scan.readUInt8()
            switch kind {
            case UInt8(ascii: "t"), UInt8(ascii: "b"):
                let length = try readLength(&scan)
                _ = try scan.readBuffer(length)
                if length > PgText.inlineCapacity {
                    longBytes &+= length
                    longValues &+= 1
                }
            case UInt8(ascii: "n"), UInt8(ascii: "u"):
                break
            default:
                throw scan.error(.unknownTupleDataKind, detail: Int(kind), at: kindOffset)
            }
        }
        // With one long value or none, each is read as it comes (no pass to copy them).
        var shared: [UInt8] = []
        if longValues > 1 {
            shared.reserveCapacity(longBytes)
            var copy = reader
            for _ in 0..<count {
                let kind = try copy.readUInt8()
                guard kind != UInt8(ascii: "n") && kind != UInt8(ascii: "u") else { continue }
                let bytes = try copy.readBuffer(try readLength(&copy))
                if bytes.count > PgText.inlineCapacity { shared.append(contentsOf: bytes) }
            }
        }
        var values: [PgValue] = []
        values.reserveCapacity(count)
        var sharedOffset = 0
        for _ in 0..<count {
            switch try reader.readUInt8() {
            case UInt8(ascii: "n"):
                values.append(.null)
            case UInt8(ascii: "u"):
                values.append(.unchangedToast)
            default:  // `t` or `b`, checked by the first pass
                let length = try readLength(&reader)
                if longValues > 1 && length > PgText.inlineCapacity {
                    _ = try reader.readBuffer(length)
                    values.append(.text(PgText(shared: shared, offset: sharedOffset, count: length)))
                    sharedOffset &+= length
                } else {
                    values.append(.text(try reader.readText(length)))
                }
            }
        }
        return values
    }

    private static func decodeTruncate(
        _ reader: inout ByteReader
    ) throws(PgOutputDecodingError) -> PgOutputMessage.Truncate {
        let count = try readLength(&reader)
        let options = try reader.readUInt8()
        var oids: [UInt32] = []
        oids.reserveCapacity(min(count, reader.remaining / 4))
        for _ in 0..<count {
            oids.append(try reader.readUInt32())
        }
        return .init(options: options, relationOIDs: oids)
    }
}
