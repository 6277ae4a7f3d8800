import Logging

/// `--log-format`: `text` (swift-log's line format, for people) or `json` (one object per line,
/// for log shippers).
public enum LogFormat: String, CaseIterable, Sendable {
    case text, json
}

/// Sets up swift-log for the process: the chosen format on standard error, the chosen level, and
/// every handler behind a `RedactingLogHandler`, so registered secrets never reach a log line.
public enum LogSetup {
    /// Bootstraps the logging system (once per process) and returns the `cdcd` logger.
    public static func bootstrap(level: Logger.Level, format: LogFormat, redactor: SecretRedactor = .shared) -> Logger {
        LoggingSystem.bootstrap { label in
            var handler: any LogHandler =
                switch format {
                case .text: StreamLogHandler.standardError(label: label)
                case .json: JSONLogHandler(label: label)
                }
            handler.logLevel = level
            return RedactingLogHandler(handler, redactor: redactor)
        }
        var logger = Logger(label: "cdcd")
        logger.logLevel = level
        return logger
    }
}
