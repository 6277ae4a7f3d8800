import CDCCore
import Foundation
import Testing

@testable import Capture

@Suite("Pipeline: batching")
struct PipelineBatchingTests {
    @Test("batch_size caps every batch; all records arrive once, in order")
    func batchSizeCaps() async throws {
        let ws = Workspace()
        let stream = try StreamLog(directory: ws.streamDirectory)
        try publish(stream, Rows.orders(1...25))
        let sink = ScriptedSink()
        let pipeline = try Pipeline.make(ws, stream: stream, sink: sink, batchSize: 10)
        try await whileRunning(pipeline) {
            try #require(await eventually { pipeline.status.checkpoint == 25 })
        }
        #expect(sink.batches.map(\.count) == [10, 10, 5])
        #expect(sink.delivered == Array(1...25))
        #expect(pipeline.status.delivered == 25)
        #expect(try ws.savedCheckpoint() == 25)
    }

    @Test("batch_window: two bursts within the window arrive as one batch")
    func windowJoinsBursts() async throws {
        let ws = Workspace()
        let stream = try StreamLog(directory: ws.streamDirectory)
        let sink = ScriptedSink()
        let pipeline = try Pipeline.make(ws, stream: stream, sink: sink, batchSize: 100, batchWindow: .milliseconds(800))
        try await whileRunning(pipeline) {
            try #require(await eventually { pipeline.status.state == .running })
            try publish(stream, Rows.orders(1...3))
            try await Task.sleep(for: .milliseconds(150))
            #expect(sink.calls.isEmpty, "the window has not passed yet")
            try publish(stream, Rows.orders(4...7))
            try #require(await eventually { pipeline.status.checkpoint == 7 })
        }
        #expect(sink.batches == [Array(1...7)])
    }

    @Test("batch_window: a full batch goes at once, without waiting for the window")
    func fullBatchDoesNotWait() async throws {
        let ws = Workspace()
        let stream = try StreamLog(directory: ws.streamDirectory)
        let sink = ScriptedSink()
        let pipeline = try Pipeline.make(ws, stream: stream, sink: sink, batchSize: 5, batchWindow: .seconds(30))
        let started = ContinuousClock.now
        try await whileRunning(pipeline) {
            try publish(stream, Rows.orders(1...5))
            try #require(await eventually(timeout: .seconds(10)) { pipeline.status.checkpoint == 5 })
        }
        #expect(ContinuousClock.now - started < .seconds(10))
        #expect(sink.batches == [Array(1...5)])
    }

    @Test("batch_window 0: a burst is delivered without waiting for the next one")
    func zeroWindowDeliversAtOnce() async throws {
        let ws = Workspace()
        let stream = try StreamLog(directory: ws.streamDirectory)
        let sink = ScriptedSink()
        let pipeline = try Pipeline.make(ws, stream: stream, sink: sink, batchSize: 100)
        try await whileRunning(pipeline) {
            try publish(stream, Rows.orders(1...3))
            try #require(await eventually { pipeline.status.checkpoint == 3 })
            try publish(stream, Rows.orders(4...7))
            try #require(await eventually { pipeline.status.checkpoint == 7 })
        }
        #expect(sink.batches == [[1, 2, 3], [4, 5, 6, 7]])
    }
}

@Suite("Pipeline: starting position")
struct PipelineStartingPositionTests {
    @Test("TRIM_HORIZON reads from the oldest retained record")
    func trimHorizon() async throws {
        let ws = Workspace()
        let stream = try StreamLog(directory: ws.streamDirectory)
        try publish(stream, Rows.orders(1...5))
        let sink = ScriptedSink()
        let pipeline = try Pipeline.make(ws, stream: stream, sink: sink, start: .trimHorizon)
        try await whileRunning(pipeline) {
            try publish(stream, Rows.orders(6...8))
            try #require(await eventually { pipeline.status.checkpoint == 8 })
        }
        #expect(sink.delivered == Array(1...8))
    }

