import CDCCore

extension ConfigDecoder {
    typealias Function = CDCDConfiguration.Pipeline.Function

    func decodeFunction(_ node: ConfigNode, _ path: ConfigPath) throws(ConfigError) -> Function {
        let kinds = ["command", "lambda", "transforms"]
        let reader = try MappingReader(
            node, path, self, allowed: kinds + ["timeout", "python"],
            what: "function settings (command, lambda or transforms)")
        let written = reader.present(kinds)
        guard let first = written.first else {
            throw fail(.missingKey, node.line, path, "name one function: command, lambda or transforms")
        }
        if written.count > 1 {
            throw fail(
                .conflict, written[1].keyLine, path.key(written[1].key),
                "a function is one of command, lambda or transforms; got \(first.key) and \(written[1].key)")
        }
        var timeout = Function.defaultTimeout
        if let timeoutNode = reader.value("timeout") {
            guard first.key != "transforms" else {
                throw fail(
                    .conflict, timeoutNode.line, path.key("timeout"),
                    "timeout applies to command and lambda functions only")
            }
            timeout = try duration(timeoutNode, path.key("timeout"), range: Self.positive)
        }
        if let python = reader.entry("python"), first.key != "lambda" {
            throw fail(.conflict, python.keyLine, path.key("python"), "python applies to lambda functions only")
        }
        switch first.key {
        case "command":
            let commandPath = path.key("command")
            if case .scalar = first.value.content, !first.value.isNull {
                throw fail(
                    .wrongType, first.value.line, commandPath,
                    "must be a list of arguments (for example [python3, handler.py]), got a single value")
            }
            let arguments = try stringList(first.value, commandPath, example: "[python3, handler.py]").map {
                $0.value.hasPrefix("./") || $0.value.hasPrefix("../") ? resolve($0.value) : $0.value
            }
            return .command(Function.Command(arguments: arguments, timeout: timeout, workingDirectory: baseDirectory))
        case "lambda":
            let handler = try nonEmptyText(first.value, path.key("lambda"), expected: "module.function")
            guard Self.isLambdaHandler(handler.value) else {
                throw fail(
                    .invalidValue, first.value.line, path.key("lambda"),
                    "must be module.function as in a Lambda handler setting (for example handlers.orders.handler), got \(handler.shown())"
                )
            }
            var lambda = Function.Lambda(handler: handler.value, timeout: timeout, searchPath: baseDirectory)
            if let python = reader.value("python") {
                let text = try nonEmptyText(python, path.key("python"), expected: "an interpreter")
                lambda.python =
                    text.value.hasPrefix("./") || text.value.hasPrefix("../") ? resolve(text.value) : text.value
            }
            return .lambda(lambda)
        default:
            return .transforms(try decodeTransforms(first.value, path.key("transforms")))
        }
    }

    /// `module.function`, the module being dotted (or `/`-separated) Python identifiers.
    static func isLambdaHandler(_ text: String) -> Bool {
        guard let dot = text.lastIndex(of: ".") else { return false }
        let module = text[..<dot]
        let function = text[text.index(after: dot)...]
        return isIdentifier(function)
            && module.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "." || $0 == "/" })
                .allSatisfy(isIdentifier)
    }

    private static func isIdentifier(_ text: Substring) -> Bool {
        guard let first = text.unicodeScalars.first, first == "_" || first.properties.isAlphabetic else { return false }
        return text.unicodeScalars.allSatisfy {
            $0 == "_" || $0.properties.isAlphabetic || $0.properties.numericType != nil
        }
    }

    static let transformOperations = ["keep_columns", "drop_columns", "rename_table", "rename_columns", "redact"]

    func decodeTransforms(_ node: ConfigNode, _ path: ConfigPath) throws(ConfigError) -> [Function.Transform] {
        let example = "[{ drop_columns: [internal_note] }]"
        let elements = try list(node, path, example: example)
        guard !elements.isEmpty else {
            throw fail(.invalidValue, node.line, path, "must not be an empty list (for example \(example))")
        }
        var transforms: [Function.Transform] = []
        for (index, element) in elements.enumerated() {
            transforms.append(try decodeTransform(element, path.index(index)))
        }
        return transforms
    }

    private func decodeTransform(_ node: ConfigNode, _ path: ConfigPath) throws(ConfigError) -> Function.Transform {
        let reader = try MappingReader(
            node, path, self, allowed: Self.transformOperations + ["tables"],
            what: "one transform (\(Self.transformOperations.joined(separator: ", "))) and optional tables")
        let written = reader.present(Self.transformOperations)
        guard let step = written.first else {
            throw fail(
                .missingKey, node.line, path,
                "name one transform: \(Self.transformOperations.joined(separator: ", "))")
        }
        if written.count > 1 {
            throw fail(
                .conflict, written[1].keyLine, path.key(written[1].key),
                "one transform per list item; got \(step.key) and \(written[1].key) (write them as two items, in the order they apply)"
            )
        }
        var transform = Function.Transform(operation: .keepColumns([]))
        if let tables = reader.value("tables") {
            transform.tables = try tablePatterns(tables, path.key("tables"))
        }
        let stepPath = path.key(step.key)
        guard !step.value.isNull else { throw fail(.missingKey, step.keyLine, stepPath, "needs a value") }
        switch step.key {
        case "keep_columns":
            transform.operation = .keepColumns(
                try stringList(step.value, stepPath, example: "[id, status]").map(\.value))
        case "drop_columns":
            transform.operation = .dropColumns(
                try stringList(step.value, stepPath, example: "[internal_note]").map(\.value))
        case "rename_table":
            let text = try nonEmptyText(step.value, stepPath, expected: "schema.table")
            guard let pattern = try? TablePattern(text.value), let name = pattern.exactName else {
                throw fail(
                    .invalidValue, step.value.line, stepPath,
                    "must be one schema.table without wildcards (for example analytics.orders), got \(text.shown())")
            }
            transform.operation = .renameTable(schema: name.schema, table: name.table)
        case "rename_columns":
            var columns: [Function.Transform.ColumnRename] = []
            for entry in try entries(step.value, stepPath, what: "old_name: new_name") {
                let to = try nonEmptyText(entry.value, stepPath.key(entry.key), expected: "a column name")
                columns.append(.init(from: entry.key, to: to.value))
            }
            guard !columns.isEmpty else {
                throw fail(
                    .invalidValue, step.value.line, stepPath, "must not be empty (for example { total: amount })")
            }
            transform.operation = .renameColumns(columns)
        default:
            let redact = try MappingReader(
                step.value, stepPath, self, allowed: ["columns", "method"], what: "columns and method")
            let columns = try stringList(
                redact.required("columns", "for example [email]"), stepPath.key("columns"), example: "[email]")
            var method = Function.Transform.RedactionMethod.mask
            if let methodNode = redact.value("method") {
                method = try choice(
                    methodNode, stepPath.key("method"),
                    Function.Transform.RedactionMethod.allCases.map { ($0.rawValue, $0) })
            }
            transform.operation = .redact(columns: columns.map(\.value), method: method)
        }
        return transform
    }
}
