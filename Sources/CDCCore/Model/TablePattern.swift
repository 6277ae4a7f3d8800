/// A `schema.table` pattern from a config or the command line: exact names or globs (`public.*`,
/// `sales.order_?`). `*` matches any run of characters (dots included), `?` one character.
///
/// Matching is on the plain, unquoted `schema.table` text (`Sales Dept.Order Items`), case-sensitive,
/// as PostgreSQL names are once created.
public struct TablePattern: Sendable, Hashable, CustomStringConvertible {
    public let text: String
    private let pattern: [Character]

    /// A pattern without a dot means a table in any schema? No: it is an error, so that `orders`
    /// never silently matches nothing. Use `public.orders`.
    public init(_ text: String) throws(TablePatternError) {
        guard text.contains("."), !text.hasPrefix("."), !text.hasSuffix(".") else {
            throw TablePatternError(pattern: text)
        }
        self.text = text
        self.pattern = Array(text)
    }

    public var description: String { text }

    /// True when the pattern has no wildcard: it names exactly one table.
    public var isExact: Bool { !text.contains("*") && !text.contains("?") }

    /// For an exact pattern, its schema and table; the split is at the first dot.
    public var exactName: (schema: String, table: String)? {
        guard isExact, let dot = text.firstIndex(of: ".") else { return nil }
        return (String(text[..<dot]), String(text[text.index(after: dot)...]))
    }

    /// For `schema.*`, the schema (a publication can then say `FOR TABLES IN SCHEMA`).
    public var wholeSchema: String? {
        guard text.hasSuffix(".*") else { return nil }
        let schema = String(text.dropLast(2))
        return schema.contains("*") || schema.contains("?") ? nil : schema
    }

    public func matches(_ qualifiedName: String) -> Bool {
        Self.glob(pattern[...], Array(qualifiedName)[...])
    }

    private static func glob(_ p: ArraySlice<Character>, _ s: ArraySlice<Character>) -> Bool {
        var p = p
        var s = s
        var starP: ArraySlice<Character>?
        var starS: ArraySlice<Character> = []
        while !s.isEmpty {
            if let c = p.first, c == "?" || c == s.first! {
                p = p.dropFirst()
                s = s.dropFirst()
            } else if p.first == "*" {
                starP = p.dropFirst()
                starS = s
                p = p.dropFirst()
            } else if let sp = starP {
                starS = starS.dropFirst()
                s = starS
                p = sp
            } else {
                return false
            }
        }
        while p.first == "*" { p = p.dropFirst() }
        return p.isEmpty
    }
}

/// A table pattern without a schema part.
public struct TablePatternError: Error, CustomStringConvertible, Sendable {
    public var pattern: String
    public var description: String {
        "table pattern '\(pattern)' must be schema.table (for example public.orders or public.*)"
    }
}

extension Array where Element == TablePattern {
    /// True when any pattern matches; an empty list matches every table.
    public func matchesTable(_ qualifiedName: String) -> Bool {
        isEmpty || contains { $0.matches(qualifiedName) }
    }
}
