/// The lexical half of strict JSON (RFC 8259) over a byte buffer, shared by `JSONValue.parse` (which
/// builds values) and `JSONTranscoder` (which re-emits tokens without building values).
///
/// Every `scan…` function either consumes exactly one well-formed token and leaves `index` just past
/// it, or throws with the offset of the first offending byte. Strings are fully validated (escapes,
/// surrogate pairs, UTF-8, no raw control characters), so their raw bytes can be copied into output
/// verbatim.
struct JSONScanner {
    let input: UnsafeBufferPointer<UInt8>
    var index: Int = 0

    init(_ input: UnsafeBufferPointer<UInt8>) { self.input = input }

    var isAtEnd: Bool { index >= input.count }

    /// Skips JSON whitespace (space, tab, LF, CR).
    @inline(__always)
    mutating func skipWhitespace() {
        while index < input.count {
            switch input[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index &+= 1
            default: return
            }
        }
    }

    /// The next byte after whitespace; throws `unexpectedEnd` at the end of the input.
    @inline(__always)
    mutating func peekSignificant() throws(JSONParseError) -> UInt8 {
        skipWhitespace()
        guard index < input.count else { throw JSONParseError(.unexpectedEnd, at: index) }
        return input[index]
    }

    /// Consumes `literal` (`true`, `false`, `null`) at `index`.
    mutating func scanLiteral(_ literal: StaticString) throws(JSONParseError) {
        let n = literal.utf8CodeUnitCount
        let lit = literal.utf8Start
        for k in 0..<n {
            guard index &+ k < input.count else { throw JSONParseError(.unexpectedEnd, at: input.count) }
            guard input[index &+ k] == lit[k] else { throw JSONParseError(.unexpectedByte, at: index &+ k) }
        }
        index &+= n
    }

    /// Consumes a number at `index` and returns its byte range.
    mutating func scanNumber() throws(JSONParseError) -> Range<Int> {
        let start = index
        let n = input.count
        @inline(__always) func isDigit(_ i: Int) -> Bool { i < n && input[i] >= 0x30 && input[i] <= 0x39 }
        @inline(__always) func fail(_ i: Int) -> JSONParseError {
            i < n ? JSONParseError(.invalidNumber, at: i) : JSONParseError(.unexpectedEnd, at: n)
        }
        var i = index
        if i < n && input[i] == UInt8(ascii: "-") { i &+= 1 }
        guard isDigit(i) else { throw fail(i) }
        if input[i] == UInt8(ascii: "0") {
            i &+= 1
        } else {
            while isDigit(i) { i &+= 1 }
        }
        if i < n && input[i] == UInt8(ascii: ".") {
            i &+= 1
            guard isDigit(i) else { throw fail(i) }
            while isDigit(i) { i &+= 1 }
        }
        if i < n && (input[i] == UInt8(ascii: "e") || input[i] == UInt8(ascii: "E")) {
            i &+= 1
            if i < n && (input[i] == UInt8(ascii: "+") || input[i] == UInt8(ascii: "-")) { i &+= 1 }
            guard isDigit(i) else { throw fail(i) }
            while isDigit(i) { i &+= 1 }
        }
        index = i
        return start..<i
    }

    /// Consumes a string at `index` (which holds its opening quote) and returns the byte range of
    /// its contents (between the quotes, escapes undecoded) and whether it contains escapes.
    mutating func scanString() throws(JSONParseError) -> (contents: Range<Int>, hasEscapes: Bool) {
        let n = input.count
        var i = index &+ 1
        let start = i
        var hasEscapes = false
        while true {
            guard i < n else { throw JSONParseError(.unexpectedEnd, at: n) }
            let b = input[i]
            if b == UInt8(ascii: "\"") {
                index = i &+ 1
                return (start..<i, hasEscapes)
            } else if b == UInt8(ascii: "\\") {
                hasEscapes = true
                guard i &+ 1 < n else { throw JSONParseError(.unexpectedEnd, at: n) }
                switch input[i &+ 1] {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
                    UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    i &+= 2
                case UInt8(ascii: "u"):
                    let unit = try hex4(at: i &+ 2)
                    i &+= 6
                    if unit >= 0xD800 && unit <= 0xDBFF {
                        guard i &+ 1 < n, input[i] == UInt8(ascii: "\\"), input[i &+ 1] == UInt8(ascii: "u") else {
                            throw JSONParseError(.invalidSurrogate, at: i &- 6)
                        }
                        let low = try hex4(at: i &+ 2)
                        guard low >= 0xDC00 && low <= 0xDFFF else { throw JSONParseError(.invalidSurrogate, at: i) }
                        i &+= 6
                    } else if unit >= 0xDC00 && unit <= 0xDFFF {
                        throw JSONParseError(.invalidSurrogate, at: i &- 6)
                    }
                default:
                    throw JSONParseError(.invalidEscape, at: i)
                }
            } else if b < 0x20 {
                throw JSONParseError(.controlCharacterInString, at: i)
            } else if b < 0x80 {
                i &+= 1
            } else {
                let len = JSONWriter.validUTF8SequenceLength(input, at: i)
                guard len > 0 else { throw JSONParseError(.invalidUTF8, at: i) }
                i &+= len
            }
        }
    }

    /// The value of the four hex digits at `i`.
    private func hex4(at i: Int) throws(JSONParseError) -> UInt32 {
        var v: UInt32 = 0
        for k in i..<(i &+ 4) {
            guard k < input.count else { throw JSONParseError(.unexpectedEnd, at: input.count) }
            let c = input[k]
            let d: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = c &- UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = c &- UInt8(ascii: "a") &+ 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = c &- UInt8(ascii: "A") &+ 10
            default: throw JSONParseError(.invalidEscape, at: k)
            }
            v = v << 4 | UInt32(d)
        }
        return v
    }

    /// The decoded text of string contents previously returned by `scanString()`.
    func decodeString(_ contents: Range<Int>, hasEscapes: Bool) -> String {
        let raw = UnsafeBufferPointer(rebasing: input[contents])
        guard hasEscapes else { return String(decoding: raw, as: UTF8.self) }
        var out: [UInt8] = []
        out.reserveCapacity(raw.count)
        var i = 0
        func hex4(_ k: Int) -> UInt32 {
            var v: UInt32 = 0
            for c in raw[k..<(k + 4)] {
                let d: UInt32 =
                    c <= UInt8(ascii: "9")
                    ? UInt32(c &- UInt8(ascii: "0")) : UInt32((c | 0x20) &- UInt8(ascii: "a") &+ 10)
                v = v << 4 | d
            }
            return v
        }
        while i < raw.count {
            let b = raw[i]
            guard b == UInt8(ascii: "\\") else {
                out.append(b)
                i += 1
                continue
            }
            let e = raw[i + 1]
            i += 2
            switch e {
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = hex4(i)
                i += 4
                if scalar >= 0xD800 && scalar <= 0xDBFF {  // validated: a low surrogate follows
                    let low = hex4(i + 2)
                    i += 6
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                }
                // Validated by scanString: never a lone surrogate, so always a valid scalar.
                let s = Unicode.Scalar(scalar) ?? "\u{FFFD}"
                out.append(contentsOf: s.utf8)
            default: out.append(e)  // " \ /
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// True when `text` is exactly one JSON number (no whitespace).
    static func isNumber(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        var scanner = JSONScanner(text)
        guard (try? scanner.scanNumber()) != nil else { return false }
        return scanner.isAtEnd
    }
}
