import Testing

@testable import CDCCore

@Suite("RecordFilter")
struct RecordFilterTests {
    // MARK: fixtures

    /// cdcd records as a pipeline's filter sees them.
    enum Record: String, CaseIterable, CustomTestStringConvertible {
        /// The design's example: an order turned paid.
        case paid
        /// A MODIFY with many column types: jsonb arrays, null, "", floats, mixed case.
        case shipped
        /// A snapshot INSERT: no old image, an empty jsonb array.
        case insert
        /// A REMOVE from another table, with a string key and a NULL column.
        case remove
        /// A TRUNCATE: no keys, no images.
        case truncate

        var text: String {
            switch self {
            case .paid:
                #"""
                {"eventName":"MODIFY","table":"public.orders","keys":{"id":42},
                 "newImage":{"id":42,"status":"paid","total":"99.90","qty":3},"oldImage":{"status":"new"}}
                """#
            case .shipped:
                #"""
                {"eventID":"00000000016B3748-000003","eventName":"MODIFY","eventSource":"cdcd:postgres",
                 "table":"public.orders",
                 "source":{"database":"app","schema":"public","table":"orders","lsn":"0/16B3748","xid":745,
                           "snapshot":false},
                 "keys":{"id":42},
                 "newImage":{"id":42,"status":"shipped","total":"99.90","qty":3,"weight":2.50,"discount":1.0,
                             "note":null,"coupon":"","customer":"ACME GmbH","email":"Ops@Example.COM",
                             "ref":"INV-2026/001","file":"label.PNG","tags":["vip","eu"],
                             "lines":[{"sku":"A-1","qty":2},{"sku":"B-7","qty":5}],"bins":[[1,2],[3]]},
                 "oldImage":{"id":42,"status":"paid","total":"99.90","qty":3},
                 "unchangedColumns":[],"sizeBytes":187}
                """#
            case .insert:
                #"""
                {"eventName":"INSERT","table":"public.orders","source":{"xid":744,"snapshot":true},"keys":{"id":7},
                 "newImage":{"id":7,"status":"new","total":"12.00","qty":1,"discount":0,"note":"call first",
                             "customer":"acme gmbh","email":"sales@example.com","ref":"inv-2026/002",
                             "file":"photo.jpg","tags":[],"lines":[{"sku":"A-1","qty":1}]}}
                """#
            case .remove:
                #"""
                {"eventName":"REMOVE","table":"public.customers","keys":{"id":"c-9"},
                 "oldImage":{"id":"c-9","name":"Zoë","email":null,"tier":"1"}}
                """#
            case .truncate:
                #"{"eventName":"TRUNCATE","table":"public.orders_archive"}"#
            }
        }

        var json: JSONValue {
            get throws { try JSONValue.parse(text) }
        }

        var testDescription: String { rawValue }
    }

    static func filter(_ patterns: String) throws -> RecordFilter {
        let list = try #require(try JSONValue.parse(patterns).arrayValue, "the filter must be a JSON array")
        return try RecordFilter(patterns: list)
    }

    static func check(_ patterns: String, _ record: Record, _ expected: Bool) throws {
        let filter = try filter(patterns)
        #expect(filter.matches(try record.json) == expected, "\(patterns) on \(record.rawValue)")
    }

    // MARK: exact values, AND, OR

    static let exact: [(String, Record, Bool)] = [
        // The design's example filter.
        (#"[{"eventName":["MODIFY"],"newImage":{"status":["paid"]}}]"#, .paid, true),
        (#"[{"eventName":["MODIFY"],"newImage":{"status":["paid"]}}]"#, .shipped, false),
        (#"[{"eventName":["MODIFY"],"newImage":{"status":["paid"]}}]"#, .insert, false),
        (#"[{"eventName":["MODIFY"],"newImage":{"status":["paid"]}}]"#, .truncate, false),
        // OR across the values of one field.
        (#"[{"eventName":["INSERT","MODIFY"]}]"#, .insert, true),
        (#"[{"eventName":["INSERT","MODIFY"]}]"#, .shipped, true),
        (#"[{"eventName":["INSERT","MODIFY"]}]"#, .remove, false),
        // AND across fields: both must hold.
        (#"[{"table":["public.orders"],"eventName":["REMOVE"]}]"#, .paid, false),
        (#"[{"table":["public.orders"],"eventName":["REMOVE"]}]"#, .remove, false),
        (#"[{"table":["public.customers"],"eventName":["REMOVE"]}]"#, .remove, true),
        (#"[{"source":{"lsn":["0/16B3748"]},"keys":{"id":[42]},"oldImage":{"status":["paid"]}}]"#, .shipped, true),
        (#"[{"source":{"lsn":["0/16B3748"]},"keys":{"id":[42]},"oldImage":{"status":["new"]}}]"#, .shipped, false),
        // Strings are case-sensitive.
        (#"[{"eventName":["modify"]}]"#, .paid, false),
        // Booleans are exact JSON booleans, not strings.
        (#"[{"source":{"snapshot":[true]}}]"#, .insert, true),
        (#"[{"source":{"snapshot":[true]}}]"#, .shipped, false),
        (#"[{"source":{"snapshot":[false]}}]"#, .shipped, true),
        (#"[{"source":{"snapshot":[false]}}]"#, .paid, false),
        (#"[{"source":{"snapshot":["true"]}}]"#, .insert, false),
        // A field the record does not have never equals anything.
        (#"[{"newImage":{"status":["paid"]}}]"#, .remove, false),
    ]

    @Test("exact values, AND across fields, OR across values", arguments: exact)
    func exactValues(patterns: String, record: Record, expected: Bool) throws {
        try Self.check(patterns, record, expected)
    }

    // MARK: numbers

    static let numbers: [(String, Record, Bool)] = [
        (#"[{"keys":{"id":[42]}}]"#, .paid, true),
        (#"[{"keys":{"id":[42.0]}}]"#, .paid, true),
        (#"[{"keys":{"id":[4.2e1]}}]"#, .paid, true),
        (#"[{"keys":{"id":[420E-1]}}]"#, .paid, true),
        (#"[{"keys":{"id":[42.000000000000000001]}}]"#, .paid, false),
        (#"[{"keys":{"id":["42"]}}]"#, .paid, false),
        (#"[{"keys":{"id":[7, 42]}}]"#, .paid, true),
        (#"[{"keys":{"id":["c-9"]}}]"#, .remove, true),
        (#"[{"keys":{"id":[9]}}]"#, .remove, false),
        // 1 = 1.0 in either direction.
        (#"[{"newImage":{"discount":[1]}}]"#, .shipped, true),
        (#"[{"newImage":{"weight":[2.5]}}]"#, .shipped, true),
        (#"[{"newImage":{"discount":[0]}}]"#, .insert, true),
        (#"[{"newImage":{"discount":[-0.0]}}]"#, .insert, true),
        // Postgres numeric columns are rendered as exact strings: match them as strings.
        (#"[{"newImage":{"total":[99.9]}}]"#, .paid, false),
        (#"[{"newImage":{"total":[99.90]}}]"#, .paid, false),
        (#"[{"newImage":{"total":["99.90"]}}]"#, .paid, true),
        (#"[{"newImage":{"total":["99.9"]}}]"#, .paid, false),
        (#"[{"oldImage":{"tier":[1]}}]"#, .remove, false),
        (#"[{"oldImage":{"tier":["1"]}}]"#, .remove, true),
    ]

    @Test("numbers compare numerically and exactly, never equal to strings", arguments: numbers)
    func numberValues(patterns: String, record: Record, expected: Bool) throws {
        try Self.check(patterns, record, expected)
    }

    // MARK: null, empty string, missing

    static let nullAndEmpty: [(String, Record, Bool)] = [
        (#"[{"newImage":{"note":[null]}}]"#, .shipped, true),
        (#"[{"newImage":{"note":[null]}}]"#, .insert, false),
        (#"[{"newImage":{"note":[null]}}]"#, .paid, false),  // missing is not null
        (#"[{"oldImage":{"status":[null]}}]"#, .insert, false),  // no old image at all
        (#"[{"oldImage":{"email":[null]}}]"#, .remove, true),
        (#"[{"newImage":{"coupon":[""]}}]"#, .shipped, true),
        (#"[{"newImage":{"coupon":[""]}}]"#, .insert, false),  // missing is not ""
        (#"[{"newImage":{"note":[""]}}]"#, .shipped, false),  // null is not ""
        (#"[{"newImage":{"coupon":[null]}}]"#, .shipped, false),  // "" is not null
        (#"[{"newImage":{"note":[null, "call first"]}}]"#, .insert, true),
    ]

    @Test("null matches JSON null, \"\" the empty string; neither matches a missing field", arguments: nullAndEmpty)
    func nullAndEmptyValues(patterns: String, record: Record, expected: Bool) throws {
        try Self.check(patterns, record, expected)
    }

    // MARK: prefix, suffix, equals-ignore-case, wildcard

    static let strings: [(String, Record, Bool)] = [
        (#"[{"table":[{"prefix":"public."}]}]"#, .remove, true),
        (#"[{"table":[{"prefix":"sales."}]}]"#, .remove, false),
        (#"[{"newImage":{"ref":[{"prefix":"INV-"}]}}]"#, .shipped, true),
        (#"[{"newImage":{"ref":[{"prefix":"INV-"}]}}]"#, .insert, false),
        (#"[{"newImage":{"ref":[{"prefix":{"equals-ignore-case":"inv-"}}]}}]"#, .shipped, true),
        (#"[{"newImage":{"ref":[{"prefix":{"equals-ignore-case":"inv-"}}]}}]"#, .insert, true),
        (#"[{"newImage":{"ref":[{"prefix":{"equals-ignore-case":"inv-2027"}}]}}]"#, .insert, false),
        (#"[{"newImage":{"file":[{"suffix":".PNG"}]}}]"#, .shipped, true),
        (#"[{"newImage":{"file":[{"suffix":".png"}]}}]"#, .shipped, false),
        (#"[{"newImage":{"file":[{"suffix":{"equals-ignore-case":".png"}}]}}]"#, .shipped, true),
        (#"[{"newImage":{"file":[{"suffix":{"equals-ignore-case":".png"}}]}}]"#, .insert, false),
        (#"[{"newImage":{"customer":[{"equals-ignore-case":"Acme GMBH"}]}}]"#, .shipped, true),
        (#"[{"newImage":{"customer":[{"equals-ignore-case":"Acme GMBH"}]}}]"#, .insert, true),
        (#"[{"newImage":{"customer":[{"equals-ignore-case":"Acme"}]}}]"#, .insert, false),
        (#"[{"newImage":{"email":[{"equals-ignore-case":"ops@example.com"}]}}]"#, .shipped, true),
        (#"[{"oldImage":{"name":[{"equals-ignore-case":"ZOË"}]}}]"#, .remove, true),
        // String operators never match numbers, nulls or booleans.
        (#"[{"keys":{"id":[{"prefix":"4"}]}}]"#, .paid, false),
        (#"[{"newImage":{"note":[{"equals-ignore-case":"null"}]}}]"#, .shipped, false),
        (#"[{"source":{"snapshot":[{"suffix":"true"}]}}]"#, .insert, false),
        // Wildcards.
        (#"[{"table":[{"wildcard":"public.*"}]}]"#, .remove, true),
        (#"[{"table":[{"wildcard":"*.orders"}]}]"#, .paid, true),
        (#"[{"table":[{"wildcard":"*.orders"}]}]"#, .truncate, false),
        (#"[{"table":[{"wildcard":"*orders*"}]}]"#, .truncate, true),
        (#"[{"table":[{"wildcard":"public.orders"}]}]"#, .paid, true),
        (#"[{"table":[{"wildcard":"public.orders"}]}]"#, .truncate, false),
        (#"[{"newImage":{"ref":[{"wildcard":"INV-*/0*1"}]}}]"#, .shipped, true),
        (#"[{"newImage":{"ref":[{"wildcard":"INV-*/002"}]}}]"#, .shipped, false),
        (#"[{"newImage":{"ref":[{"wildcard":"inv-*"}]}}]"#, .shipped, false),
        (#"[{"keys":{"id":[{"wildcard":"*"}]}}]"#, .paid, false),
        (#"[{"keys":{"id":[{"wildcard":"*"}]}}]"#, .remove, true),
    ]

    @Test("prefix, suffix, equals-ignore-case and wildcard match strings only", arguments: strings)
    func stringOperators(patterns: String, record: Record, expected: Bool) throws {
        try Self.check(patterns, record, expected)
    }

    static let wildcards: [(String, String, Bool)] = [
        ("a*b", "ab", true),
        ("a*b", "a-b", true),
        ("a*b", "a-b-", false),
        ("*", "", true),
        ("a*", "a", true),
        ("*a*a*", "aa", true),
        ("*a*a*", "a", false),
        ("ab*ba", "aba", false),  // prefix and suffix must not overlap
        ("ab*ba", "abba", true),
        (#"a\*b"#, "a*b", true),
        (#"a\*b"#, "axb", false),
        (#"a\\*"#, #"a\tail"#, true),
        ("Grü*e", "Grüße", true),
    ]

    @Test("wildcard: * is any run, \\* a literal asterisk, \\\\ a backslash", arguments: wildcards)
    func wildcardMatching(pattern: String, string: String, expected: Bool) throws {
        #expect(try FilterPattern.Wildcard(pattern).matches(string) == expected)
    }

    // MARK: anything-but

    static let anythingBut: [(String, Record, Bool)] = [
        (#"[{"newImage":{"status":[{"anything-but":"new"}]}}]"#, .paid, true),
        (#"[{"newImage":{"status":[{"anything-but":"new"}]}}]"#, .insert, false),
        (#"[{"newImage":{"status":[{"anything-but":"new"}]}}]"#, .truncate, false),  // missing never passes
        (#"[{"newImage":{"status":[{"anything-but":["new","void"]}]}}]"#, .shipped, true),
        (#"[{"newImage":{"status":[{"anything-but":["new","void"]}]}}]"#, .insert, false),
        (#"[{"newImage":{"qty":[{"anything-but":[1,2]}]}}]"#, .shipped, true),
        (#"[{"newImage":{"qty":[{"anything-but":[1,2]}]}}]"#, .insert, false),
        (#"[{"newImage":{"qty":[{"anything-but":3.0}]}}]"#, .paid, false),
        (#"[{"newImage":{"total":[{"anything-but":[99.9]}]}}]"#, .paid, true),  // "99.90" is a string
        (#"[{"newImage":{"note":[{"anything-but":"x"}]}}]"#, .shipped, true),  // null is a present value
        (#"[{"table":[{"anything-but":{"prefix":"public."}}]}]"#, .paid, false),
        (#"[{"table":[{"anything-but":{"prefix":"sales."}}]}]"#, .paid, true),
        (#"[{"table":[{"anything-but":{"suffix":"_archive"}}]}]"#, .truncate, false),
        (#"[{"table":[{"anything-but":{"suffix":"_archive"}}]}]"#, .paid, true),
        (#"[{"newImage":{"status":[{"anything-but":{"equals-ignore-case":"PAID"}}]}}]"#, .paid, false),
        (#"[{"newImage":{"status":[{"anything-but":{"equals-ignore-case":["NEW","VOID"]}}]}}]"#, .insert, false),
        (#"[{"newImage":{"status":[{"anything-but":{"equals-ignore-case":["NEW","VOID"]}}]}}]"#, .paid, true),
        (#"[{"table":[{"anything-but":{"wildcard":"*_archive"}}]}]"#, .truncate, false),
        (#"[{"table":[{"anything-but":{"wildcard":["*_archive","*.customers"]}}]}]"#, .remove, false),
        (#"[{"table":[{"anything-but":{"wildcard":"*_archive"}}]}]"#, .remove, true),
        // A value of another type is "anything but" a string prefix.
        (#"[{"keys":{"id":[{"anything-but":{"prefix":"c-"}}]}}]"#, .paid, true),
        (#"[{"keys":{"id":[{"anything-but":{"prefix":"c-"}}]}}]"#, .remove, false),
        // Arrays: passes when any element is not excluded.
        (#"[{"newImage":{"tags":[{"anything-but":"vip"}]}}]"#, .shipped, true),
        (#"[{"newImage":{"tags":[{"anything-but":["vip","eu"]}]}}]"#, .shipped, false),
        (#"[{"newImage":{"tags":[{"anything-but":"vip"}]}}]"#, .insert, false),  // [] has no value
    ]

    @Test("anything-but: any present value except the listed ones", arguments: anythingBut)
    func anythingButOperator(patterns: String, record: Record, expected: Bool) throws {
        try Self.check(patterns, record, expected)
    }

    // MARK: numeric

    static let numeric: [(String, Record, Bool)] = [
        (#"[{"newImage":{"qty":[{"numeric":[">",0,"<=",5]}]}}]"#, .paid, true),
        (#"[{"newImage":{"qty":[{"numeric":[">",3]}]}}]"#, .paid, false),
        (#"[{"newImage":{"qty":[{"numeric":[">=",3]}]}}]"#, .paid, true),
        (#"[{"newImage":{"qty":[{"numeric":["<",3]}]}}]"#, .paid, false),
        (#"[{"newImage":{"qty":[{"numeric":["<=",3]}]}}]"#, .paid, true),
        (#"[{"newImage":{"qty":[{"numeric":["=",3]}]}}]"#, .paid, true),
        (#"[{"newImage":{"qty":[{"numeric":["=",3.0]}]}}]"#, .paid, true),
        (#"[{"newImage":{"qty":[{"numeric":["=",3.5]}]}}]"#, .paid, false),
        (#"[{"newImage":{"qty":[{"numeric":[">",0,"<",3]}]}}]"#, .paid, false),
        (#"[{"newImage":{"qty":[{"numeric":[">=",3,"<=",3]}]}}]"#, .paid, true),
        (#"[{"newImage":{"qty":[{"numeric":["<",10,">",2]}]}}]"#, .paid, true),
        (#"[{"newImage":{"qty":[{"numeric":["<",1]}, {"numeric":[">",2]}]}}]"#, .paid, true),
        (#"[{"newImage":{"weight":[{"numeric":[">",2.49,"<",2.51]}]}}]"#, .shipped, true),
        (#"[{"newImage":{"discount":[{"numeric":[">",-1,"<",0.5]}]}}]"#, .insert, true),
        (#"[{"newImage":{"discount":[{"numeric":[">",-1,"<",0.5]}]}}]"#, .shipped, false),
        (#"[{"source":{"xid":[{"numeric":[">=",745]}]}}]"#, .shipped, true),
        (#"[{"source":{"xid":[{"numeric":[">=",745]}]}}]"#, .insert, false),
        (#"[{"keys":{"id":[{"numeric":[">",41.999999999999999999]}]}}]"#, .paid, true),
        (#"[{"keys":{"id":[{"numeric":["<",42.000000000000000001]}]}}]"#, .paid, true),
        (#"[{"keys":{"id":[{"numeric":[">",42.000000000000000001]}]}}]"#, .paid, false),
        (#"[{"keys":{"id":[{"numeric":[">",-1e400]}]}}]"#, .paid, true),
        // JSON numbers only: numeric columns rendered as strings, string keys, null and missing never match.
        (#"[{"newImage":{"total":[{"numeric":[">",50]}]}}]"#, .paid, false),
        (#"[{"keys":{"id":[{"numeric":[">",0]}]}}]"#, .remove, false),
        (#"[{"oldImage":{"tier":[{"numeric":["=",1]}]}}]"#, .remove, false),
        (#"[{"newImage":{"note":[{"numeric":[">",0]}]}}]"#, .shipped, false),
        (#"[{"newImage":{"qty":[{"numeric":[">",0]}]}}]"#, .truncate, false),
        // Arrays, nested ones included: any element.
        (#"[{"newImage":{"bins":[{"numeric":[">",2]}]}}]"#, .shipped, true),
        (#"[{"newImage":{"bins":[{"numeric":[">",3]}]}}]"#, .shipped, false),
    ]

    @Test("numeric ranges: bounds, boundaries, JSON numbers only", arguments: numeric)
    func numericOperator(patterns: String, record: Record, expected: Bool) throws {
        try Self.check(patterns, record, expected)
    }

    // MARK: exists

    static let exists: [(String, Record, Bool)] = [
        (#"[{"newImage":{"status":[{"exists":true}]}}]"#, .paid, true),
        (#"[{"newImage":{"status":[{"exists":true}]}}]"#, .truncate, false),
        (#"[{"newImage":{"status":[{"exists":false}]}}]"#, .truncate, true),
        (#"[{"newImage":{"status":[{"exists":false}]}}]"#, .paid, false),
        (#"[{"oldImage":{"status":[{"exists":false}]}}]"#, .insert, true),
        (#"[{"oldImage":{"status":[{"exists":false}]}}]"#, .paid, false),
        (#"[{"newImage":{"note":[{"exists":true}]}}]"#, .shipped, true),  // null is present
        (#"[{"newImage":{"note":[{"exists":false}]}}]"#, .shipped, false),
        (#"[{"newImage":{"note":[{"exists":true}]}}]"#, .paid, false),
        (#"[{"newImage":{"coupon":[{"exists":true}]}}]"#, .shipped, true),  // so is ""
        (#"[{"newImage":{"tags":[{"exists":true}]}}]"#, .shipped, true),
        (#"[{"newImage":{"tags":[{"exists":true}]}}]"#, .insert, false),  // [] holds no value
        (#"[{"newImage":{"tags":[{"exists":false}]}}]"#, .insert, true),
        // As on AWS, exists looks at leaf values: an object is not one.
        (#"[{"oldImage":[{"exists":true}]}]"#, .paid, false),
        (#"[{"oldImage":[{"exists":false}]}]"#, .paid, true),
        (#"[{"oldImage":{"id":[{"exists":true}]}}]"#, .shipped, true),
        (#"[{"oldImage":{"id":[{"exists":true}]}}]"#, .insert, false),
        // exists OR a value; exists AND another field.
        (#"[{"newImage":{"status":[{"exists":false},"new"]}}]"#, .insert, true),
        (#"[{"newImage":{"status":[{"exists":false},"new"]}}]"#, .truncate, true),
        (#"[{"newImage":{"status":[{"exists":false},"new"]}}]"#, .paid, false),
        (#"[{"eventName":["REMOVE"],"newImage":{"id":[{"exists":false}]}}]"#, .remove, true),
        (#"[{"eventName":["REMOVE"],"newImage":{"id":[{"exists":false}]}}]"#, .truncate, false),
    ]

    @Test("exists: true for a present leaf value (null included), false for none", arguments: exists)
    func existsOperator(patterns: String, record: Record, expected: Bool) throws {
        try Self.check(patterns, record, expected)
    }

    // MARK: arrays and nesting

    static let arrays: [(String, Record, Bool)] = [
        (#"[{"newImage":{"tags":["eu"]}}]"#, .shipped, true),
        (#"[{"newImage":{"tags":["us","eu"]}}]"#, .shipped, true),
        (#"[{"newImage":{"tags":["us"]}}]"#, .shipped, false),
        (#"[{"newImage":{"tags":["eu"]}}]"#, .insert, false),
        (#"[{"newImage":{"bins":[3]}}]"#, .shipped, true),  // arrays of arrays are flattened
        // Arrays of objects: descend into each element.
        (#"[{"newImage":{"lines":{"sku":["B-7"]}}}]"#, .shipped, true),
        (#"[{"newImage":{"lines":{"sku":["B-7"]}}}]"#, .insert, false),
        (#"[{"newImage":{"lines":{"qty":[{"numeric":[">=",5]}]}}}]"#, .shipped, true),
        (#"[{"newImage":{"lines":{"qty":[{"numeric":[">=",5]}]}}}]"#, .insert, false),
        // Several fields under one array must hold in the same element.
        (#"[{"newImage":{"lines":{"sku":["B-7"],"qty":[5]}}}]"#, .shipped, true),
        (#"[{"newImage":{"lines":{"sku":["A-1"],"qty":[5]}}}]"#, .shipped, false),
        // A nested pattern where the record has a scalar or nothing: its fields are missing.
        (#"[{"table":{"schema":["public"]}}]"#, .paid, false),
        (#"[{"table":{"schema":[{"exists":false}]}}]"#, .paid, true),
        (#"[{"newImage":{"status":{"code":["paid"]}}}]"#, .paid, false),
        (#"[{"keys":{"id":{"part":[{"exists":false}]}}}]"#, .paid, true),
        // Conditions where the record has an object: an object is not a value.
        (#"[{"newImage":["paid"]}]"#, .paid, false),
        (#"[{"newImage":[{"anything-but":"x"}]}]"#, .paid, false),
    ]

    @Test("arrays match on any element; nested objects descend", arguments: arrays)
    func arraysAndNesting(patterns: String, record: Record, expected: Bool) throws {
        try Self.check(patterns, record, expected)
    }

    // MARK: several patterns, $or

    /// Orders that are inserts or have more than two items.
    static let ordersInsertOrBigQty =
        #"[{"table":["public.orders"],"$or":[{"eventName":["INSERT"]},{"newImage":{"qty":[{"numeric":[">",2]}]}}]}]"#

    static let alternatives: [(String, Record, Bool)] = [
        (#"[{"eventName":["INSERT"]},{"newImage":{"status":["paid"]}}]"#, .paid, true),
        (#"[{"eventName":["INSERT"]},{"newImage":{"status":["paid"]}}]"#, .insert, true),
        (#"[{"eventName":["INSERT"]},{"newImage":{"status":["paid"]}}]"#, .remove, false),
        (#"[{"eventName":["INSERT"]},{"newImage":{"status":["paid"]}}]"#, .shipped, false),
        (ordersInsertOrBigQty, .insert, true),
        (ordersInsertOrBigQty, .paid, true),
        (ordersInsertOrBigQty, .remove, false),
        (ordersInsertOrBigQty, .truncate, false),
        (#"[{"newImage":{"$or":[{"status":["paid"]},{"tags":["vip"]}]}}]"#, .shipped, true),
        (#"[{"newImage":{"$or":[{"status":["paid"]},{"tags":["vip"]}]}}]"#, .insert, false),
    ]

    @Test("several patterns, and $or inside one, match when any alternative does", arguments: alternatives)
    func patternAlternatives(patterns: String, record: Record, expected: Bool) throws {
        try Self.check(patterns, record, expected)
    }

    @Test("an empty filter passes every record, including ones that are not objects")
    func emptyFilter() throws {
        let filter = try RecordFilter(patterns: [])
        #expect(filter.matchesEverything)
        for record in Record.allCases {
            #expect(filter.matches(try record.json))
        }
        #expect(filter.matches(.null))
        #expect(try !Self.filter(#"[{"eventName":["INSERT"]}]"#).matchesEverything)
    }

    @Test("a record that is not an object matches only what accepts missing fields")
    func nonObjectRecords() throws {
        let present = try Self.filter(#"[{"eventName":["INSERT"]}]"#)
        let absent = try Self.filter(#"[{"eventName":[{"exists":false}]}]"#)
        for record: JSONValue in [.null, "INSERT", 42, [], ["INSERT"]] {
            #expect(!present.matches(record))
            #expect(absent.matches(record))
        }
        // An array of records is searched like any array.
        #expect(present.matches([["eventName": "REMOVE"], ["eventName": "INSERT"]]))
    }

    @Test("strings compare by UTF-8 bytes, as on AWS: canonically equivalent forms differ")
    func byteExactStrings() throws {
        let decomposed: JSONValue = ["oldImage": ["name": "Zoe\u{0308}"]]
        #expect(try Self.filter(#"[{"oldImage":{"name":["Zoë"]}}]"#).matches(Self.Record.remove.json))
        #expect(try !Self.filter(#"[{"oldImage":{"name":["Zoë"]}}]"#).matches(decomposed))
        #expect(try Self.filter(#"[{"oldImage":{"name":["Zoe\u0308"]}}]"#).matches(decomposed))
        #expect(try Self.filter(#"[{"oldImage":{"name":[{"anything-but":"Zoë"}]}}]"#).matches(decomposed))
        #expect(try Self.filter(#"[{"oldImage":{"name":[{"prefix":"Zoe"}]}}]"#).matches(decomposed))
    }

    @Test("duplicate keys in a record: the last one counts, as for JSONValue lookups")
    func duplicateRecordKeys() throws {
        let record = try JSONValue.parse(#"{"eventName":"INSERT","eventName":"REMOVE"}"#)
        #expect(try Self.filter(#"[{"eventName":["REMOVE"]}]"#).matches(record))
        #expect(try !Self.filter(#"[{"eventName":["INSERT"]}]"#).matches(record))
    }

    // MARK: exact numbers

    static let equalNumbers: [(String, String)] = [
        ("1", "1.0"), ("1", "1e0"), ("100", "1E2"), ("100", "1e+2"), ("0.1", "1e-1"), ("0", "-0"),
        ("0", "0.000e5"), ("-12.50", "-1.25e1"), ("0042", "42"),
        ("123456789012345678901234567890", "1.2345678901234567890123456789e29"),
    ]

    @Test("numbers equal as values are one key", arguments: equalNumbers)
    func numberEquality(a: String, b: String) throws {
        let x = try #require(FilterPattern.Number(a))
        let y = try #require(FilterPattern.Number(b))
        #expect(x == y)
        #expect(x.hashValue == y.hashValue)
        #expect(!(x < y) && !(y < x))
    }

    static let orderedNumbers: [(String, String)] = [
        ("-1e400", "-5"), ("-5", "-4.999"), ("-1", "-0.5"), ("-0.001", "0"), ("0", "1e-400"), ("0.5", "1"),
        ("9", "10"), ("9.99", "10"), ("1.2", "1.23"), ("9007199254740992", "9007199254740993"), ("1e100", "1e101"),
    ]

    @Test("numbers order exactly, beyond Double precision", arguments: orderedNumbers)
    func numberOrder(smaller: String, larger: String) throws {
        let a = try #require(FilterPattern.Number(smaller))
        let b = try #require(FilterPattern.Number(larger))
        #expect(a < b)
        #expect(!(b < a))
        #expect(a != b)
    }

    @Test(
        "text that is not a JSON number is rejected",
        arguments: ["", "-", "+1", ".5", "1.", "1e", "1e+", "0x10", "NaN", "1 ", "١"])
    func invalidNumbers(text: String) {
        #expect(FilterPattern.Number(text) == nil)
    }

    // MARK: bad patterns

    static let invalid: [(String, FilterPatternError.Code, String, String)] = [
        // patterns, code, path, part of the message
        (#"["x"]"#, .invalidPattern, "filter[0]", "a pattern must be an object"),
        (#"[{"eventName":["INSERT"]}, {}]"#, .invalidPattern, "filter[1]", "empty pattern"),
        (#"[{"eventName":["INSERT"]}, null]"#, .invalidPattern, "filter[1]", "not null"),
        (#"[{"eventName":"MODIFY"}]"#, .invalidConditionList, "filter[0].eventName", #"such as ["MODIFY"]"#),
        (#"[{"eventName":[]}]"#, .invalidConditionList, "filter[0].eventName", "empty list of conditions"),
        (#"[{"newImage":{}}]"#, .invalidPattern, "filter[0].newImage", "empty pattern"),
        (#"[{"newImage":null}]"#, .invalidConditionList, "filter[0].newImage", "not null"),
        (#"[{"newImage":{"qty":3}}]"#, .invalidConditionList, "filter[0].newImage.qty", "[3]"),
        (#"[{"eventName":["A"],"eventName":["B"]}]"#, .duplicateField, "filter[0].eventName", "twice"),
        (#"[{"eventName":[["INSERT"]]}]"#, .invalidCondition, "filter[0].eventName", "cannot be an array"),
        (#"[{"newImage":{"status":[{}]}}]"#, .unknownOperator, "filter[0].newImage.status", "needs one operator"),
        (
            #"[{"newImage":{"status":[{"prefix":"a","suffix":"b"}]}}]"#, .unknownOperator, "filter[0].newImage.status",
            "exactly one operator"
        ),
        (
            #"[{"source":{"ip":[{"cidr":"10.0.0.0/24"}]}}]"#, .unknownOperator, "filter[0].source.ip",
            #"unknown operator "cidr""#
        ),
        (
            #"[{"newImage":{"status":[{"contains":"ai"}]}}]"#, .unknownOperator, "filter[0].newImage.status",
            "supported:"
        ),
        (
            #"[{"newImage":{"status":[{"prefix":{"equals-ignore-case":5}}]}}]"#, .invalidOperand,
            "filter[0].newImage.status", #""prefix" needs a string"#
        ),
        (
            #"[{"newImage":{"file":[{"suffix":["png"]}]}}]"#, .invalidOperand, "filter[0].newImage.file",
            #""suffix" needs a string"#
        ),
        (
            #"[{"newImage":{"status":[{"equals-ignore-case":null}]}}]"#, .invalidOperand, "filter[0].newImage.status",
            #""equals-ignore-case" needs a string"#
        ),
        (
            #"[{"newImage":{"status":[{"exists":"yes"}]}}]"#, .invalidOperand, "filter[0].newImage.status",
            #""exists" needs true or false"#
        ),
        (
            #"[{"newImage":{"status":[{"anything-but":[]}]}}]"#, .invalidOperand, "filter[0].newImage.status",
            #""anything-but" needs"#
        ),
        (
            #"[{"newImage":{"status":[{"anything-but":["a",1]}]}}]"#, .invalidOperand, "filter[0].newImage.status",
            "only strings or only numbers"
        ),
        (
            #"[{"newImage":{"status":[{"anything-but":null}]}}]"#, .invalidOperand, "filter[0].newImage.status",
            #""anything-but" needs"#
        ),
        (
            #"[{"newImage":{"status":[{"anything-but":true}]}}]"#, .invalidOperand, "filter[0].newImage.status",
            #""anything-but" needs"#
        ),
        (
            #"[{"newImage":{"qty":[{"anything-but":{"numeric":[">",1]}}]}}]"#, .invalidOperand,
            "filter[0].newImage.qty",
            #""anything-but" needs"#
        ),
        (#"[{"table":[{"anything-but":{"prefix":1}}]}]"#, .invalidOperand, "filter[0].table", "needs a string"),
        (
            #"[{"table":[{"anything-but":{"equals-ignore-case":[]}}]}]"#, .invalidOperand, "filter[0].table",
            "non-empty list of strings"
        ),
        (
            #"[{"table":[{"anything-but":{"wildcard":[1]}}]}]"#, .invalidOperand, "filter[0].table",
            "non-empty list of strings"
        ),
        (
            #"[{"newImage":{"qty":[{"numeric":[">",0,"<"]}]}}]"#, .invalidNumericRange, "filter[0].newImage.qty",
            "one or two comparisons"
        ),
        (
            #"[{"newImage":{"qty":[{"numeric":[]}]}}]"#, .invalidNumericRange, "filter[0].newImage.qty",
            "one or two comparisons"
        ),
        (
            #"[{"newImage":{"qty":[{"numeric":">"}]}}]"#, .invalidNumericRange, "filter[0].newImage.qty",
            "one or two comparisons"
        ),
        (
            #"[{"newImage":{"qty":[{"numeric":[">",1,"<",2,"<",3]}]}}]"#, .invalidNumericRange,
            "filter[0].newImage.qty",
            "one or two comparisons"
        ),
        (
            #"[{"newImage":{"qty":[{"numeric":["==",1]}]}}]"#, .invalidNumericRange, "filter[0].newImage.qty",
            #"not "==""#
        ),
        (
            #"[{"newImage":{"qty":[{"numeric":[0,">"]}]}}]"#, .invalidNumericRange, "filter[0].newImage.qty",
            "operator must be one of"
        ),
        (
            #"[{"newImage":{"qty":[{"numeric":[">","5"]}]}}]"#, .invalidNumericRange, "filter[0].newImage.qty",
            #"needs a number after ">""#
        ),
        (
            #"[{"newImage":{"qty":[{"numeric":[">",0,">=",1]}]}}]"#, .invalidNumericRange, "filter[0].newImage.qty",
            "two lower bounds"
        ),
        (
            #"[{"newImage":{"qty":[{"numeric":["<",0,"<=",1]}]}}]"#, .invalidNumericRange, "filter[0].newImage.qty",
            "two upper bounds"
        ),
        (
            #"[{"newImage":{"qty":[{"numeric":["=",1,"<",2]}]}}]"#, .invalidNumericRange, "filter[0].newImage.qty",
            "cannot be combined"
        ),
        (
            #"[{"newImage":{"qty":[{"numeric":[">",5,"<",1]}]}}]"#, .invalidNumericRange, "filter[0].newImage.qty",
            "matches no number"
        ),
        (
            #"[{"newImage":{"qty":[{"numeric":[">",5,"<=",5]}]}}]"#, .invalidNumericRange, "filter[0].newImage.qty",
            "matches no number"
        ),
        (#"[{"table":[{"wildcard":"public.**"}]}]"#, .invalidWildcard, "filter[0].table", "consecutive asterisks"),
        (#"[{"table":[{"wildcard":"public\\.orders"}]}]"#, .invalidWildcard, "filter[0].table", "backslash"),
        (#"[{"table":[{"wildcard":"public.orders\\"}]}]"#, .invalidWildcard, "filter[0].table", "backslash"),
        (#"[{"table":[{"wildcard":5}]}]"#, .invalidOperand, "filter[0].table", #""wildcard" needs a string"#),
        (
            #"[{"table":[{"anything-but":{"wildcard":"**"}}]}]"#, .invalidWildcard, "filter[0].table",
            "consecutive asterisks"
        ),
        (#"[{"$or":{"eventName":["INSERT"]}}]"#, .invalidPattern, "filter[0].$or", #""$or" needs a list of patterns"#),
        (#"[{"$or":[]}]"#, .invalidPattern, "filter[0].$or", #""$or" needs a list of patterns"#),
        (
            #"[{"$or":[{"eventName":["INSERT"]},{"eventName":"REMOVE"}]}]"#, .invalidConditionList,
            "filter[0].$or[1].eventName", "array of match conditions"
        ),
        (
            #"[{"newImage":{"order total":[{"numeric":[">"]}]}}]"#, .invalidNumericRange,
            #"filter[0].newImage["order total"]"#, "one or two comparisons"
        ),
        (
            #"[{"eventName":["INSERT"]},{"source":{"a":{"b":{"c":[{"prefix":null}]}}}}]"#, .invalidOperand,
            "filter[1].source.a.b.c", #""prefix" needs a string"#
        ),
    ]

    @Test("malformed patterns are rejected with the path of the bad part", arguments: invalid)
    func invalidPatterns(patterns: String, code: FilterPatternError.Code, path: String, fragment: String) throws {
        let list = try #require(try JSONValue.parse(patterns).arrayValue)
        let error = try #require(throws: FilterPatternError.self) { try RecordFilter(patterns: list) }
        #expect(error.code == code)
        #expect(error.path == path)
        #expect(error.description.hasPrefix(path + ": "))
        #expect(error.description.contains(fragment), "\(error.description)")
    }

    @Test("the error names the pattern index, the field path and what the operator needs")
    func errorDescription() throws {
        let list = try #require(
            try JSONValue.parse(#"[{"eventName":["MODIFY"]},{"newImage":{"status":[{"prefix":5}]}}]"#).arrayValue)
        let error = try #require(throws: FilterPatternError.self) { try RecordFilter(patterns: list) }
        #expect(
            error.description
                == #"filter[1].newImage.status: "prefix" needs a string or {"equals-ignore-case": "..."}, not 5"#)
    }

    @Test("numbers built in code that are not JSON numbers are rejected, not trusted")
    func invalidNumberText() throws {
        let exact: JSONValue = ["newImage": ["qty": [.number("3.")]]]
        let error = try #require(throws: FilterPatternError.self) { try RecordFilter(patterns: [exact]) }
        #expect(error.path == "filter[0].newImage.qty")
        #expect(error.description.contains("not a valid number: 3."))
        let bound: JSONValue = ["newImage": ["qty": [["numeric": [">", .number("NaN")]]]]]
        #expect(throws: FilterPatternError.self) { try RecordFilter(patterns: [bound]) }
    }

    @Test("long bad operands are cut short in the message")
    func longOperand() throws {
        let long = String(repeating: "x", count: 500)
        let pattern: JSONValue = ["table": [["anything-but": ["prefix": .number("1")], "extra": .string(long)]]]
        let error = try #require(throws: FilterPatternError.self) { try RecordFilter(patterns: [pattern]) }
        #expect(error.code == .unknownOperator)
        #expect(error.description.count < 200)
        #expect(error.description.contains("..."))
    }
}
