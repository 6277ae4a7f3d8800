/// Hiding secrets when configuration values are printed or logged.
enum Redaction {
    static let mask = "***"

    /// Query parameters whose values are hidden in URLs.
    private static func isSensitiveParameter(_ name: Substring) -> Bool {
        let lower = name.lowercased()
        return [
            "password", "passwd", "pwd", "secret", "token", "signature", "apikey", "api_key", "api-key", "key", "sig",
        ]
        .contains { lower == $0 || ($0.count > 4 && lower.contains($0)) }
    }

    /// `scheme://user:PASSWORD@host/...?password=...` → the password (and sensitive query values) masked;
    /// a libpq conninfo (`host=... password=...`) → the `password` value masked.
    static func url(_ text: String) -> String {
        if let schemeEnd = text.firstRange(of: "://") {
            return uri(text, afterScheme: schemeEnd.upperBound)
        }
        return conninfo(text)
    }

    private static func uri(_ text: String, afterScheme: String.Index) -> String {
        var result = String(text[..<afterScheme])
        var rest = text[afterScheme...]
        // The user info ends at the last `@` before the query: passwords sometimes hold unescaped `/`.
        let queryStart = rest.firstIndex(where: { $0 == "?" || $0 == "#" }) ?? rest.endIndex
        if let at = rest[..<queryStart].lastIndex(of: "@") {
            let userInfo = rest[..<at]
            if let colon = userInfo.firstIndex(of: ":") {
                result += userInfo[..<colon] + ":" + mask
            } else {
                result += userInfo
            }
            rest = rest[at...]
        }
        guard let question = rest.firstIndex(of: "?") else { return result + rest }
        result += rest[...question]
        let query = rest[rest.index(after: question)...]
        let fragmentStart = query.firstIndex(of: "#") ?? query.endIndex
        let parameters = query[..<fragmentStart].split(separator: "&", omittingEmptySubsequences: false).map {
            parameter -> String in
            guard let equals = parameter.firstIndex(of: "="), isSensitiveParameter(parameter[..<equals]) else {
                return String(parameter)
            }
            return parameter[...equals] + mask
        }
        return result + parameters.joined(separator: "&") + query[fragmentStart...]
    }

    /// libpq's `keyword = value` list, values optionally single-quoted with backslash escapes.
    private static func conninfo(_ text: String) -> String {
        var output = ""
        var index = text.startIndex
        func skipSpaces() {
            while index < text.endIndex, text[index].isWhitespace {
                output.append(text[index])
                index = text.index(after: index)
            }
        }
        while true {
            skipSpaces()
            guard index < text.endIndex else { return output }
            let keyStart = index
            while index < text.endIndex, !text[index].isWhitespace, text[index] != "=" {
                index = text.index(after: index)
            }
            let key = text[keyStart..<index]
            output += key
            skipSpaces()
            guard index < text.endIndex, text[index] == "=" else {
                // Not a conninfo: hide everything from a password keyword on, keep the rest.
                return hideFromPasswordOn(text)
            }
            output.append("=")
            index = text.index(after: index)
            skipSpaces()
            let valueStart = index
            if index < text.endIndex, text[index] == "'" {
                index = text.index(after: index)
                while index < text.endIndex, text[index] != "'" {
                    if text[index] == "\\" { index = text.index(after: index) }
                    if index < text.endIndex { index = text.index(after: index) }
                }
                guard index < text.endIndex else { return hideFromPasswordOn(text) }
                index = text.index(after: index)
            } else {
                while index < text.endIndex, !text[index].isWhitespace {
                    if text[index] == "\\" { index = text.index(after: index) }
                    if index < text.endIndex { index = text.index(after: index) }
                }
            }
            output += key.lowercased() == "password" ? mask : String(text[valueStart..<index])
        }
    }

    private static func hideFromPasswordOn(_ text: String) -> String {
        guard let range = text.lowercased().firstRange(of: "password") else { return text }
        let offset = text.lowercased().distance(from: text.lowercased().startIndex, to: range.lowerBound)
        return String(text.prefix(offset)) + "password=" + mask
    }
}

extension Redaction {
    /// `Type(label: value, ...)`: the description of a type that holds secrets, built from fields whose
    /// values the type has already redacted.
    static func describe(_ type: String, _ fields: KeyValuePairs<String, String>) -> String {
        "\(type)(" + fields.map { "\($0.key): \($0.value)" }.joined(separator: ", ") + ")"
    }

    /// A value as the default description would show it (strings quoted, optionals without the wrapper).
    static func show<T>(_ value: T?) -> String {
        guard let value else { return "nil" }
        var text = ""
        debugPrint(value, terminator: "", to: &text)
        return text
    }
}

extension CDCDConfiguration {
    /// The URL or libpq conninfo with its password hidden: `postgres://app:***@db/app`,
    /// `host=db user=app password=***`; query parameters such as `?password=` or `?token=` are hidden
    /// too. Use it wherever a connection string is shown or logged.
    public static func redactURL(_ url: String) -> String {
        Redaction.url(url)
    }
}
