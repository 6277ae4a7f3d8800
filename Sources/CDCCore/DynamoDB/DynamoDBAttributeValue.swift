/// Converting DynamoDB's typed AttributeValues (`{"S": "x"}`, `{"N": "1.5"}`, …) to plain JSON,
/// for `format: cdcd` and the Postgres sink's `document` column.
///
/// `S` → string; `N` → number with its exact text (a text that is not a JSON number stays a
/// string); `B` → its base64 string; `BOOL` → bool; `NULL` → null; `M` → object; `L` → array;
/// `SS`/`NS`/`BS` → arrays of strings / numbers / base64 strings. Anything unknown is kept as it is.
public enum DynamoDBAttributeValue {
    /// The plain JSON of one typed AttributeValue.
    public static func plain(_ typed: JSONValue) -> JSONValue {
        guard case .object(let members) = typed, members.count == 1, let member = members.first else { return typed }
        let value = member.value
        switch member.key {
        case "S", "B":
            return value
        case "N":
            guard case .string(let text) = value else { return value }
            return number(text)
        case "BOOL", "NULL":
            if member.key == "NULL" { return .null }
            return value
        case "M":
            return plainMap(value)
        case "L":
            guard case .array(let elements) = value else { return value }
            return .array(elements.map(plain))
        case "SS", "BS":
            return value
        case "NS":
            guard case .array(let elements) = value else { return value }
            return .array(elements.map { element in element.stringValue.map(number) ?? element })
        default:
            return typed
        }
    }

    /// The plain JSON object of a map of typed AttributeValues (an item, `Keys`, an image).
    public static func plainMap(_ map: JSONValue) -> JSONValue {
        guard case .object(let members) = map else { return map }
        return .object(members.map { JSONValue.Member($0.key, plain($0.value)) })
    }

    /// A number's text as a JSON number when it follows the JSON grammar, else as a string.
    static func number(_ text: String) -> JSONValue {
        (try? JSONValue.parse(text)).flatMap { if case .number = $0 { $0 } else { nil } } ?? .string(text)
    }
}
