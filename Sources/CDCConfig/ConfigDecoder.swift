import CDCCore

/// Decodes a `ConfigNode` tree into `CDCDConfiguration`, one section per extension
/// (`ConfigDecoder+Source.swift`, `+Pipeline`, `+Function`, `+Sink`, `+Filter`). Every error names the
/// file, the line and the key path; values that came from the environment are never echoed.
struct ConfigDecoder {
    let file: String
    let baseDirectory: String
    let environment: [String: String]

    func fail(_ code: ConfigError.Code, _ line: Int?, _ path: ConfigPath, _ message: String) -> ConfigError {
        ConfigError(code: code, file: file, line: line, keyPath: path.text, message: message)
    }

    // MARK: Scalars

    /// A scalar's text after `${VAR}` expansion, with what an error may show of it.
    struct Text {
        var value: String
        var line: Int
        /// The variables the value was built from; when any, the value is never shown in messages.
        var variables: [String]
        /// The text as written (`${DATABASE_URL}`), safe to show.
        var written: String

        var fromEnvironment: Bool { !variables.isEmpty }

        /// The value for a message: as written in quotes, or "the value of ${VAR}" when it came from the
        /// environment. Unquoted when `quoted` is false (numbers).
        func shown(quoted: Bool = true) -> String {
            if fromEnvironment { return "the value of \(written)" }
            return quoted ? "'\(value)'" : value
        }

        /// For URLs: like `shown`, with any password in a literal value hidden.
        var shownURL: String {
            fromEnvironment
                ? "the value of \(CDCDConfiguration.redactURL(written))" : "'\(CDCDConfiguration.redactURL(value))'"
        }
    }

    func expand(_ text: String, line: Int, path: ConfigPath) throws(ConfigError) -> EnvironmentInterpolation.Expansion {
        do {
            return try EnvironmentInterpolation.expand(text, environment: environment)
        } catch {
            switch error {
            case .unset(let name):
                throw fail(
                    .unsetVariable, line, path,
                    "environment variable \(name) is not set (set it, or give a default: ${\(name):-default})")
            case .malformed(let message):
                throw fail(.invalidValue, line, path, message)
            }
        }
    }

    /// The expanded text of a scalar; a list or mapping is a type error naming `expected`.
    func text(_ node: ConfigNode, _ path: ConfigPath, expected: String = "text") throws(ConfigError) -> Text {
        guard case .scalar(let scalar) = node.content else {
            throw fail(.wrongType, node.line, path, "must be \(expected), got \(node.kindDescription)")
        }
        let expansion = try expand(scalar.text, line: node.line, path: path)
        return Text(value: expansion.text, line: node.line, variables: expansion.variables, written: scalar.text)
    }

    /// Text that must not be empty.
    func nonEmptyText(_ node: ConfigNode, _ path: ConfigPath, expected: String = "text") throws(ConfigError) -> Text {
        let text = try text(node, path, expected: expected)
        guard !text.value.allSatisfy(\.isWhitespace) else {
            throw fail(
                .invalidValue, node.line, path,
                text.fromEnvironment
                    ? "must not be empty (\(text.written) is empty)" : "must not be empty")
        }
        return text
    }

    func int(_ node: ConfigNode, _ path: ConfigPath, range: ClosedRange<Int>) throws(ConfigError) -> Int {
        let text = try text(node, path, expected: "a whole number")
        guard let value = Int(text.value) else {
            throw fail(.wrongType, node.line, path, "must be a whole number, got \(text.shown())")
        }
        guard range.contains(value) else {
            throw fail(
                .outOfRange, node.line, path,
                "must be between \(range.lowerBound) and \(range.upperBound), got \(text.shown(quoted: false))")
        }
        return value
    }

    func bool(_ node: ConfigNode, _ path: ConfigPath) throws(ConfigError) -> Bool {
        let text = try text(node, path, expected: "true or false")
        switch text.value {
        case "true", "True", "TRUE": return true
        case "false", "False", "FALSE": return false
        default: throw fail(.wrongType, node.line, path, "must be true or false, got \(text.shown())")
        }
    }

