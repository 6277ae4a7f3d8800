import CDCCore
import LibPQ
import Testing

@testable import Sinks

/// The replica's statement planning, on values: which records merge into multi-row statements,
/// the SQL each shape gets, and the parameters in `$n` order.
@Suite("Postgres sink: apply plan")
struct ApplyPlanTests {
    static let relation = Relation(
        oid: 1, schema: "Sales Dept", name: "orders", replicaIdentity: .default,
        columns: [
            .init(name: "id", typeOID: 23, typeModifier: -1, kind: .integer, isReplicaIdentity: true),
            .init(name: "status", typeOID: 25, typeModifier: -1, kind: .text, isReplicaIdentity: false),
            .init(name: "Body", typeOID: 25, typeModifier: -1, kind: .text, isReplicaIdentity: false),
        ],
        keyIndexes: [0])
    static let other = Relation(
        oid: 2, schema: "public", name: "log", replicaIdentity: .full,
        columns: [
            .init(name: "a", typeOID: 23, typeModifier: -1, kind: .integer, isReplicaIdentity: true),
            .init(name: "b", typeOID: 25, typeModifier: -1, kind: .text, isReplicaIdentity: true),
        ],
        keyIndexes: [0, 1])

    static func value(_ s: String?) -> PgValue { s.map { .text(Array($0.utf8)) } ?? .null }

    static func record(
        _ event: EventName, _ relation: Relation = relation, index: UInt32, key: String, old: String? = nil,
        values: [PgValue]? = nil, oldValues: [PgValue]? = nil
    ) -> ChangeRecord {
        ChangeRecord(
            eventName: event, relation: relation, database: "db", commitLSN: LSN(100), index: index, xid: 1,
            commitTime: 0, keyValues: [value(key)] + (relation === other ? [value("x")] : []),
            oldKeyValues: old.map { [value($0)] },
            newValues: event == .remove ? nil : (values ?? [value(key), value("new"), value("body")]),
            oldValues: oldValues)
    }

    let orders = TableApply(relation: relation, targetSchema: "Sales Dept", targetTable: "orders", mode: .upsert, columnTypes: [23, 25, 25])
    let log = TableApply(relation: other, targetSchema: "public", targetTable: "log", mode: .matchAllColumns, columnTypes: [23, 25])

    func plan(_ records: [ChangeRecord], multiRow: Bool = true) throws -> ApplyPlan {
        try ApplyPlan(records: records, multiRow: multiRow) { (record) throws(SinkError) in
            record.relation === Self.relation ? orders : log
        }
    }

    @Test func insertRunsMergeIntoPowerOfTwoStatements() throws {
        let records = (1...300).map { Self.record(.insert, index: UInt32($0), key: "\($0)") }
        let sizes = try plan(records).operations.map(\.records.count)
        #expect(sizes == [256, 32, 8, 4])
        #expect(try plan(records).operations.allSatisfy { $0.kind == .upsert })
        #expect(try plan(records, multiRow: false).operations.count == 300)
    }

    @Test func aRepeatedKeyOrAnotherTableStartsANewStatement() throws {
        let records = [
            Self.record(.insert, index: 1, key: "1"), Self.record(.modify, index: 2, key: "2"),
            Self.record(.modify, index: 3, key: "1"),  // the same row again: ON CONFLICT cannot touch it twice
            Self.record(.insert, Self.other, index: 4, key: "9"),
            Self.record(.insert, index: 5, key: "3"),
        ]
        let operations = try plan(records).operations
        #expect(operations.map(\.records) == [0..<2, 2..<3, 3..<4, 4..<5])
        #expect(operations.map(\.kind) == [.upsert, .upsert, .insert, .upsert])
    }

    @Test func keyChangesAndUnchangedToastBecomeUpdatesOfTheSentColumns() throws {
        let moved = Self.record(
            .modify, index: 1, key: "2", old: "1", values: [Self.value("2"), Self.value("paid"), .unchangedToast])
        let operations = try plan([moved, Self.record(.remove, index: 2, key: "5")]).operations
        #expect(operations.map(\.kind) == [.update, .delete])
        #expect(operations[0].columns == [0, 1])
        let update = orders.statement(operations[0].key)
        #expect(update == #"UPDATE "Sales Dept"."orders" SET "id" = $1, "status" = $2 WHERE "id" = $3"#)
        #expect(orders.parameterTypes(operations[0].key) == [23, 25, 23])
        let parameters = ApplyPlan.parameters(operations[0], records: [moved])
        #expect(parameters.count == 3)
        #expect(orders.statement(operations[1].key) == #"DELETE FROM "Sales Dept"."orders" WHERE "id" = $1"#)
    }

    @Test func upsertSQLQuotesEveryIdentifierAndUpdatesOnlyNonKeyColumns() {
        let sql = orders.statement(.init(kind: .upsert, columns: [0, 1, 2], rows: 2))
        #expect(
            sql == #"INSERT INTO "Sales Dept"."orders" ("id", "status", "Body") VALUES ($1, $2, $3), ($4, $5, $6) ON CONFLICT ("id") DO UPDATE SET "status" = EXCLUDED."status", "Body" = EXCLUDED."Body""#)
        #expect(orders.statement(.init(kind: .upsert, columns: [0], rows: 1)).hasSuffix("ON CONFLICT (\"id\") DO NOTHING"))
    }

