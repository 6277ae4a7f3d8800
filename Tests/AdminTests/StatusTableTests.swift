import Admin
import Testing

/// `cdcd status`'s table and `/readyz`'s rule, on hand-made statuses.
@Suite("status table and readiness")
struct StatusTableTests {
    static func sample(streaming: Bool, states: [String]) -> DaemonStatus {
        var source = DaemonStatus.Source(server: "db:5432/app", slot: "cdcd")
        source.streaming = streaming
        source.receivedLSN = "0/16B3748"
        source.confirmedLSN = "0/16B3700"
        source.slotLagBytes = 2048
        let pipelines = states.enumerated().map { index, state in
            var entry = DaemonStatus.PipelineEntry(name: "p\(index)", state: state, checkpoint: 90, dlqSize: index)
            entry.lag = 10
            entry.iteratorAgeMillis = 1500
            entry.delivered = 80
            if state == "disabled" { entry.lastError = "410 Gone" }
            return entry
        }
        var status = DaemonStatus(
            running: true, source: source,
            stream: DaemonStatus.Stream(firstOffset: 1, lastOffset: 100, bytes: 12_345, segments: 1),
            pipelines: pipelines)
        status.reasons = Readiness.reasons(status)
        status.ready = status.reasons.isEmpty
        return status
    }

    @Test func readyWhenStreamingAndEveryPipelineRuns() {
        #expect(Self.sample(streaming: true, states: ["running", "retrying"]).ready)
        let down = Self.sample(streaming: false, states: ["running"])
        #expect(!down.ready)
        #expect(down.reasons == ["source db:5432/app is not connected (slot cdcd)"])
        let disabled = Self.sample(streaming: true, states: ["running", "disabled", "starting"])
        #expect(disabled.reasons == ["pipeline p1 is disabled: 410 Gone", "pipeline p2 is starting"])
    }

    @Test func rendersAlignedColumns() {
        let text = StatusTable.render(
            Self.sample(streaming: true, states: ["running", "disabled"]), admin: "http://127.0.0.1:8473",
            stateDirectory: "/var/lib/cdcd")
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(
            lines[0] == "cdcd is running (admin http://127.0.0.1:8473): NOT READY — pipeline p1 is disabled: 410 Gone")
        #expect(
            lines[1]
                == "source:   db:5432/app  slot cdcd  streaming  received 0/16B3748  confirmed 0/16B3700  slot lag 2.0 KiB"
        )
        #expect(lines[2] == "stream:   offsets 1…100  100 records  12.1 KiB  1 segment")
        #expect(lines[4] == "PIPELINE  STATE     CHECKPOINT  LAG  ITERATOR AGE  DELIVERED  DLQ  LAST ERROR")
        #expect(lines[5] == "p0        running   90          10   1.5 s         80         0    -")
        #expect(lines[6] == "p1        disabled  90          10   1.5 s         80         1    410 Gone")
    }

    @Test func statusJSONRoundTrips() throws {
        let status = Self.sample(streaming: true, states: ["running"])
        #expect(try DaemonStatus.decode(status.json()) == status)
    }
}
