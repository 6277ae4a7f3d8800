/// One compiled filter pattern (a JSON object of fields), or one nested object inside it: true for a
/// record object when every field matches and every `$or` group has a matching alternative.
///
/// Built once by `init(compiling:path:)` (see `FilterPattern+Compiling.swift`); matching allocates
/// nothing but the occasional lowercased string or parsed number.
struct FilterPattern: Sendable {
    /// The fields, in pattern order; all must match (AND).
    var fields: [Field]
    /// `$or` groups; in each, at least one alternative must match the same object.
    var alternatives: [[FilterPattern]]

    /// One key of the pattern and what its value in the record must satisfy.
    struct Field: Sendable {
        var key: String
        var matcher: Matcher
    }

    /// What a field's record value must satisfy.
    enum Matcher: Sendable {
        /// A nested pattern object: descend into the record's object (or into each object of its array).
        case nested(FilterPattern)
        /// An array of match conditions over the field's leaf values.
        case leaf(Conditions)
    }

    /// True when the record value (nil when absent) matches.
    ///
    /// An object is matched field by field. An array matches when any object in it (arrays flattened)
    /// matches, so several fields under one array must hold in the same element. A value that is
    /// absent, a scalar, or an array without objects has none of the pattern's fields: it matches only
    /// when every field's conditions accept an absent field (`{"exists": false}`).
    func matches(_ value: JSONValue?) -> Bool {
        switch value {
        case .object(let members)?:
            return matches(members: members)
        case .array(let elements)?:
            var sawObject = false
            if matchesAnyObject(in: elements, sawObject: &sawObject) { return true }
            return !sawObject && matches(members: [])
        default:
            return matches(members: [])
        }
    }

    private func matches(members: [JSONValue.Member]) -> Bool {
        for field in fields {
            // The last member wins on duplicate keys, as `JSONValue`'s subscript does.
            let value = members.last(where: { $0.key == field.key })?.value
            switch field.matcher {
            case .leaf(let conditions):
                guard conditions.matches(value) else { return false }
            case .nested(let pattern):
                guard pattern.matches(value) else { return false }
            }
        }
        for group in alternatives {
            guard group.contains(where: { $0.matches(members: members) }) else { return false }
        }
        return true
    }

    private func matchesAnyObject(in elements: [JSONValue], sawObject: inout Bool) -> Bool {
        for element in elements {
            switch element {
            case .object(let members):
                sawObject = true
                if matches(members: members) { return true }
            case .array(let inner):
                if matchesAnyObject(in: inner, sawObject: &sawObject) { return true }
            case .string, .number, .bool, .null:
                continue
            }
        }
        return false
    }
}
