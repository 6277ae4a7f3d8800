extension FilterPattern {
    /// The compiled array of match conditions at one leaf of a pattern (`"status": ["paid", {"prefix":
    /// "ref"}]`): true when any condition holds for any leaf value of the record field.
    ///
    /// Leaf values are the field's scalars (string, number, bool, null), with arrays flattened at any
    /// depth; objects are not leaf values. A field that is absent, an object or an array without scalars
    /// has no leaf value: only `{"exists": false}` matches it.
    struct Conditions: Sendable {
        var strings: Set<UTF8Key> = []
        var numbers: Set<Number> = []
        var matchesNull = false
        var matchesTrue = false
        var matchesFalse = false
        /// Lowercased `equals-ignore-case` operands.
        var stringsIgnoringCase: Set<UTF8Key> = []
        var existsTrue = false
        var existsFalse = false
        /// The operators that cannot be a set lookup, in pattern order.
        var operators: [Operator] = []

        /// A condition tested one by one.
        enum Operator: Sendable {
            /// UTF-8 prefix; lowercased operand when ignoring case.
            case prefix([UInt8], ignoringCase: Bool)
            /// UTF-8 suffix; lowercased operand when ignoring case.
            case suffix([UInt8], ignoringCase: Bool)
            case wildcard(Wildcard)
            case numeric(NumericRange)
            case anythingBut(AnythingBut)
        }

        /// A string compared and hashed by its UTF-8 bytes, as AWS compares strings (Swift's `String`
        /// equality would also equate canonically equivalent forms, such as a precomposed and a decomposed
        /// "é", which prefix and suffix matching on bytes would then disagree with).
        struct UTF8Key: Hashable, Sendable {
            var string: String

            init(_ string: String) { self.string = string }

            static func == (lhs: UTF8Key, rhs: UTF8Key) -> Bool { lhs.string.utf8.elementsEqual(rhs.string.utf8) }

            func hash(into hasher: inout Hasher) {
                var string = string
                string.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
            }
        }

        /// One or two numeric bounds (`"=" x` is the closed range [x, x]).
        struct NumericRange: Sendable {
            var lower: Number?
            var lowerInclusive = false
            var upper: Number?
            var upperInclusive = false

            func contains(_ n: Number) -> Bool {
                if let lower, lowerInclusive ? n < lower : n <= lower { return false }
                if let upper, upperInclusive ? n > upper : n >= upper { return false }
                return true
            }
        }

        /// `{"anything-but": …}`: true for every leaf value the inner condition does not match.
        enum AnythingBut: Sendable {
            /// None of these strings or numbers (numbers compared numerically); null and bools pass.
            case values(strings: Set<UTF8Key>, numbers: Set<Number>)
            /// Strings not starting with the prefix; non-strings pass.
            case prefix([UInt8])
            /// Strings not ending with the suffix; non-strings pass.
            case suffix([UInt8])
            /// Strings equal to none of these ignoring case (operands lowercased); non-strings pass.
            case equalsIgnoringCase(Set<UTF8Key>)
            /// Strings matching none of these wildcards; non-strings pass.
            case wildcards([Wildcard])
        }

        /// True when the record's field value (nil when absent) satisfies any condition.
        func matches(_ value: JSONValue?) -> Bool {
            guard let value else { return existsFalse }
            var sawLeaf = false
            if matchesAnyLeaf(of: value, sawLeaf: &sawLeaf) { return true }
            return !sawLeaf && existsFalse
        }

        private func matchesAnyLeaf(of value: JSONValue, sawLeaf: inout Bool) -> Bool {
            switch value {
            case .object:
                return false
            case .array(let elements):
                for element in elements where matchesAnyLeaf(of: element, sawLeaf: &sawLeaf) { return true }
                return false
            case .string, .number, .bool, .null:
                sawLeaf = true
                return existsTrue || matchesLeaf(value)
            }
        }

        private func matchesLeaf(_ value: JSONValue) -> Bool {
            switch value {
            case .string(let string):
                if !strings.isEmpty, strings.contains(UTF8Key(string)) { return true }
                var lowered: String?
                func lowercase() -> String {
                    if let lowered { return lowered }
                    let l = string.lowercased()
                    lowered = l
                    return l
                }
                if !stringsIgnoringCase.isEmpty, stringsIgnoringCase.contains(UTF8Key(lowercase())) { return true }
                for op in operators {
                    switch op {
                    case .prefix(let prefix, let ignoringCase):
                        if (ignoringCase ? lowercase() : string).utf8.starts(with: prefix) { return true }
                    case .suffix(let suffix, let ignoringCase):
                        if Self.hasSuffix(ignoringCase ? lowercase() : string, suffix) { return true }
                    case .wildcard(let wildcard):
                        if wildcard.matches(string) { return true }
                    case .numeric:
                        continue
                    case .anythingBut(.values(let excluded, _)):
                        if !excluded.contains(UTF8Key(string)) { return true }
                    case .anythingBut(.prefix(let prefix)):
                        if !string.utf8.starts(with: prefix) { return true }
                    case .anythingBut(.suffix(let suffix)):
                        if !Self.hasSuffix(string, suffix) { return true }
                    case .anythingBut(.equalsIgnoringCase(let excluded)):
                        if !excluded.contains(UTF8Key(lowercase())) { return true }
                    case .anythingBut(.wildcards(let wildcards)):
                        if !wildcards.contains(where: { $0.matches(string) }) { return true }
                    }
                }
                return false
            case .number(let text):
                guard !numbers.isEmpty || !operators.isEmpty else { return false }
                // Unparseable text (never from a parsed document) equals no number and is in no range.
                let number = Number(text)
                if let number, numbers.contains(number) { return true }
                for op in operators {
                    switch op {
                    case .numeric(let range):
                        if let number, range.contains(number) { return true }
                    case .anythingBut(.values(_, let excluded)):
                        if number.map({ !excluded.contains($0) }) ?? true { return true }
                    case .anythingBut:
                        return true
                    case .prefix, .suffix, .wildcard:
                        continue
                    }
                }
                return false
            case .null:
                return matchesNull || operators.contains { if case .anythingBut = $0 { true } else { false } }
            case .bool(let b):
                return (b ? matchesTrue : matchesFalse)
                    || operators.contains { if case .anythingBut = $0 { true } else { false } }
            case .array, .object:
                return false
            }
        }

        private static func hasSuffix(_ string: String, _ suffix: [UInt8]) -> Bool {
            let utf8 = string.utf8
            return utf8.count >= suffix.count && utf8.suffix(suffix.count).elementsEqual(suffix)
        }
    }
}