    /// A duration within `range` (bounds shown in messages as durations).
    func duration(_ node: ConfigNode, _ path: ConfigPath, range: ClosedRange<Duration>) throws(ConfigError) -> Duration
    {
        let text = try text(node, path, expected: "a duration")
        guard let value = ConfigValueParsing.duration(text.value) else {
            throw fail(
                .invalidValue, node.line, path,
                "invalid duration \(text.shown()): write 500ms, 30s, 5m, 1h, 24h, or a number of seconds")
        }
        guard range.contains(value) else {
            let shown = text.fromEnvironment ? text.shown() : Self.format(value)
            if range == Self.positive {
                throw fail(.outOfRange, node.line, path, "must be more than 0s, got \(shown)")
            }
            if range.upperBound >= Self.unbounded {
                throw fail(
                    .outOfRange, node.line, path, "must be at least \(Self.format(range.lowerBound)), got \(shown)")
            }
            throw fail(
                .outOfRange, node.line, path,
                "must be between \(Self.format(range.lowerBound)) and \(Self.format(range.upperBound)), got \(shown)")
        }
        return value
    }

    /// A duration range without an upper limit worth naming.
    static let unbounded: Duration = .seconds(Int64.max / 2)
    static let positive: ClosedRange<Duration> = .nanoseconds(1)...unbounded

    /// `90s` → `90s`, `300s` → `5m`, `0.5s` → `500ms`: durations as a user would write them.
    static func format(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        if attoseconds == 0 {
            if seconds != 0 && seconds % 3600 == 0 { return "\(seconds / 3600)h" }
            if seconds != 0 && seconds % 60 == 0 { return "\(seconds / 60)m" }
            return "\(seconds)s"
        }
        let nanoseconds = attoseconds / 1_000_000_000
        if nanoseconds % 1_000_000 == 0 { return "\(seconds * 1000 + nanoseconds / 1_000_000)ms" }
        return "\(Double(seconds) + Double(nanoseconds) / 1e9)s"
    }

    /// One of a fixed set of words, case-sensitive; a near miss is suggested.
    func choice<T>(_ node: ConfigNode, _ path: ConfigPath, _ choices: [(String, T)]) throws(ConfigError) -> T {
        let names = choices.map(\.0)
        let text = try text(node, path, expected: "one of \(names.joined(separator: ", "))")
        if let match = choices.first(where: { $0.0 == text.value }) { return match.1 }
        var message = "must be one of \(names.joined(separator: ", ")), got \(text.shown())"
        if !text.fromEnvironment, let suggestion = Suggestion.closest(to: text.value, in: names) {
            message += "; did you mean \(suggestion)?"
        }
        throw fail(.invalidValue, node.line, path, message)
    }

    /// The entries of a mapping whose keys are the user's (headers, column renames, table mappings).
    func entries(_ node: ConfigNode, _ path: ConfigPath, what: String) throws(ConfigError) -> [ConfigNode.Entry] {
        switch node.content {
        case .mapping(let entries): return entries
        case .scalar where node.isNull: return []
        default: throw fail(.wrongType, node.line, path, "must be a mapping of \(what), got \(node.kindDescription)")
        }
    }

    func list(_ node: ConfigNode, _ path: ConfigPath, example: String) throws(ConfigError) -> [ConfigNode] {
        guard case .sequence(let elements) = node.content else {
            throw fail(
                .wrongType, node.line, path, "must be a list (for example \(example)), got \(node.kindDescription)")
        }
        return elements
    }

    /// A list of non-empty strings.
    func stringList(
        _ node: ConfigNode, _ path: ConfigPath, example: String, allowEmpty: Bool = false
    )
        throws(ConfigError) -> [Text]
    {
        let elements = try list(node, path, example: example)
        if elements.isEmpty && !allowEmpty {
            throw fail(.invalidValue, node.line, path, "must not be an empty list (for example \(example))")
        }
        var result: [Text] = []
        for (index, element) in elements.enumerated() {
            result.append(try nonEmptyText(element, path.index(index)))
        }
        return result
    }

    func tablePattern(_ text: Text, _ path: ConfigPath) throws(ConfigError) -> TablePattern {
        do {
            return try TablePattern(text.value)
        } catch {
            let shown = text.fromEnvironment ? text.shown() : "'\(text.value)'"
            throw fail(
                .invalidValue, text.line, path,
                "table pattern \(shown) must be schema.table (for example public.orders or public.*)")
        }
    }

