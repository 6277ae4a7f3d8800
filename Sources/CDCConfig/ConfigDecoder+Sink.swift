import CDCCore
import Foundation

extension ConfigDecoder {
    typealias Sink = CDCDConfiguration.Pipeline.Sink

    static let sinkKinds = ["postgres", "webhook", "file", "stdout"]

    func decodeSink(_ node: ConfigNode, _ path: ConfigPath) throws(ConfigError) -> Sink {
        let reader = try MappingReader(
            node, path, self, allowed: Self.sinkKinds, what: "one sink (postgres, webhook, file or stdout)")
        let written = reader.present(Self.sinkKinds)
        guard let first = written.first else {
            throw fail(.missingKey, node.line, path, "name one sink: postgres, webhook, file or stdout")
        }
        if written.count > 1 {
            throw fail(
                .conflict, written[1].keyLine, path.key(written[1].key),
                "a pipeline has exactly one sink; got \(first.key) and \(written[1].key) (use one pipeline per sink)")
        }
        let sinkPath = path.key(first.key)
        switch first.key {
        case "postgres": return .postgres(try decodePostgresSink(first.value, sinkPath))
        case "webhook": return .webhook(try decodeWebhookSink(first.value, sinkPath))
        case "file":
            let reader = try MappingReader(first.value, sinkPath, self, allowed: ["path"], what: "file settings")
            return .file(
                Sink.File(
                    path: try resolvedPath(reader.required("path", "for example ./changes.jsonl"), sinkPath.key("path"))
                ))
        default:
            _ = try MappingReader(first.value, sinkPath, self, allowed: [], what: "nothing (write stdout: {})")
            return .stdout
        }
    }

    private func decodePostgresSink(_ node: ConfigNode, _ path: ConfigPath) throws(ConfigError) -> Sink.Postgres {
        let reader = try MappingReader(
            node, path, self, allowed: ["url", "tables", "create_tables", "checkpoint_schema", "synchronous_commit"],
            what: "postgres sink settings")
        var sink = Sink.Postgres(
            url: try postgresURL(reader.required("url", "for example postgres://app@10.0.0.2/app"), path.key("url")))
        if let tables = reader.value("tables") {
            let tablesPath = path.key("tables")
            for entry in try entries(tables, tablesPath, what: "source: target tables (public.orders: replica.orders)")
            {
                sink.tables.append(try tableMapping(entry, tablesPath.key(entry.key)))
            }
        }
        if let createTables = reader.value("create_tables") {
            sink.createTables = try bool(createTables, path.key("create_tables"))
        }
        if let schema = reader.value("checkpoint_schema") {
            sink.checkpointSchema = try identifier(schema, path.key("checkpoint_schema"))
        }
        if let synchronousCommit = reader.value("synchronous_commit") {
            sink.synchronousCommit = try bool(synchronousCommit, path.key("synchronous_commit"))
        }
        return sink
    }

    private func tableMapping(_ entry: ConfigNode.Entry, _ path: ConfigPath) throws(ConfigError) -> Sink.TableMapping {
        let source: TablePattern
        do {
            source = try TablePattern(entry.key)
        } catch {
            throw fail(.invalidValue, entry.keyLine, path, error.description)
        }
        let target = try nonEmptyText(entry.value, path, expected: "schema.table")
        let targetPattern = try? TablePattern(target.value)
        if let name = source.exactName {
            guard let targetName = targetPattern?.exactName else {
                throw fail(
                    .invalidValue, entry.value.line, path,
                    "the target of one table is one schema.table without wildcards (for example replica.orders), got \(target.shown())"
                )
            }
            return Sink.TableMapping(
                sourceSchema: name.schema, sourceTable: name.table, targetSchema: targetName.schema,
                targetTable: targetName.table)
        }
        guard let schema = source.wholeSchema else {
            throw fail(
                .invalidValue, entry.keyLine, path,
                "map one table (public.orders: replica.orders) or a whole schema (public.*: replica.*), not '\(entry.key)'"
            )
        }
        guard let targetSchema = targetPattern?.wholeSchema else {
            throw fail(
                .invalidValue, entry.value.line, path,
                "the target of a whole schema is a whole schema (for example replica.*), got \(target.shown())")
        }
        return Sink.TableMapping(sourceSchema: schema, sourceTable: nil, targetSchema: targetSchema, targetTable: nil)
    }

    /// Headers cdcd sets itself (signing, framing): a config must not override them.
    static let reservedHeaders: Set<String> = [
        "webhook-id", "webhook-timestamp", "webhook-signature", "content-length", "host",
    ]

