import CDCCore
import Testing

/// The DBLog merge of one backfill chunk with the captured stream, on values.
@Suite("Watermark merge")
struct WatermarkMergeTests {
    static let items = Relation(
        oid: 10, schema: "public", name: "items", replicaIdentity: .default,
        columns: [.init(name: "id", typeOID: 23, typeModifier: -1, kind: .integer, isReplicaIdentity: true)],
        keyIndexes: [0])
    static let other = Relation(
        oid: 11, schema: "public", name: "other", replicaIdentity: .default,
        columns: [.init(name: "id", typeOID: 23, typeModifier: -1, kind: .integer, isReplicaIdentity: true)],
        keyIndexes: [0])

    static func key(_ id: Int) -> [PgValue] { [.text(Array(String(id).utf8))] }

    static func record(
        _ event: EventName, _ id: Int, oldID: Int? = nil, relation: Relation = items, lsn: UInt64 = 100
    ) -> ChangeRecord {
        ChangeRecord(
            eventName: event, relation: relation, database: "app", commitLSN: LSN(rawValue: lsn), index: 1, xid: 1,
            commitTime: 0, keyValues: event == .truncate ? [] : key(id), oldKeyValues: oldID.map(key),
            newValues: event == .insert || event == .modify ? key(id) : nil)
    }

    static func chunk(_ ids: ClosedRange<Int>) -> [ChangeRecord] { ids.map { record(.insert, $0, lsn: 0) } }

    static func ids(_ records: [ChangeRecord]?) -> [Int] {
        (records ?? []).compactMap {
            guard case .text(let bytes) = $0.keyValues.first else { return nil }
            return Int(String(decoding: bytes, as: UTF8.self))
        }
    }

    @Test func rowsChangedBetweenTheWatermarksAreDroppedTheRestEmittedAtTheHighOne() {
        var merge = WatermarkMerge(chunkID: "b1-0", table: "public.items")
        merge.setRows(Self.chunk(1...6))
        // Before the low watermark: not the chunk's business (its read is newer).
        merge.observe(Self.record(.modify, 1))
        #expect(merge.watermark("high:b1-0", commitLSN: LSN(rawValue: 5), commitTime: 0) == nil)
        #expect(merge.watermark("low:b1-0", commitLSN: LSN(rawValue: 10), commitTime: 0) == nil)
        #expect(merge.phase == .betweenWatermarks)
        merge.observe(Self.record(.modify, 2))
        merge.observe(Self.record(.remove, 3))
        merge.observe(Self.record(.modify, 40, oldID: 4))  // a key change: old key 4
        merge.observe(Self.record(.modify, 5, relation: Self.other))  // another table
        let emitted = merge.watermark("high:b1-0", commitLSN: LSN(rawValue: 500), commitTime: 7)
        #expect(Self.ids(emitted) == [1, 5, 6])
        #expect(emitted?.map(\.commitLSN) == [LSN(rawValue: 500), LSN(rawValue: 500), LSN(rawValue: 500)])
        #expect(emitted?.map(\.index) == [1, 2, 3])
        #expect(emitted?.allSatisfy { $0.snapshot && $0.eventName == .insert && $0.commitTime == 7 } == true)
        #expect(merge.phase == .finished)
        // Once finished, later watermarks and changes do nothing.
        merge.observe(Self.record(.remove, 6))
        #expect(merge.watermark("high:b1-0", commitLSN: LSN(rawValue: 600), commitTime: 0) == nil)
    }

    @Test func anotherChunksWatermarksAreIgnored() {
        var merge = WatermarkMerge(chunkID: "b1-1", table: "public.items")
        merge.setRows(Self.chunk(1...2))
        #expect(merge.watermark("low:b1-0", commitLSN: LSN(rawValue: 1), commitTime: 0) == nil)
        #expect(merge.phase == .beforeLow)
        #expect(merge.watermark("low:b1-1", commitLSN: LSN(rawValue: 2), commitTime: 0) == nil)
        #expect(merge.watermark("high:b1-0", commitLSN: LSN(rawValue: 3), commitTime: 0) == nil)
        #expect(Self.ids(merge.watermark("high:b1-1", commitLSN: LSN(rawValue: 4), commitTime: 0)) == [1, 2])
    }

    @Test func aTruncateBetweenTheWatermarksDropsTheChunk() {
        var merge = WatermarkMerge(chunkID: "c", table: "public.items")
        merge.setRows(Self.chunk(1...3))
        _ = merge.watermark("low:c", commitLSN: LSN(rawValue: 1), commitTime: 0)
        merge.observe(Self.record(.truncate, 0))
        #expect(merge.watermark("high:c", commitLSN: LSN(rawValue: 2), commitTime: 0)?.count == 0)
    }
}
