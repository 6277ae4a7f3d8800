/// A PostgreSQL write-ahead-log position (`pg_lsn`), printed as `X/Y` in hex like the server does.
public struct LSN: RawRepresentable, Comparable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt64

    public init(rawValue: UInt64) { self.rawValue = rawValue }
    public init(_ value: UInt64) { self.rawValue = value }

    public static let zero = LSN(0)

    /// Parses the server's text form (`16/B374D848`); nil when it is not of that form.
    public init?(string: some StringProtocol) {
        let parts = string.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let hi = UInt32(parts[0], radix: 16), let lo = UInt32(parts[1], radix: 16) else {
            return nil
        }
        self.rawValue = UInt64(hi) << 32 | UInt64(lo)
    }

    public var description: String {
        String(UInt32(truncatingIfNeeded: rawValue >> 32), radix: 16, uppercase: true) + "/"
            + String(UInt32(truncatingIfNeeded: rawValue), radix: 16, uppercase: true)
    }

    public static func < (lhs: LSN, rhs: LSN) -> Bool { lhs.rawValue < rhs.rawValue }
}
