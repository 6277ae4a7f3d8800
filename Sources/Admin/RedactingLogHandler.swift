import Logging

/// Wraps a log handler so that no registered secret reaches it: the message, every metadata value
/// (nested too) and the source are passed through a `SecretRedactor`, and values under a sensitive
/// key are masked.
public struct RedactingLogHandler: LogHandler {
    public var wrapped: any LogHandler
    public let redactor: SecretRedactor

    public init(_ wrapped: any LogHandler, redactor: SecretRedactor = .shared) {
        self.wrapped = wrapped
        self.redactor = redactor
    }

    public var logLevel: Logger.Level {
        get { wrapped.logLevel }
        set { wrapped.logLevel = newValue }
    }

    public var metadata: Logger.Metadata {
        get { wrapped.metadata }
        set { wrapped.metadata = newValue }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { wrapped[metadataKey: key] }
        set { wrapped[metadataKey: key] = newValue }
    }

    public var metadataProvider: Logger.MetadataProvider? {
        get { wrapped.metadataProvider }
        set { wrapped.metadataProvider = newValue }
    }

    public func log(event: LogEvent) {
        var event = event
        event.message = "\(redactor.redact(event.message.description))"
        // The provider's metadata and the error are merged in here, redacted, so the wrapped
        // handler sees nothing unredacted; its own metadata is redacted on a copy.
        var metadata = wrapped.metadataProvider?.get() ?? [:]
        metadata.merge(event.metadata ?? [:]) { $1 }
        if let error = event.error {
            metadata["error"] = .string("\(error)")
            event.error = nil
        }
        event.metadata = redact(metadata)
        var inner = wrapped
        if inner.metadataProvider != nil { inner.metadataProvider = nil }
        inner.metadata = redact(wrapped.metadata)
        inner.log(event: event)
    }

    private func redact(_ metadata: Logger.Metadata) -> Logger.Metadata {
        var result: Logger.Metadata = [:]
        for (key, value) in metadata {
            result[key] = SecretRedactor.isSensitiveKey(key) ? .string(SecretRedactor.mask) : redact(value)
        }
        return result
    }

    private func redact(_ value: Logger.Metadata.Value) -> Logger.Metadata.Value {
        switch value {
        case .string(let text): .string(redactor.redact(text))
        case .stringConvertible(let convertible): .string(redactor.redact(convertible.description))
        case .array(let values): .array(values.map(redact))
        case .dictionary(let dictionary): .dictionary(redact(dictionary))
        }
    }
}
