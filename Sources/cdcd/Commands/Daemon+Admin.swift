import Admin
import CDCConfig
import Capture
import LibPQ
import Logging
import ServiceLifecycle

extension Daemon {
    /// The admin endpoint and the slot lag probe, wired to the daemon's parts; makes the admin
    /// metrics registry the process's swift-metrics backend.
    static func adminServices(
        _ configuration: CDCDConfiguration, source: PostgresSource, stream: StreamLog, pipelines: [Capture.Pipeline],
        logger: Logger
    ) throws -> [ServiceGroupConfiguration.ServiceConfiguration] {
        let probe = SlotLagProbe(
            connection: source.configuration.connection, slot: source.configuration.slot, logger: logger)
        let monitor = DaemonMonitor(source: source, stream: stream, pipelines: pipelines, slotLag: probe)
        let metrics = AdminMetrics()
        metrics.bootstrap(pipelines: monitor.pipelineNames)
        let server = try AdminServer(
            configuration: .init(
                host: configuration.admin.host, port: configuration.admin.port, token: configuration.admin.token),
            monitor: monitor, metrics: metrics, logger: logger)
        return [.init(service: server), .init(service: probe)]
    }
}