    @Test("LATEST skips what was in the stream when the pipeline was created, and nothing after")
    func latest() async throws {
        let ws = Workspace()
        let stream = try StreamLog(directory: ws.streamDirectory)
        try publish(stream, Rows.orders(1...5))
        let sink = ScriptedSink()
        let pipeline = try Pipeline.make(ws, stream: stream, sink: sink, start: .latest)
        // Captured after the pipeline was created, before it started running.
        try publish(stream, Rows.orders(6...7))
        try await whileRunning(pipeline) {
            try publish(stream, Rows.orders(8...9))
            try #require(await eventually { pipeline.status.checkpoint == 9 })
        }
        #expect(sink.delivered == [6, 7, 8, 9])
    }

    @Test("LATEST never starts past the durable end: records appended but lost in a crash are not skipped later")
    func latestIgnoresUnsyncedRecords() async throws {
        let ws = Workspace()
        let syncedBytes: Int64
        do {
            let stream = try StreamLog(directory: ws.streamDirectory)
            try publish(stream, Rows.orders(1...3))
            syncedBytes = stream.totalBytes
            try stream.append(Rows.orders(4...5))  // appended, never synced
            _ = try Pipeline.make(ws, stream: stream, sink: ScriptedSink(), start: .latest)
        }
        // The crash: what was not synced never reached the disk.
        let segment = try #require(segmentFiles(ws.streamDirectory).last)
        try #require(truncate(segment, off_t(syncedBytes)) == 0)

        let stream = try StreamLog(directory: ws.streamDirectory)
        #expect(stream.nextOffset == 4)
        // Captured after the restart: they get offsets 4 and 5 again.
        try publish(stream, [Rows.order(40), Rows.order(50)])
        let sink = ScriptedSink()
        let pipeline = try Pipeline.make(ws, stream: stream, sink: sink, start: .latest)
        try await whileRunning(pipeline) {
            _ = await eventually(timeout: .seconds(3)) { sink.delivered.count == 2 }
        }
        #expect(sink.delivered == [40, 50])
        #expect(pipeline.status.checkpoint == 5)
    }

    @Test("AT_TIMESTAMP starts at the first record appended at or after the time", arguments: [0, 5, 10, 11, 25])
    func atTimestamp(secondsAfterStart: Int64) async throws {
        let ws = Workspace()
        let clock = ManualClock()
        let t0 = clock.now
        let stream = try StreamLog(directory: ws.streamDirectory, options: .init(clock: clock.function))
        try publish(stream, Rows.orders(1...3))  // at t0
        clock.advance(seconds: 10)
        try publish(stream, Rows.orders(4...6))  // at t0 + 10 s
        clock.advance(seconds: 10)
        try publish(stream, Rows.orders(7...8))  // at t0 + 20 s
        let sink = ScriptedSink()
        let pipeline = try Pipeline.make(
            ws, stream: stream, sink: sink, start: .atTimestamp(t0 + secondsAfterStart * 1_000_000))
        try await whileRunning(pipeline) {
            try #require(await eventually { pipeline.status.checkpoint == 8 })
        }
        let expected: [Int] =
            switch secondsAfterStart {
            case ...0: Array(1...8)
            case ...10: Array(4...8)
            case ...20: [7, 8]
            default: []
            }
        #expect(sink.delivered == expected)
    }

    @Test("the starting position is saved at once; a new instance resumes there instead of resolving again")
    func startingCheckpointIsSavedAtOnce() async throws {
        let ws = Workspace()
        let stream = try StreamLog(directory: ws.streamDirectory)
        try publish(stream, Rows.orders(1...5))
        #expect(try ws.savedCheckpoint() == nil)
        do {
            // Created, never run (a crash right after start): the position is already on disk.
            let first = try Pipeline.make(ws, stream: stream, sink: ScriptedSink(), start: .latest)
            #expect(try ws.savedCheckpoint() == 5)
            #expect(first.status.checkpoint == 5)
        }
        try publish(stream, Rows.orders(6...8))
        // Same name and state directory, another starting position: the saved checkpoint wins.
        let sink = ScriptedSink()
        let second = try Pipeline.make(ws, stream: stream, sink: sink, start: .trimHorizon)
        try await whileRunning(second) {
            try #require(await eventually { second.status.checkpoint == 8 })
        }
        #expect(sink.delivered == [6, 7, 8])

        // And with LATEST, a restart does not jump past records appended while it was stopped.
        try publish(stream, Rows.orders(9...10))
        let third = try Pipeline.make(ws, stream: stream, sink: sink, start: .latest)
        try await whileRunning(third) {
            try #require(await eventually { third.status.checkpoint == 10 })
        }
        #expect(sink.delivered == [6, 7, 8, 9, 10])
    }
}

