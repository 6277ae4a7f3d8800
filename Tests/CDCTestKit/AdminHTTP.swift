import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Talking to a daemon's admin endpoint from tests: find the port it bound (from its log line
/// `admin endpoint listening cdc.listen=HOST:PORT`), GET paths with an optional bearer token.
public enum AdminHTTP {
    public struct Answer: Sendable {
        public var status: Int
        public var body: String
    }

    public struct Timeout: Error, CustomStringConvertible {
        public var what: String
        public var description: String { "timed out waiting for \(what)" }
    }

    /// Waits for the daemon logging to `logPath` to report its admin address; returns `http://HOST:PORT`.
    public static func waitForAddress(logPath: String, timeout: Duration = .seconds(30)) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
            if let range = log.range(of: #"cdc\.listen"?[=:]"?([0-9.]+:[0-9]+)"#, options: .regularExpression) {
                let match = log[range]
                let address = match.split(whereSeparator: { $0 == "=" || $0 == "\"" }).last.map(String.init) ?? ""
                let cleaned = address.hasPrefix(":") ? String(address.dropFirst()) : address
                return "http://" + cleaned
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw Timeout(what: "the admin endpoint's address in \(logPath)")
    }

    /// GET `url` (status 0 and the error's text when nothing answers).
    public static func get(_ url: String, token: String? = nil) async -> Answer {
        var request = URLRequest(url: URL(string: url)!, timeoutInterval: 10)
        if let token { request.setValue("Bearer " + token, forHTTPHeaderField: "Authorization") }
        let session = URLSession(configuration: .ephemeral)
        defer { session.finishTasksAndInvalidate() }
        do {
            let (data, response) = try await session.data(for: request)
            return Answer(
                status: (response as? HTTPURLResponse)?.statusCode ?? 0, body: String(decoding: data, as: UTF8.self))
        } catch {
            return Answer(status: 0, body: "\(error)")
        }
    }

    /// Polls `url` until `condition` holds for an answer; returns that answer.
    public static func waitFor(
        _ url: String, token: String? = nil, timeout: Duration = .seconds(60), _ condition: (Answer) -> Bool
    ) async throws -> Answer {
        let deadline = ContinuousClock.now + timeout
        var last = Answer(status: 0, body: "")
        while ContinuousClock.now < deadline {
            last = await get(url, token: token)
            if condition(last) { return last }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw Timeout(what: "\(url) (last answer \(last.status): \(last.body.prefix(300)))")
    }

    /// A TCP port on 127.0.0.1 that was free a moment ago.
    public static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
