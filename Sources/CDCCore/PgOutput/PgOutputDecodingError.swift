/// Why a pgoutput message, or a streaming replication CopyData message around one, could not be
/// decoded: what was wrong, which message type, at which byte offset of the message.
///
/// Throwing one allocates nothing; `description` builds the text for people, for example
/// "pgoutput Insert message truncated at byte 17 (wanted 4 more bytes)" or
/// "unknown pgoutput message type 0x5A". It never contains column values.
public struct PgOutputDecodingError: Error, CustomStringConvertible, Sendable, Hashable {
    /// The kind of problem.
    public enum Code: Sendable, Hashable {
        /// The buffer had no bytes at all (not even a type byte).
        case empty
        /// The message ended early; `detail` is the number of bytes that were still wanted.
        case truncated
        /// A String field had no NUL terminator before the end of the message.
        case unterminatedString
        /// The first byte is not a pgoutput (protocol version 1) message type; `detail` is the byte.
        case unknownMessageType
        /// The first byte is neither `w` (XLogData) nor `k` (keepalive); `detail` is the byte.
        case unknownReplicationMessageType
        /// A TupleData column kind other than `n`, `u`, `t` or `b`; `detail` is the byte.
        case unknownTupleDataKind
        /// An Update's first tuple marker was not `K`, `O` or `N`, or a Delete's not `K` or `O`;
        /// `detail` is the byte.
        case unexpectedTupleMarker
        /// An Insert did not start its tuple with `N`, or an Update's old tuple was not followed by `N`;
        /// `detail` is the byte.
        case missingNewTuple
        /// A length or count field was negative; `detail` is the value.
        case negativeLength
        /// Bytes were left after the last field; `detail` is how many. Usually a protocol version
        /// mismatch (version 2+ adds fields) or a framing bug.
        case trailingBytes
    }

    /// The kind of problem.
    public var code: Code
    /// The message's first byte (`B`, `I`, … or `w`/`k`); nil when the buffer was empty.
    public var messageType: UInt8?
    /// The byte offset in the message where the problem was found (the type byte is offset 0).
    public var offset: Int
    /// A figure that goes with `code` (bytes wanted, the offending byte, the negative value, …).
    public var detail: Int

    public init(code: Code, messageType: UInt8?, offset: Int, detail: Int = 0) {
        self.code = code
        self.messageType = messageType
        self.offset = offset
        self.detail = detail
    }

    public var description: String {
        let what = Self.messageName(messageType)
        switch code {
        case .empty:
            return "empty pgoutput/replication message (no type byte)"
        case .truncated:
            return "\(what) message truncated at byte \(offset) (wanted \(detail) more bytes)"
        case .unterminatedString:
            return "\(what) message truncated at byte \(offset) (string without NUL terminator)"
        case .unknownMessageType:
            return "unknown pgoutput message type \(Self.hex(detail))"
        case .unknownReplicationMessageType:
            return "unknown streaming replication message type \(Self.hex(detail)) (expected 'w' or 'k')"
        case .unknownTupleDataKind:
            return "\(what) message has unknown tuple data kind \(Self.hex(detail)) at byte \(offset)"
                + " (expected 'n', 'u', 't' or 'b')"
        case .unexpectedTupleMarker:
            let expected = messageType == UInt8(ascii: "D") ? "'K' or 'O'" : "'K', 'O' or 'N'"
            return "\(what) message has unexpected tuple marker \(Self.hex(detail)) at byte \(offset)"
                + " (expected \(expected))"
        case .missingNewTuple:
            return "\(what) message has \(Self.hex(detail)) at byte \(offset) where the new tuple ('N') should start"
        case .negativeLength:
            return "\(what) message has negative length or count \(detail) at byte \(offset)"
        case .trailingBytes:
            return "\(what) message has \(detail) unexpected trailing bytes at byte \(offset)"
                + " (is the slot read with proto_version '1'?)"
        }
    }

    /// "pgoutput Insert", "replication XLogData", … for the message type byte.
    static func messageName(_ type: UInt8?) -> String {
        guard let type else { return "empty" }
        switch type {
        case UInt8(ascii: "B"): return "pgoutput Begin"
        case UInt8(ascii: "C"): return "pgoutput Commit"
        case UInt8(ascii: "O"): return "pgoutput Origin"
        case UInt8(ascii: "R"): return "pgoutput Relation"
        case UInt8(ascii: "Y"): return "pgoutput Type"
        case UInt8(ascii: "I"): return "pgoutput Insert"
        case UInt8(ascii: "U"): return "pgoutput Update"
        case UInt8(ascii: "D"): return "pgoutput Delete"
        case UInt8(ascii: "T"): return "pgoutput Truncate"
        case UInt8(ascii: "M"): return "pgoutput Message"
        case UInt8(ascii: "w"): return "replication XLogData"
        case UInt8(ascii: "k"): return "replication keepalive"
        default: return "message type \(hex(Int(type)))"
        }
    }

    static func hex(_ byte: Int) -> String {
        let digits = String(UInt8(truncatingIfNeeded: byte), radix: 16, uppercase: true)
        return digits.count == 1 ? "0x0" + digits : "0x" + digits
    }
}
