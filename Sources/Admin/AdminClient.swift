import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Asks a running daemon's admin endpoint for `/status` (`cdcd status`). A loopback HTTP client:
/// URLSession is plenty here.
public struct AdminClient: Sendable {
    /// What came back.
    public enum Answer: Sendable {
        case status(DaemonStatus)
        /// Nothing listens there: the daemon is not running.
        case notRunning
    }

    /// `http://127.0.0.1:8473` (no trailing slash).
    public let baseURL: String
    let token: String?

    public init(baseURL: String, token: String?) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.token = token
    }

    /// The URL to reach a daemon listening on `host:port`: a wildcard listener is reached on loopback.
    public static func url(host: String, port: Int) -> String {
        let reachable =
            switch host {
            case "0.0.0.0", "": "127.0.0.1"
            case "::": "::1"
            default: host
            }
        return reachable.contains(":") ? "http://[\(reachable)]:\(port)" : "http://\(reachable):\(port)"
    }

    public func status(timeout: TimeInterval = 10) async throws -> Answer {
        guard let url = URL(string: baseURL + "/status") else {
            throw AdminError(code: .badResponse, message: "not a URL: \(baseURL)")
        }
        var request = URLRequest(url: url, timeoutInterval: timeout)
        if let token { request.setValue("Bearer " + token, forHTTPHeaderField: "Authorization") }
        let configuration = URLSessionConfiguration.ephemeral
        configuration.connectionProxyDictionary = [:]
        let session = URLSession(configuration: configuration)
        defer { session.finishTasksAndInvalidate() }
        let data: Data
        let response: URLResponse
        do {
            (data, response) = try await session.data(for: request)
        } catch {
            guard let urlError = error as? URLError,
                urlError.code == .cannotConnectToHost || urlError.code == .cannotFindHost
            else {
                throw AdminError(code: .badResponse, message: "cannot reach \(baseURL): \(error.localizedDescription)")
            }
            return .notRunning
        }
        let code = (response as? HTTPURLResponse)?.statusCode ?? 0
        guard code == 200 else {
            let hint = code == 401 ? " (the admin token is missing or wrong: set admin.token in the config)" : ""
            throw AdminError(code: .badResponse, message: "\(baseURL)/status answered HTTP \(code)\(hint)")
        }
        do {
            return .status(try DaemonStatus.decode(data))
        } catch {
            throw AdminError(code: .badResponse, message: "\(baseURL)/status did not answer cdcd status JSON: \(error)")
        }
    }
}
