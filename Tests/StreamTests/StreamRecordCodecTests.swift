import CDCCore
import Testing

@testable import Capture

@Suite("StreamRecordCodec")
struct StreamRecordCodecTests {
    typealias F = Fixtures

    static let allValues: [PgValue] = [
        F.t("t"), F.t("-2147483648"), F.t("NaN"), F.t("12345678901234567890.000000001"), F.t(#"{"a": [1, "x"]}"#),
        F.t(#"{"b": null}"#), F.t("\\xdeadbeef"), F.t("2026-11-27 19:30:00.123456+00"), F.t("2026-11-27 19:30:00"),
        F.t("2026-11-27"), F.t("19:30:00"), .text([]), F.t("{1,2,NULL}"), .null,
    ]

    enum Case: String, CaseIterable, Sendable {
        case insert, insertKeysInNewValues, insertSnapshot, modifyKeyChange, modifyToast, modifyFull, remove, removeFull, truncate, keyless
        case emptyRelation, bigValue, extremes, backfillRow

        var record: ChangeRecord {
            let all = StreamRecordCodecTests.allValues
            switch self {
            case .insert:
                return F.insert(42)
            case .insertKeysInNewValues:
                // As capture builds an INSERT: its (composite) key is read from its new values.
                return .insert(
                    relation: F.everything, database: "app", commitLSN: LSN(77), index: 2, xid: 3, commitTime: 4,
                    newValues: all)
            case .insertSnapshot:
                var r = F.insert(7)
                r.snapshot = true
                return r
            case .modifyKeyChange:
                return ChangeRecord(
                    eventName: .modify, relation: F.everything, database: "app", commitLSN: LSN(1 << 40), index: 3,
                    xid: 9, commitTime: 1, keyValues: [F.t("2"), F.t("t")], oldKeyValues: [F.t("1"), F.t("f")],
                    newValues: all, oldValues: nil)
            case .modifyToast:
                var values = all
                values[4] = .unchangedToast
                values[5] = .unchangedToast
                return ChangeRecord(
                    eventName: .modify, relation: F.everything, database: "db", commitLSN: LSN(5), index: 1, xid: 1,
                    commitTime: 0, keyValues: [F.t("1"), F.t("t")], newValues: values)
            case .modifyFull:
                return ChangeRecord(
                    eventName: .modify, relation: F.everything, database: "app", commitLSN: LSN(77), index: 2, xid: 3,
                    commitTime: 4, keyValues: [F.t("1"), F.t("t")], newValues: all, oldValues: all.reversed())
            case .remove:
                return ChangeRecord(
                    eventName: .remove, relation: F.orders, database: "app", commitLSN: LSN(9), index: 1, xid: 2,
                    commitTime: 3, keyValues: [F.t("42")])
            case .removeFull:
                return ChangeRecord(
                    eventName: .remove, relation: F.everything, database: "app", commitLSN: LSN(9), index: 1, xid: 2,
                    commitTime: 3, keyValues: [F.t("1"), F.t("t")], oldValues: all)
            case .truncate:
                return ChangeRecord(
                    eventName: .truncate, relation: F.orders, database: "app", commitLSN: LSN(10), index: 1, xid: 2,
                    commitTime: 3, keyValues: [])
            case .keyless:
                return ChangeRecord(
                    eventName: .insert, relation: F.keyless, database: "", commitLSN: .zero, index: 0, xid: 0,
                    commitTime: 0, keyValues: [], newValues: [.null])
            case .emptyRelation:
                return ChangeRecord(
                    eventName: .insert, relation: F.empty, database: "ü", commitLSN: .zero, index: 1, xid: 1,
                    commitTime: 1, keyValues: [], oldKeyValues: [], newValues: [], oldValues: [])
            case .bigValue:
                var r = F.insert(1)
                r.newValues![4] = .text((0..<200_000).map { UInt8(truncatingIfNeeded: $0) })
                return r
            case .extremes:
                return ChangeRecord(
                    eventName: .modify, relation: F.orders, database: String(repeating: "d", count: 300),
                    commitLSN: LSN(UInt64.max), index: UInt32.max, xid: UInt32.max, commitTime: Int64.min,
                    snapshot: true, keyValues: [.unchangedToast], oldKeyValues: [.null],
                    newValues: [.null, .null, .null, .null, .null, .null], oldValues: [.unchangedToast])
            case .backfillRow:
                var r = F.insert(8)
                r.snapshot = true
                r.pipeline = "fresh replica"
                return r
            }
        }
    }

    @Test(arguments: Case.allCases)
    func roundTrip(_ c: Case) throws {
        let record = c.record
        let bytes = StreamRecordCodec.encode(record)
        let decoded = try StreamRecordCodec.decode(bytes)
        expectSame(decoded, record)
        #expect(StreamRecordCodec.encode(decoded) == bytes)
    }

    @Test("split form: relation entry plus body round-trips")
    func splitForm() throws {
        for c in Case.allCases {
            let record = c.record
            var relationBytes: [UInt8] = []
            StreamRecordCodec.encodeRelation(record.relation, into: &relationBytes)
            var bodyBytes: [UInt8] = []
            StreamRecordCodec.encodeBody(record, into: &bodyBytes)
            let definition = try StreamBytes.withBytes(of: relationBytes) { (raw) throws(StreamError) in
                var reader = StreamByteReader(raw)
                return try StreamRecordCodec.decodeRelation(&reader)
            }
            #expect(definition == RelationDefinition(record.relation))
            let relation = definition.makeRelation()
            let decoded = try StreamBytes.withBytes(of: bodyBytes) { (raw) throws(StreamError) in
                var reader = StreamByteReader(raw)
                let r = try StreamRecordCodec.decodeBody(&reader, relation: relation)
                #expect(reader.remaining == 0)
                return r
            }
            expectSame(decoded, record)
            #expect(decoded.relation === relation)
        }
    }

    @Test("a relation cache shares one instance per definition")
    func sharedRelations() throws {
        let cache = RelationCache()
        let a = try StreamRecordCodec.decode(StreamRecordCodec.encode(F.insert(1)), relations: cache)
        let b = try StreamRecordCodec.decode(StreamRecordCodec.encode(F.insert(2)), relations: cache)
        let c = try StreamRecordCodec.decode(StreamRecordCodec.encode(Case.modifyFull.record), relations: cache)
        #expect(a.relation === b.relation)
        #expect(a.relation !== c.relation)
        #expect(cache.count == 2)
        // The same definition from another instance (a Relation message after a reconnect) is shared too.
        let copy = RelationDefinition(F.orders).makeRelation()
        #expect(cache.intern(copy) === a.relation)
    }

    @Test("every truncation and trailing garbage is an error, never a crash")
    func truncated() {
        for c in Case.allCases where c != .bigValue {
            let bytes = StreamRecordCodec.encode(c.record)
            for cut in 0..<bytes.count {
                #expect(throws: StreamError.self) { try StreamRecordCodec.decode(Array(bytes[..<cut])) }
            }
            #expect(throws: StreamError.self) { try StreamRecordCodec.decode(bytes + [0]) }
        }
    }

    @Test("random corruption throws or decodes, never traps")
    func fuzz() {
        var generator = SystemRandomNumberGenerator()
        let base = StreamRecordCodec.encode(Case.modifyFull.record)
        for _ in 0..<5000 {
            var bytes = base
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                bytes[Int.random(in: 0..<bytes.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
            }
            _ = try? StreamRecordCodec.decode(bytes)
        }
    }

    @Test("a decoded row's long values share one buffer")
    func longValuesShareABuffer() throws {
        let decoded = try StreamRecordCodec.decode(StreamRecordCodec.encode(Case.insertKeysInNewValues.record))
        let values = try #require(decoded.newValues)
        #expect(values == Self.allValues)
        // The long values (past 15 bytes), in order, are consecutive ranges of one array.
        var expected: UnsafeRawPointer?
        var long = 0
        for value in values {
            guard case .text(let text) = value, text.count > PgText.inlineCapacity else { continue }
            let start = text.withUnsafeBytes { $0.baseAddress! }
            if let expected { #expect(start == expected) }
            expected = start + text.count
            long += 1
        }
        #expect(long >= 3)
    }

    @Test("a six-column insert is compact")
    func size() {
        var body: [UInt8] = []
        StreamRecordCodec.encodeBody(F.insert(123_456), into: &body)
        // The values alone are 63 bytes; keys, LSN, times and header add little.
        #expect(body.count < 110)
    }
}