    @Test func fullIdentityWithoutKeyMatchesOneRowOnAllOldValues() throws {
        let old = [Self.value("1"), Self.value("x")]
        let update = Self.record(.modify, Self.other, index: 1, key: "1", values: [Self.value("1"), Self.value("y")], oldValues: old)
        let operations = try plan([update, Self.record(.remove, Self.other, index: 2, key: "1", oldValues: old)]).operations
        #expect(operations.map(\.kind) == [.updateMatchingAll, .deleteMatchingAll])
        #expect(
            log.statement(operations[1].key)
                == #"DELETE FROM "public"."log" WHERE ctid = (SELECT ctid FROM "public"."log" WHERE "a"::text IS NOT DISTINCT FROM $1 AND "b"::text IS NOT DISTINCT FROM $2 LIMIT 1)"#)
        #expect(log.parameterTypes(operations[0].key) == [23, 25, 25, 25])
        // Without the old row there is nothing to match on: refused, not guessed.
        #expect(throws: SinkError.self) { try plan([Self.record(.remove, Self.other, index: 3, key: "1")]) }
    }

    @Test func insertRunsBecomeOneCopyWithEscapedText() throws {
        let tricky = Self.record(
            .insert, index: 2, key: "2", values: [Self.value("2"), Self.value("a\tb\nc\\d\re"), .null])
        let records = [Self.record(.insert, index: 1, key: "1"), tricky, Self.record(.remove, index: 3, key: "1")]
        let operations = try ApplyPlan(records: records, copyInserts: true) { (_) throws(SinkError) in orders }.operations
        #expect(operations.map(\.kind) == [.copy, .delete])
        #expect(operations[0].records == 0..<2)
        #expect(orders.statement(operations[0].key) == #"COPY "Sales Dept"."orders" ("id", "status", "Body") FROM STDIN"#)
        let data = String(decoding: ApplyPlan.copyData(operations[0], records: records), as: UTF8.self)
        #expect(data == "1\tnew\tbody\n2\ta\\tb\\nc\\\\d\\re\t\\N\n")
    }

    @Test func copyBufferGrowsForLongValues() throws {
        // 300,000 bytes, a tab every 1,000: far above the buffer's first capacity (64 bytes a row).
        let long = String((0..<300).map { _ in String(repeating: "x", count: 999) + "\t" }.joined())
        let records = [Self.record(.insert, index: 1, key: "1", values: [Self.value("1"), Self.value(long), Self.value("z")])]
        let operations = try ApplyPlan(records: records, copyInserts: true) { (_) throws(SinkError) in orders }.operations
        let data = String(decoding: ApplyPlan.copyData(operations[0], records: records), as: UTF8.self)
        #expect(data == "1\t" + long.split(separator: "\t", omittingEmptySubsequences: false).joined(separator: "\\t") + "\tz\n")
    }

    @Test func anInsertWithUnchangedValuesCopiesOnlyTheSentColumns() throws {
        // (A DynamoDB record without its new image, or a transform's missing column.)
        let partial = Self.record(.insert, index: 1, key: "2", values: [Self.value("2"), Self.value("paid"), .unchangedToast])
        let operations = try ApplyPlan(records: [partial], copyInserts: true) { (_) throws(SinkError) in orders }.operations
        #expect(operations.map(\.kind) == [.copy])
        #expect(operations[0].columns == [0, 1])
        #expect(String(decoding: ApplyPlan.copyData(operations[0], records: [partial]), as: UTF8.self) == "2\tpaid\n")
    }

    @Test func copiesGoInBinaryWhenEveryColumnHasTheSourcesTypeAndAConversion() throws {
        let tricky = Self.record(.insert, index: 2, key: "2", values: [Self.value("-2"), Self.value("a\tb"), .null])
        let records = [tricky]
        let operations = try ApplyPlan(records: records, copyInserts: true) { (_) throws(SinkError) in orders }.operations
        let kinds = try #require(orders.binaryCopyKinds(operations[0].columns))
        #expect(orders.copyStatement(operations[0].key, binary: true).hasSuffix("FROM STDIN (FORMAT binary)"))
        var buffer = CopyInBuffer(capacity: 64)
        #expect(ApplyPlan.appendBinaryCopyRows(operations[0], 0..<1, records: records, kinds: kinds, to: &buffer))
        // 3 fields: int4 -2, the text as it is (3 bytes, a tab unescaped), NULL.
        #expect(buffer.bytes == [0, 3, 0, 0, 0, 4, 0xFF, 0xFF, 0xFF, 0xFE, 0, 0, 0, 3] + Array("a\tb".utf8) + [0xFF, 0xFF, 0xFF, 0xFF])
        // A value not in the form its conversion reads: the rows are not converted.
        let odd = [Self.record(.insert, index: 1, key: "1", values: [Self.value("1.0"), Self.value("x"), .null])]
        var other = CopyInBuffer(capacity: 64)
        #expect(!ApplyPlan.appendBinaryCopyRows(operations[0], 0..<1, records: odd, kinds: kinds, to: &other))
        // A target column of another type than the source's goes only as text, and so does the COPY.
        let retyped = TableApply(relation: Self.relation, targetSchema: "s", targetTable: "t", mode: .upsert, columnTypes: [20, 25, 25])
        #expect(retyped.binaryCopyKinds([1, 2]) != nil)
        #expect(retyped.binaryCopyKinds([0, 1, 2]) == nil)
        retyped.binaryCopy = false
        #expect(retyped.binaryCopyKinds([1, 2]) == nil)
    }
}
