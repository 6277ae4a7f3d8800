import CPostgres

/// A libpq connection string (key=value conninfo or `postgres://` URI) kept apart from anything
/// that gets printed: `redacted` is what logs and errors show.
public struct ConnectionString: Sendable, CustomStringConvertible {
    /// The parsed keywords, password included. Never print this.
    let parameters: [(String, String)]

    /// `host:port/dbname` — safe to print.
    public let redacted: String
    public var description: String { redacted }

    public var host: String? { value(of: "host") ?? value(of: "hostaddr") }
    public var port: String? { value(of: "port") }
    public var databaseName: String? { value(of: "dbname") }
    public var user: String? { value(of: "user") }
    var password: String? { value(of: "password") }

    /// Parses a conninfo or URI with libpq's own parser. The error never echoes the input (libpq's
    /// own message can quote it, password included).
    public init(_ conninfo: String) throws(PostgresError) {
        var errorMessage: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(conninfo, &errorMessage) else {
            if let errorMessage { PQfreemem(errorMessage) }
            throw PostgresError(
                code: .invalidConnectionString,
                message: "the connection string is not valid libpq conninfo or a postgres:// URI; check its syntax"
            )
        }
        defer { PQconninfoFree(options) }
        var parameters: [(String, String)] = []
        var option = options
        while let keyword = option.pointee.keyword {
            if let value = option.pointee.val {
                parameters.append((String(cString: keyword), String(cString: value)))
            }
            option += 1
        }
        self.parameters = parameters
        func lookup(_ key: String) -> String? { parameters.first(where: { $0.0 == key })?.1 }
        let host = lookup("host") ?? lookup("hostaddr") ?? "localhost"
        let port = lookup("port") ?? "5432"
        let db = lookup("dbname") ?? lookup("user") ?? "postgres"
        self.redacted = "\(host):\(port)/\(db)"
    }

    public func value(of key: String) -> String? { parameters.first(where: { $0.0 == key })?.1 }

    /// A copy with some parameters set (replacing any the string had).
    public func with(_ overrides: [String: String]) -> ConnectionString {
        var copy = self
        var params = parameters.filter { overrides[$0.0] == nil }
        for (key, value) in overrides.sorted(by: { $0.key < $1.key }) { params.append((key, value)) }
        copy = ConnectionString(parameters: params, redacted: redacted)
        return copy
    }

    private init(parameters: [(String, String)], redacted: String) {
        self.parameters = parameters
        self.redacted = redacted
    }

    /// Removes every occurrence of the password from a message from libpq or the server.
    func scrub(_ message: String) -> String {
        guard let password, !password.isEmpty, message.contains(password) else { return message }
        return message.replacingAll(password, with: "***")
    }
}

extension String {
    func replacingAll(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var result = ""
        var rest = Substring(self)
        while let range = rest.range(of: target) {
            result += rest[..<range.lowerBound]
            result += replacement
            rest = rest[range.upperBound...]
        }
        return result + rest
    }
}

extension Substring {
    fileprivate func range(of target: String) -> Range<Substring.Index>? {
        var index = startIndex
        while index < endIndex {
            if self[index...].hasPrefix(target) {
                return index..<self.index(index, offsetBy: target.count)
            }
            index = self.index(after: index)
        }
        return nil
    }
}
