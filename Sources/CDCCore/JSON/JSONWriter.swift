/// Appends compact UTF-8 JSON to a byte buffer: the per-value hot path of record rendering.
///
/// The writer does no structural bookkeeping: callers write their own commas and colons (with
/// `comma()`, `colon()`, `writeKey(_:)` and the begin/end helpers), so each call is a handful of
/// appends. Contracts:
/// - Everything `writeString` emits is valid JSON string syntax and valid UTF-8, whatever the input:
///   `"` and `\` are escaped, control characters (U+0000–U+001F) are written as `\b \f \n \r \t`
///   or `\u00XX`, and ill-formed UTF-8 input bytes are replaced by U+FFFD. Everything else
///   (including non-ASCII) is copied as is.
/// - `writeRaw` copies bytes unchecked: the caller guarantees they are valid JSON in context.
/// - Output never contains a newline byte unless the caller writes one raw (JSON Lines safe).
public struct JSONWriter: Sendable {
    /// The JSON written so far.
    public var bytes: [UInt8]

    /// An empty writer whose buffer has room for `capacity` bytes before it grows.
    public init(capacity: Int = 512) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    // MARK: Punctuation and literals

    /// `{`
    @inlinable public mutating func beginObject() { bytes.append(UInt8(ascii: "{")) }
    /// `}`
    @inlinable public mutating func endObject() { bytes.append(UInt8(ascii: "}")) }
    /// `[`
    @inlinable public mutating func beginArray() { bytes.append(UInt8(ascii: "[")) }
    /// `]`
    @inlinable public mutating func endArray() { bytes.append(UInt8(ascii: "]")) }
    /// `,`
    @inlinable public mutating func comma() { bytes.append(UInt8(ascii: ",")) }
    /// `:`
    @inlinable public mutating func colon() { bytes.append(UInt8(ascii: ":")) }

    /// `null`
    @inlinable public mutating func writeNull() { writeRaw("null") }

    /// `true` or `false`.
    @inlinable public mutating func writeBool(_ value: Bool) { value ? writeRaw("true") : writeRaw("false") }

    /// An object member name and its colon: `"key":` (the key escaped like `writeString`).
    @inlinable public mutating func writeKey(_ key: String) {
        writeString(key)
        bytes.append(UInt8(ascii: ":"))
    }

    // MARK: Raw bytes

    /// Appends one byte unchecked.
    @inlinable public mutating func writeRaw(_ byte: UInt8) { bytes.append(byte) }

    /// Appends bytes unchecked; the caller guarantees they are valid JSON in context.
    @inlinable public mutating func writeRaw(_ raw: [UInt8]) { bytes.append(contentsOf: raw) }

    /// Appends bytes unchecked; the caller guarantees they are valid JSON in context.
    @inlinable public mutating func writeRaw(_ raw: UnsafeBufferPointer<UInt8>) { bytes.append(contentsOf: raw) }

