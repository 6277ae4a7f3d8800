extension FilterPattern {
    /// Compiles one pattern object (Lambda / EventBridge syntax); `path` names it in errors
    /// (`filter[1]`). Rejects every malformed part with an error naming where it is.
    init(compiling value: JSONValue, path: String) throws(FilterPatternError) {
        guard case .object(let members) = value else {
            throw FilterPatternError(
                .invalidPattern, path: path,
                "a pattern must be an object such as {\"eventName\": [\"INSERT\"]}, not \(Self.quote(value))"
            )
        }
        guard !members.isEmpty else {
            throw FilterPatternError(.invalidPattern, path: path, "an empty pattern object; name at least one field")
        }
        var fields: [Field] = []
        var alternatives: [[FilterPattern]] = []
        var seen: Set<String> = []
        for member in members {
            let fieldPath = Self.path(path, key: member.key)
            guard seen.insert(member.key).inserted else {
                throw FilterPatternError(
                    .duplicateField, path: fieldPath,
                    "the field appears twice in one object; put all its conditions in one array"
                )
            }
            if member.key == "$or" {
                alternatives.append(try Self.compileOr(member.value, path: fieldPath))
                continue
            }
            switch member.value {
            case .array(let conditions):
                fields.append(
                    Field(key: member.key, matcher: .leaf(try Conditions(compiling: conditions, path: fieldPath))))
            case .object:
                fields.append(
                    Field(
                        key: member.key, matcher: .nested(try FilterPattern(compiling: member.value, path: fieldPath))))
            case .string, .number, .bool, .null:
                throw FilterPatternError(
                    .invalidConditionList, path: fieldPath,
                    "needs an array of match conditions such as [\(Self.quote(member.value))], or a nested object,"
                        + " not \(Self.quote(member.value))"
                )
            }
        }
        self.init(fields: fields, alternatives: alternatives)
    }

    private static func compileOr(_ value: JSONValue, path: String) throws(FilterPatternError) -> [FilterPattern] {
        guard case .array(let elements) = value, !elements.isEmpty else {
            throw FilterPatternError(
                .invalidPattern, path: path,
                "\"$or\" needs a list of patterns such as [{\"eventName\": [\"INSERT\"]}, {\"table\": [\"public.orders\"]}],"
                    + " not \(quote(value))"
            )
        }
        var alternatives: [FilterPattern] = []
        for (i, element) in elements.enumerated() {
            alternatives.append(try FilterPattern(compiling: element, path: "\(path)[\(i)]"))
        }
        return alternatives
    }

    // MARK: Errors

    /// `base.key`, or `base["odd key"]` when the key is not a plain identifier.
    static func path(_ base: String, key: String) -> String {
        let plain =
            !key.isEmpty
            && key.utf8.allSatisfy { b in
                (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z")) || (b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z"))
                    || (b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9")) || b == UInt8(ascii: "_")
                    || b == UInt8(ascii: "-") || b == UInt8(ascii: "$")
            }
        return plain ? "\(base).\(key)" : "\(base)[\(quote(.string(key)))]"
    }

    /// The value as compact JSON for an error message, cut short when long.
    static func quote(_ value: JSONValue) -> String {
        let text = String(decoding: value.jsonBytes, as: UTF8.self)
        return text.count > 80 ? String(text.prefix(77)) + "..." : text
    }
}

extension FilterPattern.Conditions {
    private typealias Number = FilterPattern.Number
    private typealias Wildcard = FilterPattern.Wildcard

    static let supportedOperators = "prefix, suffix, equals-ignore-case, wildcard, anything-but, numeric, exists"

    /// Compiles the array of conditions of one field; `path` names the field in errors.
    init(compiling conditions: [JSONValue], path: String) throws(FilterPatternError) {
        guard !conditions.isEmpty else {
            throw FilterPatternError(
                .invalidConditionList, path: path,
                "an empty list of conditions matches nothing; write [null] to match null or"
                    + " [{\"exists\": false}] to match a missing field"
            )
        }
        self.init()
        for condition in conditions {
            switch condition {
            case .string(let s): strings.insert(UTF8Key(s))
            case .number(let text): numbers.insert(try Self.number(text, path: path, context: "an exact number"))
            case .null: matchesNull = true
            case .bool(true): matchesTrue = true
            case .bool(false): matchesFalse = true
            case .array:
                throw FilterPatternError(
                    .invalidCondition, path: path,
                    "a condition cannot be an array: \(FilterPattern.quote(condition)); list the values directly"
                )
            case .object(let members):
                try add(operatorObject: members, path: path)
            }
        }
    }

