import Testing

@testable import CDCCore

@Suite("RecordTransform")
struct RecordTransformTests {
    // MARK: fixtures

    /// A table whose key (order_id, line) is not at the front, so that key indexes must be remapped.
    static let items = Relation(
        oid: 16500, schema: "public", name: "order_items", replicaIdentity: .full,
        columns: [
            .init(name: "note", typeOID: 25, typeModifier: -1, kind: .text, isReplicaIdentity: false),
            .init(name: "order_id", typeOID: 23, typeModifier: -1, kind: .integer, isReplicaIdentity: true),
            .init(name: "status", typeOID: 1043, typeModifier: 36, kind: .text, isReplicaIdentity: false),
            .init(name: "line", typeOID: 23, typeModifier: -1, kind: .integer, isReplicaIdentity: true),
            .init(name: "total", typeOID: 1700, typeModifier: -1, kind: .numeric, isReplicaIdentity: false),
            .init(name: "data", typeOID: 3802, typeModifier: -1, kind: .jsonb, isReplicaIdentity: false),
        ],
        keyIndexes: [1, 3])

    static func t(_ s: String) -> PgValue { .text(Array(s.utf8)) }

    enum Fixture: String, Sendable, CaseIterable {
        case insert, keyChange, toast, remove, truncate

        /// A fresh record of `relation` (default: the shared `items`).
        func record(_ relation: Relation = RecordTransformTests.items) -> ChangeRecord {
            let t = RecordTransformTests.t
            let (name, keys, oldKeys, new, old): (EventName, [PgValue], [PgValue]?, [PgValue]?, [PgValue]?) =
                switch self {
                case .insert:
                    (.insert, [t("7"), t("2")], nil, [t("hello"), t("7"), t("paid"), t("2"), t("9.90"), t(#"{"a": 1}"#)], nil)
                case .keyChange:
                    (
                        .modify, [t("7"), t("3")], [t("7"), t("2")],
                        [t("hello"), t("7"), t("shipped"), t("3"), t("9.90"), t(#"{"a": 1}"#)],
                        [t("hello"), t("7"), t("paid"), t("2"), t("9.90"), .null]
                    )
                case .toast:
                    (.modify, [t("7"), t("2")], nil, [.unchangedToast, t("7"), t("paid"), t("2"), t("10.00"), .unchangedToast], nil)
                case .remove:
                    (.remove, [t("7"), t("2")], nil, nil, [t("hello"), t("7"), t("paid"), t("2"), t("9.90"), t(#"{"a": 1}"#)])
                case .truncate:
                    (.truncate, [], nil, nil, nil)
                }
            return ChangeRecord(
                eventName: name, relation: relation, database: "app", commitLSN: LSN(0x16B_3748), index: 3, xid: 745,
                commitTime: 849_123_000_123_456, keyValues: keys, oldKeyValues: oldKeys, newValues: new, oldValues: old)
        }
    }

    static let hello = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
    static let two = "d4735e3a265e16eee03f59718b9b5d03019c07d8b6c51f90da3a666eec13ab35"
    static let three = "4e07408562bedb8b60ce05c1decfe3ad16b72230967de01f640b7e4729b49fce"
    static let json = "f9d86028c6e0d64e225186f96acb69338b2c59764df79162107f5c4bb34d1310"  // {"a": 1}

    // MARK: rendered results

    struct Case: Sendable, CustomTestStringConvertible {
        var operation: RecordTransform.Operation
        var fixture: Fixture
        /// The rendered record's `table`, `source.schema`/`source.table`, `keys`, `oldKeys`, `newImage`,
        /// `oldImage` and `unchangedColumns` (absent members must be absent).
        var expected: String

        init(_ operation: RecordTransform.Operation, _ fixture: Fixture, _ expected: String) {
            self.operation = operation
            self.fixture = fixture
            self.expected = expected
        }

        var testDescription: String { "\(operation) on \(fixture)" }
    }

    static let keep = RecordTransform.Operation.keepColumns(["status"])
    static let drop = RecordTransform.Operation.dropColumns(["order_id", "note", "data"])
    static let renameTable = RecordTransform.Operation.renameTable(schema: "analytics", table: "items")
    static let renameColumns = RecordTransform.Operation.renameColumns([
        .init(from: "order_id", to: "order"), .init(from: "status", to: "state"), .init(from: "note", to: "status"),
        .init(from: "order_id", to: "ignored: the first rename of a column wins"),
    ])
    static let mask = RecordTransform.Operation.redact(columns: ["note", "line"], method: .mask)
    static let hash = RecordTransform.Operation.redact(columns: ["note", "line", "data"], method: .hash)

    // Expected texts written by hand from the record fixtures; hashes from Python's hashlib.
    static let cases: [Case] = [
        // keep_columns: status, plus the key columns order_id and line, in table order.
        Case(
            keep, .insert,
            #"{"table":"public.order_items","source":{"schema":"public","table":"order_items"},"keys":{"order_id":7,"line":2},"newImage":{"order_id":7,"status":"paid","line":2},"unchangedColumns":[]}"#
        ),
        Case(
            keep, .keyChange,
            #"{"table":"public.order_items","source":{"schema":"public","table":"order_items"},"keys":{"order_id":7,"line":3},"oldKeys":{"order_id":7,"line":2},"newImage":{"order_id":7,"status":"shipped","line":3},"oldImage":{"order_id":7,"status":"paid","line":2},"unchangedColumns":[]}"#
        ),
        Case(
            keep, .toast,
            #"{"table":"public.order_items","source":{"schema":"public","table":"order_items"},"keys":{"order_id":7,"line":2},"newImage":{"order_id":7,"status":"paid","line":2},"unchangedColumns":[]}"#
        ),
        Case(
            keep, .remove,
            #"{"table":"public.order_items","source":{"schema":"public","table":"order_items"},"keys":{"order_id":7,"line":2},"oldImage":{"order_id":7,"status":"paid","line":2},"unchangedColumns":[]}"#
        ),
        Case(
            keep, .truncate,
            #"{"table":"public.order_items","source":{"schema":"public","table":"order_items"},"unchangedColumns":[]}"#
        ),
        // drop_columns: order_id is a key column, so it stays.
        Case(
            drop, .insert,
            #"{"table":"public.order_items","source":{"schema":"public","table":"order_items"},"keys":{"order_id":7,"line":2},"newImage":{"order_id":7,"status":"paid","line":2,"total":"9.90"},"unchangedColumns":[]}"#
        ),
        Case(
            drop, .keyChange,
            #"{"table":"public.order_items","source":{"schema":"public","table":"order_items"},"keys":{"order_id":7,"line":3},"oldKeys":{"order_id":7,"line":2},"newImage":{"order_id":7,"status":"shipped","line":3,"total":"9.90"},"oldImage":{"order_id":7,"status":"paid","line":2,"total":"9.90"},"unchangedColumns":[]}"#
        ),
        Case(
            drop, .toast,
            #"{"table":"public.order_items","source":{"schema":"public","table":"order_items"},"keys":{"order_id":7,"line":2},"newImage":{"order_id":7,"status":"paid","line":2,"total":"10.00"},"unchangedColumns":[]}"#
        ),
        Case(
            drop, .remove,
            #"{"table":"public.order_items","source":{"schema":"public","table":"order_items"},"keys":{"order_id":7,"line":2},"oldImage":{"order_id":7,"status":"paid","line":2,"total":"9.90"},"unchangedColumns":[]}"#
        ),
        Case(
            drop, .truncate,
            #"{"table":"public.order_items","source":{"schema":"public","table":"order_items"},"unchangedColumns":[]}"#
        ),
        // rename_table.
        Case(
            renameTable, .insert,
            #"{"table":"analytics.items","source":{"schema":"analytics","table":"items"},"keys":{"order_id":7,"line":2},"newImage":{"note":"hello","order_id":7,"status":"paid","line":2,"total":"9.90","data":{"a":1}},"unchangedColumns":[]}"#
        ),
        Case(
            renameTable, .toast,
            #"{"table":"analytics.items","source":{"schema":"analytics","table":"items"},"keys":{"order_id":7,"line":2},"newImage":{"order_id":7,"status":"paid","line":2,"total":"10.00"},"unchangedColumns":["note","data"]}"#
        ),
        Case(
            renameTable, .truncate,
            #"{"table":"analytics.items","source":{"schema":"analytics","table":"items"},"unchangedColumns":[]}"#
        ),
        // rename_columns: all at once, so note can take status's name while status becomes state.
        Case(
            renameColumns, .keyChange,
            #"{"table":"public.order_items","source":{"schema":"public","table":"order_items"},"keys":{"order":7,"line":3},"oldKeys":{"order":7,"line":2},"newImage":{"status":"hello","order":7,"state":"shipped","line":3,"total":"9.90","data":{"a":1}},"oldImage":{"status":"hello","order":7,"state":"paid","line":2,"total":"9.90","data":null},"unchangedColumns":[]}"#
        ),
        Case(
            renameColumns, .toast,
            #"{"table":"public.order_items","source":{"schema":"public","table":"order_items"},"keys":{"order":7,"line":2},"newImage":{"order":7,"state":"paid","line":2,"total":"10.00"},"unchangedColumns":["status","data"]}"#
        ),
        Case(
            renameColumns, .remove,
            #"{"table":"public.order_items","source":{"schema":"public","table":"order_items"},"keys":{"order":7,"line":2},"oldImage":{"status":"hello","order":7,"state":"paid","line":2,"total":"9.90","data":{"a":1}},"unchangedColumns":[]}"#
        ),
        Case(
            renameColumns, .truncate,
            #"{"table":"public.order_items","source":{"schema":"public","table":"order_items"},"unchangedColumns":[]}"#
        ),
        // redact mask: line is a key column, masked in keys and oldKeys too; masked values are text.
        Case(
            mask, .insert,
            #"{"table":"public.order_items","source":{"schema":"public","table":"order_items"},"keys":{"order_id":7,"line":"***"},"newImage":{"note":"***","order_id":7,"status":"paid","line":"***","total":"9.90","data":{"a":1}},"unchangedColumns":[]}"#
        ),
        Case(
            mask, .keyChange,
            #"{"table":"public.order_items","source":{"schema":"public","table":"order_items"},"keys":{"order_id":7,"line":"***"},"oldKeys":{"order_id":7,"line":"***"},"newImage":{"note":"***","order_id":7,"status":"shipped","line":"***","total":"9.90","data":{"a":1}},"oldImage":{"note":"***","order_id":7,"status":"paid","line":"***","total":"9.90","data":null},"unchangedColumns":[]}"#
        ),
        Case(
            mask, .toast,
            #"{"table":"public.order_items","source":{"schema":"public","table":"order_items"},"keys":{"order_id":7,"line":"***"},"newImage":{"order_id":7,"status":"paid","line":"***","total":"10.00"},"unchangedColumns":["note","data"]}"#
        ),
        Case(
            mask, .remove,
            #"{"table":"public.order_items","source":{"schema":"public","table":"order_items"},"keys":{"order_id":7,"line":"***"},"oldImage":{"note":"***","order_id":7,"status":"paid","line":"***","total":"9.90","data":{"a":1}},"unchangedColumns":[]}"#
        ),
        Case(
            mask, .truncate,
            #"{"table":"public.order_items","source":{"schema":"public","table":"order_items"},"unchangedColumns":[]}"#
        ),
        // redact hash: SHA-256 of the exact text; NULL stays null, unchanged TOAST stays unchanged.
        Case(
            hash, .insert,
            #"{"table":"public.order_items","source":{"schema":"public","table":"order_items"},"keys":{"order_id":7,"line":"\#(two)"},"newImage":{"note":"\#(hello)","order_id":7,"status":"paid","line":"\#(two)","total":"9.90","data":"\#(json)"},"unchangedColumns":[]}"#
        ),
        Case(
            hash, .keyChange,
            #"{"table":"public.order_items","source":{"schema":"public","table":"order_items"},"keys":{"order_id":7,"line":"\#(three)"},"oldKeys":{"order_id":7,"line":"\#(two)"},"newImage":{"note":"\#(hello)","order_id":7,"status":"shipped","line":"\#(three)","total":"9.90","data":"\#(json)"},"oldImage":{"note":"\#(hello)","order_id":7,"status":"paid","line":"\#(two)","total":"9.90","data":null},"unchangedColumns":[]}"#
        ),
        Case(
            hash, .toast,
            #"{"table":"public.order_items","source":{"schema":"public","table":"order_items"},"keys":{"order_id":7,"line":"\#(two)"},"newImage":{"order_id":7,"status":"paid","line":"\#(two)","total":"10.00"},"unchangedColumns":["note","data"]}"#
        ),
        Case(
            hash, .remove,
            #"{"table":"public.order_items","source":{"schema":"public","table":"order_items"},"keys":{"order_id":7,"line":"\#(two)"},"oldImage":{"note":"\#(hello)","order_id":7,"status":"paid","line":"\#(two)","total":"9.90","data":"\#(json)"},"unchangedColumns":[]}"#
        ),
        Case(
            hash, .truncate,
            #"{"table":"public.order_items","source":{"schema":"public","table":"order_items"},"unchangedColumns":[]}"#
        ),
    ]

    /// The parts of a rendered cdcd record that transforms change.
    static func projection(_ rendered: JSONValue) -> JSONValue {
        var members: [JSONValue.Member] = []
        for key in ["table", "source", "keys", "oldKeys", "newImage", "oldImage", "unchangedColumns"] {
            guard var value = rendered[key] else { continue }
            if key == "source" { value = ["schema": value["schema"]!, "table": value["table"]!] }
            members.append(.init(key, value))
        }
        return .object(members)
    }

    static func rendered(_ record: ChangeRecord, format: RecordRenderer.Format = .cdcd) throws -> JSONValue {
        try JSONValue.parse(RecordRenderer(format: format).renderLine(record))
    }

    @Test("each operation on each kind of record renders as expected", arguments: cases)
    func rendersTransformedRecord(_ c: Case) throws {
        let transform = RecordTransform(tables: [], operation: c.operation)
        let output = transform.apply(c.fixture.record())
        #expect(Self.projection(try Self.rendered(output)) == (try JSONValue.parse(c.expected)))
    }

    // MARK: structure

    static let allOperations: [RecordTransform.Operation] = [keep, drop, renameTable, renameColumns, mask, hash]

    @Test("records stay well formed and keep everything but relation and values", arguments: allOperations, Fixture.allCases)
    func invariants(_ operation: RecordTransform.Operation, _ fixture: Fixture) {
        let input = fixture.record()
        let output = RecordTransform(tables: [], operation: operation).apply(input)
        let relation = output.relation
        #expect(output.eventName == input.eventName)
        #expect(output.eventID == input.eventID)
        #expect(output.sequenceNumber == input.sequenceNumber)
        #expect(output.database == input.database && output.xid == input.xid && output.commitTime == input.commitTime)
        #expect(relation !== input.relation)
        #expect(relation.oid == input.relation.oid && relation.replicaIdentity == input.relation.replicaIdentity)
        #expect(output.newValues?.count ?? relation.columns.count == relation.columns.count)
        #expect(output.oldValues?.count ?? relation.columns.count == relation.columns.count)
        #expect(output.keyValues.count == input.keyValues.count)
        #expect(output.oldKeyValues?.count == input.oldKeyValues?.count)
        #expect(relation.keyIndexes.count == 2)
        // The key columns stay, and the key values are the key columns' values of the new row.
        #expect(relation.keyIndexes.allSatisfy { relation.columns.indices.contains($0) })
        if let new = output.newValues {
            #expect(relation.keyIndexes.map { new[$0] } == output.keyValues)
        }
        if let old = output.oldValues, let oldKeys = output.oldKeyValues {
            #expect(relation.keyIndexes.map { old[$0] } == oldKeys)
        }
        #expect(Set(relation.columns.map(\.name)).count == relation.columns.count)
        // The input is a value: untouched.
        #expect(input.relation === Self.items)
        #expect(input.newValues == fixture.record().newValues)
    }

    @Test("keys are kept even when dropped or not kept")
    func keysSurvive() {
        let everything = Self.items.columns.map(\.name)
        for operation: RecordTransform.Operation in [.dropColumns(everything), .keepColumns([]), .keepColumns(["nope"])] {
            let output = RecordTransform(tables: [], operation: operation).apply(Fixture.keyChange.record())
            #expect(output.relation.columns.map(\.name) == ["order_id", "line"])
            #expect(output.relation.keyIndexes == [0, 1])
            #expect(output.newValues == [Self.t("7"), Self.t("3")])
            #expect(output.oldValues == [Self.t("7"), Self.t("2")])
            #expect(output.keyValues == [Self.t("7"), Self.t("3")])
            #expect(output.oldKeyValues == [Self.t("7"), Self.t("2")])
        }
    }

    @Test("redacted columns become text; other columns keep their types")
    func redactedColumnTypes() {
        let output = RecordTransform(tables: [], operation: Self.hash).apply(Fixture.insert.record())
        for (before, after) in zip(Self.items.columns, output.relation.columns) {
            if ["note", "line", "data"].contains(before.name) {
                #expect(after.typeOID == 25 && after.typeModifier == -1 && after.kind == .text)
            } else {
                #expect(after == before)
            }
        }
    }

    @Test("hash keeps distinct keys distinct and equal values equal")
    func hashKeepsKeysDistinct() {
        let transform = RecordTransform(tables: [], operation: .redact(columns: ["line"], method: .hash))
        let a = transform.apply(Fixture.insert.record())  // line 2
        let b = transform.apply(Fixture.keyChange.record())  // line 3, was 2
        #expect(a.keyValues != b.keyValues)
        #expect(a.keyValues == b.oldKeyValues)
        #expect(a.keyValues[1] == Self.t(Self.two))
    }

    // MARK: operations that change nothing

    @Test(
        "operations with nothing to do pass the record unchanged",
        arguments: [
            RecordTransform.Operation.dropColumns(["nope"]), .keepColumns(["note", "status", "total", "data"]),
            .renameTable(schema: "public", table: "order_items"), .renameColumns([.init(from: "nope", to: "x")]),
            .renameColumns([.init(from: "note", to: "note")]), .redact(columns: ["nope"], method: .mask),
        ])
    func noOps(_ operation: RecordTransform.Operation) {
        let input = Fixture.keyChange.record()
        let output = RecordTransform(tables: [], operation: operation).apply(input)
        #expect(output.relation === input.relation)
        #expect(output.newValues == input.newValues && output.oldValues == input.oldValues)
        #expect(output.keyValues == input.keyValues && output.oldKeyValues == input.oldKeyValues)
    }

    struct RenameCase: Sendable, CustomTestStringConvertible {
        var renames: [(String, String)]
        var names: [String]
        var testDescription: String { renames.map { "\($0.0)→\($0.1)" }.joined(separator: ", ") }
    }

    @Test(
        "renames that would duplicate a column name are not applied",
        arguments: [
            RenameCase(renames: [("note", "status")], names: ["note", "order_id", "status", "line", "total", "data"]),
            RenameCase(renames: [("note", "x"), ("total", "x")], names: ["note", "order_id", "status", "line", "total", "data"]),
            RenameCase(
                renames: [("note", "status"), ("status", "note")], names: ["status", "order_id", "note", "line", "total", "data"]),
            // note→line collides with line, so note stays note, so total→note collides too.
            RenameCase(
                renames: [("note", "line"), ("total", "note"), ("data", "payload")],
                names: ["note", "order_id", "status", "line", "total", "payload"]),
        ])
    func renameCollisions(_ c: RenameCase) {
        let operation = RecordTransform.Operation.renameColumns(c.renames.map { .init(from: $0.0, to: $0.1) })
        let output = RecordTransform(tables: [], operation: operation).apply(Fixture.insert.record())
        #expect(output.relation.columns.map(\.name) == c.names)
    }

    // MARK: tables

    struct TablesCase: Sendable, CustomTestStringConvertible {
        var patterns: [String]
        var applies: Bool
        var testDescription: String { "\(patterns) \(applies ? "applies" : "passes")" }
    }

    @Test(
        "only records of matching tables are transformed",
        arguments: [
            TablesCase(patterns: [], applies: true),
            TablesCase(patterns: ["public.order_items"], applies: true),
            TablesCase(patterns: ["public.*"], applies: true),
            TablesCase(patterns: ["sales.*", "*.order_?tems"], applies: true),
            TablesCase(patterns: ["public.orders"], applies: false),
            TablesCase(patterns: ["sales.*", "public.order_item"], applies: false),
        ])
    func tableFiltering(_ c: TablesCase) throws {
        let transform = RecordTransform(tables: try c.patterns.map { try TablePattern($0) }, operation: Self.keep)
        for fixture in Fixture.allCases {
            let input = fixture.record()
            let output = transform.apply(input)
            #expect((output.relation !== input.relation) == c.applies)
            #expect(output.relation.columns.count == (c.applies ? 3 : 6))
            #expect(output.newValues?.count == input.newValues.map { c.applies ? 3 : $0.count })
        }
    }

    // MARK: relation sharing

    @Test("the transformed relation is built once per source relation", arguments: allOperations)
    func relationIsShared(_ operation: RecordTransform.Operation) {
        let transform = RecordTransform(tables: [], operation: operation)
        let outputs = Fixture.allCases.map { transform.apply($0.record()) }
        for output in outputs.dropFirst() { #expect(output.relation === outputs[0].relation) }

        // A new relation instance (a schema change) gets its own transformed relation.
        let replaced = Relation(
            oid: Self.items.oid, schema: Self.items.schema, name: Self.items.name,
            replicaIdentity: Self.items.replicaIdentity, columns: Self.items.columns, keyIndexes: Self.items.keyIndexes)
        let other = transform.apply(Fixture.insert.record(replaced))
        #expect(other.relation !== outputs[0].relation)
        #expect(transform.apply(Fixture.remove.record(replaced)).relation === other.relation)
    }

    @Test("the plan cache is bounded and stays correct when it starts over")
    func cacheBound() {
        let cache = TransformPlanCache(limit: 2)
        let relations = (0..<5).map { i in
            Relation(oid: UInt32(i), schema: "s", name: "t\(i)", replicaIdentity: .default, columns: [], keyIndexes: [])
        }
        var made = 0
        for relation in relations + relations {
            var plan: TransformPlan?
            switch cache.lookup(relation) {
            case .unknown:
                made += 1
                plan = cache.insert(TransformPlan(Self.renameTable, relation), for: relation)
            case .plan(let known): plan = known
            case .passThrough: plan = nil
            }
            #expect(plan?.relation.name == "items")
            #expect(cache.count <= 2)
        }
        #expect(made == 10)
        guard case .plan(let first) = cache.lookup(relations[4]) else {
            Issue.record("the last relation is not cached")
            return
        }
        // A later insert for a known relation keeps the first plan, so records keep sharing it.
        #expect(cache.insert(nil, for: relations[4]) === first)
    }

    // MARK: chains

    @Test("a chain applies its steps in order, each seeing the previous step's output")
    func chain() throws {
        let chain = RecordTransformChain([
            RecordTransform(tables: [try TablePattern("public.order_items")], operation: Self.renameTable),
            // Matches the new name, not the old one.
            RecordTransform(tables: [try TablePattern("analytics.*")], operation: .dropColumns(["note", "data"])),
            RecordTransform(tables: [try TablePattern("public.order_items")], operation: .dropColumns(["status"])),
            RecordTransform(tables: [], operation: .renameColumns([.init(from: "total", to: "amount")])),
            RecordTransform(tables: [], operation: .redact(columns: ["amount"], method: .hash)),
        ])
        let nine = "b41b81976c2f1f8b7aec5281ddb04656360f46c7ffd232dde0d91ed73af96bba"  // SHA-256 of 9.90
        #expect(SHA256.hexDigest(Array("9.90".utf8)) == nine)
        let expected = try JSONValue.parse(
            #"{"table":"analytics.items","source":{"schema":"analytics","table":"items"},"keys":{"order_id":7,"line":3},"oldKeys":{"order_id":7,"line":2},"newImage":{"order_id":7,"status":"shipped","line":3,"amount":"\#(nine)"},"oldImage":{"order_id":7,"status":"paid","line":2,"amount":"\#(nine)"},"unchangedColumns":[]}"#
        )
        let a = chain.apply(Fixture.keyChange.record())
        let b = chain.apply([Fixture.insert.record(), Fixture.keyChange.record()])
        #expect(Self.projection(try Self.rendered(a)) == expected)
        #expect(Self.projection(try Self.rendered(b[1])) == expected)
        #expect(b[0].relation === a.relation)
        #expect(b[0].eventName == .insert)

        let empty = RecordTransformChain([])
        #expect(empty.isEmpty)
        #expect(empty.apply(Fixture.insert.record()).relation === Self.items)
    }

    @Test("transformed records render in the dynamodb format too")
    func dynamoDBFormat() throws {
        let output = RecordTransform(tables: [], operation: Self.mask).apply(Fixture.keyChange.record())
        let rendered = try Self.rendered(output, format: .dynamodb)
        let expected = try JSONValue.parse(
            #"{"Keys":{"order_id":{"N":"7"},"line":{"S":"***"}},"NewImage":{"note":{"S":"***"},"order_id":{"N":"7"},"status":{"S":"shipped"},"line":{"S":"***"},"total":{"N":"9.90"},"data":{"M":{"a":{"N":"1"}}}}}"#
        )
        #expect(rendered["dynamodb"]?["Keys"] == expected["Keys"])
        #expect(rendered["dynamodb"]?["NewImage"] == expected["NewImage"])
    }

    @Test("one transform applied from many tasks at once shares one relation")
    func concurrentUse() async {
        let transform = RecordTransform(tables: [], operation: Self.keep)
        let ids = await withTaskGroup(of: ObjectIdentifier.self) { group in
            for i in 0..<64 {
                group.addTask { ObjectIdentifier(transform.apply(Fixture.allCases[i % 5].record()).relation) }
            }
            var ids = Set<ObjectIdentifier>()
            for await id in group { ids.insert(id) }
            return ids
        }
        #expect(ids.count == 1)
    }
}