@Suite("Pipeline: tables and filter")
struct PipelineFilterTests {
    @Test("records of other tables and records the filter rejects are counted, not delivered, and passed")
    func tablesAndFilter() async throws {
        let ws = Workspace()
        let stream = try StreamLog(directory: ws.streamDirectory)
        let records: [ChangeRecord] = [
            Rows.order(1, status: "paid"),
            Rows.order(2, status: "new"),
            Rows.audit(3),
            Rows.customer(4),
            Rows.order(5, status: "paid", event: .modify),
            Rows.order(6, status: "PAID"),
            Rows.audit(7),
            Rows.order(8, status: "paid"),
        ]
        try publish(stream, records)
        let filter = try RecordFilter(patterns: [
            try JSONValue.parse(#"{"table": ["public.orders"], "newImage": {"status": ["paid"]}}"#),
            try JSONValue.parse(#"{"table": ["public.customers"]}"#),
        ])
        let sink = ScriptedSink()
        let pipeline = try Pipeline.make(
            ws, stream: stream, sink: sink, tables: [try TablePattern("public.*")], filter: filter, batchSize: 3)
        try await whileRunning(pipeline) {
            try #require(await eventually { pipeline.status.checkpoint == 8 })
            #expect(sink.delivered == [1, 4, 5, 8])
            // A batch that is filtered out entirely still moves the checkpoint.
            try publish(stream, [Rows.audit(9), Rows.order(10, status: "new"), Rows.audit(11)])
            try #require(await eventually { pipeline.status.checkpoint == 11 })
        }
        #expect(sink.delivered == [1, 4, 5, 8])
        #expect(sink.calls.count == 3)
        #expect(pipeline.status.delivered == 4)
        #expect(pipeline.status.filtered == 7)
        #expect(try ws.savedCheckpoint() == 11)
    }

    @Test("table globs select tables; an empty list selects all")
    func tableGlobs() async throws {
        let ws = Workspace()
        let stream = try StreamLog(directory: ws.streamDirectory)
        try publish(stream, [Rows.order(1), Rows.audit(2), Rows.customer(3), Rows.audit(4)])
        let audit = ScriptedSink()
        let all = ScriptedSink()
        let auditPipeline = try Pipeline.make(
            ws, stream: stream, sink: audit, name: "audit", tables: [try TablePattern("audit.*")])
        let allPipeline = try Pipeline.make(ws, stream: stream, sink: all, name: "all")
        try await whileRunning(auditPipeline) {
            try #require(await eventually { auditPipeline.status.checkpoint == 4 })
        }
        try await whileRunning(allPipeline) {
            try #require(await eventually { allPipeline.status.checkpoint == 4 })
        }
        #expect(audit.delivered == [2, 4])
        #expect(auditPipeline.status.filtered == 2)
        #expect(all.delivered == [1, 2, 3, 4])
        #expect(allPipeline.status.filtered == 0)
    }
}

@Suite("Pipeline: retries and the dead-letter queue")
struct PipelineRetryTests {
    @Test("a retryable failure is retried with the same items in order, then succeeds")
    func retryThenSuccess() async throws {
        let ws = Workspace()
        let stream = try StreamLog(directory: ws.streamDirectory)
        try publish(stream, Rows.orders(1...5))
        let sink = ScriptedSink { call, _ in call < 2 ? .fail(.retryable("502 Bad Gateway")) : .succeed }
        let pipeline = try Pipeline.make(ws, stream: stream, sink: sink)
        try await whileRunning(pipeline) {
            try #require(await eventually { pipeline.status.checkpoint == 5 })
        }
        #expect(sink.batches == Array(repeating: Array(1...5), count: 3))
        let sequenceNumbers = (1...5).map(Rows.sequenceNumber)
        #expect(sink.calls.allSatisfy { $0.sequenceNumbers == sequenceNumbers })
        #expect(sink.calls.allSatisfy { $0.json == sink.calls[0].json }, "retries carry identical bodies")
        #expect(sink.delivered == Array(1...5))
        #expect(pipeline.status.retried == 2)
        #expect(pipeline.status.delivered == 5)
        #expect(pipeline.status.lastError == "502 Bad Gateway")
        #expect(pipeline.status.state == .running)
        #expect(try pipeline.deadLetters.list().isEmpty)
    }

    @Test("Retry-After from the destination is used instead of the backoff")
    func retryAfter() async throws {
        let ws = Workspace()
        let stream = try StreamLog(directory: ws.streamDirectory)
        try publish(stream, Rows.orders(1...2))
        let sink = ScriptedSink { call, _ in
            call == 0 ? .fail(SinkError(retryable: true, retryAfter: .milliseconds(10), message: "429")) : .succeed
        }
        var retry = Pipeline.RetryPolicy.fast()
        retry.backoff = Backoff(initial: .seconds(3600), maximum: .seconds(3600))
        let pipeline = try Pipeline.make(ws, stream: stream, sink: sink, retry: retry)
        try await whileRunning(pipeline) {
            try #require(await eventually(timeout: .seconds(5)) { pipeline.status.checkpoint == 2 })
        }
        #expect(sink.batches == [[1, 2], [1, 2]])
    }

    @Test("max_attempts exhausted: the batch goes to the DLQ with its error, then the pipeline moves on")
    func maxAttemptsToDeadLetters() async throws {
        let ws = Workspace()
        let stream = try StreamLog(directory: ws.streamDirectory)
        try publish(stream, Rows.orders(1...3))
        let sink = ScriptedSink { _, keys in keys.contains(2) ? .fail(.retryable("503 upstream down")) : .succeed }
        let pipeline = try Pipeline.make(ws, stream: stream, sink: sink, retry: .fast(maxAttempts: 3))
        let before = Date()
        try await whileRunning(pipeline) {
            try #require(await eventually { pipeline.status.checkpoint == 3 })
            try publish(stream, Rows.orders(4...5))
            try #require(await eventually { pipeline.status.checkpoint == 5 })
        }
        #expect(sink.batches == [[1, 2, 3], [1, 2, 3], [1, 2, 3], [4, 5]])
        #expect(sink.delivered == [4, 5])

        let dead = try pipeline.deadLetters.list()
        #expect(dead.map(\.streamOffset) == [1, 2, 3])
        #expect(dead.map(\.sequenceNumber) == (1...3).map(Rows.sequenceNumber))
        #expect(dead.map { Rows.key(ofJSON: $0.item) } == [1, 2, 3])
        // The item is the record's JSON, exactly as the sink was given it.
        #expect(dead.map(\.item) == sink.calls[0].json.map { try! JSONValue.parse($0) })
        #expect(dead[0].item["table"]?.stringValue == "public.orders")
        #expect(dead.allSatisfy { $0.error == "503 upstream down" })
        #expect(dead.allSatisfy { $0.attempts == 3 })
        for entry in dead {
            let first = try #require(parseTimestamp(entry.firstAttempt))
            let last = try #require(parseTimestamp(entry.lastAttempt))
            #expect(first >= before.addingTimeInterval(-1))
            #expect(last > first, "three attempts with backoff between them take time")
            #expect(last <= Date().addingTimeInterval(1))
        }
        #expect(pipeline.status.deadLettered == 3)
        #expect(pipeline.status.delivered == 2)
        #expect(pipeline.deadLetters.count == 3)
    }

    @Test("max_record_age exhausted: the batch goes to the DLQ")
    func maxRecordAgeToDeadLetters() async throws {
        let ws = Workspace()
        let stream = try StreamLog(directory: ws.streamDirectory)
        try publish(stream, Rows.orders(1...2))
        let sink = ScriptedSink { _, keys in keys.contains(1) ? .fail(.retryable()) : .succeed }
        let pipeline = try Pipeline.make(
            ws, stream: stream, sink: sink, retry: .fast(maxRecordAge: .seconds(2)))
        let started = ContinuousClock.now
        try await whileRunning(pipeline) {
            try #require(await eventually { pipeline.status.checkpoint == 2 })
            let waited = ContinuousClock.now - started
            #expect(waited >= .milliseconds(1900), "records were retried until they were 2 s old")
            try publish(stream, Rows.orders(3...3))
            try #require(await eventually { pipeline.status.checkpoint == 3 })
        }
        let dead = try pipeline.deadLetters.list()
        #expect(dead.map(\.streamOffset) == [1, 2])
        #expect(dead.map(\.attempts) == Array(repeating: sink.batches.filter { $0 == [1, 2] }.count, count: 2))
        #expect(dead.allSatisfy { $0.attempts >= 1 })  // more than one unless the machine stalled for 2 s
        #expect(dead.allSatisfy { $0.error == "503 Service Unavailable" })
        #expect(sink.delivered == [3])
    }

    @Test("a non-retryable failure goes to the DLQ at once")
    func nonRetryableToDeadLetters() async throws {
        let ws = Workspace()
        let stream = try StreamLog(directory: ws.streamDirectory)
        try publish(stream, Rows.orders(1...2))
        let sink = ScriptedSink { call, _ in call == 0 ? .fail(.permanent("422 unprocessable")) : .succeed }
        let pipeline = try Pipeline.make(ws, stream: stream, sink: sink, retry: .fast(maxAttempts: 5))
        try await whileRunning(pipeline) {
            try #require(await eventually { pipeline.status.checkpoint == 2 })
            try publish(stream, Rows.orders(3...4))
            try #require(await eventually { pipeline.status.checkpoint == 4 })
        }
        #expect(sink.batches == [[1, 2], [3, 4]])
        let dead = try pipeline.deadLetters.list()
        #expect(dead.map(\.sequenceNumber) == [Rows.sequenceNumber(1), Rows.sequenceNumber(2)])
        #expect(dead.allSatisfy { $0.attempts == 1 && $0.error == "422 unprocessable" })
        #expect(dead.allSatisfy { $0.firstAttempt == $0.lastAttempt || $0.firstAttempt < $0.lastAttempt })
    }

    @Test("ReportBatchItemFailures: the retry starts at the lowest failed item")
    func partialFailure() async throws {
        let ws = Workspace()
        let stream = try StreamLog(directory: ws.streamDirectory)
        try publish(stream, Rows.orders(1...6))
        let sink = ScriptedSink { call, _ in
            call == 0
                ? .fail(
                    SinkError(
                        retryable: true,
                        failedSequenceNumbers: [Rows.sequenceNumber(6), Rows.sequenceNumber(4)],
                        message: "2 items failed"))
                : .succeed
        }
        let pipeline = try Pipeline.make(ws, stream: stream, sink: sink)
        try await whileRunning(pipeline) {
            try #require(await eventually { pipeline.status.checkpoint == 6 })
        }
        #expect(sink.batches == [[1, 2, 3, 4, 5, 6], [4, 5, 6]])
        #expect(pipeline.status.delivered == 6)
        #expect(try pipeline.deadLetters.list().isEmpty)
    }

    @Test("ReportBatchItemFailures naming no item of the batch retries the whole batch")
    func partialFailureWithUnknownItem() async throws {
        let ws = Workspace()
        let stream = try StreamLog(directory: ws.streamDirectory)
        try publish(stream, Rows.orders(1...3))
        let sink = ScriptedSink { call, _ in
            call == 0
                ? .fail(SinkError(retryable: true, failedSequenceNumbers: ["no-such-item"], message: "bad id"))
                : .succeed
        }
        let pipeline = try Pipeline.make(ws, stream: stream, sink: sink)
        try await whileRunning(pipeline) {
            try #require(await eventually { pipeline.status.checkpoint == 3 })
        }
        #expect(sink.batches == [[1, 2, 3], [1, 2, 3]])
    }

    @Test("ReportBatchItemFailures with max_attempts: only the failed tail is dead-lettered")
    func partialFailureToDeadLetters() async throws {
        let ws = Workspace()
        let stream = try StreamLog(directory: ws.streamDirectory)
        try publish(stream, Rows.orders(1...5))
        let sink = ScriptedSink { _, keys in
            keys.contains(4)
                ? .fail(SinkError(retryable: true, failedSequenceNumbers: [Rows.sequenceNumber(4)], message: "item 4"))
                : .succeed
        }
        let pipeline = try Pipeline.make(ws, stream: stream, sink: sink, retry: .fast(maxAttempts: 2))
        try await whileRunning(pipeline) {
            try #require(await eventually { pipeline.status.checkpoint == 5 })
        }
        #expect(sink.batches == [[1, 2, 3, 4, 5], [4, 5]])
        #expect(try pipeline.deadLetters.list().map(\.streamOffset) == [4, 5])
        #expect(pipeline.status.delivered == 3)
        #expect(pipeline.status.deadLettered == 2)
    }

    @Test("bisect_on_error: one poison record ends alone in the DLQ, all others are delivered in order")
    func bisectIsolatesPoison() async throws {
        let ws = Workspace()
        let stream = try StreamLog(directory: ws.streamDirectory)
        try publish(stream, Rows.orders(1...8))
        let sink = ScriptedSink { _, keys in keys.contains(5) ? .fail(.retryable("poison")) : .succeed }
        let pipeline = try Pipeline.make(
            ws, stream: stream, sink: sink, batchSize: 8, retry: .fast(maxAttempts: 2, bisectOnError: true))
        try await whileRunning(pipeline) {
            try #require(await eventually { pipeline.status.checkpoint == 8 })
        }
        #expect(sink.delivered == [1, 2, 3, 4, 6, 7, 8])
        let dead = try pipeline.deadLetters.list()
        #expect(dead.map(\.streamOffset) == [5])
        #expect(dead.first?.attempts == 2)
        #expect(dead.first?.error == "poison")
        #expect(sink.batches.filter { $0 == [5] }.count == 2, "the poison record alone is tried max_attempts times")
        #expect(pipeline.status.delivered == 7)
        #expect(pipeline.status.deadLettered == 1)
    }

    @Test("without bisect_on_error the whole batch with the poison record is dead-lettered")
    func noBisect() async throws {
        let ws = Workspace()
        let stream = try StreamLog(directory: ws.streamDirectory)
        try publish(stream, Rows.orders(1...4))
        let sink = ScriptedSink { _, keys in keys.contains(3) ? .fail(.retryable("poison")) : .succeed }
        let pipeline = try Pipeline.make(ws, stream: stream, sink: sink, retry: .fast(maxAttempts: 2))
        try await whileRunning(pipeline) {
            try #require(await eventually { pipeline.status.checkpoint == 4 })
        }
        #expect(sink.batches == [[1, 2, 3, 4], [1, 2, 3, 4]])
        #expect(try pipeline.deadLetters.list().map(\.streamOffset) == [1, 2, 3, 4])
    }
}

@Suite("Pipeline: disabling, restarts and replay")
struct PipelineLifecycleTests {
    @Test("a sink error that disables the pipeline stops run() and keeps the checkpoint before the batch")
    func disabled() async throws {
        let ws = Workspace()
        let stream = try StreamLog(directory: ws.streamDirectory)
        try publish(stream, Rows.orders(1...3))
        let sink = ScriptedSink { _, keys in
            keys.contains(4) ? .fail(SinkError(retryable: false, disablesPipeline: true, message: "410 Gone")) : .succeed
        }
        let pipeline = try Pipeline.make(ws, stream: stream, sink: sink, batchSize: 3)
        let outcome = try await whileRunning(pipeline) {
            try #require(await eventually { pipeline.status.checkpoint == 3 })
            try publish(stream, Rows.orders(4...6))
            try #require(await eventually { pipeline.status.state == .disabled })
        }
        let error = try #require(throws: PipelineDisabled.self) { try outcome.get() }
        #expect(error.pipeline == "p")
        #expect(error.reason == "410 Gone")
        #expect(sink.batches == [[1, 2, 3], [4, 5, 6]], "no retry after a disabling error")
        #expect(pipeline.status.checkpoint == 3)
        #expect(try ws.savedCheckpoint() == 3)
        #expect(try pipeline.deadLetters.list().isEmpty)

        // Restarted (say, after the receiver is back), it resumes with the batch that disabled it.
        let good = ScriptedSink()
        let restarted = try Pipeline.make(ws, stream: stream, sink: good, batchSize: 3)
        try await whileRunning(restarted) {
            try #require(await eventually { restarted.status.checkpoint == 6 })
        }
        #expect(good.delivered == [4, 5, 6])
    }

    @Test("the checkpoint survives a new instance; a batch in flight at a stop is delivered again")
    func atLeastOnceAcrossRestart() async throws {
        let ws = Workspace()
        let stream = try StreamLog(directory: ws.streamDirectory)
        try publish(stream, Rows.orders(1...3))
        let sink = ScriptedSink { call, _ in call == 1 ? .slow(.seconds(60)) : .succeed }
        let first = try Pipeline.make(ws, stream: stream, sink: sink)
        try await whileRunning(first) {
            try #require(await eventually { first.status.checkpoint == 3 })
            try publish(stream, Rows.orders(4...6))
            // The sink has the batch but has not answered when the pipeline stops.
            try #require(await eventually { sink.calls.count == 2 })
        }
        #expect(first.status.checkpoint == 3)
        #expect(try ws.savedCheckpoint() == 3)

        let second = try Pipeline.make(ws, stream: stream, sink: sink)
        try await whileRunning(second) {
            try #require(await eventually { second.status.checkpoint == 6 })
        }
        #expect(sink.batches == [[1, 2, 3], [4, 5, 6], [4, 5, 6]])
        #expect(sink.delivered == [1, 2, 3, 4, 5, 6])
        #expect(try ws.savedCheckpoint() == 6)
    }

    @Test("run returns only once the checkpoint being written is on disk: nothing is written after it")
    func nothingWrittenAfterRun() async throws {
        for round in 1...30 {
            let ws = Workspace()
            let stream = try StreamLog(directory: ws.streamDirectory)
            let sink = ScriptedSink()
            let pipeline = try Pipeline.make(ws, stream: stream, sink: sink)
            try await whileRunning(pipeline) {
                try publish(stream, Rows.orders(1...3))
                try #require(await eventually { pipeline.status.checkpoint == 3 })
                // Stopped around the moment the caught-up pipeline hands its checkpoint over.
                try await Task.sleep(for: Pipeline.idleSaveDelay + .milliseconds(round % 4))
            }
            let files = try FileManager.default.contentsOfDirectory(atPath: ws.stateDirectory + "/pipelines/p")
            #expect(files == ["checkpoint"], "round \(round): a checkpoint was still being written")
        }
    }

    @Test("replayDeadLetters delivers the DLQ items again and empties it; a failed replay keeps them")
    func replay() async throws {
        let ws = Workspace()
        let stream = try StreamLog(directory: ws.streamDirectory)
        try publish(stream, Rows.orders(1...3))
        let sink = ScriptedSink { _, _ in .fail(.permanent("400 schema mismatch")) }
        let pipeline = try Pipeline.make(ws, stream: stream, sink: sink)
        try await whileRunning(pipeline) {
            try #require(await eventually { pipeline.status.checkpoint == 3 })
        }
        let originalJSON = sink.calls[0].json
        #expect(try pipeline.deadLetters.list().count == 3)

        // The destination still refuses: the replay fails and nothing leaves the queue.
        await #expect(throws: SinkError.self) { try await pipeline.replayDeadLetters() }
        #expect(try pipeline.deadLetters.list().count == 3)

        sink.setScript { _, _ in .succeed }
        let replayed = try await pipeline.replayDeadLetters()
        #expect(replayed == 3)
        let call = try #require(sink.calls.last)
        #expect(call.succeeded)
        #expect(call.keys == [1, 2, 3])
        #expect(call.sequenceNumbers == (1...3).map(Rows.sequenceNumber))
        #expect(call.json.map { try! JSONValue.parse($0) } == originalJSON.map { try! JSONValue.parse($0) })
        #expect(try pipeline.deadLetters.list().isEmpty)
        #expect(try await pipeline.replayDeadLetters() == 0)
    }
}

extension PipelineLifecycleTests {
    @Test("records dead-lettered while a replay is in flight stay in the queue")
    func replayKeepsNewDeadLetters() async throws {
        let ws = Workspace()
        let stream = try StreamLog(directory: ws.streamDirectory)
        try publish(stream, Rows.orders(1...2))
        let sink = ScriptedSink { _, _ in .fail(.permanent()) }
        let pipeline = try Pipeline.make(ws, stream: stream, sink: sink)
        try await whileRunning(pipeline) {
            try #require(await eventually { pipeline.status.deadLettered == 2 })
            // The replay's write is answered only once the running pipeline has dead-lettered record 3.
            sink.setScript { [pipeline] _, keys in
                keys == [1, 2] ? .waitUntil({ pipeline.status.deadLettered == 3 }) : .fail(.permanent())
            }
            async let replayed = pipeline.replayDeadLetters()
            try #require(await eventually { sink.calls.count == 2 })
            try publish(stream, [Rows.order(3)])
            #expect(try await replayed == 2)
        }
        #expect(pipeline.status.deadLettered == 3)
        #expect(try pipeline.deadLetters.list().map(\.streamOffset) == [3])
    }
}

@Suite("Pipeline: retention")
struct PipelineRetentionTests {
    @Test("records trimmed before the pipeline read them are counted and logged; the pipeline goes on")
    func trimmedRecords() async throws {
        let ws = Workspace()
        let options = StreamLog.Options(segmentBytes: 4096, retentionBytes: 3 * 4096)
        let stream = try StreamLog(directory: ws.streamDirectory, options: options)
        try publish(stream, Rows.orders(1...2))
        let sink = ScriptedSink()
        let first = try Pipeline.make(ws, stream: stream, sink: sink)
        try await whileRunning(first) {
            try #require(await eventually { first.status.checkpoint == 2 })
        }
        // While the pipeline is stopped, much more is captured than retention keeps.
        for n in 3...30 { try publish(stream, [Rows.bigOrder(n)]) }
        try stream.trim()
        let oldest = stream.firstOffset
        try #require(oldest > 3, "retention deleted records the pipeline had not read")

        let logs = LogRecorder()
        let second = try Pipeline.make(ws, stream: stream, sink: sink, logger: logs.logger)
        try await whileRunning(second) {
            try #require(await eventually { second.status.checkpoint == 30 })
        }
        #expect(second.status.trimmedRecords == oldest - 3)
        #expect(sink.delivered == [1, 2] + Array(Int(oldest)...30))
        let errors = logs.messages.filter { $0.hasPrefix("error") && $0.contains("trimmed") }
        #expect(errors.count == 1)
        #expect(errors.first?.contains("cdc.lost_records=\(oldest - 3)") == true)
        #expect(errors.first?.contains("cdc.pipeline=p") == true)
    }

    @Test("records trimmed while the pipeline waits for its batch window do not stop the pipeline")
    func trimmedDuringWindow() async throws {
        let ws = Workspace()
        let options = StreamLog.Options(segmentBytes: 4096, retentionBytes: 3 * 4096)
        let stream = try StreamLog(directory: ws.streamDirectory, options: options)
        let sink = ScriptedSink()
        let pipeline = try Pipeline.make(ws, stream: stream, sink: sink, batchSize: 1000, batchWindow: .seconds(2))
        try await whileRunning(pipeline) {
            try #require(await eventually { pipeline.status.state == .running })
            try publish(stream, Rows.orders(1...2))
            try await Task.sleep(for: .milliseconds(200))  // the pipeline has read 1...2 and waits for more
            for n in 3...30 { try publish(stream, [Rows.bigOrder(n)]) }
            try stream.trim()
            try #require(stream.firstOffset > 3)
            try publish(stream, [Rows.order(31)])
            try #require(await eventually { pipeline.status.checkpoint == 31 })
        }
        // Everything retained was delivered; what the pipeline had not read before the trim is
        // counted as trimmed (whether it had read 1...2 already depends on scheduling).
        #expect(sink.delivered.suffix(2) == [30, 31])
        #expect(pipeline.status.delivered + pipeline.status.trimmedRecords == 31)
    }
}
