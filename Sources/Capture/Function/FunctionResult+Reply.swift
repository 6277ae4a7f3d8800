import CDCCore

extension FunctionResult {
    /// Members a reply may have besides `records` and `batchItemFailures`, and only next to
    /// `errorMessage` (Lambda's error shape).
    static let errorMembers: Set<String> = ["errorMessage", "errorType", "stackTrace", "requestId"]

    /// Reads one reply line (without its newline).
    ///
    /// Throws `.handlerError` when the reply carries `errorMessage`, and `.badReply` for anything that
    /// is not JSON, not an object, has a member other than `records` / `batchItemFailures`, or whose
    /// members are not of the documented shape. `function` names the function in messages.
    public init(reply line: [UInt8], function: String) throws(FunctionError) {
        func bad(_ what: String) -> FunctionError {
            FunctionError(
                .badReply,
                "function \(function) \(what); expected one JSON line like "
                    + #"{"records":[...]} and/or {"batchItemFailures":[{"itemIdentifier":"..."}]}"#)
        }
        guard !line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) else {
            throw bad("printed an empty line")
        }
        let value: JSONValue
        do {
            value = try JSONValue.parse(line)
        } catch {
            throw bad("printed a line that is not JSON: \(FunctionError.quote(line)) (\(error))")
        }
        guard case .object(let members) = value else {
            throw bad("answered \(FunctionError.quote(line)), which is not a JSON object")
        }

        var lastByKey: [String: JSONValue] = [:]
        for member in members { lastByKey[member.key] = member.value }
        if let errorMessage = lastByKey["errorMessage"] {
            var message = "function \(function) failed"
            if case .string(let type) = lastByKey["errorType"], !type.isEmpty { message += " with \(type)" }
            switch errorMessage {
            case .string(let text): message += ": \(text)"
            case .null: break
            default: message += ": \(Self.compact(errorMessage))"
            }
            throw FunctionError(.handlerError, message)
        }

        var result = FunctionResult()
        for (key, member) in lastByKey.sorted(by: { $0.key < $1.key }) {
            switch key {
            case "records":
                switch member {
                case .null: result.records = nil
                case .array(let elements):
                    var records: [[UInt8]] = []
                    records.reserveCapacity(elements.count)
                    for (index, element) in elements.enumerated() {
                        guard case .object = element else {
                            let kind = Self.kind(of: element)
                            throw bad("answered \"records\" whose element \(index) is \(kind), not an object")
                        }
                        records.append(Self.compact(element))
                    }
                    result.records = records
                default:
                    throw bad("answered \"records\" as \(Self.kind(of: member)), not an array of objects")
                }
            case "batchItemFailures":
                switch member {
                case .null: break
                case .array(let elements):
                    for (index, element) in elements.enumerated() {
                        guard case .object(let fields) = element,
                            case .string(let identifier) = fields.last(where: { $0.key == "itemIdentifier" })?.value,
                            !identifier.isEmpty
                        else {
                            throw bad(
                                "answered \"batchItemFailures\" whose element \(index) has no non-empty "
                                    + "string \"itemIdentifier\"")
                        }
                        result.failedItemIdentifiers.append(identifier)
                    }
                default:
                    throw bad("answered \"batchItemFailures\" as \(Self.kind(of: member)), not an array")
                }
            default:
                throw bad("answered an object with the unknown member \(FunctionError.quote(Array(key.utf8)))")
            }
        }
        self = result
    }

    static func compact(_ value: JSONValue) -> [UInt8] {
        var writer = JSONWriter()
        value.write(into: &writer)
        return writer.bytes
    }

    static func kind(of value: JSONValue) -> String {
        switch value {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}
