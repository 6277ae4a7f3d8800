import CDCCore

extension CDCDConfiguration.Pipeline {
    /// `function:` — exactly one of `command`, `lambda` or `transforms`.
    public enum Function: Sendable, Hashable {
        /// `command: [argv...]`: a long-lived subprocess speaking one JSON line per batch.
        case command(Command)
        /// `lambda: "module.handler"`: an AWS Lambda Python handler run by cdcd's adapter.
        case lambda(Lambda)
        /// `transforms: [...]`: built-in steps, applied in order; no code.
        case transforms([Transform])

        public static let defaultTimeout: Duration = .seconds(30)

        /// `function: { command: ["python3", "handler.py"], timeout: 30s }`.
        public struct Command: Sendable, Hashable {
            /// argv; elements starting with `./` or `../` are made absolute against the config's folder.
            public var arguments: [String]
            /// `timeout`: per batch; default 30 s. A timeout fails the batch and restarts the process.
            public var timeout: Duration
            /// The folder the process runs in: the config file's folder, so `handler.py` resolves there.
            public var workingDirectory: String

            public init(arguments: [String], timeout: Duration = Function.defaultTimeout, workingDirectory: String) {
                self.arguments = arguments
                self.timeout = timeout
                self.workingDirectory = workingDirectory
            }
        }

        /// `function: { lambda: "handlers.orders.handler", timeout: 30s, python: python3 }`.
        public struct Lambda: Sendable, Hashable {
            /// `lambda`: `module.function` as in a Lambda handler setting (`handlers.orders.handler`).
            public var handler: String
            /// `timeout`: per batch; default 30 s.
            public var timeout: Duration
            /// `python`: the interpreter; default `python3` (looked up on `PATH`; `./venv/bin/python` is
            /// resolved against the config's folder).
            public var python: String
            /// Where the module is looked up first (then `PYTHONPATH`): the config file's folder.
            public var searchPath: String

            public init(
                handler: String, timeout: Duration = Function.defaultTimeout, python: String = "python3",
                searchPath: String
            ) {
                self.handler = handler
                self.timeout = timeout
                self.python = python
                self.searchPath = searchPath
            }

            /// `handlers.orders` for `handlers.orders.handler`.
            public var module: String {
                guard let dot = handler.lastIndex(of: ".") else { return handler }
                return String(handler[..<dot])
            }

            /// `handler` for `handlers.orders.handler`.
            public var functionName: String {
                guard let dot = handler.lastIndex(of: ".") else { return handler }
                return String(handler[handler.index(after: dot)...])
            }
        }

        /// One step of `transforms:`, for example `- drop_columns: [internal_note]` or
        /// `- rename_table: analytics.orders` with `tables: [public.orders]`.
        public struct Transform: Sendable, Hashable {
            /// `tables`: the step applies to records of these tables only; empty means all.
            public var tables: [TablePattern]
            public var operation: Operation

            public init(tables: [TablePattern] = [], operation: Operation) {
                self.tables = tables
                self.operation = operation
            }

            /// The step: CDCCore's `RecordTransform.Operation` (keep_columns, drop_columns,
            /// rename_table, rename_columns, redact), decoded from YAML here and applied there.
            public typealias Operation = RecordTransform.Operation
            public typealias ColumnRename = RecordTransform.ColumnRename
            public typealias RedactionMethod = RecordTransform.RedactionMethod
        }
    }
}
