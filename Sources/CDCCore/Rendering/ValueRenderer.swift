/// Renders one column value (its exact PostgreSQL text form and its `ValueKind`) as JSON: either the
/// cdcd record mapping (design.md, "JSON values") or a DynamoDB AttributeValue (`format: dynamodb`).
///
/// Assumes capture's session settings (`DateStyle=ISO`, `TimeZone=UTC`, `IntervalStyle=postgres`,
/// `bytea_output=hex`, `extra_float_digits=1`). Contracts, for both forms:
/// - Always writes exactly one valid JSON value, whatever the text: text that does not have the
///   shape its kind promises (a non-numeric "integer", malformed json, a broken array literal) is
///   written as a plain string (`S`) of the text rather than failing or inventing a value.
/// - `.null` → `null` / `{"NULL":true}`. `.unchangedToast` is never rendered by `RecordRenderer`
///   (it leaves such columns out); given one, this writes the same as for NULL.
/// - Never writes a newline byte: output stays one line.
///
/// | kind | cdcd | AttributeValue |
/// |---|---|---|
/// | bool | `true`/`false` | `BOOL` |
/// | integer, float | number, verbatim (`NaN`, `Infinity`, `-Infinity` → string) | `N` (those → `S`) |
/// | numeric | string, exact (`"99.90"`, `"NaN"`) | `N` (`NaN`, `±Infinity` → `S`) |
/// | json, jsonb | embedded JSON, compact (whitespace outside strings removed) | `M`/`L`/`S`/`N`/`BOOL`/`NULL` |
/// | bytea | base64 string | `B` (base64) |
/// | timestamptz | `2026-01-02T03:04:05.678901Z` (`+00` → `Z`, `+05` → `+05:00`) | `S`, same text |
/// | timestamp | `2026-01-02T03:04:05` | `S`, same text |
/// | date, time, text, … | the text form as a string | `S` |
/// | array | JSON array of the elements rendered with the element kind | `L` |
///
/// `infinity`, `-infinity` and BC timestamps (`0044-03-15 12:00:00+00 BC`) stay plain strings, as
/// RFC 3339 cannot express them. An `N` is written only for numbers DynamoDB can hold (38 significant
/// digits, exponent range: `DynamoDBNumber`); others are `S` with the exact text.
public enum ValueRenderer {
    /// Writes `value` as cdcd JSON (see the table above).
    public static func writeJSON(_ value: PgValue, kind: ValueKind, into writer: inout JSONWriter) {
        guard case .text(let bytes) = value else {
            writer.writeNull()
            return
        }
        bytes.withUnsafeBufferPointer { write(text: $0, kind: kind, attributeValue: false, into: &writer) }
    }

    /// Writes `value` as a DynamoDB AttributeValue (see the table above).
    public static func writeAttributeValue(_ value: PgValue, kind: ValueKind, into writer: inout JSONWriter) {
        guard case .text(let bytes) = value else {
            writer.writeRaw("{\"NULL\":true}")
            return
        }
        bytes.withUnsafeBufferPointer { write(text: $0, kind: kind, attributeValue: true, into: &writer) }
    }

    /// Writes the text form `text` of a non-NULL value of `kind`.
    static func write(
        text: UnsafeBufferPointer<UInt8>, kind: ValueKind, attributeValue av: Bool, into w: inout JSONWriter
    ) {
        switch kind {
        case .text, .date, .time:
            writeString(text, av, &w)
        case .integer, .float:
            writeNumber(text, av, &w)
        case .numeric:
            if av { writeNumber(text, av, &w) } else { writeString(text, av, &w) }
        case .bool:
            if text.count == 1 && text[0] == UInt8(ascii: "t") {
                w.writeRaw(av ? "{\"BOOL\":true}" : "true")
            } else if text.count == 1 && text[0] == UInt8(ascii: "f") {
                w.writeRaw(av ? "{\"BOOL\":false}" : "false")
            } else {
                writeString(text, av, &w)
            }
        case .json, .jsonb:
            if !JSONTranscoder.write(text, mode: av ? .attributeValue : .compact, into: &w) {
                writeString(text, av, &w)
            }
        case .bytea:
            writeBytea(text, av, &w)
        case .timestamptz:
            writeTimestamp(text, withZone: true, av, &w)
        case .timestamp:
            writeTimestamp(text, withZone: false, av, &w)
        case .array(let element, let delimiter):
            let mark = w.bytes.count
            var parser = PgArrayParser(text, delimiter: delimiter)
            let ok = parser.write(attributeValue: av, into: &w) { item, w in
                if let item {
                    write(text: item, kind: element, attributeValue: av, into: &w)
                } else {
                    w.writeRaw(av ? "{\"NULL\":true}" : "null")
                }
            }
            if !ok {
                w.bytes.removeSubrange(mark...)
                writeString(text, av, &w)
            }
        }
    }

    @inline(__always)
    private static func writeString(_ text: UnsafeBufferPointer<UInt8>, _ av: Bool, _ w: inout JSONWriter) {
        if av { w.writeRaw("{\"S\":") }
        w.writeString(utf8: text)
        if av { w.endObject() }
    }

    /// A JSON number when `text` follows the JSON number grammar (and, for `N`, fits DynamoDB's
    /// number range: `DynamoDBNumber`), else a string (`S`).
    private static func writeNumber(_ text: UnsafeBufferPointer<UInt8>, _ av: Bool, _ w: inout JSONWriter) {
        guard JSONScanner.isNumber(text), !av || DynamoDBNumber.fits(text) else {
            writeString(text, av, &w)
            return
        }
        if av {
            w.writeRaw("{\"N\":\"")
            w.writeRaw(text)
            w.writeRaw("\"}")
        } else {
            w.writeRaw(text)
        }
    }

