import CDCCore
import Foundation

extension CDCDConfiguration.Pipeline {
    /// `sink:` — exactly one of `postgres`, `webhook`, `file`, `stdout`.
    public enum Sink: Sendable, Hashable {
        case postgres(Postgres)
        case webhook(Webhook)
        case file(File)
        /// `stdout: {}`: JSON Lines on standard output.
        case stdout

        /// `postgres: { url, tables, create_tables, checkpoint_schema, synchronous_commit }` — a replica with exactly-once effect.
        public struct Postgres: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible,
            CustomReflectable
        {
            /// `url`: libpq URI or conninfo of the target. Print it only through `CDCDConfiguration.redactURL`.
            public var url: String
            /// `tables: { public.orders: replica.orders, public.*: archive.* }`: where source tables go.
            /// Unmapped tables keep their schema and name.
            public var tables: [TableMapping]
            /// `create_tables`: create missing target tables and add columns the source gains. Default false.
            public var createTables: Bool
            /// `checkpoint_schema`: the schema of the checkpoint table in the target. Default `cdcd`.
            public var checkpointSchema: String
            /// `synchronous_commit`: wait for the target's WAL flush at every batch's commit. Default
            /// false: batches commit asynchronously (as native subscriptions do) and the target is
            /// made durable before each checkpoint save; a target crash is detected and the lost
            /// batches are delivered again.
            public var synchronousCommit: Bool

            public static let defaultCheckpointSchema = "cdcd"

            public init(
                url: String, tables: [TableMapping] = [], createTables: Bool = false,
                checkpointSchema: String = Postgres.defaultCheckpointSchema, synchronousCommit: Bool = false
            ) {
                self.url = url
                self.tables = tables
                self.createTables = createTables
                self.checkpointSchema = checkpointSchema
                self.synchronousCommit = synchronousCommit
            }

            /// The target table for a source table: the first exact mapping, else the first `schema.*`
            /// mapping of its schema, else the same schema and name.
            public func target(schema: String, table: String) -> (schema: String, table: String) {
                for mapping in tables where mapping.sourceTable == table && mapping.sourceSchema == schema {
                    return (mapping.targetSchema, mapping.targetTable ?? table)
                }
                for mapping in tables where mapping.sourceTable == nil && mapping.sourceSchema == schema {
                    return (mapping.targetSchema, table)
                }
                return (schema, table)
            }

            public var description: String {
                Redaction.describe(
                    "Postgres",
                    [
                        "url": CDCDConfiguration.redactURL(url), "tables": tables.description,
                        "createTables": String(createTables), "checkpointSchema": checkpointSchema,
                        "synchronousCommit": String(synchronousCommit),
                    ])
            }
            public var debugDescription: String { description }
            public var customMirror: Mirror {
                Mirror(
                    self,
                    children: [
                        "url": CDCDConfiguration.redactURL(url), "tables": tables, "createTables": createTables,
                        "checkpointSchema": checkpointSchema, "synchronousCommit": synchronousCommit,
                    ], displayStyle: .struct)
            }
        }

        /// One `source: target` of a Postgres sink's `tables`: `public.orders: replica.orders` (one table)
        /// or `public.*: archive.*` (a whole schema, names kept).
        public struct TableMapping: Sendable, Hashable, CustomStringConvertible {
            public var sourceSchema: String
            /// nil for `schema.*`.
            public var sourceTable: String?
            public var targetSchema: String
            /// nil for `schema.*`.
            public var targetTable: String?

            public init(sourceSchema: String, sourceTable: String?, targetSchema: String, targetTable: String?) {
                self.sourceSchema = sourceSchema
                self.sourceTable = sourceTable
                self.targetSchema = targetSchema
                self.targetTable = targetTable
            }

            public var description: String {
                "\(sourceSchema).\(sourceTable ?? "*") -> \(targetSchema).\(targetTable ?? "*")"
            }
        }

