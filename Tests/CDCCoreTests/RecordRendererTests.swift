import Testing

@testable import CDCCore

@Suite("RecordRenderer")
struct RecordRendererTests {
    // MARK: fixtures

    static let orders = Relation(
        oid: 16384, schema: "public", name: "orders", replicaIdentity: .full,
        columns: [
            .init(name: "id", typeOID: 23, typeModifier: -1, kind: .integer, isReplicaIdentity: true),
            .init(name: "status", typeOID: 25, typeModifier: -1, kind: .text, isReplicaIdentity: false),
            .init(name: "total", typeOID: 1700, typeModifier: -1, kind: .numeric, isReplicaIdentity: false),
            .init(name: "note", typeOID: 25, typeModifier: -1, kind: .text, isReplicaIdentity: false),
            .init(name: "data", typeOID: 3802, typeModifier: -1, kind: .jsonb, isReplicaIdentity: false),
            .init(name: "created_at", typeOID: 1184, typeModifier: -1, kind: .timestamptz, isReplicaIdentity: false),
        ],
        keyIndexes: [0])

    static let odd = Relation(
        oid: 16400, schema: "Sales Dept", name: "Order \"Items\"", replicaIdentity: .default,
        columns: [.init(name: "näme\"", typeOID: 25, typeModifier: -1, kind: .text, isReplicaIdentity: true)],
        keyIndexes: [0])

    /// 2026-11-27T19:30:00.123456Z in microseconds since 2000-01-01.
    static let commitTime: Int64 = 849_123_000_123_456
    static let createdAt = "2026-11-27 19:29:59.5+00"

    static func t(_ s: String) -> PgValue { .text(Array(s.utf8)) }

    static func record(
        _ name: EventName, index: UInt32, keys: [PgValue], oldKeys: [PgValue]? = nil, new: [PgValue]? = nil,
        old: [PgValue]? = nil
    ) -> ChangeRecord {
        ChangeRecord(
            eventName: name, relation: orders, database: "app", commitLSN: LSN(0x16B_3748), index: index, xid: 745,
            commitTime: commitTime, keyValues: keys, oldKeyValues: oldKeys, newValues: new, oldValues: old)
    }

    enum Fixture: String, Sendable {
        case insert, keyChange, toast, remove, truncate, odd

