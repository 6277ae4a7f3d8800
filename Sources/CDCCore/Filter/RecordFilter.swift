/// A pipeline's `filter`: a list of patterns in AWS Lambda event-filtering / EventBridge event-pattern
/// syntax over the record JSON. A record passes when any pattern matches it (OR); an empty list passes
/// every record. Patterns are checked and compiled once, at init; `matches` then only walks the record.
///
/// ```yaml
/// filter: [{ eventName: [MODIFY], newImage: { status: [paid] } }]
/// ```
///
/// A pattern is a JSON object mirroring the record. Each key names a record field; its value is either
/// a nested object (descend into the record's object) or an array of match conditions. All fields of
/// one pattern must match (AND); any condition of one array may match (OR). When the record's value is
/// an array, the field matches when any element matches (arrays of objects: several fields under the
/// array must hold in the same element). `"$or": [pattern, pattern, …]` inside a pattern requires any
/// one of the alternatives (so a column literally named `$or` cannot be filtered on).
///
/// Conditions:
/// - `"paid"`, `42`, `true`, `null`: exact value. Numbers compare numerically and exactly (`1` = `1.0` =
///   `1e0`, but never the string `"1"`); strings byte for byte, case-sensitively; `null` matches JSON
///   null only, `""` the empty string only (null and `""` never match each other, nor a missing field).
/// - `{"prefix": "ref-"}`, `{"suffix": ".png"}`, each also as `{"prefix": {"equals-ignore-case": "REF-"}}`;
///   `{"equals-ignore-case": "Paid"}`; `{"wildcard": "*.example.com"}` (`*` any run, `\*` a literal
///   asterisk): strings only.
/// - `{"anything-but": "new"}`, `{"anything-but": ["new", "void"]}`, `{"anything-but": [1, 2]}`,
///   `{"anything-but": {"prefix" | "suffix" | "equals-ignore-case" | "wildcard": …}}`: any present
///   value except those. Values of another type pass (`{"anything-but": {"prefix": "x"}}` matches `5`
///   and null); a missing field never does.
/// - `{"numeric": [">", 0, "<=", 5]}`, `{"numeric": ["=", 3]}`: one or two bounds (`=` `>` `>=` `<`
///   `<=`), exact decimal comparison, no range limit. **JSON numbers only**, as on AWS: cdcd renders
///   Postgres `numeric`/`decimal` columns as strings (`"total": "99.90"`) to keep them exact, so a
///   `numeric` condition never matches them (nor any other numeric string). Integer and float columns
///   are JSON numbers and do match.
/// - `{"exists": true}`: the field has at least one leaf value (a string, number, bool or null — null
///   counts as present); `{"exists": false}`: it has none, which includes a missing field. As on AWS,
///   `exists` looks at leaves: an object or an empty array counts as not existing, so test a column
///   (`oldImage: {id: [{exists: true}]}`) rather than `oldImage: [{exists: true}]`.
///
/// Every condition except `exists: false` needs the field to be present; a missing field (or one under
/// a missing object) matches only `{"exists": false}`. Keys are literal: `{"a.b": […]}` is the key `a.b`,
/// not `a` then `b`.
public struct RecordFilter: Sendable {
    private let patterns: [FilterPattern]

    /// Compiles the patterns; the first malformed part throws an error whose path starts at its index
    /// (`filter[1].newImage.status: "prefix" needs a string…`).
    public init(patterns: [JSONValue]) throws(FilterPatternError) {
        var compiled: [FilterPattern] = []
        compiled.reserveCapacity(patterns.count)
        for (index, pattern) in patterns.enumerated() {
            compiled.append(try FilterPattern(compiling: pattern, path: "filter[\(index)]"))
        }
        self.patterns = compiled
    }

    /// True when the filter has no patterns and so passes every record.
    public var matchesEverything: Bool { patterns.isEmpty }

    /// True when `record` (the record's JSON, as sinks see it) matches any of the patterns, or when
    /// there are none.
    public func matches(_ record: JSONValue) -> Bool {
        patterns.isEmpty || patterns.contains { $0.matches(record) }
    }
}
