import Admin
import ArgumentParser
import Foundation
import Logging

/// Helpers shared by the commands: logging setup and turning errors into one clear line.
enum CommandSupport {
    /// Logs to standard error in `format`, with every secret registered in `SecretRedactor.shared`
    /// masked (see `Admin.LogSetup`).
    static func bootstrapLogging(level: Logger.Level, format: LogFormat = .text) -> Logger {
        LogSetup.bootstrap(level: level, format: format)
    }

    /// Prints `cdcd: error: <description>` (descriptions never hold secrets; registered secrets are
    /// masked all the same) and exits 1.
    static func failure(_ error: any Error) -> ExitCode {
        if error is ValidationError || error is ExitCode { return ExitCode.validationFailure }
        FileHandle.standardError.write(Data("cdcd: error: \(SecretRedactor.shared.redact("\(error)"))\n".utf8))
        return ExitCode.failure
    }
}

extension LogFormat: ExpressibleByArgument {}

/// `--log-level` and `--log-format`, for the commands that log.
struct LoggingOptions: ParsableArguments {
    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: Logger.Level = .info

    @Option(name: .long, help: "Log format: text (for people) or json (one object per line).")
    var logFormat: LogFormat = .text

    func bootstrap() -> Logger { CommandSupport.bootstrapLogging(level: logLevel, format: logFormat) }
}

/// Writes whole buffers to stdout (fd 1), retrying partial writes. Returns false once the reader is
/// gone (EPIPE), so `cdcd tail | head` ends quietly.
struct StandardOutput {
    init() { signal(SIGPIPE, SIG_IGN) }

    func write(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let n = Foundation.write(1, buffer.baseAddress! + offset, buffer.count - offset)
                if n < 0 {
                    if errno == EINTR || errno == EAGAIN { continue }
                    return false
                }
                offset += n
            }
            return true
        }
    }
}

/// Calls `handler` on SIGINT or SIGTERM (instead of dying), until cancelled.
final class SignalTrap {
    private let sources: [any DispatchSourceSignal]

    init(_ handler: @escaping @Sendable () -> Void) {
        sources = [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler(handler: handler)
            source.resume()
            return source
        }
    }

    func cancel() { sources.forEach { $0.cancel() } }
}
