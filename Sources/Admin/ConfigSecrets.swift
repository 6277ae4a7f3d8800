import CDCConfig
import CDCCore
import LibPQ

/// Every secret a config holds, for `SecretRedactor.register`: passwords in the source's and the
/// Postgres sinks' connection strings (as written and as libpq decodes them), webhook secrets
/// (with and without `whsec_`), webhook header values under sensitive names, the admin token.
public enum ConfigSecrets {
    public static func of(_ configuration: CDCDConfiguration) -> [String] {
        var secrets: [String] = []
        if case .postgres(let source) = configuration.source { secrets += passwords(in: source.url) }
        if let token = configuration.admin.token { secrets.append(token) }
        for pipeline in configuration.pipelines {
            switch pipeline.sink {
            case .postgres(let sink)?:
                secrets += passwords(in: sink.url)
            case .webhook(let sink)?:
                if let secret = sink.secret {
                    secrets.append(secret)
                    if secret.hasPrefix("whsec_") { secrets.append(String(secret.dropFirst(6))) }
                }
                for header in sink.headers
                where SecretRedactor.isSensitiveKey(header.name) || header.name.lowercased().hasSuffix("key") {
                    secrets.append(header.value)
                    // `Bearer abc`: the credential alone may be logged by someone else's code.
                    if let space = header.value.lastIndex(of: " ") {
                        secrets.append(String(header.value[space...].dropFirst()))
                    }
                }
            default:
                break
            }
        }
        return secrets
    }

    /// The AWS secret access key and session token the DynamoDB source signs with (from the
    /// environment or the profile file, never from the config).
    public static func of(_ credentials: AWSCredentials) -> [String] {
        [credentials.secretAccessKey] + (credentials.sessionToken.map { [$0] } ?? [])
    }

    /// The password of a libpq conninfo or URI: as libpq decodes it, and as written in a URI
    /// (percent-encoded), so either form is caught.
    public static func passwords(in url: String) -> [String] {
        var found: [String] = []
        if let password = (try? ConnectionString(url))?.value(of: "password") { found.append(password) }
        if let scheme = url.firstRange(of: "://") {
            let rest = url[scheme.upperBound...]
            let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
            if let at = authority.lastIndex(of: "@"), let colon = authority[..<at].firstIndex(of: ":") {
                found.append(String(authority[authority.index(after: colon)..<at]))
            }
        }
        return found
    }
}
