import ArgumentParser
import Foundation
import Logging

/// Helpers shared by the commands: logging setup and turning errors into one clear line.
enum CommandSupport {
    static func bootstrapLogging(level: Logger.Level) -> Logger {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        var logger = Logger(label: "cdcd")
        logger.logLevel = level
        return logger
    }

    /// Prints `cdcd: error: <description>` (descriptions never hold secrets) and exits 1.
    static func failure(_ error: any Error) -> ExitCode {
        if error is ValidationError || error is ExitCode { return ExitCode.validationFailure }
        FileHandle.standardError.write(Data("cdcd: error: \(error)\n".utf8))
        return ExitCode.failure
    }
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
