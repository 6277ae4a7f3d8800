@testable import CDCCore
import Testing

@testable import Capture

@Suite("StreamLog: the last appended records, read from memory")
struct RecentEntriesTests {
    typealias F = Fixtures

    private func entry(_ offset: UInt64) -> StreamLog.Entry {
        StreamLog.Entry(offset: offset, appendedAt: Int64(offset), record: F.insert(Int(offset)))
    }

    private func offsets(_ recent: RecentEntries, from: UInt64, through: UInt64, max: Int = 100) -> [UInt64] {
        var out: [StreamLog.Entry] = []
        let n = recent.copy(from: from, through: through, maxRecords: max, into: &out)
        #expect(n == out.count)
        return out.map(\.offset)
    }

    @Test("bounded by count: the oldest go first, reads are clipped to what is held and asked for")
    func countBound() {
        var recent = RecentEntries(maxCount: 4, maxBytes: 1 << 20)
        #expect(recent.firstOffset == nil)
        #expect(offsets(recent, from: 1, through: 10).isEmpty)
        for offset in UInt64(1)...10 { recent.append(entry(offset), encodedSize: 100) }
        #expect(recent.count == 4)
        #expect(recent.firstOffset == 7)
        #expect(recent.lastOffset == 10)
        #expect(recent.bytes == 400)
        #expect(offsets(recent, from: 6, through: 10).isEmpty, "6 was evicted: the reader goes to the file")
        #expect(offsets(recent, from: 7, through: 10) == [7, 8, 9, 10])
        #expect(offsets(recent, from: 8, through: 9) == [8, 9], "never past the visible end")
        #expect(offsets(recent, from: 8, through: 20, max: 2) == [8, 9])
        #expect(offsets(recent, from: 10, through: 20) == [10])
        #expect(offsets(recent, from: 11, through: 20).isEmpty)
        #expect(offsets(recent, from: 9, through: 8).isEmpty)
        // Many more: evicted entries are released in bulk; what is held stays right.
        for offset in UInt64(11)...1000 { recent.append(entry(offset), encodedSize: 100) }
        #expect(offsets(recent, from: 997, through: 1000) == [997, 998, 999, 1000])
        #expect(recent.count == 4)
    }

    @Test("bounded by encoded bytes; an entry too large for the bound empties it")
    func byteBound() {
        var recent = RecentEntries(maxCount: 100, maxBytes: 1000)
        for offset in UInt64(1)...5 { recent.append(entry(offset), encodedSize: 300) }
        #expect(recent.firstOffset == 3)
        #expect(recent.bytes == 900)
        recent.append(entry(6), encodedSize: 1000)
        #expect(recent.firstOffset == 6)
        #expect(recent.bytes == 1000)
        recent.append(entry(7), encodedSize: 1001)
        #expect(recent.count == 0)
        #expect(offsets(recent, from: 6, through: 7).isEmpty)
        recent.append(entry(8), encodedSize: 10)
        #expect(offsets(recent, from: 8, through: 8) == [8])
    }

    @Test("an entry that does not follow the newest starts over; zero capacity keeps nothing")
    func gapsAndOff() {
        var recent = RecentEntries(maxCount: 10, maxBytes: 1 << 20)
        for offset in UInt64(1)...3 { recent.append(entry(offset), encodedSize: 10) }
        recent.append(entry(7), encodedSize: 10)
        #expect(recent.firstOffset == 7)
        #expect(offsets(recent, from: 1, through: 7).isEmpty)
        #expect(offsets(recent, from: 7, through: 7) == [7])
        var off = RecentEntries(maxCount: 0, maxBytes: 1 << 20)
        off.append(entry(1), encodedSize: 10)
        #expect(off.count == 0)
    }

    @Test("a log hands a reader that keeps up the appended records themselves, the older ones from the file")
    func streamLogReadsFromMemory() throws {
        let dir = TemporaryDirectory()
        let clock = TestClock()
        let log = try StreamLog(directory: dir.stream, options: smallSegments(clock, recentRecords: 8))
        var records: [ChangeRecord] = []
        for batch in 0..<20 {
            let new = (0..<(batch % 4 + 1)).map { F.insert(records.count + $0 + 1) }
            records += new
            try log.append(new)
            #expect(try log.read(from: UInt64(records.count), maxRecords: 1).isEmpty, "only durable records")
            #expect(
                try log.read(from: UInt64(records.count), maxRecords: 1, durableOnly: false).isEmpty,
                "nor written ones before writeForReaders")
            try log.writeForReaders()
            #expect(try log.read(from: UInt64(records.count), maxRecords: 1, durableOnly: false).count == 1)
            try log.sync()
            clock.advance(seconds: 1)
        }
        #expect(log.segmentCount > 1)
        let entries = try readAll(log)
        #expect(entries.map(\.offset) == Array(1...UInt64(records.count)))
        for (entry, record) in zip(entries, records) { expectSame(entry.record, record) }
        // The last 8 are the appended values (one storage, no decoding); the older ones were decoded.
        let n = records.count
        for i in 0..<n {
            #expect((entries[i].record.storage === records[i].storage) == (i >= n - 8), "record \(i + 1)")
        }
        // A read that starts in the file runs on into memory; append times are the same either way.
        let across = try log.read(from: UInt64(n - 10), maxRecords: 100)
        #expect(across.map(\.offset) == Array(UInt64(n - 10)...UInt64(n)))
        #expect(across.map(\.appendedAt) == entries[(n - 11)...].map(\.appendedAt))
        #expect(Set(entries.map(\.appendedAt)).count == 20)
        try log.close()
        #expect(throws: StreamError.self) { try log.read(from: UInt64(n), maxRecords: 1) }
    }
}
