/// Why one invocation of a processing function failed.
///
/// The `message` names the function (its command, or `lambda:module.handler`) and what happened, so a
/// log line or `cdcd status` can be read without context. It never includes the function's environment
/// (which may hold secrets).
public struct FunctionError: Error, CustomStringConvertible, Sendable {
    /// What went wrong, and what cdcd did about the process.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// The process exited or closed its stdout before answering. It has been reaped and is started
        /// again for the next batch.
        case crashed
        /// No reply within the timeout. The process was killed (SIGKILL) and is started again for the
        /// next batch.
        case timedOut
        /// The reply line is not JSON, not an object, or not of the documented shape. The process was
        /// killed and is started again for the next batch: its output can no longer be trusted to line
        /// up with batches.
        case badReply
        /// The process could not be started (missing program, not executable, missing working
        /// directory), or the function was closed.
        case cannotStart
        /// The handler reported an error itself (`{"errorMessage": ..., "errorType": ...}`, which the
        /// Lambda adapter answers when the handler raises). The process stays up.
        case handlerError
        /// The calling task was cancelled while the batch was queued or running. A running process was
        /// killed (its reply would never be read) and is started again for the next batch.
        case cancelled
    }

    public var kind: Kind
    /// For people: names the function and what happened.
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}

extension FunctionError {
    /// `30s`, `1.5s` or `250ms`: a timeout as people write it in the config.
    static func describe(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        if attoseconds == 0 { return "\(seconds)s" }
        let milliseconds = seconds * 1000 + attoseconds / 1_000_000_000_000_000
        if milliseconds % 1000 == 0 { return "\(milliseconds / 1000)s" }
        if milliseconds >= 1000 && milliseconds % 100 == 0 {
            return "\(milliseconds / 1000).\(milliseconds % 1000 / 100)s"
        }
        return "\(milliseconds)ms"
    }

    /// A line of output as it appears in messages: JSON-quoted, at most `limit` bytes of it.
    static func quote(_ bytes: some Collection<UInt8>, limit: Int = 200) -> String {
        let shown = Array(bytes.prefix(limit))
        var text = "\""
        for scalar in String(decoding: shown, as: UTF8.self).unicodeScalars {
            switch scalar {
            case "\"": text += "\\\""
            case "\\": text += "\\\\"
            case "\n": text += "\\n"
            case "\r": text += "\\r"
            case "\t": text += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7f:
                let hex = String(scalar.value, radix: 16)
                text += "\\u"
                text += String(repeating: "0", count: 4 - hex.count)
                text += hex
            default: text.unicodeScalars.append(scalar)
            }
        }
        text += "\""
        if bytes.count > limit { text += " (first \(limit) of \(bytes.count) bytes)" }
        return text
    }
}
