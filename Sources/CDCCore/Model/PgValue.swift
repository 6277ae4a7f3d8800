/// One column value as pgoutput delivers it: the exact PostgreSQL text form, NULL, or the
/// "unchanged TOAST" marker (`u`), which means the value was not sent and must never be invented.
public enum PgValue: Sendable, Hashable {
    case null
    /// The column's text output (UTF-8 bytes), exactly as the server printed it.
    case text(PgText)
    /// An unchanged TOASTed value that the server did not send.
    case unchangedToast

    /// A text value holding `bytes`.
    @inlinable
    public static func text(_ bytes: [UInt8]) -> PgValue { .text(PgText(bytes)) }

    /// Whether this is the unchanged-TOAST marker. A case test, not `==`: it copies nothing.
    @inlinable
    public var isUnchangedToast: Bool {
        if case .unchangedToast = self { return true }
        return false
    }

    /// Calls `body` with the bytes of the text form of the value at `value`, or with nil for NULL
    /// and unchanged TOAST. For hot loops over stored values: the bytes are located first and the
    /// read of the value ends before `body` runs, so no reference is counted. Reading the value the
    /// usual way (`case .text(let text)`, then `text.withUnsafeBytes`) holds a long value's storage
    /// across `body` with a retain and a release, and on the replica sink's thread each one was a
    /// cache line last written by capture's (perf, stop 19). The value at `value` must not change
    /// during the call (the bytes are those of the storage it holds).
    @inlinable
    public static func withTextBytes<R>(
        at value: UnsafePointer<PgValue>, _ body: (UnsafeRawBufferPointer?) throws -> R
    ) rethrows -> R {
        var inline: (UInt64, UInt64) = (0, 0)
        var start: UnsafeRawPointer?
        let count: Int
        switch value.pointee {
        case .null, .unchangedToast:
            return try body(nil)
        case .text(let text):
            switch text.storage {
            case .small(let first, let second):
                inline = (first, second)
                count = Int(truncatingIfNeeded: UInt64(littleEndian: second) >> 56)
            case .large(let bytes, let offset, let length):
                start = bytes.withUnsafeBytes { $0.baseAddress.map { $0 + Int(offset) } }
                count = Int(length)
            }
        }
        if let start { return try body(UnsafeRawBufferPointer(start: start, count: count)) }
        return try Swift.withUnsafeBytes(of: &inline) { try body(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
    }

    /// Whether the value at `value` is the unchanged-TOAST marker, read in place (no copy of a
    /// long value, so no reference counted).
    @inlinable
    public static func isUnchangedToast(at value: UnsafePointer<PgValue>) -> Bool {
        if case .unchangedToast = value.pointee { return true }
        return false
    }

    /// The text form as a String, nil for NULL or unchanged.
    public var string: String? {
        if case .text(let text) = self { return text.string }
        return nil
    }
}
