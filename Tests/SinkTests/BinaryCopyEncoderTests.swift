import LibPQ
import Testing

@testable import Sinks

/// The conversions from PostgreSQL's text output to COPY's binary format, on bytes. Expected
/// values are PostgreSQL 15's own (`*_send` functions, date and timestamp arithmetic).
@Suite("Postgres sink: binary COPY fields")
struct BinaryCopyEncoderTests {
    /// The field written for `text` (length, then value), nil when the text is not converted.
    static func field(_ text: String, _ kind: BinaryCopyEncoder.Kind) -> [UInt8]? {
        var buffer = CopyInBuffer(capacity: 64)
        let converted = Array(text.utf8).withUnsafeBytes { BinaryCopyEncoder.appendField($0, kind: kind, to: &buffer) }
        return converted ? buffer.bytes : nil
    }

    /// A field's expected bytes: its length, then `hex`.
    static func bytes(_ hex: String) -> [UInt8] {
        var value: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            value.append(UInt8(hex[index..<next], radix: 16)!)
            index = next
        }
        let count = UInt32(value.count)
        return [UInt8(count >> 24), UInt8(count >> 16 & 0xFF), UInt8(count >> 8 & 0xFF), UInt8(count & 0xFF)] + value
    }

    static func integer(_ text: String) -> Int64? {
        Array(text.utf8).withUnsafeBytes { BinaryCopyEncoder.integer($0) }
    }

    static func date(_ text: String) -> Int32? {
        Array(text.utf8).withUnsafeBytes { BinaryCopyEncoder.date($0) }
    }

    static func timestamp(_ text: String, withZone: Bool = true) -> Int64? {
        Array(text.utf8).withUnsafeBytes { BinaryCopyEncoder.timestamp($0, withZone: withZone) }
    }

    @Test func integersWithinTheirTypesRange() {
        #expect(Self.integer("0") == 0)
        #expect(Self.integer("-42") == -42)
        #expect(Self.integer("9223372036854775807") == .max)
        #expect(Self.integer("-9223372036854775808") == .min)
        #expect(Self.integer("9223372036854775808") == nil)
        #expect(Self.integer("-9223372036854775809") == nil)
        for text in ["", "-", "+1", "1.0", "1e3", " 1", "12345678901234567890"] {
            #expect(Self.integer(text) == nil, "\(text)")
        }
        #expect(Self.field("9007199254740993", .int8) == Self.bytes("0020000000000001"))
        #expect(Self.field("-2", .int4) == Self.bytes("fffffffe"))
        #expect(Self.field("2147483648", .int4) == nil)
        #expect(Self.field("-32768", .int2) == Self.bytes("8000"))
        #expect(Self.field("32768", .int2) == nil)
        #expect(Self.field("4294967295", .oid) == Self.bytes("ffffffff"))
        #expect(Self.field("-1", .oid) == nil)
    }

    @Test func boolsFloatsTextsAndJSONB() {
        #expect(Self.field("t", .bool) == Self.bytes("01"))
        #expect(Self.field("f", .bool) == Self.bytes("00"))
        #expect(Self.field("true", .bool) == nil)
        // float8send(0.1), float4send(0.1)
        #expect(Self.field("0.1", .float8) == Self.bytes("3fb999999999999a"))
        #expect(Self.field("0.1", .float4) == Self.bytes("3dcccccd"))
        #expect(Self.field("1e+300", .float8) == Self.bytes("7e37e43c8800759c"))
        #expect(Self.field("-0", .float8) == Self.bytes("8000000000000000"))
        #expect(Self.field("NaN", .float8) == Self.bytes("7ff8000000000000"))
        #expect(Self.field("-Infinity", .float8) == Self.bytes("fff0000000000000"))
        #expect(Self.field("Infinity", .float4) == Self.bytes("7f800000"))
        for text in ["0x1p3", "inf", "nan", " 1", "1,5", ""] {
            #expect(Self.field(text, .float8) == nil, "\(text)")
        }
        #expect(Self.field("h\u{e9}\tllo\\", .text) == [0, 0, 0, 8] + Array("h\u{e9}\tllo\\".utf8))
        #expect(Self.field("", .text) == [0, 0, 0, 0])
        #expect(Self.field(#"{"a": 1}"#, .jsonb) == [0, 0, 0, 9, 1] + Array(#"{"a": 1}"#.utf8))
    }

    @Test func byteaAndUUID() {
        #expect(Self.field(#"\x00ff10"#, .bytea) == Self.bytes("00ff10"))
        #expect(Self.field(#"\x"#, .bytea) == [0, 0, 0, 0])
        #expect(Self.field(#"\x0g"#, .bytea) == nil)
        #expect(Self.field(#"\000"#, .bytea) == nil)  // escape format: not converted
        #expect(Self.field("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", .uuid) == Self.bytes("a0eebc999c0b4ef8bb6d6bb9bd380a11"))
        #expect(Self.field("A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11", .uuid) == Self.bytes("a0eebc999c0b4ef8bb6d6bb9bd380a11"))
        #expect(Self.field("a0eebc999c0b4ef8bb6d6bb9bd380a11", .uuid) == nil)
        #expect(Self.field("{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}", .uuid) == nil)
    }

    @Test func datesAsDaysFrom2000() {
        #expect(Self.date("2000-01-01") == 0)
        #expect(Self.date("1999-12-31") == -1)
        #expect(Self.date("2024-02-29") == 8825)
        #expect(Self.date("0001-01-01 BC") == -730_485)
        #expect(Self.date("4713-01-01 BC") == -2_451_507)
        #expect(Self.date("5874897-12-31") == 2_145_031_948)
        #expect(Self.date("infinity") == .max)
        #expect(Self.date("-infinity") == .min)
        for text in ["2023-02-29", "2024-13-01", "2024-00-10", "2024-01-32", "24-01-01", "2024-1-01", "2024-01-01 AD",
            "01/02/2024", "2024-01-01 BCE", "4714-01-01 BC", "0000-01-01"]
        {
            #expect(Self.date(text) == nil, "\(text)")
        }
    }

    @Test func timestampsAsMicrosecondsFrom2000() {
        #expect(Self.timestamp("2026-01-02 03:04:05.678901+00") == 820_638_245_678_901)
        #expect(Self.timestamp("2026-01-02 03:04:05+05:30") == 820_618_445_000_000)
        #expect(Self.timestamp("2026-01-02 08:34:05+05:30") == Self.timestamp("2026-01-02 03:04:05+00"))
        #expect(Self.timestamp("2026-01-01 23:04:05-04") == Self.timestamp("2026-01-02 03:04:05+00"))
        #expect(Self.timestamp("2026-01-02 03:04:05+00:00:30")! + 30_000_000 == Self.timestamp("2026-01-02 03:04:05+00"))
        #expect(Self.timestamp("0044-03-15 12:00:00+00 BC") == -64_464_465_600_000_000)
        #expect(Self.timestamp("2000-01-01 00:00:00.5", withZone: false) == 500_000)
        #expect(Self.timestamp("infinity") == .max)
        #expect(Self.timestamp("-infinity", withZone: false) == .min)
        // timestamptz_send('2026-01-02 03:04:05.5+00'), timestamp_send('294276-12-31 23:59:59.999999')
        #expect(Self.field("2026-01-02 03:04:05.5+00", .timestamptz) == Self.bytes("0002ea5dbb1cb460"))
        #expect(Self.field("294276-12-31 23:59:59.999999", .timestamp) == Self.bytes("7fffff5bb3b29fff"))
        for text in ["2026-01-02 03:04:05", "2026-01-02T03:04:05+00", "2026-01-02 24:00:00+00", "2026-01-02 03:04:60+00",
            "2026-01-02 03:04:05.1234567+00", "2026-01-02 03:04:05.+00", "2026-01-02 03:04:05 UTC",
            "Fri Jan 02 03:04:05 2026 UTC", "2026-01-02 03:04:05+00 AD"]
        {
            #expect(Self.timestamp(text) == nil, "\(text)")
        }
        #expect(Self.timestamp("2026-01-02 03:04:05+00", withZone: false) == nil)
    }

    @Test func numericsAsBase10000Digits() {
        // numeric_send(12345678901234567890.123456789): 8 digits, weight 4, positive, scale 9.
        #expect(
            Self.field("12345678901234567890.123456789", .numeric)
                == Self.bytes("000800040000000904d2162e23340d801ed204d2162e2328"))
        // -0.5 as [0, 5000] with weight 0 (numeric_recv strips the leading zero group).
        #expect(Self.field("-0.5", .numeric) == Self.bytes("0002" + "0000" + "4000" + "0001" + "0000" + "1388"))
        // 1.50: scale 2 kept.
        #expect(Self.field("1.50", .numeric) == Self.bytes("0002" + "0000" + "0000" + "0002" + "0001" + "1388"))
        #expect(Self.field("0", .numeric) == Self.bytes("0001" + "0000" + "0000" + "0000" + "0000"))
        #expect(Self.field("10000", .numeric) == Self.bytes("0002" + "0001" + "0000" + "0000" + "0001" + "0000"))
        #expect(Self.field("NaN", .numeric) == Self.bytes("0000" + "0000" + "c000" + "0000"))
        #expect(Self.field("Infinity", .numeric) == Self.bytes("0000" + "0000" + "d000" + "0000"))
        #expect(Self.field("-Infinity", .numeric) == Self.bytes("0000" + "0000" + "f000" + "0000"))
        for text in ["", "-", ".5", "5.", "1.2.3", "1e5", "+1", "--1", "1,5", "nan"] {
            #expect(Self.field(text, .numeric) == nil, "\(text)")
        }
    }

    @Test func onlyTypesWithAConversionHaveAKind() {
        #expect(BinaryCopyEncoder.kind(ofType: 1184) == .timestamptz)
        #expect(BinaryCopyEncoder.kind(ofType: 1043) == .text)
        for oid: UInt32 in [1083, 1266, 1186, 3904, 1007, 16_384] {  // time, timetz, interval, int4range, int4[], a user type
            #expect(BinaryCopyEncoder.kind(ofType: oid) == nil, "\(oid)")
        }
    }
}
