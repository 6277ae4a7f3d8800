import CDCCore
import Foundation
import Testing

@testable import Capture

@Suite("StreamThroughputTemp")
struct StreamThroughputTemp {
    @Test func measure() throws {
        let records = (1...1000).map { Fixtures.insert($0 * 7919) }
        // Codec
        var selfContained = 0
        var body = 0
        for r in records {
            selfContained += StreamRecordCodec.encode(r).count
            var b: [UInt8] = []
            StreamRecordCodec.encodeBody(r, into: &b)
            body += b.count
        }
        var relationBytes: [UInt8] = []
        StreamRecordCodec.encodeRelation(Fixtures.orders, into: &relationBytes)
        print("BENCH codec: self-contained \(Double(selfContained) / 1000) B/record, body \(Double(body) / 1000) B/record, relation \(relationBytes.count) B")
        let encoded = records.map { StreamRecordCodec.encode($0) }
        let rounds = 500
        var start = ContinuousClock.now
        var sink = 0
        var buffer: [UInt8] = []
        buffer.reserveCapacity(1 << 20)
        for _ in 0..<rounds {
            buffer.removeAll(keepingCapacity: true)
            for r in records { StreamRecordCodec.encodeBody(r, into: &buffer) }
            sink &+= buffer.count
        }
        var elapsed = ContinuousClock.now - start
        print("BENCH encode body: \(ns(elapsed, rounds * 1000)) ns/record")
        start = ContinuousClock.now
        for _ in 0..<rounds {
            for r in records { sink &+= StreamRecordCodec.encode(r).count }
        }
        elapsed = ContinuousClock.now - start
        print("BENCH encode self-contained (to new array): \(ns(elapsed, rounds * 1000)) ns/record")
        let cache = RelationCache()
        start = ContinuousClock.now
        for _ in 0..<rounds {
            for e in encoded { sink &+= Int(try StreamRecordCodec.decode(e, relations: cache).index) }
        }
        elapsed = ContinuousClock.now - start
        print("BENCH decode self-contained (relation inline, cached): \(ns(elapsed, rounds * 1000)) ns/record")

        // Log
        let dir = TemporaryDirectory("bench")
        let total = 1_000_000
        var log = try StreamLog(directory: dir.stream)
        start = ContinuousClock.now
        var n = 0
        var batch = records
        while n < total {
            for i in 0..<1000 { batch[i].index = UInt32(n + i) }
            try log.append(batch)
            try log.sync()
            n += 1000
        }
        elapsed = ContinuousClock.now - start
        let bytes = log.totalBytes
        print("BENCH append+sync(1000): \(rate(total, elapsed)) records/s, \(mb(bytes, elapsed)) MB/s, \(Double(bytes) / Double(total)) B/record on disk, \(log.segmentCount) segments")
        start = ContinuousClock.now
        var next: UInt64 = 1
        while true {
            let entries = try log.read(from: next, maxRecords: 1000)
            if entries.isEmpty { break }
            next = entries.last!.offset + 1
        }
        elapsed = ContinuousClock.now - start
        print("BENCH read(1000) warm: \(rate(total, elapsed)) records/s, \(mb(bytes, elapsed)) MB/s")
        try log.close()
        start = ContinuousClock.now
        log = try StreamLog(directory: dir.stream)
        elapsed = ContinuousClock.now - start
        print("BENCH reopen: \(elapsed)")
        start = ContinuousClock.now
        next = 1
        while true {
            let entries = try log.read(from: next, maxRecords: 1000)
            if entries.isEmpty { break }
            next = entries.last!.offset + 1
        }
        elapsed = ContinuousClock.now - start
        print("BENCH read(1000) after reopen (indexing included): \(rate(total, elapsed)) records/s")
        start = ContinuousClock.now
        for k in 0..<10_000 {
            _ = try log.read(from: UInt64(1 + (k &* 7919) % total), maxRecords: 1)
        }
        elapsed = ContinuousClock.now - start
        print("BENCH random read(from:, 1): \(ns(elapsed, 10_000) / 1000) µs/call")
        // sync every record
        try log.close()
        let dir2 = TemporaryDirectory("bench2")
        log = try StreamLog(directory: dir2.stream)
        start = ContinuousClock.now
        for i in 0..<2000 {
            try log.append([records[i % 1000]])
            try log.sync()
        }
        elapsed = ContinuousClock.now - start
        print("BENCH append+sync(1): \(rate(2000, elapsed)) records/s")
        try log.close()
        #expect(sink != 0)
    }

    func ns(_ d: Duration, _ count: Int) -> Double { Double(d.components.seconds * 1_000_000_000 + d.components.attoseconds / 1_000_000_000) / Double(count) }
    func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }
    func rate(_ count: Int, _ d: Duration) -> Int { Int(Double(count) / seconds(d)) }
    func mb(_ bytes: Int64, _ d: Duration) -> Int { Int(Double(bytes) / 1e6 / seconds(d)) }
}
