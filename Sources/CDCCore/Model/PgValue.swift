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

    /// The text form as a String, nil for NULL or unchanged.
    public var string: String? {
        if case .text(let text) = self { return text.string }
        return nil
    }
}
