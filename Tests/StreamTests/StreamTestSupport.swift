import CDCCore
import Foundation
import Synchronization
import Testing

@testable import Capture

/// A throwaway directory under /tmp, removed by `remove()`.
struct TemporaryDirectory: ~Copyable {
    let path: String

    init(_ label: String = "stream") {
        var template = Array("/tmp/cdcd-\(label)-XXXXXX".utf8CString)
        path = template.withUnsafeMutableBufferPointer { buffer in
            guard let made = mkdtemp(buffer.baseAddress!) else { fatalError("mkdtemp failed") }
            return String(cString: made)
        }
    }

    /// The stream directory inside it (created by `StreamLog` itself).
    var stream: String { path + "/stream" }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// A clock the test moves by hand (microseconds since 1970).
final class TestClock: Sendable {
    private let value: Mutex<Int64>

    init(_ start: Int64 = 1_800_000_000_000_000) { value = Mutex(start) }

    var now: Int64 { value.withLock { $0 } }

    func advance(seconds: Int64) { value.withLock { $0 += seconds * 1_000_000 } }

    var function: @Sendable () -> Int64 { { self.now } }
}

enum Fixtures {
    static func t(_ s: String) -> PgValue { .text(Array(s.utf8)) }

    /// A realistic six-column table.
    static let orders = Relation(
        oid: 16384, schema: "public", name: "orders", replicaIdentity: .default,
        columns: [
            .init(name: "id", typeOID: 20, typeModifier: -1, kind: .integer, isReplicaIdentity: true),
            .init(name: "customer_id", typeOID: 23, typeModifier: -1, kind: .integer, isReplicaIdentity: false),
            .init(name: "status", typeOID: 25, typeModifier: -1, kind: .text, isReplicaIdentity: false),
            .init(name: "total", typeOID: 1700, typeModifier: 655_366, kind: .numeric, isReplicaIdentity: false),
            .init(name: "note", typeOID: 1043, typeModifier: 260, kind: .text, isReplicaIdentity: false),
            .init(name: "created_at", typeOID: 1184, typeModifier: -1, kind: .timestamptz, isReplicaIdentity: false),
        ],
        keyIndexes: [0])

    /// Every value kind, REPLICA IDENTITY FULL, a composite key.
    static let everything = Relation(
        oid: UInt32.max, schema: "Sales Dept", name: "Order \"Items\" ✓", replicaIdentity: .full,
        columns: [
            .init(name: "b", typeOID: 16, typeModifier: -1, kind: .bool, isReplicaIdentity: true),
            .init(name: "i", typeOID: 23, typeModifier: -1, kind: .integer, isReplicaIdentity: true),
            .init(name: "f", typeOID: 701, typeModifier: -1, kind: .float, isReplicaIdentity: true),
            .init(name: "n", typeOID: 1700, typeModifier: Int32.max, kind: .numeric, isReplicaIdentity: true),
            .init(name: "j", typeOID: 114, typeModifier: Int32.min, kind: .json, isReplicaIdentity: true),
            .init(name: "jb", typeOID: 3802, typeModifier: 0, kind: .jsonb, isReplicaIdentity: true),
            .init(name: "by", typeOID: 17, typeModifier: -1, kind: .bytea, isReplicaIdentity: true),
            .init(name: "tz", typeOID: 1184, typeModifier: 6, kind: .timestamptz, isReplicaIdentity: true),
            .init(name: "ts", typeOID: 1114, typeModifier: -1, kind: .timestamp, isReplicaIdentity: true),
            .init(name: "d", typeOID: 1082, typeModifier: -1, kind: .date, isReplicaIdentity: true),
            .init(name: "t", typeOID: 1083, typeModifier: -1, kind: .time, isReplicaIdentity: true),
            .init(name: "näme \"x\"", typeOID: 25, typeModifier: -1, kind: .text, isReplicaIdentity: true),
            .init(
                name: "arr", typeOID: 1007, typeModifier: -1, kind: .array(element: .integer, delimiter: 44),
                isReplicaIdentity: true),
            .init(
                name: "boxes", typeOID: 1020, typeModifier: -1,
                kind: .array(element: .array(element: .text, delimiter: 59), delimiter: 59), isReplicaIdentity: true),
        ],
        keyIndexes: [1, 0])

