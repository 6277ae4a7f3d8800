import CDCCore
import Foundation

extension ConfigDecoder {
    static let rootKeys = ["state_dir", "source", "admin", "stream", "pipelines"]

    func decodeRoot(_ root: ConfigNode?) throws(ConfigError) -> CDCDConfiguration {
        guard let root, !root.isNull else {
            throw fail(.missingKey, nil, ConfigPath(), "the config is empty: it needs at least source: and pipelines:")
        }
        let top = try MappingReader(
            root, ConfigPath(), self, allowed: Self.rootKeys, what: "settings (source, pipelines, ...)",
            extensions: true)
        let stateDirectory =
            try top.value("state_dir").map { node throws(ConfigError) in
                try resolvedPath(node, ConfigPath().key("state_dir"))
            } ?? resolve("./cdcd-state")
        let sourceNode = try top.required(
            "source", "write source: { postgres: { url: ... } } or source: { dynamodb: ... }")
        var source = try decodeSource(sourceNode, ConfigPath().key("source"))
        let admin =
            try top.value("admin").map { node throws(ConfigError) in try decodeAdmin(node, ConfigPath().key("admin")) }
            ?? CDCDConfiguration.Admin()
        let stream =
            try top.value("stream").map { node throws(ConfigError) in try decodeStream(node, ConfigPath().key("stream"))
            }
            ?? CDCDConfiguration.Stream()
        let pipelines = try decodePipelines(
            top.required("pipelines", "list at least one pipeline"), ConfigPath().key("pipelines"))

        // A Postgres source without `tables` captures what the pipelines name.
        if case .postgres(var postgres) = source, postgres.tables.isEmpty {
            var union: [TablePattern] = []
            for pattern in pipelines.flatMap(\.tables) where !union.contains(pattern) {
                union.append(pattern)
            }
            guard !union.isEmpty else {
                throw fail(
                    .missingKey, sourceNode.line, ConfigPath().key("source").key("postgres").key("tables"),
                    "required key missing: name the tables to capture here or in the pipelines (for example [public.*])"
                )
            }
            postgres.tables = union
            source = .postgres(postgres)
        }
        return CDCDConfiguration(
            file: file, stateDirectory: stateDirectory, source: source, admin: admin, stream: stream,
            pipelines: pipelines)
    }

    // MARK: Source

    func decodeSource(_ node: ConfigNode, _ path: ConfigPath) throws(ConfigError) -> CDCDConfiguration.Source {
        let reader = try MappingReader(
            node, path, self, allowed: ["postgres", "dynamodb"], what: "one source (postgres or dynamodb)")
        let written = reader.present(["postgres", "dynamodb"])
        guard let first = written.first else {
            throw fail(.missingKey, node.line, path, "name one source: postgres or dynamodb")
        }
        if written.count > 1 {
            throw fail(
                .conflict, written[1].keyLine, path.key(written[1].key),
                "exactly one source allowed; got postgres and dynamodb")
        }
        switch first.key {
        case "postgres": return .postgres(try decodePostgresSource(first.value, path.key("postgres")))
        default: return .dynamodb(try decodeDynamoDBSource(first.value, path.key("dynamodb")))
        }
    }

    /// The returned config has empty `tables` when none were written (filled in from the pipelines).
    func decodePostgresSource(_ node: ConfigNode, _ path: ConfigPath) throws(ConfigError) -> PostgresSourceConfig {
        let reader = try MappingReader(
            node, path, self, allowed: ["url", "slot", "publication", "tables", "snapshot", "heartbeat"], what: "source settings")
        let url = try postgresURL(
            reader.required("url", "for example postgres://cdc@127.0.0.1:5432/app"), path.key("url"))
        var config = PostgresSourceConfig(url: url, tables: [])
        if let slot = reader.value("slot") {
            let text = try nonEmptyText(slot, path.key("slot"))
            guard text.value.utf8.count <= 63,
                text.value.unicodeScalars.allSatisfy({
                    ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_"
                })
            else {
                throw fail(
                    .invalidValue, slot.line, path.key("slot"),
                    "a replication slot name is lower-case letters, digits and _ (at most 63), got \(text.shown())")
            }
            config.slot = text.value
        }
        if let publication = reader.value("publication") {
            config.publication = try identifier(publication, path.key("publication"))
        }
        if let tables = reader.value("tables") {
            config.tables = try tablePatterns(tables, path.key("tables"))
        }
        if let snapshot = reader.value("snapshot") {
            config.snapshot = try choice(
                snapshot, path.key("snapshot"), PostgresSourceConfig.Snapshot.allCases.map { ($0.rawValue, $0) })
        }
        if let heartbeat = reader.value("heartbeat") {
            config.heartbeat = try duration(heartbeat, path.key("heartbeat"), range: .seconds(1)...Self.unbounded)
        }
        return config
    }

