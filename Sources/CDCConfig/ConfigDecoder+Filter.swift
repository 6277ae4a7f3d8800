import CDCCore
import Yams

extension ConfigDecoder {
    /// `filter: [pattern, ...]`, Lambda/EventBridge filter patterns over the record JSON, checked by
    /// compiling them with CDCCore's `RecordFilter` so that a bad pattern is reported at its line.
    /// Scalars follow YAML 1.2's core schema: `paid` and `yes` are strings, `42` and `99.90` numbers
    /// (exact text kept), `true`/`false` booleans, `null`/`~` null; quoted scalars are always strings.
    func decodeFilter(_ node: ConfigNode, _ path: ConfigPath) throws(ConfigError) -> [JSONValue] {
        let elements = try list(node, path, example: "[{ eventName: [INSERT] }]")
        var patterns: [JSONValue] = []
        for (index, element) in elements.enumerated() {
            patterns.append(try json(element, path.index(index)))
        }
        do {
            _ = try RecordFilter(patterns: patterns)
        } catch {
            // `error.path` is `filter[1].newImage.status`: find that node for its line.
            let located = Self.locate(error.path, in: node)
            var keyPath = path.text
            keyPath += error.path.hasPrefix("filter") ? String(error.path.dropFirst("filter".count)) : "." + error.path
            // The message may quote the pattern's values: never when one came from the environment.
            let message =
                Self.containsVariable(located)
                ? "is not a valid filter (it uses ${...}, so the details are not shown; check the values it expands to)"
                : error.message
            let code: ConfigError.Code =
                switch error.code {
                case .unknownOperator: .unknownKey
                case .duplicateField: .duplicateKey
                default: .invalidValue
                }
            throw ConfigError(code: code, file: file, line: located.line, keyPath: keyPath, message: message)
        }
        return patterns
    }

    /// The node a filter error path (`filter[1].newImage["order total"].$or[0]`) points at: as deep as
    /// the path can be followed, starting from the `filter` list.
    static func locate(_ path: String, in filter: ConfigNode) -> ConfigNode {
        var node = filter
        var rest = Substring(path)
        if rest.hasPrefix("filter") { rest = rest.dropFirst("filter".count) }
        while let first = rest.first {
            var key: String?
            var index: Int?
            if first == "." {
                rest = rest.dropFirst()
                let name = rest.prefix { $0 != "." && $0 != "[" }
                key = String(name)
                rest = rest.dropFirst(name.count)
            } else if first == "[" {
                rest = rest.dropFirst()
                if rest.first == "\"" {
                    // A JSON string: read to the closing quote, undoing \" and \\ escapes.
                    var name = ""
                    rest = rest.dropFirst()
                    while let character = rest.first, character != "\"" {
                        rest = rest.dropFirst()
                        if character == "\\", let escaped = rest.first {
                            name.append(escaped)
                            rest = rest.dropFirst()
                        } else {
                            name.append(character)
                        }
                    }
                    rest = rest.dropFirst()  // the closing quote
                    key = name
                } else {
                    let digits = rest.prefix { $0 != "]" }
                    index = Int(digits)
                    rest = rest.dropFirst(digits.count)
                }
                guard rest.first == "]" else { return node }
                rest = rest.dropFirst()
            } else {
                return node
            }
            switch (node.content, key, index) {
            case (.mapping(let entries), let key?, _):
                guard let entry = entries.last(where: { $0.key == key }) else { return node }
                node = entry.value
            case (.sequence(let elements), _, let index?) where elements.indices.contains(index):
                node = elements[index]
            default:
                return node
            }
        }
        return node
    }

    /// True when a scalar under `node` was written with `${...}`.
    static func containsVariable(_ node: ConfigNode) -> Bool {
        switch node.content {
        case .scalar(let scalar): scalar.text.contains("${")
        case .sequence(let elements): elements.contains(where: containsVariable)
        case .mapping(let entries): entries.contains { containsVariable($0.value) }
        }
    }

    /// A YAML node as JSON, with `${VAR}` expanded in scalars.
    func json(_ node: ConfigNode, _ path: ConfigPath) throws(ConfigError) -> JSONValue {
        switch node.content {
        case .mapping(let entries):
            var members: [JSONValue.Member] = []
            for entry in entries {
                members.append(JSONValue.Member(entry.key, try json(entry.value, path.key(entry.key))))
            }
            return .object(members)
        case .sequence(let elements):
            var values: [JSONValue] = []
            for (index, element) in elements.enumerated() {
                values.append(try json(element, path.index(index)))
            }
            return .array(values)
        case .scalar(let scalar):
            if node.isNull { return .null }
            let text = try text(node, path)
            let value = text.value
            if let tag = scalar.tag {
                switch tag {
                case Tag.Name.str.rawValue: return .string(value)
                case Tag.Name.int.rawValue, Tag.Name.float.rawValue:
                    guard case .number(let number) = ConfigValueParsing.yamlNumber(value) else {
                        throw fail(.invalidValue, node.line, path, "\(text.shown()) is not a number JSON can hold")
                    }
                    return .number(number)
                case Tag.Name.bool.rawValue:
                    switch value {
                    case "true", "True", "TRUE": return .bool(true)
                    case "false", "False", "FALSE": return .bool(false)
                    default: throw fail(.wrongType, node.line, path, "must be true or false, got \(text.shown())")
                    }
                default:
                    throw fail(
                        .invalidValue, node.line, path,
                        "unsupported tag \(tag); use !!str, !!int, !!float, !!bool or !!null")
                }
            }
            guard scalar.isPlain else { return .string(value) }
            switch value {
            case "true", "True", "TRUE": return .bool(true)
            case "false", "False", "FALSE": return .bool(false)
            case "~", "null", "Null", "NULL": return .null
            default: break
            }
            switch ConfigValueParsing.yamlNumber(value) {
            case .number(let number): return .number(number)
            case .notRepresentable:
                throw fail(
                    .invalidValue, node.line, path,
                    "\(text.shown()) is not a number JSON can hold; quote it to match the text")
            case nil: return .string(value)
            }
        }
    }
}
