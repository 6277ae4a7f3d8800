/// How a column's PostgreSQL text value is rendered as JSON (design.md, "JSON values").
///
/// Resolved once per column from its type OID (domains resolve to their base type, arrays to
/// their element's kind); the exact text form is always kept alongside.
public indirect enum ValueKind: Sendable, Hashable {
    /// `bool`: `t`/`f` → JSON true/false.
    case bool
    /// `int2`, `int4`, `int8`, `oid`: a JSON number, the text form verbatim.
    case integer
    /// `float4`, `float8`: a JSON number; `NaN`, `Infinity`, `-Infinity` → JSON string.
    case float
    /// `numeric`: a JSON string holding the exact text form.
    case numeric
    /// `json`: embedded as JSON (whitespace outside strings removed, so one record stays one line).
    case json
    /// `jsonb`: embedded as JSON.
    case jsonb
    /// `bytea` (hex text form `\x…`): a base64 JSON string.
    case bytea
    /// `timestamptz` (text form in UTC, ISO DateStyle): RFC 3339 with `T` and `Z`.
    case timestamptz
    /// `timestamp`: ISO 8601 with `T`, no offset.
    case timestamp
    /// `date`: ISO 8601 string (the text form).
    case date
    /// `time`, `timetz`: the text form as a string.
    case time
    /// Everything else (text, varchar, uuid, enums, composites, ranges, intervals, …): the text form
    /// as a JSON string.
    case text
    /// An array whose elements are of the given kind; `delimiter` is the element type's `typdelim`
    /// (`,` for everything but `box`).
    case array(element: ValueKind, delimiter: UInt8)
}
