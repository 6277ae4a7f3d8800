/// Quoting helpers: identifiers are always quoted, literals always escaped.
public enum SQL {
    /// `"name"` with embedded quotes doubled: safe for any identifier (spaces, capitals, reserved
    /// words, non-ASCII).
    public static func identifier(_ name: String) -> String {
        "\"" + name.replacingAll("\"", with: "\"\"") + "\""
    }

    /// `"schema"."table"`.
    public static func qualified(_ schema: String, _ table: String) -> String {
        identifier(schema) + "." + identifier(table)
    }

    /// `'text'` with embedded quotes doubled (standard_conforming_strings is on since 9.1).
    public static func literal(_ text: String) -> String {
        "'" + text.replacingAll("'", with: "''") + "'"
    }
}
