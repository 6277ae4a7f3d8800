import Testing

@testable import CDCCore

/// `ChangeRecord` is a value with copy-on-write storage: copies are cheap and independent.
@Suite("ChangeRecord")
struct ChangeRecordTests {
    static let items = Relation(
        oid: 10, schema: "public", name: "items", replicaIdentity: .default,
        columns: [
            .init(name: "id", typeOID: 23, typeModifier: -1, kind: .integer, isReplicaIdentity: true),
            .init(name: "name", typeOID: 25, typeModifier: -1, kind: .text, isReplicaIdentity: false),
        ],
        keyIndexes: [0])

    static func t(_ s: String) -> PgValue { .text(Array(s.utf8)) }

    static func record() -> ChangeRecord {
        ChangeRecord(
            eventName: .insert, relation: items, database: "app", commitLSN: LSN(rawValue: 100), index: 1, xid: 7,
            commitTime: 42, keyValues: [t("1")], newValues: [t("1"), t("one")],
            dynamodb: DynamoDBChange(
                eventID: "e1", sequenceNumber: "s1", shardID: "shard-1", streamARN: "arn", awsRegion: "eu-west-1",
                approximateCreationDateTime: "1700000000", streamViewType: "NEW_IMAGE", sizeBytes: 10,
                keys: .object([.init("id", .object([.init("N", .number("1"))]))])))
    }

    @Test func aRecordIsOneReference() {
        #expect(MemoryLayout<ChangeRecord>.size == MemoryLayout<AnyObject>.size)
    }

    @Test func mutatingACopyLeavesTheOriginalUnchanged() {
        let original = Self.record()
        var copy = original
        #expect(copy.storage === original.storage)  // a copy shares the storage until mutated
        copy.commitTime = 99
        copy.newValues?[0] = Self.t("2")
        copy.dynamodb?.eventID = "e2"
        copy.pipeline = "backfill"
        #expect(copy.storage !== original.storage)

        #expect(original.commitTime == 42)
        #expect(original.newValues == [Self.t("1"), Self.t("one")])
        #expect(original.dynamodb?.eventID == "e1")
        #expect(original.pipeline == nil)
        #expect(original.eventID == "e1")

        #expect(copy.commitTime == 99)
        #expect(copy.newValues == [Self.t("2"), Self.t("one")])
        #expect(copy.dynamodb?.eventID == "e2")
        #expect(copy.pipeline == "backfill")
        #expect(copy.eventID == "e2")
        // The fields not mutated are the original's.
        #expect(copy.eventName == .insert && copy.relation === Self.items && copy.database == "app")
        #expect(copy.commitLSN == LSN(rawValue: 100) && copy.index == 1 && copy.xid == 7 && !copy.snapshot)
        #expect(copy.keyValues == [Self.t("1")] && copy.oldKeyValues == nil && copy.oldValues == nil)
        #expect(copy.dynamodb?.sequenceNumber == "s1")
    }

    @Test func anInsertReadsItsKeysFromItsNewValues() {
        let t = Self.t
        let insert = ChangeRecord.insert(
            relation: Self.items, database: "app", commitLSN: LSN(rawValue: 5), index: 1, xid: 1, commitTime: 0,
            newValues: [t("7"), t("seven")])
        #expect(insert.storage.keysInNewValues && insert.storage.keyValues.isEmpty)  // not stored twice
        #expect(insert.keyValues == [t("7")] && insert.keyValueCount == 1 && insert.keyValue(at: 0) == t("7"))
        #expect(insert.eventName == .insert && insert.newValues == [t("7"), t("seven")])

        // A mutation stores the keys first: they stay the record's keys, as for any other record.
        var changed = insert
        changed.newValues![0] = t("8")
        #expect(!changed.storage.keysInNewValues)
        #expect(changed.keyValues == [t("7")] && changed.keyValueCount == 1 && changed.keyValue(at: 0) == t("7"))
        #expect(insert.keyValues == [t("7")] && insert.newValues?[0] == t("7"))

        var rekeyed = insert
        rekeyed.keyValues = [t("9")]
        #expect(rekeyed.keyValues == [t("9")] && rekeyed.keyValue(at: 0) == t("9"))
        #expect(insert.keyValues == [t("7")])
    }

    @Test func mutatingTheOriginalLeavesACopyUnchanged() {
        var original = Self.record()
        let copy = original
        original.newValues?[1] = .null
        original.dynamodb = nil
        #expect(copy.newValues == [Self.t("1"), Self.t("one")])
        #expect(copy.dynamodb?.eventID == "e1")
        #expect(original.newValues == [Self.t("1"), .null])
        #expect(original.dynamodb == nil)
    }

    @Test func aUniquelyHeldRecordIsMutatedInPlace() {
        var record = Self.record()
        let storage = ObjectIdentifier(record.storage)
        let values = record.newValues!.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) }
        record.newValues?[0] = Self.t("2")
        record.index = 3
        record.dynamodb?.sizeBytes = 11
        // Neither the record's storage nor its array was copied (`_modify` yields them in place).
        #expect(ObjectIdentifier(record.storage) == storage)
        #expect(record.newValues!.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) } == values)
        #expect(record.newValues == [Self.t("2"), Self.t("one")])
        #expect(record.index == 3)
        #expect(record.dynamodb?.sizeBytes == 11)
        #expect(record.commitTime == 42 && record.keyValues == [Self.t("1")] && record.dynamodb?.eventID == "e1")
        #expect(record.position == "00000000000000000100" + "0000000003")
    }

    /// The in-place reads see the same new values as `newValues`, and nothing for a record without.
    @Test func newValuesReadInPlace() {
        let records = [Self.record(), ChangeRecord(
            eventName: .remove, relation: Self.items, database: "app", commitLSN: LSN(rawValue: 101), index: 1, xid: 8,
            commitTime: 43, keyValues: [Self.t("1")])]
        let read = records.withUnsafeBufferPointer { buffer in
            buffer.indices.map { index in ChangeRecord.withNewValues(of: buffer.baseAddress! + index) { Array($0) } }
        }
        #expect(read[0] == [Self.t("1"), Self.t("one")])
        #expect(read[1] == nil)
        #expect(read[0] == records[0].newValues)
    }
}
