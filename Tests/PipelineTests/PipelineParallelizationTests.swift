import CDCCore
import Foundation
import Logging
import Synchronization
import Testing

@testable import Capture

/// `parallelization`: concurrent batches, records with the same key in order.
@Suite("Pipeline: parallelization")
struct PipelineParallelizationTests {
    @Test func sameKeyStaysInOrderWhileLanesRunConcurrently() async throws {
        let ws = Workspace()
        let stream = try StreamLog(directory: ws.streamDirectory)
        // 8 keys, each changed 6 times in a row: statuses v1...v6.
        var records: [ChangeRecord] = []
        for version in 1...6 {
            for key in 1...8 {
                var record = Rows.order(key, status: "v\(version)", event: version == 1 ? .insert : .modify)
                record.index = UInt32(version * 100 + key)
                records.append(record)
            }
        }
        try publish(stream, records)
        let concurrency = Concurrency()
        let sink = ScriptedSink { _, _ in
            concurrency.enter()
            return .slow(.milliseconds(50))
        }
        let wrapped = CountingSink(inner: sink, concurrency: concurrency)
        let pipeline = try Pipeline(
            configuration: .init(name: "p", startingPosition: .trimHorizon, batchSize: 4, parallelization: 4, retry: .fast()),
            stream: stream, sink: wrapped, stateDirectory: ws.stateDirectory,
            logger: .init(label: "t", factory: { _ in SwiftLogNoOpLogHandler() }))
        try await whileRunning(pipeline) {
            try #require(await eventually { pipeline.status.checkpoint == 48 })
        }
        // Every record once; per key the versions arrive in order.
        let statuses = sink.calls.filter(\.succeeded).flatMap { call in
            call.json.compactMap { try? JSONValue.parse($0) }
        }
        #expect(statuses.count == 48)
        var versions: [Int: [String]] = [:]
        for item in statuses {
            guard let key = Rows.key(ofJSON: item), let status = item["newImage"]?["status"]?.stringValue else { continue }
            versions[key, default: []].append(status)
        }
        #expect(versions.count == 8)
        #expect(versions.values.allSatisfy { $0 == (1...6).map { "v\($0)" } })
        // Batches ran side by side, and none held more than batch_size records.
        #expect(concurrency.peak > 1)
        #expect(sink.calls.allSatisfy { $0.keys.count <= 4 })
    }

    @Test func laneOfAKeyIsStable() {
        let a = SinkItem(sequenceNumber: "1", record: Rows.order(42), json: [])
        let b = SinkItem(sequenceNumber: "2", record: Rows.order(42, status: "paid", event: .modify), json: [])
        #expect(Pipeline.lane(of: a, lanes: 7) == Pipeline.lane(of: b, lanes: 7))
        let spread = Set((1...100).map { Pipeline.lane(of: SinkItem(sequenceNumber: "", record: Rows.order($0), json: []), lanes: 4) })
        #expect(spread == [0, 1, 2, 3])
    }
}

/// Counts sink writes in flight and remembers the most at once.
final class Concurrency: Sendable {
    private let state = Mutex((active: 0, peak: 0))
    func enter() {
        state.withLock {
            $0.active += 1
            $0.peak = max($0.peak, $0.active)
        }
    }
    func leave() { state.withLock { $0.active -= 1 } }
    var peak: Int { state.withLock { $0.peak } }
}

/// Wraps the scripted sink to count writes leaving.
final class CountingSink: Sink {
    let inner: ScriptedSink
    let concurrency: Concurrency
    init(inner: ScriptedSink, concurrency: Concurrency) {
        self.inner = inner
        self.concurrency = concurrency
    }
    func write(_ items: [SinkItem]) async throws(SinkError) {
        defer { concurrency.leave() }
        try await inner.write(items)
    }
    func close() async {}
}
