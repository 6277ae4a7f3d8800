/// One column value as pgoutput delivers it: the exact PostgreSQL text form, NULL, or the
/// "unchanged TOAST" marker (`u`), which means the value was not sent and must never be invented.
public enum PgValue: Sendable, Hashable {
    case null
    /// The column's text output (UTF-8 bytes), exactly as the server printed it.
    case text([UInt8])
    /// An unchanged TOASTed value that the server did not send.
    case unchangedToast

    /// The text form as a String, nil for NULL or unchanged.
    public var string: String? {
        if case .text(let bytes) = self { return String(decoding: bytes, as: UTF8.self) }
        return nil
    }
}
