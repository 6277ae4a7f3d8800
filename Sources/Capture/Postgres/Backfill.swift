import CDCCore
import Foundation
import LibPQ

/// A backfill on demand (`cdcd snapshot --pipeline NAME`): the current rows of some published
/// tables, re-read while streaming goes on and merged into the captured stream by watermarks
/// (`WatermarkMerge`), for one pipeline only.
///
/// The request is a file in `state_dir/backfills` (`<id>.request`: the pipeline's name on the
/// first line, one table pattern per further line; `cdcd snapshot` writes it). Capture takes the
/// oldest one, reads its tables chunk by chunk (name order, key order, 10,000 rows) on a
/// connection of its own, and renames the file `<id>.done` when all are read (`<id>.failed` after
/// an error, which is logged). After a lost connection or a restart it starts over. Driven by the
/// replication loop on its thread; not `Sendable`.
final class Backfill {
    /// The request file's name without extension.
    let id: String
    let pipeline: String
    private let path: String
    private var tables: [(schema: String, name: String)]
    private var tableIndex = 0
    private var after: [PgValue]?
    private var chunk = 0
    /// Rows read so far (before the merge drops those the stream changed meanwhile).
    private(set) var rows = 0
    /// The chunk whose watermarks are awaited in the stream.
    var merge: WatermarkMerge?

    static let watermarkPrefix = "cdcd-watermark"
    static let requestExtension = ".request"

    /// The oldest request in `directory`, nil when there is none. A request that cannot be read is
    /// renamed `.failed` and the error thrown.
    static func next(in directory: String, publication: String, connection: PostgresConnection) throws -> Backfill? {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
            .filter { $0.hasSuffix(requestExtension) }.sorted()
        guard let name = names.first else { return nil }
        let path = directory + "/" + name
        let pipeline: String
        let patterns: [TablePattern]
        do {
            let text = try String(contentsOfFile: path, encoding: .utf8)
            var lines = text.split(separator: "\n").map { String($0) }.filter { !$0.isEmpty }
            guard !lines.isEmpty else {
                throw CaptureError(code: .badConfiguration, message: "backfill request \(path) is empty")
            }
            pipeline = lines.removeFirst()
            patterns = try lines.map { (line) throws(TablePatternError) in try TablePattern(line) }
        } catch {
            // A request that cannot be read is set aside, not retried every second.
            _ = rename(path, String(path.dropLast(requestExtension.count)) + ".failed")
            throw error
        }
        let tables = try connection.execute(
            "SELECT schemaname, tablename FROM pg_publication_tables WHERE pubname = $1 ORDER BY 1, 2", [publication]
        ).rows.map { (schema: $0[0] ?? "", name: $0[1] ?? "") }
            .filter { patterns.isEmpty || patterns.matchesTable($0.schema + "." + $0.name) }
        return Backfill(
            id: String(name.dropLast(requestExtension.count)), pipeline: pipeline, path: path, tables: tables)
    }

    private init(id: String, pipeline: String, path: String, tables: [(schema: String, name: String)]) {
        self.id = id
        self.pipeline = pipeline
        self.path = path
        self.tables = tables
    }

    /// The tables still to read, for the log.
    var tableNames: [String] { tables.map { $0.schema + "." + $0.name } }

    /// Starts the next chunk: low watermark, read, high watermark; `merge` then waits for them in
    /// the stream. Returns false when every table has been read (nothing started).
    func startNextChunk(
        _ connection: PostgresConnection, catalog: SourceCatalog, database: String
    ) throws -> Bool {
        while tableIndex < tables.count {
            let table = tables[tableIndex]
            let relation = try catalog.resolve(
                try InitialSnapshot.relationMessage(connection, schema: table.schema, name: table.name))
            guard !relation.keyIndexes.isEmpty, try InitialSnapshot.hasPrimaryKey(connection, oid: relation.oid) else {
                throw CaptureError(
                    code: .badConfiguration,
                    message: "backfill: table \(relation.qualifiedName) has no primary key; backfills read tables in key order")
            }
            chunk += 1
            var merge = WatermarkMerge(chunkID: "\(id)-\(chunk)", table: relation.qualifiedName)
            try emit(merge.lowWatermark, connection)
            let columns = relation.columns.map { SQL.identifier($0.name) }.joined(separator: ", ")
            let keyList = relation.keyIndexes.map { SQL.identifier(relation.columns[$0].name) }.joined(separator: ", ")
            var sql = "SELECT \(columns) FROM \(SQL.qualified(table.schema, table.name))"
            var parameters: [String?] = []
            if let after {
                sql += " WHERE (\(keyList)) > (" + after.indices.map { "$\($0 + 1)" }.joined(separator: ", ") + ")"
                parameters = after.map(\.string)
            }
            sql += " ORDER BY \(keyList) LIMIT \(InitialSnapshot.defaultChunkRows)"
            let read = try connection.execute(sql, parameters).rows
            let records = read.map { row -> ChangeRecord in
                let values: [PgValue] = row.map { $0.map { .text(PgText($0)) } ?? .null }
                return ChangeRecord.insert(
                    relation: relation, database: database, commitLSN: .zero, index: 0, xid: 0, commitTime: 0,
                    snapshot: true, newValues: values)
            }
            merge.setRows(records)
            try emit(merge.highWatermark, connection)
            self.merge = merge
            rows += records.count
            if records.count < InitialSnapshot.defaultChunkRows {
                tableIndex += 1
                after = nil
            } else {
                after = records.last?.keyValues
            }
            return true
        }
        return false
    }

    /// Marks the request done (renames it `<id>.done`, or `<id>.failed` after an error).
    func finish(failed: Bool = false) {
        _ = rename(path, String(path.dropLast(Self.requestExtension.count)) + (failed ? ".failed" : ".done"))
    }

    private func emit(_ content: String, _ connection: PostgresConnection) throws {
        try connection.execute(
            "SELECT pg_logical_emit_message(true, $1, $2)", [Self.watermarkPrefix, content])
    }
}
