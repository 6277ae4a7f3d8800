import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// The admin HTTP endpoint (Hummingbird), a `Service` in the daemon's group:
///
/// - `GET /healthz` — 200 `ok` while the process is up.
/// - `GET /readyz` — 200 when the source is streaming and every pipeline runs; 503 with
///   `{"ready":false,"reasons":[...]}` otherwise.
/// - `GET /metrics` — Prometheus text format.
/// - `GET /status` — `DaemonStatus` as JSON.
///
/// With a token, every request needs `Authorization: Bearer <token>` (401 otherwise). A listener
/// that is not loopback must have a token (`init` throws). Stops on graceful shutdown, after the
/// services started after it (it is first in the group, so it answers while pipelines drain).
public struct AdminServer: Service, CustomStringConvertible {
    /// Where to listen and who may ask.
    public struct Configuration: Sendable {
        public var host: String
        /// 0 asks the system for a free port; the bound port is logged (`cdc.listen`).
        public var port: Int
        public var token: String?

        public init(host: String, port: Int, token: String?) {
            self.host = host
            self.port = port
            self.token = token
        }

        /// `127.0.0.0/8`, `::1`, `localhost`.
        public var isLoopback: Bool {
            host == "localhost" || host == "::1" || host.hasPrefix("127.")
        }
    }

    private let configuration: Configuration
    private let monitor: DaemonMonitor
    private let metrics: AdminMetrics
    private let logger: Logger

    public init(configuration: Configuration, monitor: DaemonMonitor, metrics: AdminMetrics, logger: Logger)
        throws(AdminError)
    {
        guard configuration.isLoopback || configuration.token != nil else {
            throw AdminError(
                code: .insecureListener,
                message:
                    "admin.listen \(configuration.host):\(configuration.port) is not a loopback address: set admin.token (every request then needs Authorization: Bearer <token>) or listen on 127.0.0.1"
            )
        }
        self.configuration = configuration
        self.monitor = monitor
        self.metrics = metrics
        self.logger = logger
    }

    /// `AdminServer(127.0.0.1:8473, token: ***)` — never the token itself (the service group logs it).
    public var description: String {
        "AdminServer(\(configuration.host):\(configuration.port)\(configuration.token == nil ? "" : ", token: ***"))"
    }

    public func run() async throws {
        let router = Router()
        if let token = configuration.token { router.add(middleware: BearerTokenMiddleware(token: token)) }
        let monitor = self.monitor
        let metrics = self.metrics
        router.get("healthz") { _, _ in Self.text("ok\n") }
        router.get("readyz") { _, _ -> Response in
            let status = monitor.snapshot()
            let body = ReadyBody(ready: status.ready, reasons: status.reasons)
            return Self.json(body.json(), status: status.ready ? .ok : .serviceUnavailable)
        }
        router.get("status") { _, _ in Self.json(monitor.snapshot().json(), status: .ok) }
        router.get("metrics") { _, _ -> Response in
            metrics.update(from: monitor.snapshot())
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: metrics.render())))
        }
        let logger = self.logger
        let app = Application(
            router: router,
            configuration: ApplicationConfiguration(
                address: .hostname(configuration.host, port: configuration.port), serverName: nil),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                logger.info(
                    "admin endpoint listening",
                    metadata: ["cdc.listen": "\(channel.localAddress?.ipAddress ?? "?"):\(port)"])
            },
            logger: Self.tagged(logger))
        do {
            try await app.run()
        } catch {
            throw AdminError(
                code: .cannotListen,
                message: "admin endpoint cannot listen on \(configuration.host):\(configuration.port): \(error)")
        }
    }

    /// Hummingbird's own log lines, marked as the admin endpoint's.
    private static func tagged(_ logger: Logger) -> Logger {
        var logger = logger
        logger[metadataKey: "cdc.component"] = "admin"
        return logger
    }

    private static func text(_ body: String) -> Response {
        Response(
            status: .ok, headers: [.contentType: "text/plain; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }

    private static func json(_ data: Data, status: HTTPResponse.Status) -> Response {
        var buffer = ByteBuffer(bytes: data)
        buffer.writeString("\n")
        return Response(
            status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: buffer))
    }

    /// `/readyz`'s body.
    struct ReadyBody: Codable {
        var ready: Bool
        var reasons: [String]
        func json() -> Data {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            return (try? encoder.encode(self)) ?? Data()
        }
    }
}
