import Foundation
import Yams

/// A YAML document reduced to what the decoder needs: mappings (keys are text, in document order),
/// sequences and scalars, each with its 1-based line. Anchors and aliases are already expanded and
/// `<<` merge keys applied; scalars are kept as written (`${VAR}` not yet expanded).
struct ConfigNode {
    enum Content {
        case scalar(Scalar)
        case mapping([Entry])
        case sequence([ConfigNode])
    }

    /// A scalar as written in the file.
    struct Scalar {
        /// The text, `${VAR}` references not expanded.
        var text: String
        /// Plain (unquoted, not a block scalar): only plain scalars can be `null`, `true` or a number.
        var isPlain: Bool
        /// An explicit tag (`!!str 42`), expanded to its full name; nil when untagged.
        var tag: String?
    }

    /// One `key: value` of a mapping.
    struct Entry {
        var key: String
        var keyLine: Int
        var value: ConfigNode
    }

    var content: Content
    var line: Int

    /// True for `~`, `null`, an empty value, or `!!null`: what an absent optional key also means.
    var isNull: Bool {
        guard case .scalar(let scalar) = content else { return false }
        if let tag = scalar.tag { return tag == Tag.Name.null.rawValue }
        return scalar.isPlain && ["", "~", "null", "Null", "NULL"].contains(scalar.text)
    }

    /// "a mapping", "a list", "text": for "must be X, got Y" messages.
    var kindDescription: String {
        switch content {
        case .mapping: "a mapping"
        case .sequence: "a list"
        case .scalar: isNull ? "null" : "a single value"
        }
    }
}

extension ConfigNode {
    /// Parses one YAML document; nil when the text holds no document at all (empty or only comments).
    static func compose(yaml: String, file: String) throws(ConfigError) -> ConfigNode? {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml, Resolver.basic)
        } catch let error as YamlError {
            throw syntaxError(error, yaml: yaml, file: file)
        } catch {
            throw ConfigError(code: .syntax, file: file, line: nil, keyPath: "", message: "not valid YAML")
        }
        guard let root else { return nil }
        return try ConfigNode(root, path: ConfigPath(), file: file)
    }

    private init(_ node: Node, path: ConfigPath, file: String) throws(ConfigError) {
        let line = node.mark?.line ?? 1
        switch node {
        case .scalar(let scalar):
            let tag = scalar.tag.description
            let explicitTag: String? = tag.isEmpty || tag == "!" ? nil : tag
            self.init(
                content: .scalar(Scalar(text: scalar.string, isPlain: scalar.style == .plain, tag: explicitTag)),
                line: line)
        case .sequence(let sequence):
            var elements: [ConfigNode] = []
            for (index, element) in sequence.enumerated() {
                elements.append(try ConfigNode(element, path: path.index(index), file: file))
            }
            self.init(content: .sequence(elements), line: line)
        case .mapping(let mapping):
            var entries: [Entry] = []
            var merged: [Entry] = []
            for (keyNode, valueNode) in mapping {
                let keyLine = keyNode.mark?.line ?? line
                guard case .scalar(let keyScalar) = keyNode else {
                    throw ConfigError(
                        code: .wrongType, file: file, line: keyLine, keyPath: path.text,
                        message: "a key must be a single value, not a list or a mapping")
                }
                let key = keyScalar.string
                if key == "<<" && keyScalar.style == .plain {
                    merged.append(contentsOf: try Self.mergeEntries(valueNode, path: path, file: file))
                    continue
                }
                if let first = entries.first(where: { $0.key == key }) {
                    throw ConfigError(
                        code: .duplicateKey, file: file, line: keyLine, keyPath: path.key(key).text,
                        message: "key written twice in the same mapping (first at line \(first.keyLine))")
                }
                let value = try ConfigNode(valueNode, path: path.key(key), file: file)
                entries.append(Entry(key: key, keyLine: keyLine, value: value))
            }
            // `<<: *defaults`: keys written here win over merged ones; among merged mappings the first wins.
            for entry in merged where !entries.contains(where: { $0.key == entry.key }) {
                entries.append(entry)
            }
            self.init(content: .mapping(entries), line: line)
        }
    }

    private static func mergeEntries(_ node: Node, path: ConfigPath, file: String) throws(ConfigError) -> [Entry] {
        let sources: [Node]
        switch node {
        case .mapping: sources = [node]
        case .sequence(let sequence): sources = Array(sequence)
        case .scalar:
            throw ConfigError(
                code: .wrongType, file: file, line: node.mark?.line, keyPath: path.key("<<").text,
                message: "a merge key takes a mapping or a list of mappings (for example <<: *defaults)")
        }
        var result: [Entry] = []
        for source in sources {
            guard case .mapping = source else {
                throw ConfigError(
                    code: .wrongType, file: file, line: source.mark?.line, keyPath: path.key("<<").text,
                    message: "a merge key takes a mapping or a list of mappings (for example <<: *defaults)")
            }
            let converted = try ConfigNode(source, path: path, file: file)
            guard case .mapping(let entries) = converted.content else { continue }
            for entry in entries where !result.contains(where: { $0.key == entry.key }) {
                result.append(entry)
            }
        }
        return result
    }

    private static func syntaxError(_ error: YamlError, yaml: String, file: String) -> ConfigError {
        var line: Int?
        var message: String
        switch error {
        case .scanner(let context, let problem, let mark, _),
            .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            line = mark.line
            message = "YAML syntax error: \(problem)"
            if let context {
                message += " (\(context.text) at line \(context.mark.line))"
            }
            let lines = yaml.split(separator: "\n", omittingEmptySubsequences: false)
            let nearby = [mark.line - 1, context?.mark.line].compactMap { $0 }
                .compactMap { $0 >= 1 && $0 <= lines.count ? lines[$0 - 1] : nil }
            let flowWithVariable = nearby.contains { line in
                line.contains("${")
                    && line.replacingOccurrences(of: "${", with: "").contains(where: { "{[".contains($0) })
            }
            if flowWithVariable {
                message += "; inside { } or [ ], quote values that hold ${VAR}: \"${VAR}\""
            }
        case .reader(let problem, let offset, _, _):
            message = "cannot read the text: \(problem)"
            if let offset {
                line = yaml.prefix(offset).reduce(1) { $1 == "\n" ? $0 + 1 : $0 }
            }
        default:
            message = "YAML syntax error"
        }
        return ConfigError(code: .syntax, file: file, line: line, keyPath: "", message: message)
    }
}

/// A key path as errors print it: `pipelines[1].sink.webhook.url`; keys that are not simple words are
/// bracketed and quoted (`tables["public.orders"]`).
struct ConfigPath: Sendable, CustomStringConvertible {
    private(set) var text: String = ""

    func key(_ key: String) -> ConfigPath {
        let simple =
            !key.isEmpty
            && key.unicodeScalars.allSatisfy {
                ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_" || $0 == "-") && $0.isASCII
            }
        var copy = self
        if simple {
            copy.text += text.isEmpty ? key : "." + key
        } else {
            let escaped = key.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            copy.text += "[\"\(escaped)\"]"
        }
        return copy
    }

    func index(_ index: Int) -> ConfigPath {
        var copy = self
        copy.text += "[\(index)]"
        return copy
    }

    var description: String { text }
}