    private mutating func add(operatorObject members: [JSONValue.Member], path: String) throws(FilterPatternError) {
        guard members.count == 1, let member = members.first else {
            throw FilterPatternError(
                .unknownOperator, path: path,
                members.isEmpty
                    ? "an operator object needs one operator (\(Self.supportedOperators)), not {}"
                    : "an operator object holds exactly one operator; write \(FilterPattern.quote(.object(members)))"
                        + " as separate conditions of the array"
            )
        }
        let operand = member.value
        switch member.key {
        case "prefix":
            let (bytes, ignoringCase) = try Self.affix(operand, name: "prefix", path: path)
            operators.append(.prefix(bytes, ignoringCase: ignoringCase))
        case "suffix":
            let (bytes, ignoringCase) = try Self.affix(operand, name: "suffix", path: path)
            operators.append(.suffix(bytes, ignoringCase: ignoringCase))
        case "equals-ignore-case":
            let string = try Self.string(operand, name: "equals-ignore-case", path: path)
            stringsIgnoringCase.insert(UTF8Key(string.lowercased()))
        case "wildcard":
            operators.append(.wildcard(try Self.wildcard(operand, name: "wildcard", path: path)))
        case "anything-but":
            operators.append(.anythingBut(try Self.anythingBut(operand, path: path)))
        case "numeric":
            let range = try Self.numericRange(operand, path: path)
            if let lower = range.lower, lower == range.upper {
                numbers.insert(lower)
            } else {
                operators.append(.numeric(range))
            }
        case "exists":
            guard case .bool(let exists) = operand else {
                throw Self.operandError(path, "\"exists\" needs true or false, not \(FilterPattern.quote(operand))")
            }
            if exists { existsTrue = true } else { existsFalse = true }
        default:
            throw FilterPatternError(
                .unknownOperator, path: path,
                "unknown operator \(FilterPattern.quote(.string(member.key))); supported: \(Self.supportedOperators)"
            )
        }
    }

    // MARK: Operands

    private static func operandError(_ path: String, _ message: String) -> FilterPatternError {
        FilterPatternError(.invalidOperand, path: path, message)
    }

    private static func string(_ operand: JSONValue, name: String, path: String) throws(FilterPatternError) -> String {
        guard case .string(let s) = operand else {
            throw operandError(path, "\"\(name)\" needs a string, not \(FilterPattern.quote(operand))")
        }
        return s
    }

    private static func number(_ text: String, path: String, context: String) throws(FilterPatternError) -> Number {
        guard let number = Number(text) else {
            throw operandError(path, "\(context) is not a valid number: \(text)")
        }
        return number
    }

    /// `"abc"` or `{"equals-ignore-case": "abc"}` (then lowercased) as UTF-8 bytes.
    private static func affix(
        _ operand: JSONValue, name: String, path: String
    ) throws(FilterPatternError) -> ([UInt8], ignoringCase: Bool) {
        switch operand {
        case .string(let s):
            return (Array(s.utf8), false)
        case .object(let members) where members.count == 1 && members[0].key == "equals-ignore-case":
            if case .string(let s) = members[0].value { return (Array(s.lowercased().utf8), true) }
        default:
            break
        }
        throw operandError(
            path, "\"\(name)\" needs a string or {\"equals-ignore-case\": \"...\"}, not \(FilterPattern.quote(operand))"
        )
    }

    private static func wildcard(_ operand: JSONValue, name: String, path: String) throws(FilterPatternError)
        -> Wildcard
    {
        let text = try string(operand, name: name, path: path)
        do {
            return try Wildcard(text)
        } catch {
            switch error {
            case .consecutiveAsterisks:
                throw FilterPatternError(
                    .invalidWildcard, path: path,
                    "\"\(name)\" \(FilterPattern.quote(operand)) has consecutive asterisks; one * already matches any run"
                )
            case .invalidEscape:
                throw FilterPatternError(
                    .invalidWildcard, path: path,
                    "\"\(name)\" \(FilterPattern.quote(operand)) has a backslash that escapes neither * nor \\;"
                        + " write \\\\ for a literal backslash"
                )
            }
        }
    }