    /// Appends a literal unchecked (`w.writeRaw("{\"eventID\":")`); the caller guarantees it is valid
    /// JSON in context.
    @inlinable public mutating func writeRaw(_ literal: StaticString) {
        literal.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    // MARK: Numbers

    /// A decimal integer.
    public mutating func writeInt(_ value: Int64) {
        if value < 0 {
            bytes.append(UInt8(ascii: "-"))
            writeUInt(value.magnitude)
        } else {
            writeUInt(UInt64(value))
        }
    }

    /// A decimal integer.
    @inlinable public mutating func writeInt(_ value: Int) { writeInt(Int64(value)) }

    /// A decimal integer.
    public mutating func writeUInt(_ value: UInt64) {
        writeZeroPadded(value, width: 1)
    }

    /// `value` in decimal, left-padded with zeros to at least `width` digits, unquoted (callers
    /// put it inside a string they open and close with `writeRaw`).
    public mutating func writeZeroPadded(_ value: UInt64, width: Int) {
        var digits = 1
        var rest = value / 10
        while rest > 0 {
            digits &+= 1
            rest /= 10
        }
        writeDigits(value, count: Swift.max(width, digits), radixShift: 0)
    }

    /// `value` in upper-case hexadecimal, left-padded with zeros to at least `width` digits, unquoted.
    public mutating func writeHexZeroPadded(_ value: UInt64, width: Int) {
        let digits = value == 0 ? 1 : (67 &- value.leadingZeroBitCount) / 4
        writeDigits(value, count: Swift.max(width, digits), radixShift: 4)
    }

    /// Appends the digits of `value` in base 10 (`radixShift` 0) or 16 (`radixShift` 4), left-padded
    /// with zeros to `count`: formatted right to left in a stack buffer, then appended in one piece.
    @inline(__always)
    private mutating func writeDigits(_ value: UInt64, count: Int, radixShift: UInt64) {
        guard count <= 24 else {
            for _ in 0..<(count - 24) { bytes.append(UInt8(ascii: "0")) }
            writeDigits(value, count: 24, radixShift: radixShift)
            return
        }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 24) { p in
            var i = count &- 1
            var v = value
            while i >= 0 {
                let d: UInt8
                if radixShift == 0 {
                    let (q, r) = v.quotientAndRemainder(dividingBy: 10)
                    d = UInt8(truncatingIfNeeded: r)
                    v = q
                } else {
                    d = UInt8(truncatingIfNeeded: v & 0xF)
                    v >>= 4
                }
                p[i] = d < 10 ? UInt8(ascii: "0") &+ d : UInt8(ascii: "A") &+ (d &- 10)
                i &-= 1
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: p[0..<count]))
        }
    }

    // MARK: Strings

    /// A JSON string holding `value`.
    public mutating func writeString(_ value: String) {
        var value = value
        value.withUTF8 { writeString(utf8: $0) }
    }

    /// A JSON string holding the UTF-8 text `utf8` (ill-formed sequences become U+FFFD).
    public mutating func writeString(utf8: [UInt8]) {
        utf8.withUnsafeBufferPointer { writeString(utf8: $0) }
    }

    /// A JSON string holding the UTF-8 text `utf8` (ill-formed sequences become U+FFFD).
    public mutating func writeString(utf8: UnsafeBufferPointer<UInt8>) {
        reserveAdditional(utf8.count &+ 2)
        bytes.append(UInt8(ascii: "\""))
        writeEscaped(utf8)
        bytes.append(UInt8(ascii: "\""))
    }

    /// The escaped contents of a JSON string, without the quotes: for composing one string from
    /// several pieces between two `writeRaw(UInt8(ascii: "\""))`.
    public mutating func writeStringFragment(_ value: String) {
        var value = value
        value.withUTF8 { writeEscaped($0) }
    }

    /// The escaped contents of a JSON string, without the quotes (see `writeStringFragment(_:)`).
    public mutating func writeStringFragment(utf8: UnsafeBufferPointer<UInt8>) {
        writeEscaped(utf8)
    }

    /// Makes room for `extra` more bytes, growing geometrically (a plain `reserveCapacity` grows to
    /// the exact size, which turns many small reservations into quadratic copying).
    @inline(__always)
    mutating func reserveAdditional(_ extra: Int) {
        let needed = bytes.count &+ extra
        if needed > bytes.capacity { bytes.reserveCapacity(Swift.max(needed, bytes.capacity &* 2)) }
    }

    mutating func writeEscaped(_ p: UnsafeBufferPointer<UInt8>) {
        let n = p.count
        var runStart = 0
        var i = 0
        while i < n {
            let b = p[i]
            if b >= 0x20 && b < 0x80 && b != UInt8(ascii: "\"") && b != UInt8(ascii: "\\") {
                i &+= 1
                continue
            }
            if b >= 0x80 {
                let len = Self.validUTF8SequenceLength(p, at: i)
                if len > 0 {
                    i &+= len
                    continue
                }
            }
            if runStart < i { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: p[runStart..<i])) }
            switch b {
            case UInt8(ascii: "\""):
                bytes.append(UInt8(ascii: "\\"))
                bytes.append(b)
            case UInt8(ascii: "\\"):
                bytes.append(UInt8(ascii: "\\"))
                bytes.append(b)
            case 0x08:
                bytes.append(UInt8(ascii: "\\"))
                bytes.append(UInt8(ascii: "b"))
            case 0x09:
                bytes.append(UInt8(ascii: "\\"))
                bytes.append(UInt8(ascii: "t"))
            case 0x0A:
                bytes.append(UInt8(ascii: "\\"))
                bytes.append(UInt8(ascii: "n"))
            case 0x0C:
                bytes.append(UInt8(ascii: "\\"))
                bytes.append(UInt8(ascii: "f"))
            case 0x0D:
                bytes.append(UInt8(ascii: "\\"))
                bytes.append(UInt8(ascii: "r"))
            case 0x00..<0x20:
                writeRaw("\\u00")
                bytes.append(Self.hexDigit(b >> 4))
                bytes.append(Self.hexDigit(b & 0xF))
            default:  // ill-formed UTF-8: U+FFFD
                bytes.append(0xEF)
                bytes.append(0xBF)
                bytes.append(0xBD)
            }
            i &+= 1
            runStart = i
        }
        if runStart < n { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: p[runStart..<n])) }
    }

    @inline(__always)
    static func hexDigit(_ d: UInt8) -> UInt8 { d < 10 ? UInt8(ascii: "0") &+ d : UInt8(ascii: "a") &+ (d &- 10) }

    /// The length (2–4) of the well-formed UTF-8 sequence starting with the non-ASCII byte at `i`,
    /// or 0 when it is ill-formed (Unicode Table 3-7: no overlongs, surrogates or values > U+10FFFF).
    @inline(__always)
    static func validUTF8SequenceLength(_ p: UnsafeBufferPointer<UInt8>, at i: Int) -> Int {
        let n = p.count
        let b0 = p[i]
        @inline(__always) func cont(_ k: Int, _ lo: UInt8 = 0x80, _ hi: UInt8 = 0xBF) -> Bool {
            k < n && p[k] >= lo && p[k] <= hi
        }
        switch b0 {
        case 0xC2...0xDF:
            return cont(i &+ 1) ? 2 : 0
        case 0xE0:
            return cont(i &+ 1, 0xA0) && cont(i &+ 2) ? 3 : 0
        case 0xE1...0xEC, 0xEE...0xEF:
            return cont(i &+ 1) && cont(i &+ 2) ? 3 : 0
        case 0xED:
            return cont(i &+ 1, 0x80, 0x9F) && cont(i &+ 2) ? 3 : 0
        case 0xF0:
            return cont(i &+ 1, 0x90) && cont(i &+ 2) && cont(i &+ 3) ? 4 : 0
        case 0xF1...0xF3:
            return cont(i &+ 1) && cont(i &+ 2) && cont(i &+ 3) ? 4 : 0
        case 0xF4:
            return cont(i &+ 1, 0x80, 0x8F) && cont(i &+ 2) && cont(i &+ 3) ? 4 : 0
        default:
            return 0
        }
    }

    // MARK: Base64

    /// A JSON string holding the standard base64 encoding (RFC 4648 §4, with `=` padding) of `data`.
    public mutating func writeBase64String(_ data: UnsafeBufferPointer<UInt8>) {
        bytes.append(UInt8(ascii: "\""))
        writeBase64Fragment(count: data.count) { data[$0] }
        bytes.append(UInt8(ascii: "\""))
    }

    /// A JSON string holding the standard base64 encoding of `data`.
    public mutating func writeBase64String(_ data: [UInt8]) {
        data.withUnsafeBufferPointer { writeBase64String($0) }
    }

    /// Base64 of the `count` bytes that `byte(i)` returns, unquoted: lets callers encode data
    /// they decode on the fly (bytea hex) without a temporary buffer.
    @inline(__always)
    mutating func writeBase64Fragment(count: Int, _ byte: (Int) -> UInt8) {
        reserveAdditional((count &+ 2) / 3 &* 4 &+ 2)
        Self.base64Alphabet.withUTF8Buffer { table in
            var i = 0
            while i &+ 3 <= count {
                let v = UInt32(byte(i)) << 16 | UInt32(byte(i &+ 1)) << 8 | UInt32(byte(i &+ 2))
                bytes.append(table[Int(v >> 18)])
                bytes.append(table[Int(v >> 12 & 0x3F)])
                bytes.append(table[Int(v >> 6 & 0x3F)])
                bytes.append(table[Int(v & 0x3F)])
                i &+= 3
            }
            let rest = count &- i
            if rest == 1 {
                let v = UInt32(byte(i)) << 16
                bytes.append(table[Int(v >> 18)])
                bytes.append(table[Int(v >> 12 & 0x3F)])
                bytes.append(UInt8(ascii: "="))
                bytes.append(UInt8(ascii: "="))
            } else if rest == 2 {
                let v = UInt32(byte(i)) << 16 | UInt32(byte(i &+ 1)) << 8
                bytes.append(table[Int(v >> 18)])
                bytes.append(table[Int(v >> 12 & 0x3F)])
                bytes.append(table[Int(v >> 6 & 0x3F)])
                bytes.append(UInt8(ascii: "="))
            }
        }
    }

    static let base64Alphabet: StaticString = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
}