    /// A PostgreSQL identifier as cdcd creates it (publication, schema): non-empty, at most 63 bytes.
    func identifier(_ node: ConfigNode, _ path: ConfigPath) throws(ConfigError) -> String {
        let text = try nonEmptyText(node, path, expected: "a name")
        guard text.value.utf8.count <= 63 else {
            throw fail(
                .invalidValue, node.line, path,
                "PostgreSQL names are at most 63 bytes long, got \(text.value.utf8.count)")
        }
        return text.value
    }

    /// A libpq URI or conninfo; the message never shows a password or a value from the environment.
    func postgresURL(_ node: ConfigNode, _ path: ConfigPath) throws(ConfigError) -> String {
        let text = try nonEmptyText(node, path, expected: "a connection URL")
        let value = text.value
        var valid: Bool
        if let separator = value.firstRange(of: "://") {
            let scheme = value[..<separator.lowerBound]
            valid = scheme == "postgres" || scheme == "postgresql"
        } else {
            valid = value.contains("=")
        }
        guard valid else {
            throw fail(
                .invalidValue, node.line, path,
                "must be a postgres:// URI (postgres://user@host:5432/db) or a libpq conninfo (host=... dbname=...), got \(text.shownURL)"
            )
        }
        return value
    }

    /// An `http://` or `https://` URL with a host.
    func httpURL(_ node: ConfigNode, _ path: ConfigPath) throws(ConfigError) -> String {
        let text = try nonEmptyText(node, path, expected: "a URL")
        let value = text.value
        let lower = value.lowercased()
        let rest: Substring? =
            lower.hasPrefix("https://") ? value.dropFirst(8) : lower.hasPrefix("http://") ? value.dropFirst(7) : nil
        guard let rest, let host = rest.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).first,
            !host.isEmpty, !value.contains(where: { $0.isWhitespace })
        else {
            throw fail(.invalidValue, node.line, path, "must be an http:// or https:// URL, got \(text.shownURL)")
        }
        return value
    }

    // MARK: DynamoDB

    func decodeDynamoDBSource(_ node: ConfigNode, _ path: ConfigPath) throws(ConfigError) -> DynamoDBSourceConfig {
        let reader = try MappingReader(
            node, path, self, allowed: ["stream_arn", "table", "endpoint", "region"], what: "source settings")
        let written = reader.present(["stream_arn", "table"]).filter { !$0.value.isNull }
        if written.count > 1 {
            throw fail(
                .conflict, written[1].keyLine, path.key(written[1].key),
                "write stream_arn or table, not both")
        }
        guard let first = written.first else {
            throw fail(
                .missingKey, node.line, path.key("stream_arn"),
                "required key missing: name the stream with stream_arn, or its table with table")
        }
        let stream: DynamoDBSourceConfig.Stream
        var arnRegion: String?
        if first.key == "stream_arn" {
            let text = try nonEmptyText(first.value, path.key("stream_arn"))
            // arn:PARTITION:dynamodb:REGION:ACCOUNT:table/NAME/stream/LABEL (the label holds colons)
            let parts = text.value.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
            guard parts.count == 6, parts[0] == "arn", parts[2] == "dynamodb", !parts[3].isEmpty,
                parts[5].hasPrefix("table/"), parts[5].contains("/stream/")
            else {
                throw fail(
                    .invalidValue, first.value.line, path.key("stream_arn"),
                    "must be a DynamoDB stream ARN (arn:aws:dynamodb:REGION:ACCOUNT:table/NAME/stream/LABEL), got \(text.shown())"
                )
            }
            arnRegion = String(parts[3])
            stream = .arn(text.value)
        } else {
            let text = try nonEmptyText(first.value, path.key("table"))
            guard (3...255).contains(text.value.count),
                text.value.unicodeScalars.allSatisfy({
                    $0.isASCII
                        && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "_.-".unicodeScalars.contains($0))
                })
            else {
                throw fail(
                    .invalidValue, first.value.line, path.key("table"),
                    "a DynamoDB table name is 3 to 255 letters, digits, _, . or -, got \(text.shown())")
            }
            stream = .table(text.value)
        }
        let endpoint = try reader.value("endpoint").map { node throws(ConfigError) in
            try httpURL(node, path.key("endpoint"))
        }
        var region: String
        if let regionNode = reader.value("region") {
            let text = try nonEmptyText(regionNode, path.key("region"))
            if let arnRegion, arnRegion != text.value {
                throw fail(
                    .conflict, regionNode.line, path.key("region"),
                    "\(text.shown()) is not the stream ARN's region '\(arnRegion)'; leave region out or make them match"
                )
            }
            region = text.value
        } else if let found = arnRegion ?? environment["AWS_REGION"] ?? environment["AWS_DEFAULT_REGION"],
            !found.isEmpty
        {
            region = found
        } else {
            throw fail(
                .missingKey, node.line, path.key("region"),
                "required key missing: write region (or set AWS_REGION in the environment)")
        }
        return DynamoDBSourceConfig(stream: stream, endpoint: endpoint, region: region)
    }

    // MARK: Admin, stream

    func decodeAdmin(_ node: ConfigNode, _ path: ConfigPath) throws(ConfigError) -> CDCDConfiguration.Admin {
        let reader = try MappingReader(node, path, self, allowed: ["listen", "token"], what: "admin settings")
        var admin = CDCDConfiguration.Admin()
        if let listen = reader.value("listen") {
            let text = try nonEmptyText(listen, path.key("listen"), expected: "HOST:PORT")
            guard let (host, port) = Self.hostAndPort(text.value) else {
                throw fail(
                    .invalidValue, listen.line, path.key("listen"),
                    "must be HOST:PORT with a port from 0 to 65535 (for example 127.0.0.1:8473 or [::1]:8473), got \(text.shown())"
                )
            }
            admin.host = host
            admin.port = port
        }
        if let token = reader.value("token") {
            admin.token = try nonEmptyText(token, path.key("token")).value
        }
        return admin
    }

    /// `host:port` or `[v6]:port`; nil when malformed or the port is outside 0...65535.
    static func hostAndPort(_ text: String) -> (String, Int)? {
        let host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[close...].hasPrefix("]:") else { return nil }
            host = text[text.index(after: text.startIndex)..<close]
            portText = text[text.index(close, offsetBy: 2)...]
        } else {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            if host.contains(":") { return nil }
        }
        guard !host.isEmpty, !host.contains(where: { $0.isWhitespace }), !portText.isEmpty,
            portText.allSatisfy({ $0.isASCII && $0.isNumber }), let port = Int(portText), (0...65535).contains(port)
        else { return nil }
        return (String(host), port)
    }

    func decodeStream(_ node: ConfigNode, _ path: ConfigPath) throws(ConfigError) -> CDCDConfiguration.Stream {
        let reader = try MappingReader(node, path, self, allowed: ["retention", "max_size"], what: "stream settings")
        var stream = CDCDConfiguration.Stream()
        if let retention = reader.value("retention") {
            stream.retention = try duration(retention, path.key("retention"), range: .seconds(60)...Self.unbounded)
        }
        if let maxSize = reader.value("max_size") {
            let text = try nonEmptyText(maxSize, path.key("max_size"), expected: "a size")
            guard let bytes = ConfigValueParsing.byteCount(text.value) else {
                throw fail(
                    .invalidValue, maxSize.line, path.key("max_size"),
                    "invalid size \(text.shown()): write a number of bytes, or for example 500MB or 10GiB")
            }
            guard bytes >= 1 << 20 else {
                throw fail(
                    .outOfRange, maxSize.line, path.key("max_size"), "must be at least 1MiB, got \(text.shown())")
            }
            stream.maxBytes = bytes
        }
        return stream
    }
}
