import CDCCore
import CDCTestKit
import Capture
import LibPQ
import Testing

/// Every type of the JSON mapping, captured from a real server and rendered as `cdcd tail` prints it.
@Suite("Capture: type mapping")
struct CaptureTypesTests {
    @Test func everyTypeRendersAsDesigned() async throws {
        let db = try TestPostgres.connect()
        let schema = TestPostgres.uniqueName("types")
        try db.execute(
            """
            CREATE SCHEMA \(schema);
            CREATE TYPE \(schema).mood AS ENUM ('happy', 'sad');
            CREATE DOMAIN \(schema).posint AS integer CHECK (VALUE > 0);
            CREATE DOMAIN \(schema).price AS numeric(12,2);
            CREATE TYPE \(schema).pair AS (a integer, b text);
            CREATE TABLE \(schema).all_types (
                id int PRIMARY KEY, b bool, i2 int2, i4 int4, i8 int8, o oid, f4 float4, f8 float8,
                f8nan float8, f8inf float8, num numeric, js json, jsb jsonb, by bytea, tstz timestamptz,
                ts timestamp, d date, t time, ttz timetz, tx text, vc varchar(10), u uuid, iv interval,
                r int4range, m \(schema).mood, p \(schema).posint, pr \(schema).price, c \(schema).pair,
                ia int[], ta text[], ia2 int[][], tsa timestamptz[], ma \(schema).mood[], na numeric[]
            );
            """)
        let capture = try CaptureSession(tables: ["\(schema).all_types"])
        try await capture.waitUntilStreaming()
        try db.execute(
            #"""
            INSERT INTO \#(schema).all_types VALUES (
                1, true, 1, -2, 9007199254740993, 42, 1.5, 1e300, 'NaN', '-Infinity',
                12345678901234567890.123456789, E'{"a": 1,\n "b": [true, null]}', '{"x": "y", "n": 1.50}',
                '\x00ff10', '2026-01-02 03:04:05.678901+00', '2026-01-02 03:04:05', '2026-01-02', '03:04:05',
                '03:04:05+02', E'h\u00e9llo "q"\n\ttab', 'short', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
                '1 day 02:00:00', '[1,5)', 'happy', 7, 9.5, ROW(1, 'x y'),
                '{1,2,NULL}', '{"a b","NULL",NULL,"q\"x"}', '{{1,2},{3,4}}',
                '{"2026-01-02 03:04:05+00"}', '{happy,sad}', '{1.10,NaN}'
            );
            INSERT INTO \#(schema).all_types (id) VALUES (2);
            """#)
        let records = try await capture.records(count: 2)
        capture.stop()
        #expect(records.count == 2)
        let image = try #require(RecordJSON.render(records[0])["newImage"])
        let expected: [(String, JSONValue)] = [
            ("id", 1), ("b", true), ("i2", 1), ("i4", -2), ("i8", .number("9007199254740993")), ("o", 42),
            ("f4", .number("1.5")), ("f8", .number("1e+300")), ("f8nan", "NaN"), ("f8inf", "-Infinity"),
            ("num", "12345678901234567890.123456789"),
            ("js", ["a": 1, "b": [true, .null]]), ("jsb", ["n": .number("1.50"), "x": "y"]),
            ("by", "AP8Q"), ("tstz", "2026-01-02T03:04:05.678901Z"), ("ts", "2026-01-02T03:04:05"),
            ("d", "2026-01-02"), ("t", "03:04:05"), ("ttz", "03:04:05+02"), ("tx", "h\u{e9}llo \"q\"\n\ttab"),
            ("vc", "short"), ("u", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"), ("iv", "1 day 02:00:00"),
            ("r", "[1,5)"), ("m", "happy"), ("p", 7), ("pr", "9.50"), ("c", "(1,\"x y\")"),
            ("ia", [1, 2, .null]), ("ta", ["a b", "NULL", .null, "q\"x"]), ("ia2", [[1, 2], [3, 4]]),
            ("tsa", ["2026-01-02T03:04:05Z"]), ("ma", ["happy", "sad"]), ("na", ["1.10", "NaN"]),
        ]
        for (column, value) in expected {
            #expect(image[column] == value, "column \(column)")
        }
        #expect(image.members?.count == expected.count)

        // The all-NULL row: every column but the key is JSON null.
        let nulls = try #require(RecordJSON.render(records[1])["newImage"])
        for (column, _) in expected where column != "id" {
            #expect(nulls[column] == .null, "column \(column)")
        }

        // DynamoDB format: typed AttributeValues.
        let dynamo = try #require(RecordJSON.render(records[0], format: .dynamodb)["dynamodb"])
        let newImage = try #require(dynamo["NewImage"])
        #expect(newImage["i8"] == ["N": "9007199254740993"])
        #expect(newImage["b"] == ["BOOL": true])
        #expect(newImage["tx"] == ["S": "h\u{e9}llo \"q\"\n\ttab"])
        #expect(newImage["by"] == ["B": "AP8Q"])
        #expect(newImage["jsb"] == ["M": ["n": ["N": "1.50"], "x": ["S": "y"]]])
        #expect(newImage["ia"] == ["L": [["N": "1"], ["N": "2"], ["NULL": true]]])
        #expect(dynamo["Keys"] == ["id": ["N": "1"]])
        let nullImage = try #require(RecordJSON.render(records[1], format: .dynamodb)["dynamodb"]?["NewImage"])
        #expect(nullImage["tx"] == ["NULL": true])

        try db.execute("DROP SCHEMA \(schema) CASCADE")
    }

    @Test func namesThatNeedQuoting() async throws {
        let db = try TestPostgres.connect()
        let schema = "Sales Dept \(UInt16.random(in: 0...UInt16.max))"
        let table = "Order Items"
        try db.execute(
            """
            CREATE SCHEMA \(SQL.identifier(schema));
            CREATE TABLE \(SQL.qualified(schema, table)) (
                "Order ID" int PRIMARY KEY, "select" text, "Ümlaut" text, "CamelCase" int);
            """)
        let capture = try CaptureSession(tables: ["\(schema).*"])
        try await capture.waitUntilStreaming()
        try db.execute(
            """
            INSERT INTO \(SQL.qualified(schema, table)) VALUES (1, 'reserved', 'ü', 3);
            UPDATE \(SQL.qualified(schema, table)) SET "select" = 'again' WHERE "Order ID" = 1;
            """)
        let records = try await capture.records(count: 2)
        capture.stop()
        let json = RecordJSON.render(records[0])
        #expect(json["table"] == .string("\(schema).\(table)"))
        #expect(json["source"]?["schema"] == .string(schema))
        #expect(json["source"]?["table"] == .string(table))
        #expect(json["keys"] == ["Order ID": 1])
        #expect(json["newImage"] == ["Order ID": 1, "select": "reserved", "Ümlaut": "ü", "CamelCase": 3])
        #expect(RecordJSON.render(records[1])["newImage"]?["select"] == "again")
        try db.execute("DROP SCHEMA \(SQL.identifier(schema)) CASCADE")
    }
}