    // MARK: bytea

    /// `\x0102ff` (hex output) or the escape format (`\\`, `\ooo`, other bytes literal) → base64.
    private static func writeBytea(_ text: UnsafeBufferPointer<UInt8>, _ av: Bool, _ w: inout JSONWriter) {
        if text.count >= 2 && text[0] == UInt8(ascii: "\\") && text[1] == UInt8(ascii: "x") {
            let digits = text.count - 2
            guard digits % 2 == 0, text[2...].allSatisfy({ HexDigit.value($0) != nil }) else {
                writeString(text, av, &w)
                return
            }
            w.writeRaw(av ? "{\"B\":\"" : "\"")
            w.writeBase64Fragment(count: digits / 2) { i in
                HexDigit.value(text[2 &+ 2 &* i])! << 4 | HexDigit.value(text[3 &+ 2 &* i])!
            }
            w.writeRaw(av ? "\"}" : "\"")
            return
        }
        guard let decoded = decodeByteaEscape(text) else {
            writeString(text, av, &w)
            return
        }
        w.writeRaw(av ? "{\"B\":\"" : "\"")
        w.writeBase64Fragment(count: decoded.count) { decoded[$0] }
        w.writeRaw(av ? "\"}" : "\"")
    }

    /// Decodes bytea's escape output format; nil when malformed.
    private static func decodeByteaEscape(_ text: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(text.count)
        var i = 0
        while i < text.count {
            let b = text[i]
            guard b == UInt8(ascii: "\\") else {
                out.append(b)
                i += 1
                continue
            }
            if i + 1 < text.count && text[i + 1] == UInt8(ascii: "\\") {
                out.append(b)
                i += 2
                continue
            }
            guard i + 3 < text.count else { return nil }
            var v: UInt16 = 0
            for k in 1...3 {
                let d = text[i + k]
                guard d >= UInt8(ascii: "0") && d <= UInt8(ascii: "7") else { return nil }
                v = v << 3 | UInt16(d - UInt8(ascii: "0"))
            }
            guard v <= 0xFF else { return nil }
            out.append(UInt8(v))
            i += 4
        }
        return out
    }

    // MARK: timestamps

    /// ISO `YYYY-MM-DD HH:MM:SS[.f][±HH[:MM[:SS]]]` → `YYYY-MM-DDTHH:MM:SS[.f]` + `Z` / `±HH:MM[:SS]`.
    /// Anything else (`infinity`, BC dates, another DateStyle) is written as the plain text.
    private static func writeTimestamp(
        _ text: UnsafeBufferPointer<UInt8>, withZone: Bool, _ av: Bool, _ w: inout JSONWriter
    ) {
        guard let space = isoDateTimeSeparator(text) else {
            writeString(text, av, &w)
            return
        }
        let rest = space + 1
        var zoneStart = text.count
        if withZone {
            var i = rest + 8  // HH:MM:SS checked by isoDateTimeSeparator
            while i < text.count {
                if text[i] == UInt8(ascii: "+") || text[i] == UInt8(ascii: "-") {
                    zoneStart = i
                    break
                }
                i += 1
            }
        }
        // Date, time, and zone are ASCII digits and punctuation (checked), so they need no escaping.
        w.writeRaw(av ? "{\"S\":\"" : "\"")
        w.writeRaw(UnsafeBufferPointer(rebasing: text[0..<space]))
        w.writeRaw(UInt8(ascii: "T"))
        w.writeRaw(UnsafeBufferPointer(rebasing: text[rest..<zoneStart]))
        if zoneStart < text.count {
            let zone = UnsafeBufferPointer(rebasing: text[zoneStart...])
            if zone.count >= 3 && zone[1] == UInt8(ascii: "0") && zone[2] == UInt8(ascii: "0")
                && (zone.count == 3
                    || (zone.count == 6 && zone[4] == UInt8(ascii: "0") && zone[5] == UInt8(ascii: "0")))
            {
                w.writeRaw(UInt8(ascii: "Z"))
            } else {
                w.writeRaw(zone)
                if zone.count == 3 { w.writeRaw(":00") }
            }
        }
        w.writeRaw(av ? "\"}" : "\"")
    }

    /// The index of the space between date and time when `text` is an ISO timestamp of the shape
    /// above, made only of digits, `-:.+` and that one space; nil otherwise.
    private static func isoDateTimeSeparator(_ text: UnsafeBufferPointer<UInt8>) -> Int? {
        @inline(__always) func digit(_ i: Int) -> Bool {
            i < text.count && text[i] >= UInt8(ascii: "0") && text[i] <= UInt8(ascii: "9")
        }
        var i = 0
        while digit(i) { i += 1 }
        guard i >= 4, i + 6 < text.count, text[i] == UInt8(ascii: "-"), digit(i + 1), digit(i + 2),
            text[i + 3] == UInt8(ascii: "-"), digit(i + 4), digit(i + 5), text[i + 6] == 0x20
        else { return nil }
        let space = i + 6
        let t = space + 1
        guard digit(t), digit(t + 1), t + 2 < text.count, text[t + 2] == UInt8(ascii: ":"), digit(t + 3),
            digit(t + 4), t + 5 < text.count, text[t + 5] == UInt8(ascii: ":"), digit(t + 6), digit(t + 7)
        else { return nil }
        for k in (t + 8)..<text.count {
            switch text[k] {
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: ":"), UInt8(ascii: "+"),
                UInt8(ascii: "-"):
                continue
            default:
                return nil
            }
        }
        return space
    }
}