    private static func anythingBut(_ operand: JSONValue, path: String) throws(FilterPatternError) -> AnythingBut {
        let usage =
            "\"anything-but\" needs a string, a number, a list of only strings or only numbers, or an object"
            + " {\"prefix\"|\"suffix\"|\"equals-ignore-case\"|\"wildcard\": ...}, not \(FilterPattern.quote(operand))"
        switch operand {
        case .string(let s):
            return .values(strings: [UTF8Key(s)], numbers: [])
        case .number(let text):
            return .values(strings: [], numbers: [try number(text, path: path, context: "\"anything-but\" number")])
        case .array(let elements):
            if !elements.isEmpty, elements.allSatisfy({ if case .string = $0 { true } else { false } }) {
                return .values(strings: Set(elements.compactMap { $0.stringValue.map(UTF8Key.init) }), numbers: [])
            }
            if !elements.isEmpty, elements.allSatisfy({ if case .number = $0 { true } else { false } }) {
                var numbers: Set<Number> = []
                for case .number(let text) in elements {
                    numbers.insert(try number(text, path: path, context: "\"anything-but\" number"))
                }
                return .values(strings: [], numbers: numbers)
            }
            throw operandError(path, usage)
        case .object(let members) where members.count == 1:
            let inner = members[0].value
            let name = "anything-but\" / \"\(members[0].key)"
            switch members[0].key {
            case "prefix":
                return .prefix(Array(try string(inner, name: name, path: path).utf8))
            case "suffix":
                return .suffix(Array(try string(inner, name: name, path: path).utf8))
            case "equals-ignore-case":
                let excluded = try strings(inner, name: name, path: path)
                return .equalsIgnoringCase(Set(excluded.map { UTF8Key($0.lowercased()) }))
            case "wildcard":
                var wildcards: [Wildcard] = []
                for text in try strings(inner, name: name, path: path) {
                    wildcards.append(try wildcard(.string(text), name: name, path: path))
                }
                return .wildcards(wildcards)
            default:
                throw operandError(path, usage)
            }
        case .object, .bool, .null:
            throw operandError(path, usage)
        }
    }

    /// A string or a non-empty list of strings.
    private static func strings(_ operand: JSONValue, name: String, path: String) throws(FilterPatternError) -> [String]
    {
        switch operand {
        case .string(let s):
            return [s]
        case .array(let elements) where !elements.isEmpty:
            let strings = elements.compactMap(\.stringValue)
            if strings.count == elements.count { return strings }
        default:
            break
        }
        throw operandError(
            path, "\"\(name)\" needs a string or a non-empty list of strings, not \(FilterPattern.quote(operand))"
        )
    }

    /// `["=", x]`, or one or two bounds in either order: `[">", 0]`, `[">", 0, "<=", 5]`, `["<", 5, ">=", 0]`.
    private static func numericRange(_ operand: JSONValue, path: String) throws(FilterPatternError) -> NumericRange {
        func fail(_ message: String) -> FilterPatternError {
            FilterPatternError(.invalidNumericRange, path: path, message)
        }
        guard case .array(let items) = operand, [2, 4].contains(items.count) else {
            throw fail(
                "\"numeric\" needs one or two comparisons such as [\">\", 0, \"<=\", 5] or [\"=\", 3],"
                    + " not \(FilterPattern.quote(operand))"
            )
        }
        var range = NumericRange()
        for pair in stride(from: 0, to: items.count, by: 2) {
            guard case .string(let op) = items[pair], [">", ">=", "<", "<=", "="].contains(op) else {
                throw fail(
                    "\"numeric\" operator must be one of \"=\", \">\", \">=\", \"<\", \"<=\", not \(FilterPattern.quote(items[pair]))"
                )
            }
            guard case .number(let text) = items[pair + 1] else {
                throw fail("\"numeric\" needs a number after \"\(op)\", not \(FilterPattern.quote(items[pair + 1]))")
            }
            let bound = try number(text, path: path, context: "\"numeric\" bound")
            switch op {
            case "=":
                guard items.count == 2 else {
                    throw fail("\"numeric\" \"=\" cannot be combined with another comparison")
                }
                range = NumericRange(lower: bound, lowerInclusive: true, upper: bound, upperInclusive: true)
            case ">", ">=":
                guard range.lower == nil else {
                    throw fail("\"numeric\" has two lower bounds; give at most one of > and >=")
                }
                range.lower = bound
                range.lowerInclusive = op == ">="
            default:
                guard range.upper == nil else {
                    throw fail("\"numeric\" has two upper bounds; give at most one of < and <=")
                }
                range.upper = bound
                range.upperInclusive = op == "<="
            }
        }
        if let lower = range.lower, let upper = range.upper,
            lower > upper || (lower == upper && !(range.lowerInclusive && range.upperInclusive))
        {
            throw fail("\"numeric\" range \(FilterPattern.quote(operand)) matches no number")
        }
        return range
    }
}
