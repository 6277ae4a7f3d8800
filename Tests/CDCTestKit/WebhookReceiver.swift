import CDCCore
import Foundation

/// A real HTTP receiver on 127.0.0.1 for webhook tests: `Tests/Support/webhook_receiver.py`, which
/// verifies Standard Webhooks signatures itself and logs every request (JSON Lines) before answering.
/// See that script for the plan format (scripted answers: statuses, `Retry-After`, delays, garbage).
public final class WebhookReceiver: @unchecked Sendable {
    public let directory: String
    public let secrets: [String]
    public let plan: String
    /// HTTPS with `Tests/Support/tls/cert.pem` (a self-signed certificate for 127.0.0.1).
    public let tls: Bool
    public private(set) var port: Int = 0
    private var process: BackgroundProcess?
    public var logPath: String { directory + "/requests.jsonl" }
    public var url: String { "\(tls ? "https" : "http")://127.0.0.1:\(port)/hooks" }

    public static var script: String { TestPostgres.repositoryRoot + "/Tests/Support/webhook_receiver.py" }
    /// The receiver's certificate (its own CA): what `ca_file` points to in TLS tests.
    public static var certificate: String { TestPostgres.repositoryRoot + "/Tests/Support/tls/cert.pem" }

    /// Starts a receiver on a free port (or `port`), verifying with `secrets`, answering by `plan` (JSON).
    public init(secrets: [String] = [], plan: String = "{}", port: Int = 0, tls: Bool = false) async throws {
        directory = NSTemporaryDirectory() + TestPostgres.uniqueName("receiver")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        self.secrets = secrets
        self.plan = plan
        self.tls = tls
        try await start(port: port)
    }

    /// (Re)starts the process; on the previous port when there was one.
    public func start(port: Int? = nil) async throws {
        let portFile = directory + "/port"
        try? FileManager.default.removeItem(atPath: portFile)
        var arguments = [Self.script, "--log", logPath, "--port-file", portFile, "--plan", plan]
        arguments += ["--port", String(port ?? self.port)]
        for secret in secrets { arguments += ["--secret", secret] }
        if tls {
            let folder = TestPostgres.repositoryRoot + "/Tests/Support/tls/"
            arguments += ["--tls-cert", folder + "cert.pem", "--tls-key", folder + "key.pem"]
        }
        process = try BackgroundProcess("/usr/bin/env", ["python3"] + arguments, logPath: directory + "/receiver.log")
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            if let text = try? String(contentsOfFile: portFile, encoding: .utf8), let value = Int(text) {
                self.port = value
                return
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw CaptureTimeout(what: "the webhook receiver to listen (log: \(process?.log ?? ""))")
    }

    /// Kills the receiver (connections are refused until `start()`).
    public func stop() async {
        process?.signal(SIGKILL)
        _ = await process?.wait(timeout: .seconds(10))
        process = nil
    }

    /// Every request logged so far, in arrival order.
    public var requests: [JSONValue] {
        let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { try? JSONValue.parse(String($0)) }
    }

    /// Waits until `condition` holds for the logged requests; returns them.
    @discardableResult
    public func waitForRequests(
        timeout: Duration = .seconds(60), _ what: String = "requests", until condition: ([JSONValue]) -> Bool
    ) async throws -> [JSONValue] {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let current = requests
            if condition(current) { return current }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw CaptureTimeout(what: "\(what) at the webhook receiver (got \(requests.count) requests)")
    }

    deinit {
        process?.signal(SIGKILL)
        if let process { var status: Int32 = 0; waitpid(process.pid, &status, 0) }
        try? FileManager.default.removeItem(atPath: directory)
    }
}

extension JSONValue {
    /// A logged request answered 2xx.
    public var answeredSuccess: Bool {
        guard case .number(let text)? = self["status"], let status = Int(text) else { return false }
        return (200..<300).contains(status)
    }
}
