import Testing

@testable import CDCCore

@Suite("JSONWriter")
struct JSONWriterTests {
    private static func text(_ body: (inout JSONWriter) -> Void) -> String {
        var w = JSONWriter()
        body(&w)
        return String(decoding: w.bytes, as: UTF8.self)
    }

    static let strings: [(String, String)] = [
        ("", #""""#),
        ("plain", #""plain""#),
        ("say \"hi\"", #""say \"hi\"""#),
        ("back\\slash", #""back\\slash""#),
        ("a/b", #""a/b""#),
        ("line1\nline2\r\n\ttab", #""line1\nline2\r\n\ttab""#),
        ("\u{08}\u{0C}", #""\b\f""#),
        ("\u{00}\u{01}\u{1B}\u{1F}", #""\u0000\u0001\u001b\u001f""#),
        ("\u{7F} del stays", "\"\u{7F} del stays\""),
        ("Grüße 日本 😀", "\"Grüße 日本 😀\""),
        ("\u{2028}", "\"\u{2028}\""),
    ]

    @Test("escapes strings", arguments: strings)
    func escapesStrings(input: String, expected: String) {
        #expect(Self.text { $0.writeString(input) } == expected)
        #expect(Self.text { $0.writeString(utf8: Array(input.utf8)) } == expected)
    }

    static let illFormedUTF8: [([UInt8], String)] = [
        ([0x61, 0xFF, 0x62], "\"a\u{FFFD}b\""),
        ([0xC0, 0x80], "\"\u{FFFD}\u{FFFD}\""),  // overlong NUL
        ([0xED, 0xA0, 0x80], "\"\u{FFFD}\u{FFFD}\u{FFFD}\""),  // UTF-8-encoded surrogate
        ([0xE2, 0x82], "\"\u{FFFD}\u{FFFD}\""),  // truncated
        ([0xF4, 0x90, 0x80, 0x80], "\"\u{FFFD}\u{FFFD}\u{FFFD}\u{FFFD}\""),  // > U+10FFFF
        ([0xE2, 0x82, 0xAC], "\"€\""),
        ([0xF0, 0x9F, 0x98, 0x80], "\"😀\""),
    ]

    @Test("replaces ill-formed UTF-8 with U+FFFD", arguments: illFormedUTF8)
    func replacesIllFormedUTF8(input: [UInt8], expected: String) {
        var w = JSONWriter()
        w.writeString(utf8: input)
        #expect(w.bytes == Array(expected.utf8))
    }

    static let integers: [(Int64, String)] = [
        (0, "0"), (7, "7"), (10, "10"), (-1, "-1"), (745, "745"),
        (Int64.max, "9223372036854775807"), (Int64.min, "-9223372036854775808"),
    ]

    @Test("writes integers", arguments: integers)
    func writesIntegers(value: Int64, expected: String) {
        #expect(Self.text { $0.writeInt(value) } == expected)
    }

    @Test func writesUnsignedAndPadded() {
        #expect(Self.text { $0.writeUInt(UInt64.max) } == "18446744073709551615")
        #expect(Self.text { $0.writeZeroPadded(42, width: 6) } == "000042")
        #expect(Self.text { $0.writeZeroPadded(1_234_567, width: 3) } == "1234567")
        #expect(Self.text { $0.writeZeroPadded(0, width: 0) } == "0")
        #expect(Self.text { $0.writeHexZeroPadded(0x16B3748, width: 16) } == "00000000016B3748")
        #expect(Self.text { $0.writeHexZeroPadded(0, width: 1) } == "0")
        #expect(Self.text { $0.writeHexZeroPadded(UInt64.max, width: 1) } == "FFFFFFFFFFFFFFFF")
        #expect(Self.text { $0.writeZeroPadded(UInt64.max, width: 30) } == "000000000018446744073709551615")
        #expect(Self.text { $0.writeHexZeroPadded(0xAB, width: 24) } == "0000000000000000000000AB")
        #expect(Self.text { $0.writeRaw("x"); $0.writeZeroPadded(7, width: 2); $0.writeRaw("y") } == "x07y")
    }

    // RFC 4648 §10 test vectors.
    static let base64: [(String, String)] = [
        ("", #""""#), ("f", #""Zg==""#), ("fo", #""Zm8=""#), ("foo", #""Zm9v""#),
        ("foob", #""Zm9vYg==""#), ("fooba", #""Zm9vYmE=""#), ("foobar", #""Zm9vYmFy""#),
    ]

    @Test("base64 strings", arguments: base64)
    func base64Strings(input: String, expected: String) {
        #expect(Self.text { $0.writeBase64String(Array(input.utf8)) } == expected)
    }

    @Test func base64OfAllByteValues() {
        let out = Self.text { $0.writeBase64String((0...255).map { UInt8($0) }) }
        #expect(out.hasPrefix("\"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4v"))
        #expect(out.hasSuffix("8PHy8/T19vf4+fr7/P3+/w==\""))
    }

    @Test func punctuationAndLiterals() {
        let out = Self.text { w in
            w.beginObject()
            w.writeKey("a\"b")
            w.beginArray()
            w.writeNull()
            w.comma()
            w.writeBool(true)
            w.comma()
            w.writeBool(false)
            w.comma()
            w.writeRaw("1.5")
            w.endArray()
            w.comma()
            w.writeString("k")
            w.colon()
            w.writeRaw(UInt8(ascii: "0"))
            w.endObject()
        }
        #expect(out == #"{"a\"b":[null,true,false,1.5],"k":0}"#)
    }

    @Test func stringFragmentsCompose() {
        let out = Self.text { w in
            w.writeRaw(UInt8(ascii: "\""))
            w.writeStringFragment("arn:")
            w.writeStringFragment("a \"b\"")
            w.writeRaw(UInt8(ascii: "\""))
        }
        #expect(out == #""arn:a \"b\"""#)
    }

    @Test func outputParsesBack() throws {
        var w = JSONWriter()
        let all = String((0..<0x80).map { Character(Unicode.Scalar(UInt8($0))) }) + "é😀"
        w.writeString(all)
        #expect(try JSONValue.parse(w.bytes) == .string(all))
        #expect(!w.bytes.contains(0x0A))
    }
}
