/// AWS credentials for signing requests: an access key id, its secret and, for temporary
/// credentials, a session token.
///
/// `description` never shows the secret or the token (only the key id), so credentials can be
/// logged or put in errors by mistake without leaking.
public struct AWSCredentials: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    public var accessKeyID: String
    public var secretAccessKey: String
    public var sessionToken: String?

    public init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
    }

    public var description: String {
        "AWSCredentials(accessKeyID: \(accessKeyID), secretAccessKey: <redacted>"
            + (sessionToken == nil ? ")" : ", sessionToken: <redacted>)")
    }
    public var debugDescription: String { description }

    /// Why no credentials could be found.
    public struct NotFound: Error, CustomStringConvertible, Sendable {
        public var message: String
        public var description: String { message }
    }

    /// Credentials as the AWS SDKs find them: `AWS_ACCESS_KEY_ID` + `AWS_SECRET_ACCESS_KEY` (+
    /// `AWS_SESSION_TOKEN`) from `environment`, else the profile `AWS_PROFILE` (default `default`) of
    /// the shared credentials file (`AWS_SHARED_CREDENTIALS_FILE`, default `~/.aws/credentials`),
    /// read with `readFile` (nil when the file cannot be read).
    public static func resolve(
        environment: [String: String], readFile: (String) -> String?
    ) throws(NotFound) -> AWSCredentials {
        if let id = environment["AWS_ACCESS_KEY_ID"], !id.isEmpty,
            let secret = environment["AWS_SECRET_ACCESS_KEY"], !secret.isEmpty
        {
            let token = environment["AWS_SESSION_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
            return AWSCredentials(accessKeyID: id, secretAccessKey: secret, sessionToken: token)
        }
        let profile = environment["AWS_PROFILE"].flatMap { $0.isEmpty ? nil : $0 } ?? "default"
        let path =
            environment["AWS_SHARED_CREDENTIALS_FILE"].flatMap { $0.isEmpty ? nil : $0 }
            ?? ((environment["HOME"] ?? "") + "/.aws/credentials")
        guard let text = readFile(path) else {
            throw NotFound(
                message: "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or write profile \(profile) in \(path)")
        }
        guard let found = profileCredentials(text, profile: profile) else {
            throw NotFound(
                message: "no AWS credentials: profile \(profile) in \(path) lacks aws_access_key_id or aws_secret_access_key")
        }
        return found
    }

    /// The credentials of `[profile]` in the text of a shared credentials file (INI: `[name]`
    /// sections, `key = value` lines, `#`/`;` comments); nil when the profile or a key is missing.
    public static func profileCredentials(_ text: String, profile: String) -> AWSCredentials? {
        var section: String?
        var values: [String: String] = [:]
        for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r" }) {
            let line = rawLine.trimmingSpaces
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("[") && line.hasSuffix("]") {
                var name = String(line.dropFirst().dropLast()).trimmingSpaces
                if name.hasPrefix("profile ") { name = String(name.dropFirst("profile ".count)).trimmingSpaces }
                section = name
                continue
            }
            guard section == profile, let equals = line.firstIndex(of: "=") else { continue }
            let key = String(line[..<equals]).trimmingSpaces.lowercased()
            values[key] = String(line[line.index(after: equals)...]).trimmingSpaces
        }
        guard let id = values["aws_access_key_id"], !id.isEmpty, let secret = values["aws_secret_access_key"],
            !secret.isEmpty
        else { return nil }
        let token = values["aws_session_token"].flatMap { $0.isEmpty ? nil : $0 }
        return AWSCredentials(accessKeyID: id, secretAccessKey: secret, sessionToken: token)
    }
}

extension StringProtocol {
    fileprivate var trimmingSpaces: String {
        var s = Substring(self)
        while let c = s.first, c == " " || c == "\t" { s = s.dropFirst() }
        while let c = s.last, c == " " || c == "\t" { s = s.dropLast() }
        return String(s)
    }
}
