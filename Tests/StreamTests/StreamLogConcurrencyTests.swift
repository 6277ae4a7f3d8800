import CDCCore
import Foundation
import Testing

@testable import Capture

@Suite("StreamLog: concurrency")
struct StreamLogConcurrencyTests {
    typealias F = Fixtures

    @Test("one appender thread, two readers: each reader sees every record once, in order")
    func appenderAndReaders() async throws {
        let dir = TemporaryDirectory()
        let total = 20_000
        let log = try StreamLog(directory: dir.stream, options: .init(segmentBytes: 64 << 10))
        let appenderDone = DispatchSemaphore(value: 0)
        let appenderError = Locked<StreamError?>(nil)
        let thread = Thread {
            defer { appenderDone.signal() }
            do {
                var n = 1
                var generator = SystemRandomNumberGenerator()
                while n <= total {
                    let count = min(Int.random(in: 1...50, using: &generator), total - n + 1)
                    let range = try log.append((n..<(n + count)).map { F.insert($0) })
                    precondition(range == UInt64(n)...UInt64(n + count - 1))
                    n += count
                    if Bool.random(using: &generator) { try log.sync() }
                }
                try log.sync()
            } catch let error as StreamError {
                appenderError.value = error
            } catch {
                appenderError.value = StreamError(code: .io, message: "\(error)")
            }
        }
        thread.start()

        let counts = try await withThrowingTaskGroup(of: Int.self) { group in
            for reader in 0..<2 {
                group.addTask {
                    var next: UInt64 = 1
                    var seen = 0
                    while next <= UInt64(total) {
                        let batch = try log.read(from: next, maxRecords: reader == 0 ? 100 : 7)
                        if batch.isEmpty {
                            _ = await log.waitForRecords(from: next, timeout: .seconds(5))
                            continue
                        }
                        for entry in batch {
                            guard entry.offset == next, F.key(of: entry.record) == Int(next) else {
                                Issue.record("reader \(reader) expected \(next), got \(entry.offset)")
                                return seen
                            }
                            next += 1
                            seen += 1
                        }
                    }
                    return seen
                }
            }
            var counts: [Int] = []
            for try await count in group { counts.append(count) }
            return counts
        }
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                appenderDone.wait()
                continuation.resume()
            }
        }
        #expect(appenderError.value == nil)
        #expect(counts == [total, total])
        #expect(log.segmentCount > 10)
        try log.close()
    }
}
