import Metrics

extension Pipeline {
    /// swift-metrics names (Prometheus names once exported), labelled `pipeline`.
    public enum MetricName {
        /// Timer: how long one batch attempt (function + sink) took.
        public static let batchDuration = "cdcd_pipeline_batch_duration_seconds"
        /// Counter: batch attempts that failed (each retry that fails counts again).
        public static let failedBatches = "cdcd_pipeline_failed_batches_total"
    }

    /// Records one batch attempt: its duration, and whether it failed. Cheap when no metrics
    /// backend is bootstrapped (swift-metrics' no-op handlers).
    func recordAttempt(since start: ContinuousClock.Instant, failed: Bool) {
        let dimensions = [("pipeline", configuration.name)]
        let elapsed = ContinuousClock.now - start
        let nanoseconds = elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000
        Metrics.Timer(label: MetricName.batchDuration, dimensions: dimensions).recordNanoseconds(nanoseconds)
        if failed { Counter(label: MetricName.failedBatches, dimensions: dimensions).increment() }
    }
}