    /// No key, REPLICA IDENTITY NOTHING.
    static let keyless = Relation(
        oid: 1, schema: "s", name: "", replicaIdentity: .nothing,
        columns: [.init(name: "x", typeOID: 25, typeModifier: -1, kind: .text, isReplicaIdentity: false)],
        keyIndexes: [])

    /// No columns at all (a table without columns is legal in PostgreSQL).
    static let empty = Relation(oid: 2, schema: "", name: "e", replicaIdentity: .index, columns: [], keyIndexes: [])

    /// A realistic insert into `orders`, its content derived from `n`.
    static func insert(_ n: Int, relation: Relation = orders) -> ChangeRecord {
        ChangeRecord(
            eventName: .insert, relation: relation, database: "app", commitLSN: LSN(0x16B_3748 + UInt64(n) * 64),
            index: 1, xid: 745 + UInt32(n % 1_000_000), commitTime: 849_123_000_123_456 + Int64(n),
            keyValues: [t(String(n))],
            newValues: [
                t(String(n)), t(String(n % 977)), t(n % 3 == 0 ? "paid" : "new"), t("\(n % 1000).90"),
                n % 5 == 0 ? .null : t("leave at the door"), t("2026-11-27 19:29:59.123456+00"),
            ])
    }

    /// The record `insert(n)` should read back as.
    static func key(of record: ChangeRecord) -> Int? { record.keyValues.first?.string.flatMap { Int($0) } }
}

/// Expects two records to be equal in every field, relation definitions included.
func expectSame(
    _ a: ChangeRecord, _ b: ChangeRecord, sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(a.eventName == b.eventName, sourceLocation: sourceLocation)
    #expect(RelationDefinition(a.relation) == RelationDefinition(b.relation), sourceLocation: sourceLocation)
    #expect(a.relation.qualifiedName == b.relation.qualifiedName, sourceLocation: sourceLocation)
    #expect(a.database == b.database, sourceLocation: sourceLocation)
    #expect(a.commitLSN == b.commitLSN, sourceLocation: sourceLocation)
    #expect(a.index == b.index, sourceLocation: sourceLocation)
    #expect(a.xid == b.xid, sourceLocation: sourceLocation)
    #expect(a.commitTime == b.commitTime, sourceLocation: sourceLocation)
    #expect(a.snapshot == b.snapshot, sourceLocation: sourceLocation)
    #expect(a.keyValues == b.keyValues, sourceLocation: sourceLocation)
    #expect(a.oldKeyValues == b.oldKeyValues, sourceLocation: sourceLocation)
    #expect(a.newValues == b.newValues, sourceLocation: sourceLocation)
    #expect(a.oldValues == b.oldValues, sourceLocation: sourceLocation)
    #expect(a.pipeline == b.pipeline, sourceLocation: sourceLocation)
}

/// Small segments, so that a few hundred records roll several times. No records are kept in memory
/// unless asked (`recentRecords`): reads decode the segment files, which these tests are about.
func smallSegments(
    _ clock: TestClock? = nil, retentionBytes: Int64 = 1 << 40, recentRecords: Int = 0
) -> StreamLog.Options {
    StreamLog.Options(
        segmentBytes: 4096, retentionBytes: retentionBytes, clock: clock?.function ?? StreamLog.wallClockMicroseconds,
        recentRecords: recentRecords)
}

/// Reads every durable record from `offset` on.
func readAll(_ log: StreamLog, from offset: UInt64 = 1) throws -> [StreamLog.Entry] {
    var entries: [StreamLog.Entry] = []
    var next = offset
    while true {
        let batch = try log.read(from: next, maxRecords: 97)
        if batch.isEmpty { return entries }
        entries += batch
        next = batch.last!.offset + 1
    }
}

/// The bytes of a file.
func fileBytes(_ path: String) -> [UInt8] { Array(FileManager.default.contents(atPath: path) ?? Data()) }

func writeFile(_ path: String, _ bytes: [UInt8]) {
    _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
}

/// Segment file paths of a stream directory, oldest first.
func segmentFiles(_ directory: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
        .filter { $0.hasSuffix(".log") }.sorted().map { directory + "/" + $0 }
}

/// A value shared between threads.
final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>
    init(_ value: Value) { mutex = Mutex(value) }
    var value: Value {
        get { mutex.withLock { $0 } }
        set { mutex.withLock { $0 = newValue } }
    }
}
