import CDCCore
import Testing

/// A column value's bytes: inline up to 15 bytes, in an array beyond, the same value either way.
@Suite("PgText")
struct PgTextTests {
    /// Values of every length around the inline limit, built from an array and from a buffer.
    @Test(arguments: [0, 1, 7, 8, 9, 14, 15, 16, 17, 64, 1000])
    func bytesRoundTrip(length: Int) {
        let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
        let fromArray = PgText(bytes)
        let fromBuffer = bytes.withUnsafeBytes { PgText($0) }
        #expect(fromArray == fromBuffer)
        #expect(fromArray.hashValue == fromBuffer.hashValue)
        #expect(fromArray.count == length)
        #expect(fromArray.isEmpty == (length == 0))
        #expect(fromArray.array == bytes)
        #expect(Array(fromBuffer) == bytes)  // through the collection's subscript
        #expect(fromBuffer.withUnsafeBytes { Array($0) } == bytes)
        #expect(fromBuffer.withUnsafeBufferPointer { Array($0) } == bytes)
        #expect(fromArray.indices == 0..<length)
    }

    @Test func differentValuesDiffer() {
        #expect(PgText("abc") != PgText("abd"))
        #expect(PgText("abc") != PgText("ab"))
        #expect(PgText([0]) != PgText([]))  // a NUL byte is not padding
        #expect(PgText(String(repeating: "x", count: 15)) != PgText(String(repeating: "x", count: 16)))
        #expect(PgText(String(repeating: "x", count: 20)) == PgText(Array(String(repeating: "x", count: 20).utf8)))
    }

    @Test func stringsAndLiterals() {
        let short: PgText = "2026-11-28"
        let long = PgText("2026-11-28 19:50:17.123456+00")
        #expect(short.string == "2026-11-28")
        #expect(long.string == "2026-11-28 19:50:17.123456+00")
        #expect(PgText("héllo").array == Array("héllo".utf8))
        let literal: PgText = [0x31, 0x32]
        #expect(literal.string == "12")
    }

    @Test func pgValueFromBytesIsTheSameValue() {
        #expect(PgValue.text(Array("42".utf8)) == .text(PgText("42")))
        #expect(PgValue.text(Array("42".utf8)).string == "42")
        #expect(PgValue.null.string == nil)
        #expect(PgValue.unchangedToast.string == nil)
        let set: Set<PgValue> = [.text(Array("a".utf8)), .text(PgText("a")), .null]
        #expect(set.count == 2)
    }

    /// `PgValue.withTextBytes(at:)` reads inline, own-array and shared-array values in place, and
    /// gives nil for NULL and unchanged TOAST.
    @Test func valuesReadInPlace() {
        let shared = Array("0123456789abcdefghijklmnopqrstuvwxyz".utf8)
        let values: [PgValue] = [
            .text(PgText("short")), .text(PgText(String(repeating: "L", count: 40))),
            .text(PgText(shared: shared, offset: 10, count: 20)), .text(PgText([])), .null, .unchangedToast,
        ]
        let read: [[UInt8]?] = values.withUnsafeBufferPointer { buffer in
            buffer.indices.map { index in PgValue.withTextBytes(at: buffer.baseAddress! + index) { $0.map { Array($0) } } }
        }
        #expect(read[0] == Array("short".utf8))
        #expect(read[1] == Array(String(repeating: "L", count: 40).utf8))
        #expect(read[2] == Array(shared[10..<30]))
        #expect(read[3] == [])
        #expect(read[4] == nil && read[5] == nil)
        #expect(values.withUnsafeBufferPointer { buffer in
            buffer.indices.filter { PgValue.isUnchangedToast(at: buffer.baseAddress! + $0) }
        } == [5])
    }
}
