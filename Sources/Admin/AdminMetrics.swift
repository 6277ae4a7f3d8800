import Capture
import Metrics
import Prometheus

/// The Prometheus metrics of `/metrics`.
///
/// Most are sampled from a `DaemonStatus` at each scrape (`update(from:)`), so the capture and
/// pipeline hot paths carry no metrics objects: monotonically growing status counters become
/// Prometheus counters by adding what they grew since the last scrape. The few measured where they
/// happen (changes captured, batch duration, failed batches) are swift-metrics handles created in
/// `Capture`, exported through the same registry once `bootstrap()` has made it swift-metrics' backend.
public final class AdminMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    private let seen = LockedValue<[String: UInt64]>([:])

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
    }

    /// Makes this registry the process's swift-metrics backend (once per process) and creates the
    /// swift-metrics series up front, so they read 0 before their first event.
    public func bootstrap(pipelines: [String]) {
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        Counter(label: CaptureToStream.capturedMetric).increment(by: 0)
        for name in pipelines {
            let dimensions = [("pipeline", name)]
            Counter(label: Pipeline.MetricName.failedBatches, dimensions: dimensions).increment(by: 0)
            _ = Metrics.Timer(label: Pipeline.MetricName.batchDuration, dimensions: dimensions)
        }
    }

    /// Samples a status into the registry.
    public func update(from status: DaemonStatus) {
        gauge("cdcd_source_connected", "1 while the replication stream is open, else 0").set(
            status.source.streaming == true ? 1.0 : 0.0)
        if let bytes = status.source.slotLagBytes {
            gauge(
                "cdcd_source_slot_lag_bytes",
                "WAL bytes between the server's current position and the slot's confirmed_flush_lsn"
            )
            .set(to: Double(bytes))
        }
        if let stream = status.stream {
            gauge("cdcd_stream_bytes", "Bytes the local stream holds on disk").set(to: Double(stream.bytes))
            gauge("cdcd_stream_first_offset", "Offset of the oldest record kept in the stream").set(
                to: Double(stream.firstOffset))
            gauge("cdcd_stream_last_offset", "Offset of the newest durable record in the stream").set(
                to: Double(stream.lastOffset))
            let held = stream.lastOffset >= stream.firstOffset ? stream.lastOffset - stream.firstOffset + 1 : 0
            gauge("cdcd_stream_records", "Records the local stream holds").set(to: Double(held))
        }
        gauge("cdcd_ready", "1 when /readyz answers 200, else 0").set(status.ready ? 1.0 : 0.0)
        for pipeline in status.pipelines {
            let labels = [("pipeline", pipeline.name)]
            grow(
                "cdcd_pipeline_delivered_total", "Records delivered to the sink (or function)", labels,
                to: pipeline.delivered)
            grow(
                "cdcd_pipeline_filtered_total", "Records dropped by the pipeline's tables or filter", labels,
                to: pipeline.filtered)
            grow(
                "cdcd_pipeline_retried_total", "Batch attempts that failed and were retried or dead-lettered", labels,
                to: pipeline.retried)
            grow(
                "cdcd_pipeline_dead_lettered_total", "Records sent to the dead-letter queue", labels,
                to: pipeline.deadLettered)
            grow(
                "cdcd_pipeline_trimmed_total", "Unread records lost to stream retention", labels,
                to: pipeline.trimmedRecords)
            gauge(
                "cdcd_pipeline_iterator_age_milliseconds",
                "Age of the oldest record the pipeline has not handled (IteratorAge)", labels
            )
            .set(to: Double(pipeline.iteratorAgeMillis ?? 0))
            gauge("cdcd_pipeline_lag_records", "Records in the stream after the pipeline's checkpoint", labels)
                .set(to: Double(pipeline.lag ?? 0))
            gauge("cdcd_pipeline_checkpoint", "The last stream offset the pipeline fully handled", labels)
                .set(to: Double(pipeline.checkpoint))
            gauge("cdcd_pipeline_dlq_records", "Records in the dead-letter queue now", labels).set(
                to: Double(pipeline.dlqSize))
            gauge(
                "cdcd_pipeline_disabled", "1 when the pipeline was disabled (410 Gone, schema change), else 0", labels
            )
            .set(pipeline.state == "disabled" ? 1.0 : 0.0)
        }
    }

    /// The Prometheus text exposition of everything registered.
    public func render() -> [UInt8] {
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return buffer
    }

    private func gauge(_ name: String, _ help: String, _ labels: [(String, String)] = []) -> Prometheus.Gauge {
        registry.makeGauge(
            descriptor: MetricNameDescriptor(metricName: name, unitName: "", helpText: help), labels: labels)
    }

    /// Adds to a counter what a cumulative value (a pipeline status counter, which starts at 0 with
    /// the process) grew since the last sample.
    private func grow(_ name: String, _ help: String, _ labels: [(String, String)], to value: UInt64?) {
        guard let value else { return }
        let counter = registry.makeCounter(
            descriptor: MetricNameDescriptor(metricName: name, unitName: "", helpText: help), labels: labels)
        let key = name + labels.map { "|" + $0.1 }.joined()
        let delta = seen.withLock { seen -> UInt64 in
            let previous = seen[key] ?? 0
            seen[key] = value
            return value > previous ? value - previous : 0
        }
        if delta > 0 { counter.increment(by: Int64(delta)) }
    }
}