        /// `webhook: { url, headers, timeout, secret | secrets, batch, ca_file, insecure_skip_verify }`.
        public struct Webhook: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible,
            CustomReflectable
        {
            /// `url`: `http://` or `https://`.
            public var url: String
            /// `headers`: sent with every request, in written order. Values are never printed.
            public var headers: [Header]
            /// `timeout`: per request; default 30 s.
            public var timeout: Duration
            /// `secret`: a Standard Webhooks signing secret, `whsec_<base64>` (the prefix optional); nil sends
            /// unsigned requests. Never printed.
            public var secret: String?
            /// `secrets`: several signing secrets (rotation), instead of `secret`; every request carries one
            /// signature per secret. Never printed.
            public var secrets: [String]
            /// `batch`: false (default) sends one request per record with the bare record as body; true
            /// sends `{"Records":[...]}` per batch.
            public var batch: Bool
            /// `ca_file`: PEM bundle to verify the receiver's certificate with, instead of the system's.
            public var caFile: String?
            /// `insecure_skip_verify`: turn TLS verification off. Default false.
            public var insecureSkipVerify: Bool

            public static let defaultTimeout: Duration = .seconds(30)

            public init(
                url: String, headers: [Header] = [], timeout: Duration = Webhook.defaultTimeout, secret: String? = nil,
                batch: Bool = false, caFile: String? = nil, insecureSkipVerify: Bool = false, secrets: [String] = []
            ) {
                self.url = url
                self.headers = headers
                self.timeout = timeout
                self.secret = secret
                self.secrets = secrets
                self.batch = batch
                self.caFile = caFile
                self.insecureSkipVerify = insecureSkipVerify
            }

            /// The HMAC key: `secret` decoded (see `decodeSecret(_:)`); nil without a secret.
            public var secretKey: [UInt8]? {
                secret.flatMap(Self.decodeSecret)
            }

            /// Every HMAC key to sign with: `secret`, then `secrets`, decoded; empty without any.
            public var secretKeys: [[UInt8]] {
                ((secret.map { [$0] } ?? []) + secrets).compactMap(Self.decodeSecret)
            }

            private var redactedSecrets: String {
                secrets.isEmpty ? "[]" : "[" + secrets.map { _ in Redaction.mask }.joined(separator: ", ") + "]"
            }

            private var redactedHeaders: String {
                "[" + headers.map { "\($0.name): \(Redaction.mask)" }.joined(separator: ", ") + "]"
            }

            public var description: String {
                Redaction.describe(
                    "Webhook",
                    [
                        "url": CDCDConfiguration.redactURL(url), "headers": redactedHeaders,
                        "timeout": timeout.description, "secret": secret == nil ? "nil" : Redaction.mask,
                        "secrets": redactedSecrets, "batch": String(batch), "caFile": Redaction.show(caFile),
                        "insecureSkipVerify": String(insecureSkipVerify),
                    ])
            }
            public var debugDescription: String { description }
            public var customMirror: Mirror {
                Mirror(
                    self,
                    children: [
                        "url": CDCDConfiguration.redactURL(url), "headers": redactedHeaders, "timeout": timeout,
                        "secret": secret == nil ? "nil" : Redaction.mask, "secrets": redactedSecrets, "batch": batch,
                        "caFile": caFile as Any,
                        "insecureSkipVerify": insecureSkipVerify,
                    ], displayStyle: .struct)
            }

            /// One `Name: value` header. Its value may be a credential: it is never printed.
            public struct Header: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible,
                CustomReflectable
            {
                public var name: String
                public var value: String

                public init(name: String, value: String) {
                    self.name = name
                    self.value = value
                }

                public var description: String { "\(name): \(Redaction.mask)" }
                public var debugDescription: String { description }
                public var customMirror: Mirror {
                    Mirror(self, children: ["name": name, "value": Redaction.mask], displayStyle: .struct)
                }
            }
        }

        /// `file: { path }` — JSON Lines appended to a file.
        public struct File: Sendable, Hashable {
            /// Absolute (relative paths are resolved against the config's folder).
            public var path: String

            public init(path: String) {
                self.path = path
            }
        }
    }
}
