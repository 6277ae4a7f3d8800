/// `${VAR}` and `${VAR:-default}` in scalar values, expanded from the environment the loader was given.
///
/// - `${VAR}`: the variable's value; an unset variable is an error (never silently empty). A variable set
///   to the empty string expands to the empty string.
/// - `${VAR:-default}`: the variable's value, or `default` when it is unset or empty (shell semantics).
/// - `$${` is a literal `${`; any other `$` is kept as written.
///
/// Expansion runs on the scalar after YAML parsing, so a value may hold `:`, `#` or quotes without
/// breaking the document, and is never parsed as YAML itself.
enum EnvironmentInterpolation {
    struct Expansion {
        var text: String
        /// The variables that were read, in order: when non-empty, the text must not be shown in errors.
        var variables: [String]
    }

    enum Failure: Error {
        case unset(String)
        case malformed(String)
    }

    static func expand(_ text: String, environment: [String: String]) throws(Failure) -> Expansion {
        guard text.contains("$") else { return Expansion(text: text, variables: []) }
        var output = ""
        var variables: [String] = []
        var index = text.startIndex
        while index < text.endIndex {
            let character = text[index]
            guard character == "$" else {
                output.append(character)
                index = text.index(after: index)
                continue
            }
            let rest = text[index...]
            if rest.hasPrefix("$${") {
                output += "${"
                index = text.index(index, offsetBy: 3)
                continue
            }
            guard rest.hasPrefix("${") else {
                output.append("$")
                index = text.index(after: index)
                continue
            }
            let bodyStart = text.index(index, offsetBy: 2)
            guard let close = text[bodyStart...].firstIndex(of: "}") else {
                throw .malformed("unterminated ${ (close it with }, or write $${ for a literal ${)")
            }
            let body = text[bodyStart..<close]
            let name: Substring
            let fallback: Substring?
            if let separator = body.firstRange(of: ":-") {
                name = body[..<separator.lowerBound]
                fallback = body[separator.upperBound...]
            } else {
                name = body
                fallback = nil
            }
            guard isVariableName(name) else {
                throw .malformed(
                    "'${\(name)}' is not a variable reference: use ${NAME} or ${NAME:-default}, NAME being letters, digits and _"
                )
            }
            variables.append(String(name))
            switch (environment[String(name)], fallback) {
            case (let value?, let fallback?): output += value.isEmpty ? String(fallback) : value
            case (let value?, nil): output += value
            case (nil, let fallback?): output += fallback
            case (nil, nil): throw .unset(String(name))
            }
            index = text.index(after: close)
        }
        return Expansion(text: output, variables: variables)
    }

    private static func isVariableName(_ name: Substring) -> Bool {
        guard let first = name.unicodeScalars.first, first.isASCII,
            first == "_" || first.properties.isAlphabetic
        else { return false }
        return name.unicodeScalars.allSatisfy {
            $0.isASCII && ($0 == "_" || $0.properties.isAlphabetic || ("0"..."9").contains($0))
        }
    }
}
