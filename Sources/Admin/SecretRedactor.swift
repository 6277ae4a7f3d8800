/// The last line of defence against secrets in logs and error messages: every registered secret
/// (source and sink passwords, webhook secrets, sensitive header values, the admin token) is
/// replaced by `***` wherever it appears, and metadata under a sensitive key (`password`, `secret`,
/// `token`, `authorization`, `api_key`, …) is masked whatever its value.
///
/// The config types already print themselves redacted; this catches what slips through (a libpq
/// message quoting a conninfo, a function's stderr echoing its environment). Thread-safe.
public final class SecretRedactor: Sendable {
    /// The process-wide redactor the log handlers and `CommandSupport.failure` use.
    public static let shared = SecretRedactor()

    private let secrets = LockedValue<[String]>([])

    public init() {}

    /// Adds secrets to hide (values shorter than 4 characters are ignored: masking them would
    /// mangle ordinary words, and they are not secrets worth the name).
    public func register(_ values: [String]) {
        let usable = values.filter { $0.count >= 4 }
        guard !usable.isEmpty else { return }
        secrets.withLock { list in
            for value in usable where !list.contains(value) { list.append(value) }
            list.sort { $0.count > $1.count }  // longest first, so a secret containing another goes whole
        }
    }

    /// `text` with every registered secret replaced by `***`.
    public func redact(_ text: String) -> String {
        let list = secrets.withLock { $0 }
        var result = text
        for secret in list where result.contains(secret) {
            result = result.replacing(secret, with: Self.mask)
        }
        return result
    }

    /// A key whose value is masked whatever it holds (`cdc.token`, `Authorization`, `webhook_secret`).
    public static func isSensitiveKey(_ key: String) -> Bool {
        let lower = key.lowercased()
        return ["password", "passwd", "secret", "token", "authorization", "api_key", "apikey", "api-key", "cookie"]
            .contains { lower.contains($0) }
    }

    public static let mask = "***"
}
