import Testing

@testable import CDCCore

@Suite("ValueRenderer")
struct ValueRendererTests {
    /// One value of one kind and its two renderings.
    struct Case: Sendable, CustomTestStringConvertible {
        var kind: ValueKind
        var text: String
        var cdcd: String
        var attributeValue: String

        init(_ kind: ValueKind, _ text: String, _ cdcd: String, _ attributeValue: String) {
            self.kind = kind
            self.text = text
            self.cdcd = cdcd
            self.attributeValue = attributeValue
        }

        var testDescription: String { "\(kind) \(text.debugDescription)" }
    }

    static func render(_ value: PgValue, _ kind: ValueKind, attributeValue: Bool) -> String {
        var w = JSONWriter()
        if attributeValue {
            ValueRenderer.writeAttributeValue(value, kind: kind, into: &w)
        } else {
            ValueRenderer.writeJSON(value, kind: kind, into: &w)
        }
        return String(decoding: w.bytes, as: UTF8.self)
    }

    static let intArray = ValueKind.array(element: .integer, delimiter: UInt8(ascii: ","))
    static let textArray = ValueKind.array(element: .text, delimiter: UInt8(ascii: ","))

    static let cases: [Case] = [
        // bool
        Case(.bool, "t", "true", #"{"BOOL":true}"#),
        Case(.bool, "f", "false", #"{"BOOL":false}"#),
        Case(.bool, "yes", #""yes""#, #"{"S":"yes"}"#),
        // integer
        Case(.integer, "42", "42", #"{"N":"42"}"#),
        Case(.integer, "-9223372036854775808", "-9223372036854775808", #"{"N":"-9223372036854775808"}"#),
        Case(.integer, "0", "0", #"{"N":"0"}"#),
        Case(.integer, "007", #""007""#, #"{"S":"007"}"#),  // not a JSON number: never emit invalid JSON
        // float
        Case(.float, "1.5", "1.5", #"{"N":"1.5"}"#),
        Case(.float, "-0", "-0", #"{"N":"-0"}"#),
        Case(.float, "1e+20", "1e+20", #"{"N":"1e+20"}"#),
        Case(.float, "1.2345678901234567e-05", "1.2345678901234567e-05", #"{"N":"1.2345678901234567e-05"}"#),
        Case(.float, "NaN", #""NaN""#, #"{"S":"NaN"}"#),
        Case(.float, "Infinity", #""Infinity""#, #"{"S":"Infinity"}"#),
        Case(.float, "-Infinity", #""-Infinity""#, #"{"S":"-Infinity"}"#),
        Case(.float, "1e+300", "1e+300", #"{"S":"1e+300"}"#),  // beyond DynamoDB's range
        Case(.float, "5e-324", "5e-324", #"{"S":"5e-324"}"#),
        // numeric
        Case(.numeric, "99.90", #""99.90""#, #"{"N":"99.90"}"#),
        Case(.numeric, "-0.000001", #""-0.000001""#, #"{"N":"-0.000001"}"#),
        Case(.numeric, "NaN", #""NaN""#, #"{"S":"NaN"}"#),
        Case(.numeric, "Infinity", #""Infinity""#, #"{"S":"Infinity"}"#),
        Case(.numeric, "-Infinity", #""-Infinity""#, #"{"S":"-Infinity"}"#),
        Case(
            .numeric, "12345678901234567890123456789012345678", #""12345678901234567890123456789012345678""#,
            #"{"N":"12345678901234567890123456789012345678"}"#),
        Case(
            .numeric, "123456789012345678901234567890123456789", #""123456789012345678901234567890123456789""#,
            #"{"S":"123456789012345678901234567890123456789"}"#),  // 39 significant digits
        Case(
            .numeric, "1000000000000000000000000000000000000000.000",
            #""1000000000000000000000000000000000000000.000""#,
            #"{"N":"1000000000000000000000000000000000000000.000"}"#),  // trailing zeros do not count
        // json / jsonb
        Case(
            .json, "{\"a\": 1,\n \"b\": [1, 2, {\"c\": \"x y\"}]\n}", #"{"a":1,"b":[1,2,{"c":"x y"}]}"#,
            #"{"M":{"a":{"N":"1"},"b":{"L":[{"N":"1"},{"N":"2"},{"M":{"c":{"S":"x y"}}}]}}}"#),
        Case(.json, #"  "line1\nline2"  "#, #""line1\nline2""#, #"{"S":"line1\nline2"}"#),
        Case(.json, "null", "null", #"{"NULL":true}"#),
        Case(.json, "[]", "[]", #"{"L":[]}"#),
        Case(.json, "{}", "{}", #"{"M":{}}"#),
        Case(.json, #"{"k": 1, "k": 2}"#, #"{"k":1,"k":2}"#, #"{"M":{"k":{"N":"1"},"k":{"N":"2"}}}"#),
        Case(.json, "{bad", #""{bad""#, #"{"S":"{bad"}"#),
        Case(
            .jsonb, #"{"a": "b", "n": null, "t": true, "f": false, "x": 1.50, "big": 1e400, "u": "\u00e9"}"#,
            #"{"a":"b","n":null,"t":true,"f":false,"x":1.50,"big":1e400,"u":"\u00e9"}"#,
            #"{"M":{"a":{"S":"b"},"n":{"NULL":true},"t":{"BOOL":true},"f":{"BOOL":false},"x":{"N":"1.50"},"big":{"S":"1e400"},"u":{"S":"\u00e9"}}}"#
        ),
        Case(.jsonb, "42", "42", #"{"N":"42"}"#),
        Case(.jsonb, #"[{"a": [[]]}]"#, #"[{"a":[[]]}]"#, #"{"L":[{"M":{"a":{"L":[{"L":[]}]}}}]}"#),
        // bytea
        Case(.bytea, #"\x0102ff"#, #""AQL/""#, #"{"B":"AQL/"}"#),
        Case(.bytea, #"\x"#, #""""#, #"{"B":""}"#),
        Case(.bytea, #"\xDEADbeef"#, #""3q2+7w==""#, #"{"B":"3q2+7w=="}"#),
        Case(.bytea, #"abc\\\000"#, #""YWJjXAA=""#, #"{"B":"YWJjXAA="}"#),  // escape output format
        Case(.bytea, #"\x0"#, #""\\x0""#, #"{"S":"\\x0"}"#),
        // timestamptz
        Case(
            .timestamptz, "2026-01-02 03:04:05.678901+00", #""2026-01-02T03:04:05.678901Z""#,
            #"{"S":"2026-01-02T03:04:05.678901Z"}"#),
        Case(.timestamptz, "2026-01-02 03:04:05+00", #""2026-01-02T03:04:05Z""#, #"{"S":"2026-01-02T03:04:05Z"}"#),
        Case(
            .timestamptz, "2026-01-02 03:04:05+05:30", #""2026-01-02T03:04:05+05:30""#,
            #"{"S":"2026-01-02T03:04:05+05:30"}"#),
        Case(
            .timestamptz, "2026-01-02 03:04:05.1-08", #""2026-01-02T03:04:05.1-08:00""#,
            #"{"S":"2026-01-02T03:04:05.1-08:00"}"#),
        Case(.timestamptz, "10000-01-01 00:00:00+00", #""10000-01-01T00:00:00Z""#, #"{"S":"10000-01-01T00:00:00Z"}"#),
        Case(.timestamptz, "infinity", #""infinity""#, #"{"S":"infinity"}"#),
        Case(.timestamptz, "-infinity", #""-infinity""#, #"{"S":"-infinity"}"#),
        Case(
            .timestamptz, "0044-03-15 12:00:00+00 BC", #""0044-03-15 12:00:00+00 BC""#,
            #"{"S":"0044-03-15 12:00:00+00 BC"}"#),
        Case(
            .timestamptz, "Sat Jan 02 03:04:05 2026 UTC", #""Sat Jan 02 03:04:05 2026 UTC""#,
            #"{"S":"Sat Jan 02 03:04:05 2026 UTC"}"#),
        // timestamp, date, time
        Case(.timestamp, "2026-01-02 03:04:05", #""2026-01-02T03:04:05""#, #"{"S":"2026-01-02T03:04:05"}"#),
        Case(.timestamp, "2026-01-02 03:04:05.5", #""2026-01-02T03:04:05.5""#, #"{"S":"2026-01-02T03:04:05.5"}"#),
        Case(.timestamp, "0044-03-15 12:00:00 BC", #""0044-03-15 12:00:00 BC""#, #"{"S":"0044-03-15 12:00:00 BC"}"#),
        Case(.timestamp, "infinity", #""infinity""#, #"{"S":"infinity"}"#),
        Case(.date, "2026-01-02", #""2026-01-02""#, #"{"S":"2026-01-02"}"#),
        Case(.date, "0044-03-15 BC", #""0044-03-15 BC""#, #"{"S":"0044-03-15 BC"}"#),
        Case(.time, "03:04:05.123", #""03:04:05.123""#, #"{"S":"03:04:05.123"}"#),
        Case(.time, "03:04:05+02", #""03:04:05+02""#, #"{"S":"03:04:05+02"}"#),
        // text and everything else
        Case(.text, "", #""""#, #"{"S":""}"#),
        Case(.text, "Grüße 😀", "\"Grüße 😀\"", "{\"S\":\"Grüße 😀\"}"),
        Case(.text, "a\u{01}b\tc\nd\"e\\f", #""a\u0001b\tc\nd\"e\\f""#, #"{"S":"a\u0001b\tc\nd\"e\\f"}"#),
        Case(.text, "1 day 02:00:00", #""1 day 02:00:00""#, #"{"S":"1 day 02:00:00"}"#),
        Case(.text, "(1,\"a b\")", #""(1,\"a b\")""#, #"{"S":"(1,\"a b\")"}"#),
        // arrays
        Case(intArray, "{1,2,3}", "[1,2,3]", #"{"L":[{"N":"1"},{"N":"2"},{"N":"3"}]}"#),
        Case(
            intArray, "{{1,2},{3,4}}", "[[1,2],[3,4]]",
            #"{"L":[{"L":[{"N":"1"},{"N":"2"}]},{"L":[{"N":"3"},{"N":"4"}]}]}"#),
        Case(intArray, "{}", "[]", #"{"L":[]}"#),
        Case(intArray, "{1,NULL}", "[1,null]", #"{"L":[{"N":"1"},{"NULL":true}]}"#),
        Case(intArray, "[0:1]={1,2}", "[1,2]", #"{"L":[{"N":"1"},{"N":"2"}]}"#),
        Case(intArray, " { 1 , 2 } ", "[1,2]", #"{"L":[{"N":"1"},{"N":"2"}]}"#),
        Case(intArray, "{1,2", #""{1,2""#, #"{"S":"{1,2"}"#),
        Case(intArray, "{1,,2}", #""{1,,2}""#, #"{"S":"{1,,2}"}"#),
        Case(intArray, "{1}x", #""{1}x""#, #"{"S":"{1}x"}"#),
        Case(
            textArray, #"{"a b",NULL,"x\"y"}"#, #"["a b",null,"x\"y"]"#,
            #"{"L":[{"S":"a b"},{"NULL":true},{"S":"x\"y"}]}"#),
        Case(
            textArray, #"{"NULL",null,NULL,Null}"#, #"["NULL",null,null,null]"#,
            #"{"L":[{"S":"NULL"},{"NULL":true},{"NULL":true},{"NULL":true}]}"#),
        Case(textArray, #"{"a\\b","",c\,d}"#, #"["a\\b","","c,d"]"#, #"{"L":[{"S":"a\\b"},{"S":""},{"S":"c,d"}]}"#),
        Case(
            textArray, #"{{"a,b",c},{"{}",NULLS}}"#, #"[["a,b","c"],["{}","NULLS"]]"#,
            #"{"L":[{"L":[{"S":"a,b"},{"S":"c"}]},{"L":[{"S":"{}"},{"S":"NULLS"}]}]}"#),
        Case(textArray, #"[1:2][1:1]={{a},{b}}"#, #"[["a"],["b"]]"#, #"{"L":[{"L":[{"S":"a"}]},{"L":[{"S":"b"}]}]}"#),
        Case(textArray, "{a b,\"é 😀\"}", "[\"a b\",\"é 😀\"]", "{\"L\":[{\"S\":\"a b\"},{\"S\":\"é 😀\"}]}"),
        Case(textArray, "{\"line\nbreak\"}", #"["line\nbreak"]"#, #"{"L":[{"S":"line\nbreak"}]}"#),
        Case(
            .array(element: .bool, delimiter: UInt8(ascii: ",")), "{t,f,NULL}", "[true,false,null]",
            #"{"L":[{"BOOL":true},{"BOOL":false},{"NULL":true}]}"#),
        Case(
            .array(element: .float, delimiter: UInt8(ascii: ",")), "{NaN,1.5,-Infinity}", #"["NaN",1.5,"-Infinity"]"#,
            #"{"L":[{"S":"NaN"},{"N":"1.5"},{"S":"-Infinity"}]}"#),
        Case(
            .array(element: .numeric, delimiter: UInt8(ascii: ",")), "{1.50,NaN}", #"["1.50","NaN"]"#,
            #"{"L":[{"N":"1.50"},{"S":"NaN"}]}"#),
        Case(
            .array(element: .jsonb, delimiter: UInt8(ascii: ",")), #"{"{\"a\": 1}","[1, 2]",NULL}"#,
            #"[{"a":1},[1,2],null]"#,
            #"{"L":[{"M":{"a":{"N":"1"}}},{"L":[{"N":"1"},{"N":"2"}]},{"NULL":true}]}"#),
        Case(
            .array(element: .bytea, delimiter: UInt8(ascii: ",")), #"{"\\x01ff",NULL}"#, #"["Af8=",null]"#,
            #"{"L":[{"B":"Af8="},{"NULL":true}]}"#),
        Case(
            .array(element: .timestamptz, delimiter: UInt8(ascii: ",")), #"{"2026-01-02 03:04:05+00",infinity}"#,
            #"["2026-01-02T03:04:05Z","infinity"]"#, #"{"L":[{"S":"2026-01-02T03:04:05Z"},{"S":"infinity"}]}"#),
        Case(
            .array(element: .text, delimiter: UInt8(ascii: ";")), "{(1,1),(0,0);(2,2),(1,1)}",
            #"["(1,1),(0,0)","(2,2),(1,1)"]"#, #"{"L":[{"S":"(1,1),(0,0)"},{"S":"(2,2),(1,1)"}]}"#),
    ]

    @Test("renders every kind", arguments: cases)
    func rendersKind(_ c: Case) throws {
        let cdcd = Self.render(.text(Array(c.text.utf8)), c.kind, attributeValue: false)
        let av = Self.render(.text(Array(c.text.utf8)), c.kind, attributeValue: true)
        #expect(cdcd == c.cdcd)
        #expect(av == c.attributeValue)
        // Always one valid JSON value on one line.
        _ = try JSONValue.parse(cdcd)
        _ = try JSONValue.parse(av)
        #expect(!cdcd.utf8.contains(0x0A) && !av.utf8.contains(0x0A))
    }

    static let allKinds: [ValueKind] = [
        .bool, .integer, .float, .numeric, .json, .jsonb, .bytea, .timestamptz, .timestamp, .date, .time, .text,
        intArray,
    ]

    @Test("NULL and unchanged TOAST render as null", arguments: allKinds)
    func rendersNull(kind: ValueKind) {
        for value in [PgValue.null, .unchangedToast] {
            #expect(Self.render(value, kind, attributeValue: false) == "null")
            #expect(Self.render(value, kind, attributeValue: true) == #"{"NULL":true}"#)
        }
    }

    @Test("ill-formed UTF-8 in text still gives valid JSON", arguments: allKinds)
    func illFormedUTF8(kind: ValueKind) throws {
        let bytes: [UInt8] = [0x7B, 0x61, 0xFF, 0x7D]  // "{a\xFF}"
        _ = try JSONValue.parse(Self.render(.text(bytes), kind, attributeValue: false))
        _ = try JSONValue.parse(Self.render(.text(bytes), kind, attributeValue: true))
    }

    @Test func deepJSONFallsBackToString() throws {
        let deep = String(repeating: "[", count: 600) + String(repeating: "]", count: 600)
        let out = Self.render(.text(Array(deep.utf8)), .jsonb, attributeValue: false)
        #expect(try JSONValue.parse(out) == .string(deep))
    }

    @Test func byteaRoundTripsAllLengths() {
        for length in 0..<8 {
            let data = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 97 &+ 13) }
            let hex = "\\x" + data.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
            var expected = JSONWriter()
            expected.writeBase64String(data)
            #expect(
                Self.render(.text(Array(hex.utf8)), .bytea, attributeValue: false).utf8.elementsEqual(expected.bytes))
        }
    }
}
