import CPostgres

/// The rows of a finished statement, copied out of libpq's `PGresult` (which is freed at once), so
/// a result is a plain value that can cross threads.
public struct QueryResult: Sendable {
    /// Column names, in order.
    public let columns: [String]
    /// Rows of text values (nil for NULL).
    public let rows: [[String?]]
    /// The command tag (`INSERT 0 5`, `SELECT 3`, …).
    public let commandTag: String

    init(_ result: OpaquePointer) {
        let columnCount = Int(PQnfields(result))
        let rowCount = Int(PQntuples(result))
        var columns: [String] = []
        columns.reserveCapacity(columnCount)
        for c in 0..<columnCount { columns.append(String(cString: PQfname(result, Int32(c)))) }
        var rows: [[String?]] = []
        rows.reserveCapacity(rowCount)
        for r in 0..<rowCount {
            var row: [String?] = []
            row.reserveCapacity(columnCount)
            for c in 0..<columnCount {
                if PQgetisnull(result, Int32(r), Int32(c)) == 1 {
                    row.append(nil)
                } else {
                    row.append(String(cString: PQgetvalue(result, Int32(r), Int32(c))))
                }
            }
            rows.append(row)
        }
        self.columns = columns
        self.rows = rows
        self.commandTag = String(cString: PQcmdStatus(result))
    }

    /// The first column of the first row, if any.
    public var scalar: String? { rows.first?.first ?? nil }

    /// The value of the named column in a row.
    public func value(_ row: Int, _ column: String) -> String? {
        guard let index = columns.firstIndex(of: column) else { return nil }
        return rows[row][index]
    }
}
