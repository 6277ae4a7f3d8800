import Foundation

/// A local DynamoDB + DynamoDB Streams API for tests: moto's server on a free loopback port,
/// driven through boto3 by `Tests/Support/dynamodb_local.py`. Killed by `stop()`.
///
/// Needs `pip install "moto[server]" boto3` (scripts/test.sh and .ci/run install them).
public final class LocalDynamoDB: @unchecked Sendable {
    public let endpoint: String
    let process: BackgroundProcess
    static let helper = TestPostgres.repositoryRoot + "/Tests/Support/dynamodb_local.py"

    /// Starts the server and waits until it answers. Sets test AWS credentials in this process's
    /// environment (inherited by the `cdcd` processes the test starts).
    public init(logPath: String) async throws {
        setenv("AWS_ACCESS_KEY_ID", "testing", 1)
        setenv("AWS_SECRET_ACCESS_KEY", "testing-secret", 1)
        unsetenv("AWS_SESSION_TOKEN")
        let port = AdminHTTP.freePort()
        endpoint = "http://127.0.0.1:\(port)"
        process = try BackgroundProcess(
            "/usr/bin/env", ["python3", "-m", "moto.server", "-H", "127.0.0.1", "-p", String(port)], logPath: logPath)
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            if Self.canConnect(port) { return }
            guard process.isRunning else { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        process.kill()
        throw TestPostgres.CommandFailure(command: "moto.server", status: -1, stderr: process.log)
    }

    public func stop() { process.kill() }

    /// Starts `Tests/Support/dynamodb_faults.py` in front of this server (throttling, an expired
    /// iterator, a 503 on the first GetRecords calls; with `split`, a closed parent shard in front
    /// of the real one instead); returns its endpoint and process.
    public func faultProxy(logPath: String, split: Bool = false) async throws -> (endpoint: String, process: BackgroundProcess) {
        let port = AdminHTTP.freePort()
        let proxy = try BackgroundProcess(
            "/usr/bin/env",
            ["python3", TestPostgres.repositoryRoot + "/Tests/Support/dynamodb_faults.py", String(port), endpoint]
                + (split ? ["--split"] : []),
            logPath: logPath)
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if Self.canConnect(port) { return ("http://127.0.0.1:\(port)", proxy) }
            guard proxy.isRunning else { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        proxy.kill()
        throw TestPostgres.CommandFailure(command: "dynamodb_faults.py", status: -1, stderr: proxy.log)
    }

    /// Creates table `name` (hash key `pk` of `keyType`, range key `sk` N) with a stream of `view`;
    /// returns the stream ARN.
    @discardableResult
    public func createTable(_ name: String, view: String, keyType: String = "S") async throws -> String {
        try await TestPostgres.run("/usr/bin/env", ["python3", Self.helper, endpoint, "create", name, view, keyType]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Applies `operations` (JSON, see the helper) in order through boto3.
    public func write(_ table: String, _ operations: String) async throws {
        try await TestPostgres.run("/usr/bin/env", ["python3", Self.helper, endpoint, "write", table, operations])
    }

    /// A table name unique to this process and call.
    public static func uniqueTable(_ prefix: String) -> String {
        "\(prefix)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    }

    static func canConnect(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }
}