        var record: ChangeRecord {
            switch self {
            case .insert:
                RecordRendererTests.record(
                    .insert, index: 3, keys: [t("42")],
                    new: [t("42"), t("paid"), t("99.90"), .null, t(#"{"a": [1, 2]}"#), t(createdAt)])
            case .keyChange:
                RecordRendererTests.record(
                    .modify, index: 4, keys: [t("43")], oldKeys: [t("42")],
                    new: [t("43"), t("shipped"), t("99.90"), t("fragile"), t("{}"), t(createdAt)],
                    old: [t("42"), t("paid"), t("99.90"), .null, t(#"{"a": [1, 2]}"#), t(createdAt)])
            case .toast:
                RecordRendererTests.record(
                    .modify, index: 5, keys: [t("42")],
                    new: [t("42"), t("paid"), t("100.00"), .unchangedToast, .unchangedToast, t(createdAt)])
            case .remove:
                RecordRendererTests.record(.remove, index: 6, keys: [t("42")])
            case .truncate:
                RecordRendererTests.record(.truncate, index: 7, keys: [])
            case .odd:
                ChangeRecord(
                    eventName: .insert, relation: RecordRendererTests.odd, database: "app", commitLSN: LSN(1 << 32),
                    index: 1, xid: UInt32.max, commitTime: -1, snapshot: true, keyValues: [t("x\ny")],
                    newValues: [t("x\ny")])
            }
        }

        private func t(_ s: String) -> PgValue { RecordRendererTests.t(s) }
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var fixture: Fixture
        var format: RecordRenderer.Format
        var view: RecordRenderer.View
        var expected: String

        init(_ fixture: Fixture, _ format: RecordRenderer.Format, _ view: RecordRenderer.View, _ expected: String) {
            self.fixture = fixture
            self.format = format
            self.view = view
            self.expected = expected
        }

        var testDescription: String { "\(fixture) \(format.rawValue) \(view.rawValue)" }
    }

    // Expected texts: written by an independent reference (Python's json.dumps over hand-built dicts).
    static let cases: [Case] = [
        Case(
            .insert, .cdcd, .newAndOldImages,
            #"{"eventID":"00000000016B3748-000003","eventName":"INSERT","eventSource":"cdcd:postgres","sequenceNumber":"000000000000238037200000000003","table":"public.orders","source":{"database":"app","schema":"public","table":"orders","lsn":"0/16B3748","xid":745,"commitTime":"2026-11-27T19:30:00.123456Z","snapshot":false},"keys":{"id":42},"newImage":{"id":42,"status":"paid","total":"99.90","note":null,"data":{"a":[1,2]},"created_at":"2026-11-27T19:29:59.5Z"},"unchangedColumns":[],"sizeBytes":83}"#
        ),
        Case(
            .insert, .dynamodb, .newAndOldImages,
            #"{"eventID":"00000000016B3748-000003","eventName":"INSERT","eventVersion":"1.1","eventSource":"aws:dynamodb","awsRegion":"eu-west-1","eventSourceARN":"arn:aws:dynamodb:eu-west-1:000000000000:table/public.orders/stream/cdcd","dynamodb":{"ApproximateCreationDateTime":1795807800,"Keys":{"id":{"N":"42"}},"NewImage":{"id":{"N":"42"},"status":{"S":"paid"},"total":{"N":"99.90"},"note":{"NULL":true},"data":{"M":{"a":{"L":[{"N":"1"},{"N":"2"}]}}},"created_at":{"S":"2026-11-27T19:29:59.5Z"}},"SequenceNumber":"000000000000238037200000000003","SizeBytes":83,"StreamViewType":"NEW_AND_OLD_IMAGES"}}"#
        ),
        Case(
            .keyChange, .cdcd, .keysOnly,
            #"{"eventID":"00000000016B3748-000004","eventName":"MODIFY","eventSource":"cdcd:postgres","sequenceNumber":"000000000000238037200000000004","table":"public.orders","source":{"database":"app","schema":"public","table":"orders","lsn":"0/16B3748","xid":745,"commitTime":"2026-11-27T19:30:00.123456Z","snapshot":false},"keys":{"id":43},"oldKeys":{"id":42},"unchangedColumns":[],"sizeBytes":8}"#
        ),
        Case(
            .keyChange, .cdcd, .newImage,
            #"{"eventID":"00000000016B3748-000004","eventName":"MODIFY","eventSource":"cdcd:postgres","sequenceNumber":"000000000000238037200000000004","table":"public.orders","source":{"database":"app","schema":"public","table":"orders","lsn":"0/16B3748","xid":745,"commitTime":"2026-11-27T19:30:00.123456Z","snapshot":false},"keys":{"id":43},"oldKeys":{"id":42},"newImage":{"id":43,"status":"shipped","total":"99.90","note":"fragile","data":{},"created_at":"2026-11-27T19:29:59.5Z"},"unchangedColumns":[],"sizeBytes":86}"#
        ),
        Case(
            .keyChange, .cdcd, .oldImage,
            #"{"eventID":"00000000016B3748-000004","eventName":"MODIFY","eventSource":"cdcd:postgres","sequenceNumber":"000000000000238037200000000004","table":"public.orders","source":{"database":"app","schema":"public","table":"orders","lsn":"0/16B3748","xid":745,"commitTime":"2026-11-27T19:30:00.123456Z","snapshot":false},"keys":{"id":43},"oldKeys":{"id":42},"oldImage":{"id":42,"status":"paid","total":"99.90","note":null,"data":{"a":[1,2]},"created_at":"2026-11-27T19:29:59.5Z"},"unchangedColumns":[],"sizeBytes":87}"#
        ),
        Case(
            .keyChange, .cdcd, .newAndOldImages,
            #"{"eventID":"00000000016B3748-000004","eventName":"MODIFY","eventSource":"cdcd:postgres","sequenceNumber":"000000000000238037200000000004","table":"public.orders","source":{"database":"app","schema":"public","table":"orders","lsn":"0/16B3748","xid":745,"commitTime":"2026-11-27T19:30:00.123456Z","snapshot":false},"keys":{"id":43},"oldKeys":{"id":42},"newImage":{"id":43,"status":"shipped","total":"99.90","note":"fragile","data":{},"created_at":"2026-11-27T19:29:59.5Z"},"oldImage":{"id":42,"status":"paid","total":"99.90","note":null,"data":{"a":[1,2]},"created_at":"2026-11-27T19:29:59.5Z"},"unchangedColumns":[],"sizeBytes":165}"#
        ),
        Case(
            .keyChange, .dynamodb, .keysOnly,
            #"{"eventID":"00000000016B3748-000004","eventName":"MODIFY","eventVersion":"1.1","eventSource":"aws:dynamodb","awsRegion":"eu-west-1","eventSourceARN":"arn:aws:dynamodb:eu-west-1:000000000000:table/public.orders/stream/cdcd","dynamodb":{"ApproximateCreationDateTime":1795807800,"Keys":{"id":{"N":"43"}},"SequenceNumber":"000000000000238037200000000004","SizeBytes":8,"StreamViewType":"KEYS_ONLY"}}"#
        ),
        Case(
            .keyChange, .dynamodb, .newImage,
            #"{"eventID":"00000000016B3748-000004","eventName":"MODIFY","eventVersion":"1.1","eventSource":"aws:dynamodb","awsRegion":"eu-west-1","eventSourceARN":"arn:aws:dynamodb:eu-west-1:000000000000:table/public.orders/stream/cdcd","dynamodb":{"ApproximateCreationDateTime":1795807800,"Keys":{"id":{"N":"43"}},"NewImage":{"id":{"N":"43"},"status":{"S":"shipped"},"total":{"N":"99.90"},"note":{"S":"fragile"},"data":{"M":{}},"created_at":{"S":"2026-11-27T19:29:59.5Z"}},"SequenceNumber":"000000000000238037200000000004","SizeBytes":86,"StreamViewType":"NEW_IMAGE"}}"#
        ),
        Case(
            .keyChange, .dynamodb, .oldImage,
            #"{"eventID":"00000000016B3748-000004","eventName":"MODIFY","eventVersion":"1.1","eventSource":"aws:dynamodb","awsRegion":"eu-west-1","eventSourceARN":"arn:aws:dynamodb:eu-west-1:000000000000:table/public.orders/stream/cdcd","dynamodb":{"ApproximateCreationDateTime":1795807800,"Keys":{"id":{"N":"43"}},"OldImage":{"id":{"N":"42"},"status":{"S":"paid"},"total":{"N":"99.90"},"note":{"NULL":true},"data":{"M":{"a":{"L":[{"N":"1"},{"N":"2"}]}}},"created_at":{"S":"2026-11-27T19:29:59.5Z"}},"SequenceNumber":"000000000000238037200000000004","SizeBytes":87,"StreamViewType":"OLD_IMAGE"}}"#
        ),
        Case(
            .keyChange, .dynamodb, .newAndOldImages,
            #"{"eventID":"00000000016B3748-000004","eventName":"MODIFY","eventVersion":"1.1","eventSource":"aws:dynamodb","awsRegion":"eu-west-1","eventSourceARN":"arn:aws:dynamodb:eu-west-1:000000000000:table/public.orders/stream/cdcd","dynamodb":{"ApproximateCreationDateTime":1795807800,"Keys":{"id":{"N":"43"}},"NewImage":{"id":{"N":"43"},"status":{"S":"shipped"},"total":{"N":"99.90"},"note":{"S":"fragile"},"data":{"M":{}},"created_at":{"S":"2026-11-27T19:29:59.5Z"}},"OldImage":{"id":{"N":"42"},"status":{"S":"paid"},"total":{"N":"99.90"},"note":{"NULL":true},"data":{"M":{"a":{"L":[{"N":"1"},{"N":"2"}]}}},"created_at":{"S":"2026-11-27T19:29:59.5Z"}},"SequenceNumber":"000000000000238037200000000004","SizeBytes":165,"StreamViewType":"NEW_AND_OLD_IMAGES"}}"#
        ),
        Case(
            .toast, .cdcd, .newAndOldImages,
            #"{"eventID":"00000000016B3748-000005","eventName":"MODIFY","eventSource":"cdcd:postgres","sequenceNumber":"000000000000238037200000000005","table":"public.orders","source":{"database":"app","schema":"public","table":"orders","lsn":"0/16B3748","xid":745,"commitTime":"2026-11-27T19:30:00.123456Z","snapshot":false},"keys":{"id":42},"newImage":{"id":42,"status":"paid","total":"100.00","created_at":"2026-11-27T19:29:59.5Z"},"unchangedColumns":["note","data"],"sizeBytes":63}"#
        ),
        Case(
            .toast, .dynamodb, .newAndOldImages,
            #"{"eventID":"00000000016B3748-000005","eventName":"MODIFY","eventVersion":"1.1","eventSource":"aws:dynamodb","awsRegion":"eu-west-1","eventSourceARN":"arn:aws:dynamodb:eu-west-1:000000000000:table/public.orders/stream/cdcd","dynamodb":{"ApproximateCreationDateTime":1795807800,"Keys":{"id":{"N":"42"}},"NewImage":{"id":{"N":"42"},"status":{"S":"paid"},"total":{"N":"100.00"},"created_at":{"S":"2026-11-27T19:29:59.5Z"}},"SequenceNumber":"000000000000238037200000000005","SizeBytes":63,"StreamViewType":"NEW_AND_OLD_IMAGES"}}"#
        ),
        Case(
            .remove, .cdcd, .newAndOldImages,
            #"{"eventID":"00000000016B3748-000006","eventName":"REMOVE","eventSource":"cdcd:postgres","sequenceNumber":"000000000000238037200000000006","table":"public.orders","source":{"database":"app","schema":"public","table":"orders","lsn":"0/16B3748","xid":745,"commitTime":"2026-11-27T19:30:00.123456Z","snapshot":false},"keys":{"id":42},"unchangedColumns":[],"sizeBytes":4}"#
        ),
        Case(
            .remove, .dynamodb, .newAndOldImages,
            #"{"eventID":"00000000016B3748-000006","eventName":"REMOVE","eventVersion":"1.1","eventSource":"aws:dynamodb","awsRegion":"eu-west-1","eventSourceARN":"arn:aws:dynamodb:eu-west-1:000000000000:table/public.orders/stream/cdcd","dynamodb":{"ApproximateCreationDateTime":1795807800,"Keys":{"id":{"N":"42"}},"SequenceNumber":"000000000000238037200000000006","SizeBytes":4,"StreamViewType":"NEW_AND_OLD_IMAGES"}}"#
        ),
        Case(
            .truncate, .cdcd, .newAndOldImages,
            #"{"eventID":"00000000016B3748-000007","eventName":"TRUNCATE","eventSource":"cdcd:postgres","sequenceNumber":"000000000000238037200000000007","table":"public.orders","source":{"database":"app","schema":"public","table":"orders","lsn":"0/16B3748","xid":745,"commitTime":"2026-11-27T19:30:00.123456Z","snapshot":false},"unchangedColumns":[],"sizeBytes":0}"#
        ),
        Case(
            .truncate, .dynamodb, .newAndOldImages,
            #"{"eventID":"00000000016B3748-000007","eventName":"TRUNCATE","eventVersion":"1.1","eventSource":"aws:dynamodb","awsRegion":"eu-west-1","eventSourceARN":"arn:aws:dynamodb:eu-west-1:000000000000:table/public.orders/stream/cdcd","dynamodb":{"ApproximateCreationDateTime":1795807800,"Keys":{},"SequenceNumber":"000000000000238037200000000007","SizeBytes":0,"StreamViewType":"NEW_AND_OLD_IMAGES"}}"#
        ),
        Case(
            .odd, .cdcd, .newAndOldImages,
            #"{"eventID":"0000000100000000-000001","eventName":"INSERT","eventSource":"cdcd:postgres","sequenceNumber":"000000000042949672960000000001","table":"Sales Dept.Order \"Items\"","source":{"database":"app","schema":"Sales Dept","table":"Order \"Items\"","lsn":"1/0","xid":4294967295,"commitTime":"1999-12-31T23:59:59.999999Z","snapshot":true},"keys":{"näme\"":"x\ny"},"newImage":{"näme\"":"x\ny"},"unchangedColumns":[],"sizeBytes":18}"#
        ),
        Case(
            .odd, .dynamodb, .newAndOldImages,
            #"{"eventID":"0000000100000000-000001","eventName":"INSERT","eventVersion":"1.1","eventSource":"aws:dynamodb","awsRegion":"eu-west-1","eventSourceARN":"arn:aws:dynamodb:eu-west-1:000000000000:table/Sales Dept.Order \"Items\"/stream/cdcd","dynamodb":{"ApproximateCreationDateTime":946684799,"Keys":{"näme\"":{"S":"x\ny"}},"NewImage":{"näme\"":{"S":"x\ny"}},"SequenceNumber":"000000000042949672960000000001","SizeBytes":18,"StreamViewType":"NEW_AND_OLD_IMAGES"}}"#
        ),
    ]

    // MARK: tests

    @Test("renders whole records", arguments: cases)
    func rendersRecord(_ c: Case) throws {
        let renderer = RecordRenderer(format: c.format, view: c.view, awsRegion: "eu-west-1")
        var w = JSONWriter()
        renderer.render(c.fixture.record, into: &w)
        let text = String(decoding: w.bytes, as: UTF8.self)
        #expect(text == c.expected)

        let line = renderer.renderLine(c.fixture.record)
        #expect(line == w.bytes + [0x0A])
        #expect(line.firstIndex(of: 0x0A) == line.count - 1)
        let parsed = try JSONValue.parse(line)
        #expect(parsed == (try JSONValue.parse(c.expected)))
    }

    @Test(
        "every fixture, format and view renders valid JSON with the view's images",
        arguments: [Fixture.insert, .keyChange, .toast, .remove, .truncate, .odd], RecordRenderer.View.allCases)
    func viewsSelectImages(fixture: Fixture, view: RecordRenderer.View) throws {
        let record = fixture.record
        for format in RecordRenderer.Format.allCases {
            let value = try JSONValue.parse(RecordRenderer(format: format, view: view).renderLine(record))
            let body = format == .cdcd ? value : value["dynamodb"]!
            let (newKey, oldKey) = format == .cdcd ? ("newImage", "oldImage") : ("NewImage", "OldImage")
            let wantsNew = (view == .newImage || view == .newAndOldImages) && record.newValues != nil
            let wantsOld = (view == .oldImage || view == .newAndOldImages) && record.oldValues != nil
            let isTruncate = record.eventName == .truncate
            #expect((body[newKey] != nil) == (wantsNew && !isTruncate))
            #expect((body[oldKey] != nil) == (wantsOld && !isTruncate))
            if format == .cdcd {
                #expect((value["keys"] != nil) == !isTruncate)
                #expect(value["eventID"]?.stringValue == record.eventID)
                #expect(value["sequenceNumber"]?.stringValue == record.sequenceNumber)
            } else {
                #expect(body["Keys"] != nil)
                #expect(body["StreamViewType"]?.stringValue == view.rawValue)
                #expect(body["SequenceNumber"]?.stringValue == record.sequenceNumber)
                #expect(value["eventID"]?.stringValue == record.eventID)
            }
        }
    }

    @Test func sizeBytesIsTheSameInBothFormats() throws {
        for fixture in [Fixture.insert, .keyChange, .toast, .remove, .truncate, .odd] {
            for view in RecordRenderer.View.allCases {
                let cdcd = try JSONValue.parse(RecordRenderer(format: .cdcd, view: view).renderLine(fixture.record))
                let ddb = try JSONValue.parse(RecordRenderer(format: .dynamodb, view: view).renderLine(fixture.record))
                #expect(cdcd["sizeBytes"] == ddb["dynamodb"]?["SizeBytes"])
            }
        }
    }

    static let idCases: [(UInt64, UInt32)] = [
        (0, 0), (0x16B_3748, 3), (1 << 32, 1), (0xFFFF_FFFF_FFFF_FFFF, UInt32.max), (12_345, 1_234_567),
    ]

    @Test("eventID and sequenceNumber match ChangeRecord's", arguments: idCases)
    func idsMatchModel(lsn: UInt64, index: UInt32) throws {
        var record = Fixture.remove.record
        record.commitLSN = LSN(lsn)
        record.index = index
        let value = try JSONValue.parse(RecordRenderer().renderLine(record))
        #expect(value["eventID"]?.stringValue == record.eventID)
        #expect(value["sequenceNumber"]?.stringValue == record.sequenceNumber)
        #expect(value["source"]?["lsn"]?.stringValue == record.commitLSN.description)
    }

    static let times: [(Int64, String, Int64)] = [
        (0, "2000-01-01T00:00:00.000000Z", 946_684_800),
        (-1, "1999-12-31T23:59:59.999999Z", 946_684_799),
        (762_523_200_000_001, "2024-02-29T12:00:00.000001Z", 1_709_208_000),
        (-3_150_576_000_000_000, "1900-03-01T00:00:00.000000Z", -2_203_891_200),
        (849_123_000_123_456, "2026-11-27T19:30:00.123456Z", 1_795_807_800),
    ]

    @Test("commitTime and ApproximateCreationDateTime", arguments: times)
    func commitTimes(micros: Int64, rfc3339: String, epochSeconds: Int64) throws {
        var record = Fixture.truncate.record
        record.commitTime = micros
        let cdcd = try JSONValue.parse(RecordRenderer().renderLine(record))
        #expect(cdcd["source"]?["commitTime"]?.stringValue == rfc3339)
        let ddb = try JSONValue.parse(RecordRenderer(format: .dynamodb).renderLine(record))
        #expect(ddb["dynamodb"]?["ApproximateCreationDateTime"] == .number(String(epochSeconds)))
    }

    /// Checks the civil-date arithmetic against a naive day-by-day calendar walk over 400 years
    /// (one full Gregorian cycle) starting 1800-01-01.
    @Test func civilDateMatchesCalendarWalk() {
        func isLeap(_ y: Int64) -> Bool { (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 }
        let lengths: [Int64] = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        var (y, m, d): (Int64, Int64, Int64) = (1800, 1, 1)
        var day: Int64 = -62_091  // 1800-01-01 relative to 1970-01-01
        while y < 2200 {
            let got = RecordRenderer.civilDate(daysSinceUnixEpoch: day)
            if got != (y, m, d) {
                Issue.record("day \(day): got \(got), want \((y, m, d))")
                return
            }
            day += 1
            d += 1
            if d > lengths[Int(m - 1)] + (m == 2 && isLeap(y) ? 1 : 0) {
                d = 1
                m += 1
                if m > 12 {
                    m = 1
                    y += 1
                }
            }
        }
    }
}
