/// Re-emits a JSON text (a `json`/`jsonb` column value) into a `JSONWriter` without building a
/// `JSONValue`: either compact (whitespace outside strings removed, tokens copied verbatim) or as a
/// DynamoDB AttributeValue (objects → `M`, arrays → `L`, strings → `S`, numbers → `N` with the exact
/// text, or `S` when DynamoDB cannot hold it, booleans → `BOOL`, null → `NULL`).
///
/// The input is validated as strictly as `JSONValue.parse`; on invalid input nothing is written and
/// the call returns false, so the caller can fall back (cdcd renders such text as a plain string).
enum JSONTranscoder {
    enum Mode {
        case compact
        case attributeValue
    }

    /// Writes `input` in `mode`; returns false, leaving `writer` as it was, when `input` is not
    /// exactly one valid JSON value (surrounding whitespace allowed).
    static func write(_ input: UnsafeBufferPointer<UInt8>, mode: Mode, into writer: inout JSONWriter) -> Bool {
        let mark = writer.bytes.count
        var scanner = JSONScanner(input)
        do {
            try value(&scanner, depth: 0, mode: mode, into: &writer)
            scanner.skipWhitespace()
            guard scanner.isAtEnd else { throw JSONParseError(.trailingData, at: scanner.index) }
            return true
        } catch {
            writer.bytes.removeSubrange(mark...)
            return false
        }
    }

    private static func value(
        _ s: inout JSONScanner, depth: Int, mode: Mode, into w: inout JSONWriter
    ) throws(JSONParseError) {
        let av = mode == .attributeValue
        switch try s.peekSignificant() {
        case UInt8(ascii: "{"):
            guard depth < JSONValue.maximumDepth else { throw JSONParseError(.tooDeep, at: s.index) }
            s.index &+= 1
            w.writeRaw(av ? "{\"M\":{" : "{")
            if try s.peekSignificant() != UInt8(ascii: "}") {
                while true {
                    guard try s.peekSignificant() == UInt8(ascii: "\"") else {
                        throw JSONParseError(.unexpectedByte, at: s.index)
                    }
                    let start = s.index
                    _ = try s.scanString()
                    w.writeRaw(UnsafeBufferPointer(rebasing: s.input[start..<s.index]))
                    guard try s.peekSignificant() == UInt8(ascii: ":") else {
                        throw JSONParseError(.unexpectedByte, at: s.index)
                    }
                    s.index &+= 1
                    w.colon()
                    try value(&s, depth: depth &+ 1, mode: mode, into: &w)
                    let next = try s.peekSignificant()
                    if next == UInt8(ascii: ",") {
                        s.index &+= 1
                        w.comma()
                    } else if next == UInt8(ascii: "}") {
                        break
                    } else {
                        throw JSONParseError(.unexpectedByte, at: s.index)
                    }
                }
            }
            s.index &+= 1
            w.writeRaw(av ? "}}" : "}")
        case UInt8(ascii: "["):
            guard depth < JSONValue.maximumDepth else { throw JSONParseError(.tooDeep, at: s.index) }
            s.index &+= 1
            w.writeRaw(av ? "{\"L\":[" : "[")
            if try s.peekSignificant() != UInt8(ascii: "]") {
                while true {
                    try value(&s, depth: depth &+ 1, mode: mode, into: &w)
                    let next = try s.peekSignificant()
                    if next == UInt8(ascii: ",") {
                        s.index &+= 1
                        w.comma()
                    } else if next == UInt8(ascii: "]") {
                        break
                    } else {
                        throw JSONParseError(.unexpectedByte, at: s.index)
                    }
                }
            }
            s.index &+= 1
            w.writeRaw(av ? "]}" : "]")
        case UInt8(ascii: "\""):
            let start = s.index
            _ = try s.scanString()
            if av { w.writeRaw("{\"S\":") }
            w.writeRaw(UnsafeBufferPointer(rebasing: s.input[start..<s.index]))
            if av { w.endObject() }
        case UInt8(ascii: "t"):
            try s.scanLiteral("true")
            w.writeRaw(av ? "{\"BOOL\":true}" : "true")
        case UInt8(ascii: "f"):
            try s.scanLiteral("false")
            w.writeRaw(av ? "{\"BOOL\":false}" : "false")
        case UInt8(ascii: "n"):
            try s.scanLiteral("null")
            w.writeRaw(av ? "{\"NULL\":true}" : "null")
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            let number = UnsafeBufferPointer(rebasing: s.input[try s.scanNumber()])
            if av {
                // Numbers DynamoDB cannot hold (> 38 digits, exponent out of range) become S.
                w.writeRaw(DynamoDBNumber.fits(number) ? "{\"N\":\"" : "{\"S\":\"")
                w.writeRaw(number)
                w.writeRaw("\"}")
            } else {
                w.writeRaw(number)
            }
        default:
            throw JSONParseError(.unexpectedByte, at: s.index)
        }
    }
}
