/// Why a byte sequence is not valid JSON (RFC 8259), and where: `offset` is the index of the first
/// offending byte (the input's length when the input ends too early).
public struct JSONParseError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of mistake.
    public enum Code: String, Sendable, Hashable {
        /// The input ended inside a value (or was empty).
        case unexpectedEnd
        /// A byte that cannot start or continue a value here.
        case unexpectedByte
        /// A number that does not follow the JSON grammar (leading zero, missing digits, …).
        case invalidNumber
        /// A backslash escape other than `\" \\ \/ \b \f \n \r \t \uXXXX`.
        case invalidEscape
        /// A lone or mismatched UTF-16 surrogate in `\u` escapes.
        case invalidSurrogate
        /// An unescaped control character (U+0000–U+001F) inside a string.
        case controlCharacterInString
        /// Bytes that are not well-formed UTF-8.
        case invalidUTF8
        /// More than `JSONValue.maximumDepth` nested arrays/objects.
        case tooDeep
        /// Non-whitespace after the top-level value.
        case trailingData
    }

    public var code: Code
    /// Byte offset into the input of the first offending byte.
    public var offset: Int

    public init(_ code: Code, at offset: Int) {
        self.code = code
        self.offset = offset
    }

    public var description: String {
        let what: String
        switch code {
        case .unexpectedEnd: what = "unexpected end of input"
        case .unexpectedByte: what = "unexpected character"
        case .invalidNumber: what = "malformed number"
        case .invalidEscape: what = "invalid escape sequence in string"
        case .invalidSurrogate: what = "invalid UTF-16 surrogate in \\u escape"
        case .controlCharacterInString: what = "unescaped control character in string"
        case .invalidUTF8: what = "invalid UTF-8"
        case .tooDeep: what = "nesting deeper than \(JSONValue.maximumDepth) levels"
        case .trailingData: what = "unexpected data after the JSON value"
        }
        return "invalid JSON at byte \(offset): \(what)"
    }
}
