import CDCCore

/// Renders records the way `cdcd tail` prints them and parses them back, so tests check the JSON a
/// user sees.
public enum RecordJSON {
    public static func render(_ record: ChangeRecord, format: RecordRenderer.Format = .cdcd) -> JSONValue {
        var writer = JSONWriter()
        RecordRenderer(format: format).render(record, into: &writer)
        return try! JSONValue.parse(writer.bytes)
    }
}
