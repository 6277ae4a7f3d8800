/// A mistake in a `cdcd.yaml`, pointing at the file, line and key that hold it.
///
/// `description` is `FILE:LINE: KEY.PATH: message`, for example
/// `cdcd.yaml:12: pipelines[1].batch_size: must be between 1 and 10000, got 20000`. The line or the key
/// path is left out when there is none (a file that cannot be read has neither; a YAML syntax error has
/// no key path).
///
/// Safe to print and log: the message never holds a value that came from `${ENV_VAR}` interpolation
/// (it names the variable instead), nor a password, secret or token written in the file.
public struct ConfigError: Error, CustomStringConvertible, Sendable, Hashable {
    /// What kind of mistake this is, for programs; people read `message`.
    public enum Code: String, Sendable, Hashable, CaseIterable {
        /// The file cannot be read (missing, unreadable, not UTF-8) or is empty.
        case unreadableFile
        /// The file is not valid YAML (or holds more than one document).
        case syntax
        /// A key that cdcd does not know (usually a typo; the message suggests the closest key).
        case unknownKey
        /// A key written twice in the same mapping.
        case duplicateKey
        /// A required key is absent.
        case missingKey
        /// A value of the wrong shape: a list where a mapping belongs, text where a number belongs.
        case wrongType
        /// A number or duration outside the allowed range.
        case outOfRange
        /// A value of the right type that is not allowed: an unknown enum value, a bad duration, table
        /// pattern, URL, name or timestamp.
        case invalidValue
        /// Keys that cannot be used together: two sinks in one pipeline, `stream_arn` with `table`.
        case conflict
        /// Two pipelines with the same name.
        case duplicateName
        /// `${VAR}` names an environment variable that is not set (and has no `:-default`).
        case unsetVariable
    }

    public var code: Code
    /// The config file as it was named to the loader (`cdcd.yaml`, `/etc/cdcd/cdcd.yaml`).
    public var file: String
    /// 1-based line of the offending key or value; nil when the error is about the whole file.
    public var line: Int?
    /// Where the key sits, as `pipelines[1].sink.webhook.url`; empty for file-level errors.
    public var keyPath: String
    /// What is wrong and, where possible, what to write instead.
    public var message: String

    public init(code: Code, file: String, line: Int?, keyPath: String, message: String) {
        self.code = code
        self.file = file
        self.line = line
        self.keyPath = keyPath
        self.message = message
    }

    public var description: String {
        var text = file
        if let line { text += ":\(line)" }
        text += ": "
        if !keyPath.isEmpty { text += keyPath + ": " }
        return text + message
    }
}