    func tablePatterns(_ node: ConfigNode, _ path: ConfigPath) throws(ConfigError) -> [TablePattern] {
        var patterns: [TablePattern] = []
        for (index, text) in try stringList(node, path, example: "[public.orders, sales.*]").enumerated() {
            patterns.append(try tablePattern(text, path.index(index)))
        }
        return patterns
    }

    /// A file path, absolute against the config's folder.
    func resolvedPath(_ node: ConfigNode, _ path: ConfigPath) throws(ConfigError) -> String {
        resolve(try nonEmptyText(node, path, expected: "a path").value)
    }

    func resolve(_ path: String) -> String {
        PathResolution.resolve(path, base: baseDirectory, home: environment["HOME"])
    }
}

/// The keys of one mapping, checked against the keys allowed there.
struct MappingReader {
    let decoder: ConfigDecoder
    let entries: [ConfigNode.Entry]
    let line: Int
    let path: ConfigPath

    /// Fails on a value that is not a mapping (`what` completes "must be a mapping of ...") and on any
    /// key outside `allowed` (suggesting the closest allowed one). A null value reads as an empty mapping.
    /// With `extensions`, keys starting with `x-` are ignored (a place for YAML anchors, as in Compose files).
    init(
        _ node: ConfigNode, _ path: ConfigPath, _ decoder: ConfigDecoder, allowed: [String], what: String,
        extensions: Bool = false
    ) throws(ConfigError) {
        self.decoder = decoder
        self.line = node.line
        self.path = path
        switch node.content {
        case .mapping(let entries): self.entries = entries
        case .scalar where node.isNull: self.entries = []
        default:
            throw decoder.fail(.wrongType, node.line, path, "must be a mapping of \(what), got \(node.kindDescription)")
        }
        for entry in entries where !allowed.contains(entry.key) && !(extensions && entry.key.hasPrefix("x-")) {
            var message = "unknown key '\(entry.key)'"
            if let suggestion = Suggestion.closest(to: entry.key, in: allowed) {
                message += "; did you mean '\(suggestion)'?"
            } else if allowed.isEmpty {
                message += " (this takes no keys)"
            } else {
                message += " (allowed here: \(allowed.joined(separator: ", ")))"
            }
            throw decoder.fail(.unknownKey, entry.keyLine, path.key(entry.key), message)
        }
    }

    /// The entry for `key` when written, even with a null value.
    func entry(_ key: String) -> ConfigNode.Entry? {
        entries.first { $0.key == key }
    }

    /// The value of `key`; nil when absent or null.
    func value(_ key: String) -> ConfigNode? {
        guard let node = entry(key)?.value, !node.isNull else { return nil }
        return node
    }

    /// The value of `key`, which must be there and not null.
    func required(_ key: String, _ hint: String = "") throws(ConfigError) -> ConfigNode {
        guard let node = value(key) else {
            let line = entry(key)?.keyLine ?? line
            throw decoder.fail(
                .missingKey, line, path.key(key), "required key missing" + (hint.isEmpty ? "" : "; \(hint)"))
        }
        return node
    }

    /// The written keys among `keys`, in document order.
    func present(_ keys: [String]) -> [ConfigNode.Entry] {
        entries.filter { keys.contains($0.key) }
    }
}

/// "Did you mean": the allowed word closest to a mistyped one.
enum Suggestion {
    static func closest(to word: String, in candidates: [String]) -> String? {
        let folded = fold(word)
        if let exact = candidates.first(where: { fold($0) == folded }) { return exact }
        let limit = max(2, word.count / 4)
        let scored = candidates.map { ($0, distance(folded, fold($0))) }.filter { $0.1 <= limit }
        return scored.min { $0.1 < $1.1 }?.0
    }

    /// Lower-cased, without `_` and `-`: `batchSize`, `batch-size` and `batch_size` fold alike.
    private static func fold(_ word: String) -> [Character] {
        Array(word.lowercased().filter { $0 != "_" && $0 != "-" })
    }

    private static func distance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
