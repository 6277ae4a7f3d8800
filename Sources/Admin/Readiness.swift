/// `/readyz`'s rule: ready when the source is connected and streaming and every pipeline is
/// running (a pipeline that is retrying a failing sink still runs; one starting or disabled does
/// not). A pure function of a status, so it is tested without a daemon.
public enum Readiness {
    /// The reasons the daemon is not ready; empty when it is.
    public static func reasons(_ status: DaemonStatus) -> [String] {
        var reasons: [String] = []
        if status.source.streaming != true {
            reasons.append("source \(status.source.server) is not connected (slot \(status.source.slot))")
        }
        for pipeline in status.pipelines where pipeline.state != "running" && pipeline.state != "retrying" {
            var reason = "pipeline \(pipeline.name) is \(pipeline.state)"
            if pipeline.state == "disabled", let error = pipeline.lastError { reason += ": \(error)" }
            reasons.append(reason)
        }
        return reasons
    }
}