    private func decodeWebhookSink(_ node: ConfigNode, _ path: ConfigPath) throws(ConfigError) -> Sink.Webhook {
        let reader = try MappingReader(
            node, path, self,
            allowed: ["url", "headers", "timeout", "secret", "secrets", "batch", "ca_file", "insecure_skip_verify"],
            what: "webhook settings")
        var webhook = Sink.Webhook(
            url: try httpURL(reader.required("url", "for example https://example.com/hooks"), path.key("url")))
        if let headers = reader.value("headers") {
            let headersPath = path.key("headers")
            for entry in try entries(headers, headersPath, what: "header names and values") {
                let headerPath = headersPath.key(entry.key)
                let tokenCharacters = "!#$%&'*+-.^_`|~"
                guard !entry.key.isEmpty,
                    entry.key.unicodeScalars.allSatisfy({
                        $0.isASCII
                            && ($0.properties.isAlphabetic || ("0"..."9").contains($0)
                                || tokenCharacters.unicodeScalars.contains($0))
                    })
                else {
                    throw fail(
                        .invalidValue, entry.keyLine, headerPath, "'\(entry.key)' is not a valid HTTP header name")
                }
                guard !Self.reservedHeaders.contains(entry.key.lowercased()) else {
                    throw fail(.invalidValue, entry.keyLine, headerPath, "cdcd sets the \(entry.key) header itself")
                }
                let value = try text(entry.value, headerPath, expected: "a header value")
                guard !value.value.contains(where: { $0 == "\r" || $0 == "\n" }) else {
                    throw fail(.invalidValue, entry.value.line, headerPath, "a header value must be on one line")
                }
                webhook.headers.append(.init(name: entry.key, value: value.value))
            }
        }
        if let timeout = reader.value("timeout") {
            webhook.timeout = try duration(timeout, path.key("timeout"), range: Self.positive)
        }
        if let secretNode = reader.value("secret") {
            webhook.secret = try webhookSecret(secretNode, path.key("secret"))
        }
        if let secretsNode = reader.value("secrets") {
            let secretsPath = path.key("secrets")
            if webhook.secret != nil {
                throw fail(
                    .conflict, secretsNode.line, secretsPath,
                    "give either secret (one) or secrets (a list, for rotation: requests carry one signature per secret), not both")
            }
            let elements = try list(secretsNode, secretsPath, example: "[\"${NEW_SECRET}\", \"${OLD_SECRET}\"]")
            guard !elements.isEmpty else {
                throw fail(.invalidValue, secretsNode.line, secretsPath, "must not be an empty list (leave it out to send unsigned requests)")
            }
            for (index, element) in elements.enumerated() {
                webhook.secrets.append(try webhookSecret(element, secretsPath.index(index)))
            }
        }
        if let batch = reader.value("batch") {
            webhook.batch = try bool(batch, path.key("batch"))
        }
        if let caFile = reader.value("ca_file") {
            webhook.caFile = try resolvedPath(caFile, path.key("ca_file"))
        }
        if let insecure = reader.value("insecure_skip_verify") {
            webhook.insecureSkipVerify = try bool(insecure, path.key("insecure_skip_verify"))
        }
        return webhook
    }
}

extension ConfigDecoder {
    /// One `whsec_<base64>` signing secret; an error never shows its value.
    fileprivate func webhookSecret(_ node: ConfigNode, _ path: ConfigPath) throws(ConfigError) -> String {
        let secret = try nonEmptyText(node, path, expected: "a signing secret")
        guard Sink.Webhook.decodeSecret(secret.value) != nil else {
            let source = secret.fromEnvironment ? " (from \(secret.written))" : ""
            throw fail(
                .invalidValue, node.line, path,
                "must be a Standard Webhooks secret, whsec_ followed by base64 (the value\(source) is not shown)")
        }
        return secret.value
    }
}

extension CDCDConfiguration.Pipeline.Sink.Webhook {
    /// The HMAC key of a Standard Webhooks secret: the base64 after an optional `whsec_` prefix
    /// (padding optional), decoded; nil when it is not base64 or decodes to nothing.
    public static func decodeSecret(_ secret: String) -> [UInt8]? {
        var base64 = secret.hasPrefix("whsec_") ? String(secret.dropFirst("whsec_".count)) : secret
        if base64.count % 4 != 0 { base64 += String(repeating: "=", count: 4 - base64.count % 4) }
        guard let data = Data(base64Encoded: base64), !data.isEmpty else { return nil }
        return Array(data)
    }
}
