/// A JSON document as a value: what a `json`/`jsonb` column holds (for DynamoDB `M`/`L` rendering)
/// and what functions and webhooks answer.
///
/// Lossless for what matters to cdcd: numbers keep their exact text (`1.10` stays `1.10`, big
/// integers are not rounded), objects keep member order and duplicate keys as written. Equality
/// is structural and order-sensitive (`{"a":1,"b":2}` ≠ `{"b":2,"a":1}`).
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    /// A number in its exact JSON text form (must follow the JSON number grammar).
    case number(String)
    case string(String)
    case array([JSONValue])
    /// Members in document order; duplicate keys are kept (lookups see the last one).
    case object([Member])

    /// One `"key": value` member of an object.
    public struct Member: Sendable, Hashable {
        public var key: String
        public var value: JSONValue

        public init(_ key: String, _ value: JSONValue) {
            self.key = key
            self.value = value
        }
    }

    /// Arrays and objects nested deeper than this are rejected (`JSONParseError.Code.tooDeep`),
    /// which bounds the parser's stack use.
    public static let maximumDepth = 512

    // MARK: Parsing

    /// Parses exactly one JSON value (RFC 8259, strict: no comments, trailing commas, NaN, single
    /// quotes, lone surrogates or invalid UTF-8), optionally surrounded by whitespace.
    public static func parse(_ bytes: UnsafeBufferPointer<UInt8>) throws(JSONParseError) -> JSONValue {
        var scanner = JSONScanner(bytes)
        let value = try parseValue(&scanner, depth: 0)
        scanner.skipWhitespace()
        guard scanner.isAtEnd else { throw JSONParseError(.trailingData, at: scanner.index) }
        return value
    }

    /// Parses exactly one JSON value from UTF-8 bytes (see `parse(_:)` for the rules).
    public static func parse(_ bytes: [UInt8]) throws(JSONParseError) -> JSONValue {
        try bytes.withUnsafeBufferPointer { (p) throws(JSONParseError) -> JSONValue in try parse(p) }
    }

    /// Parses exactly one JSON value from a string (see `parse(_:)` for the rules).
    public static func parse(_ text: String) throws(JSONParseError) -> JSONValue {
        try parse(Array(text.utf8))
    }

    private static func parseValue(_ s: inout JSONScanner, depth: Int) throws(JSONParseError) -> JSONValue {
        switch try s.peekSignificant() {
        case UInt8(ascii: "{"):
            guard depth < maximumDepth else { throw JSONParseError(.tooDeep, at: s.index) }
            s.index += 1
            var members: [Member] = []
            if try s.peekSignificant() == UInt8(ascii: "}") {
                s.index += 1
                return .object(members)
            }
            while true {
                guard try s.peekSignificant() == UInt8(ascii: "\"") else {
                    throw JSONParseError(.unexpectedByte, at: s.index)
                }
                let (range, escaped) = try s.scanString()
                let key = s.decodeString(range, hasEscapes: escaped)
                guard try s.peekSignificant() == UInt8(ascii: ":") else {
                    throw JSONParseError(.unexpectedByte, at: s.index)
                }
                s.index += 1
                members.append(Member(key, try parseValue(&s, depth: depth + 1)))
                switch try s.peekSignificant() {
                case UInt8(ascii: ","): s.index += 1
                case UInt8(ascii: "}"):
                    s.index += 1
                    return .object(members)
                default: throw JSONParseError(.unexpectedByte, at: s.index)
                }
            }
        case UInt8(ascii: "["):
            guard depth < maximumDepth else { throw JSONParseError(.tooDeep, at: s.index) }
            s.index += 1
            var elements: [JSONValue] = []
            if try s.peekSignificant() == UInt8(ascii: "]") {
                s.index += 1
                return .array(elements)
            }
            while true {
                elements.append(try parseValue(&s, depth: depth + 1))
                switch try s.peekSignificant() {
                case UInt8(ascii: ","): s.index += 1
                case UInt8(ascii: "]"):
                    s.index += 1
                    return .array(elements)
                default: throw JSONParseError(.unexpectedByte, at: s.index)
                }
            }
        case UInt8(ascii: "\""):
            let (range, escaped) = try s.scanString()
            return .string(s.decodeString(range, hasEscapes: escaped))
        case UInt8(ascii: "t"):
            try s.scanLiteral("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try s.scanLiteral("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try s.scanLiteral("null")
            return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            let range = try s.scanNumber()
            return .number(String(decoding: UnsafeBufferPointer(rebasing: s.input[range]), as: UTF8.self))
        default:
            throw JSONParseError(.unexpectedByte, at: s.index)
        }
    }

    // MARK: Writing

    /// Writes the value as compact JSON (no whitespace; strings escaped as `JSONWriter` does;
    /// numbers verbatim).
    public func write(into writer: inout JSONWriter) {
        switch self {
        case .null: writer.writeNull()
        case .bool(let b): writer.writeBool(b)
        case .number(let text):
            var text = text
            text.withUTF8 { writer.writeRaw($0) }
        case .string(let s): writer.writeString(s)
        case .array(let elements):
            writer.beginArray()
            for (i, element) in elements.enumerated() {
                if i > 0 { writer.comma() }
                element.write(into: &writer)
            }
            writer.endArray()
        case .object(let members):
            writer.beginObject()
            for (i, member) in members.enumerated() {
                if i > 0 { writer.comma() }
                writer.writeKey(member.key)
                member.value.write(into: &writer)
            }
            writer.endObject()
        }
    }

    /// The value as compact JSON bytes (see `write(into:)`).
    public var jsonBytes: [UInt8] {
        var writer = JSONWriter(capacity: 64)
        write(into: &writer)
        return writer.bytes
    }

    // MARK: Access

    /// The value of the last member named `key`; nil when absent or when this is not an object.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.last(where: { $0.key == key })?.value
    }

    /// The element at `index`; nil when out of range or when this is not an array.
    public subscript(index: Int) -> JSONValue? {
        guard case .array(let elements) = self, elements.indices.contains(index) else { return nil }
        return elements[index]
    }

    /// The string, when this is a string.
    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// The elements, when this is an array.
    public var arrayValue: [JSONValue]? {
        if case .array(let a) = self { return a }
        return nil
    }

    /// The members, when this is an object.
    public var members: [Member]? {
        if case .object(let m) = self { return m }
        return nil
    }
}
