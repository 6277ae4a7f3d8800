import Testing

@testable import CDCCore

@Suite("JSONValue")
struct JSONValueTests {
    static let valid: [(String, JSONValue, String)] = [
        // input, value, compact re-serialisation
        ("null", .null, "null"),
        (" true ", true, "true"),
        ("\n\tfalse\r\n", false, "false"),
        ("0", .number("0"), "0"),
        ("-0", .number("-0"), "-0"),
        ("1.10", .number("1.10"), "1.10"),
        ("-12.5e-3", .number("-12.5e-3"), "-12.5e-3"),
        ("1E+400", .number("1E+400"), "1E+400"),
        ("123456789012345678901234567890", .number("123456789012345678901234567890"), "123456789012345678901234567890"),
        (#""""#, "", #""""#),
        (#""a\"b\\c\/d\b\f\n\r\t""#, "a\"b\\c/d\u{08}\u{0C}\n\r\t", #""a\"b\\c/d\b\f\n\r\t""#),
        (#""\u00e9\u0000\uD83D\uDE00""#, "é\u{0}😀", "\"é\\u0000😀\""),
        ("\"Grüße 😀\"", "Grüße 😀", "\"Grüße 😀\""),
        ("[]", [], "[]"),
        ("{}", [:], "{}"),
        ("[1, [2, []], {\"a\" : null}]", [1, [2, []], ["a": .null]], #"[1,[2,[]],{"a":null}]"#),
        (
            #"{"b": 1, "a": [true, "x"], "b": 2}"#, ["b": 1, "a": [true, "x"], "b": 2], #"{"b":1,"a":[true,"x"],"b":2}"#
        ),
    ]

    @Test("parses valid JSON and writes it back compactly", arguments: valid)
    func parsesValid(input: String, expected: JSONValue, compact: String) throws {
        let value = try JSONValue.parse(input)
        #expect(value == expected)
        #expect(String(decoding: value.jsonBytes, as: UTF8.self) == compact)
        #expect(try JSONValue.parse(value.jsonBytes) == value)
    }

    static let invalid: [(String, JSONParseError.Code, Int)] = [
        ("", .unexpectedEnd, 0),
        ("   ", .unexpectedEnd, 3),
        ("nul", .unexpectedEnd, 3),
        ("nulx", .unexpectedByte, 3),
        ("True", .unexpectedByte, 0),
        ("NaN", .unexpectedByte, 0),
        ("01", .trailingData, 1),
        ("1.", .unexpectedEnd, 2),
        ("1.e3", .invalidNumber, 2),
        ("-", .unexpectedEnd, 1),
        ("-a", .invalidNumber, 1),
        ("+1", .unexpectedByte, 0),
        ("1e", .unexpectedEnd, 2),
        (".5", .unexpectedByte, 0),
        ("[1,]", .unexpectedByte, 3),
        ("[1 2]", .unexpectedByte, 3),
        ("{\"a\":1,}", .unexpectedByte, 7),
        ("{a:1}", .unexpectedByte, 1),
        ("{\"a\" 1}", .unexpectedByte, 5),
        ("{'a':1}", .unexpectedByte, 1),
        ("[1] x", .trailingData, 4),
        ("\"abc", .unexpectedEnd, 4),
        ("\"a\nb\"", .controlCharacterInString, 2),
        ("\"a\tb\"", .controlCharacterInString, 2),
        (#""\x""#, .invalidEscape, 1),
        (#""\u12G4""#, .invalidEscape, 5),
        (#""\uD83D""#, .invalidSurrogate, 1),
        (#""\uD83Dx""#, .invalidSurrogate, 1),
        (#""\uD83D\u0041""#, .invalidSurrogate, 7),
        (#""\uDE00""#, .invalidSurrogate, 1),
        ("[", .unexpectedEnd, 1),
        ("{\"a\":", .unexpectedEnd, 5),
        ("// c\n1", .unexpectedByte, 0),
    ]

    @Test("rejects invalid JSON with the byte offset", arguments: invalid)
    func rejectsInvalid(input: String, code: JSONParseError.Code, offset: Int) {
        #expect(throws: JSONParseError(code, at: offset)) { try JSONValue.parse(input) }
    }

    @Test func rejectsInvalidUTF8() {
        #expect(throws: JSONParseError(.invalidUTF8, at: 2)) { try JSONValue.parse([0x22, 0x61, 0xFF, 0x22]) }
        #expect(throws: JSONParseError(.invalidUTF8, at: 1)) { try JSONValue.parse([0x22, 0xED, 0xA0, 0x80, 0x22]) }
    }

    @Test func limitsDepth() throws {
        let ok =
            String(repeating: "[", count: JSONValue.maximumDepth)
            + String(repeating: "]", count: JSONValue.maximumDepth)
        _ = try JSONValue.parse(ok)
        let deep = "[" + ok + "]"
        #expect(throws: JSONParseError(.tooDeep, at: JSONValue.maximumDepth)) { try JSONValue.parse(deep) }
        let deepObject = String(repeating: "{\"a\":", count: 600) + "1" + String(repeating: "}", count: 600)
        #expect(throws: JSONParseError.self) { try JSONValue.parse(deepObject) }
    }

    @Test func errorDescriptionNamesOffset() {
        #expect(
            JSONParseError(.trailingData, at: 4).description
                == "invalid JSON at byte 4: unexpected data after the JSON value")
    }

    @Test func accessors() throws {
        let v = try JSONValue.parse(#"{"batchItemFailures":[{"itemIdentifier":"0001"}],"k":1,"k":2}"#)
        #expect(v["batchItemFailures"]?[0]?["itemIdentifier"]?.stringValue == "0001")
        #expect(v["k"] == .number("2"))
        #expect(v["missing"] == nil)
        #expect(v[0] == nil)
        #expect(v["batchItemFailures"]?.arrayValue?.count == 1)
        #expect(v.members?.map(\.key) == ["batchItemFailures", "k", "k"])
        #expect(JSONValue.string("x")["k"] == nil)
    }

    @Test func writesEscapedStringsAndKeys() {
        let v: JSONValue = ["line\n": "tab\there \"q\" \u{1}", "n": .number("1e-7")]
        #expect(String(decoding: v.jsonBytes, as: UTF8.self) == #"{"line\n":"tab\there \"q\" \u0001","n":1e-7}"#)
    }

    @Test func equalityIsOrderSensitive() throws {
        #expect(try JSONValue.parse(#"{"a":1,"b":2}"#) != JSONValue.parse(#"{"b":2,"a":1}"#))
        #expect(try JSONValue.parse("1.0") != JSONValue.parse("1"))
    }
}
