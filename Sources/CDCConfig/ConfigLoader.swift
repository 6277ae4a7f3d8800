import Foundation

/// Reads and checks a `cdcd.yaml`: the one place the config format is decoded.
///
/// Scalars follow YAML 1.2's core schema (`yes`/`no`/`on`/`off` are text, not booleans), anchors,
/// aliases and `<<` merge keys work, and `${VAR}` / `${VAR:-default}` are expanded in scalar values from
/// `environment` (`$${` is a literal `${`). Relative paths are resolved against the config file's folder.
/// The first mistake found is thrown as a `ConfigError` naming file, line and key.
public enum ConfigLoader {
    /// Loads the file at `path` (relative paths against the current directory); `environment` is usually
    /// `ProcessInfo.processInfo.environment`.
    public static func load(path: String, environment: [String: String]) throws(ConfigError) -> CDCDConfiguration {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            let reason: String
            if !FileManager.default.fileExists(atPath: path) {
                reason = "no such file"
            } else if !FileManager.default.isReadableFile(atPath: path) {
                reason = "permission denied"
            } else {
                reason = "cannot be read"
            }
            throw ConfigError(
                code: .unreadableFile, file: path, line: nil, keyPath: "", message: "cannot read the config: \(reason)")
        }
        guard let yaml = String(data: data, encoding: .utf8) else {
            throw ConfigError(
                code: .unreadableFile, file: path, line: nil, keyPath: "", message: "the config is not UTF-8 text")
        }
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        let baseDirectory = PathResolution.normalize(PathResolution.directory(of: absolute))
        return try parse(yaml: yaml, file: path, baseDirectory: baseDirectory, environment: environment)
    }

    /// Decodes config text. `file` names it in errors; `baseDirectory` is what relative paths are
    /// resolved against (the config file's folder; give an absolute one to get absolute paths).
    public static func parse(
        yaml: String, file: String, baseDirectory: String, environment: [String: String]
    )
        throws(ConfigError) -> CDCDConfiguration
    {
        let root = try ConfigNode.compose(yaml: yaml, file: file)
        let decoder = ConfigDecoder(file: file, baseDirectory: baseDirectory, environment: environment)
        return try decoder.decodeRoot(root)
    }

    /// A duration as the config writes it: `500ms`, `30s`, `5m`, `1h`, `24h`, `7d`, compounds like
    /// `1h30m`, or a plain number of seconds (`30`, `0.5`). Nil when malformed. For command-line flags
    /// that take the same syntax.
    public static func parseDuration(_ text: String) -> Duration? {
        ConfigValueParsing.duration(text)
    }
}
