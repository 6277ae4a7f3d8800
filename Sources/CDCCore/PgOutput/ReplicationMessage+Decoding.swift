extension ReplicationMessage {
    /// A CopyData payload decoded in place: an XLogData's pgoutput message is the rest of the
    /// decoded buffer, not a copy, and is valid only as long as that buffer (capture decodes it
    /// before libpq's buffer is freed).
    public enum View {
        case xLogData(walStart: LSN, walEnd: LSN, sendTime: Int64, payload: UnsafeRawBufferPointer)
        case keepalive(walEnd: LSN, sendTime: Int64, replyRequested: Bool)
    }

    /// Decodes one CopyData payload of a logical replication stream (after `START_REPLICATION`)
    /// without copying it: `w` XLogData (Int64 walStart, Int64 walEnd, Int64 sendTime, then one
    /// pgoutput message) or `k` primary keepalive (Int64 walEnd, Int64 sendTime, Byte1
    /// replyRequested). Throws on any other type byte, on short messages and on trailing bytes after
    /// a keepalive.
    public static func view(_ bytes: UnsafeRawBufferPointer) throws(PgOutputDecodingError) -> View {
        var reader = ByteReader(bytes)
        guard reader.remaining > 0 else {
            throw PgOutputDecodingError(code: .empty, messageType: nil, offset: 0)
        }
        let type = try reader.readUInt8()
        reader.messageType = type
        switch type {
        case UInt8(ascii: "w"):
            let walStart = LSN(try reader.readUInt64())
            let walEnd = LSN(try reader.readUInt64())
            let sendTime = try reader.readInt64()
            return .xLogData(
                walStart: walStart, walEnd: walEnd, sendTime: sendTime,
                payload: UnsafeRawBufferPointer(rebasing: bytes[reader.offset...]))
        case UInt8(ascii: "k"):
            let walEnd = LSN(try reader.readUInt64())
            let sendTime = try reader.readInt64()
            let reply = try reader.readUInt8()
            try reader.expectEnd()
            return .keepalive(walEnd: walEnd, sendTime: sendTime, replyRequested: reply != 0)
        default:
            throw PgOutputDecodingError(
                code: .unknownReplicationMessageType,
                messageType: type,
                offset: 0,
                detail: Int(type)
            )
        }
    }

    /// Decodes one CopyData payload (see `view`), the XLogData's pgoutput message copied into
    /// `payload`.
    public static func decode(_ bytes: UnsafeRawBufferPointer) throws(PgOutputDecodingError) -> ReplicationMessage {
        switch try view(bytes) {
        case .xLogData(let walStart, let walEnd, let sendTime, let payload):
            .xLogData(walStart: walStart, walEnd: walEnd, sendTime: sendTime, payload: Array(payload))
        case .keepalive(let walEnd, let sendTime, let replyRequested):
            .keepalive(walEnd: walEnd, sendTime: sendTime, replyRequested: replyRequested)
        }
    }

    /// Decodes one CopyData payload from an array (see the buffer overload).
    public static func decode(_ bytes: [UInt8]) throws(PgOutputDecodingError) -> ReplicationMessage {
        let result: Result<ReplicationMessage, PgOutputDecodingError> = bytes.withUnsafeBytes { buffer in
            do throws(PgOutputDecodingError) {
                return .success(try decode(buffer))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }
}

/// The standby status update (`r`) a logical replication client sends in CopyData to report its
/// progress; the server sets the slot's `confirmed_flush_lsn` from `flushed`.
public enum StandbyStatusUpdate {
    /// The 34-byte message: Byte1('r'), Int64 written, Int64 flushed, Int64 applied, Int64 clock
    /// (microseconds since 2000-01-01 UTC, see `PostgresClock`), Byte1 replyRequested (1 asks the
    /// server to answer at once with a keepalive).
    public static func encode(written: LSN, flushed: LSN, applied: LSN, clock: Int64, replyRequested: Bool) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: 34)
        bytes[0] = UInt8(ascii: "r")
        bytes.withUnsafeMutableBytes { buffer in
            buffer.storeBytes(of: written.rawValue.bigEndian, toByteOffset: 1, as: UInt64.self)
            buffer.storeBytes(of: flushed.rawValue.bigEndian, toByteOffset: 9, as: UInt64.self)
            buffer.storeBytes(of: applied.rawValue.bigEndian, toByteOffset: 17, as: UInt64.self)
            buffer.storeBytes(of: clock.bigEndian, toByteOffset: 25, as: Int64.self)
        }
        bytes[33] = replyRequested ? 1 : 0
        return bytes
    }
}
