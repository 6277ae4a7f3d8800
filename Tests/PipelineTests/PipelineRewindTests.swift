import CDCCore
import Foundation
import Synchronization
import Testing

@testable import Capture

@Suite("Pipeline: a sink that lost records")
struct PipelineRewindTests {
    @Test("a rewind error delivers again from the saved checkpoint, then goes on")
    func rewindDeliversAgainFromTheSavedCheckpoint() async throws {
        let ws = Workspace()
        let stream = try StreamLog(directory: ws.streamDirectory)
        try publish(stream, Rows.orders(1...30))
        // The third batch finds the destination lost what it took (saved checkpoint: 0, the
        // start; nothing was saved since, less than a second went by).
        let sink = ScriptedSink { call, _ in
            call == 2 ? .fail(SinkError(retryable: true, rewind: true, message: "the target lost commits")) : .succeed
        }
        let log = LogRecorder()
        let pipeline = try Pipeline.make(ws, stream: stream, sink: sink, batchSize: 10, logger: log.logger)
        try await whileRunning(pipeline) {
            try #require(await eventually { pipeline.status.checkpoint == 30 && pipeline.status.rewinds == 1 })
        }
        let batches = sink.batches
        try #require(batches.count >= 4)
        #expect(Array(batches[0..<3]) == [Array(1...10), Array(11...20), Array(21...30)])
        // Delivered again from the saved checkpoint: the start (0), unless a slow machine let a
        // second pass between two batches and the checkpoint was saved meanwhile.
        let again = batches[3...].flatMap { $0 }
        #expect([Array(1...30), Array(11...30), Array(21...30)].contains(again), "\(batches)")
        #expect(pipeline.status.rewinds == 1)
        #expect(pipeline.status.deadLettered == 0)
        #expect(try ws.savedCheckpoint() == 30)
        #expect(log.messages.contains { $0.contains("delivering again from the saved checkpoint") })
    }

    @Test("records delivered before the last saved checkpoint are not delivered again")
    func rewindStopsAtTheSavedCheckpoint() async throws {
        let ws = Workspace()
        let stream = try StreamLog(directory: ws.streamDirectory)
        try publish(stream, Rows.orders(1...10))
        let rewound = Mutex(false)
        let sink = ScriptedSink { _, keys in
            // Records 11-20 arrive after 1-10 were delivered and saved (caught up: saved at once).
            if keys.first == 11 && !rewound.withLock({ $0 }) {
                rewound.withLock { $0 = true }
                return .fail(SinkError(retryable: true, rewind: true, message: "the target lost commits"))
            }
            return .succeed
        }
        let pipeline = try Pipeline.make(ws, stream: stream, sink: sink, batchSize: 10)
        try await whileRunning(pipeline) {
            try #require(await eventually { (try? ws.savedCheckpoint()) == 10 })
            try publish(stream, Rows.orders(11...20))
            try #require(await eventually { pipeline.status.checkpoint == 20 })
        }
        #expect(sink.batches == [Array(1...10), Array(11...20), Array(11...20)])
        #expect(pipeline.status.rewinds == 1)
    }
}
