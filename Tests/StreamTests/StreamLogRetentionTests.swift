import CDCCore
import Testing

@testable import Capture

@Suite("StreamLog: retention")
struct StreamLogRetentionTests {
    typealias F = Fixtures
    static let hour: Int64 = 3600 * 1_000_000

    @Test("by size: oldest segments go, the active one stays, readers learn what they lost")
    func bySize() throws {
        let dir = TemporaryDirectory()
        let log = try StreamLog(directory: dir.stream, options: smallSegments(retentionBytes: 3 * 4096))
        for n in stride(from: 1, through: 1000, by: 10) { try log.append((n..<(n + 10)).map { F.insert($0) }) }
        try log.sync()
        let segmentsBefore = log.segmentCount
        let bytesBefore = log.totalBytes
        #expect(bytesBefore > 3 * 4096)
        let result = try log.trim()
        #expect(result.deletedSegments > 0)
        #expect(log.segmentCount == segmentsBefore - result.deletedSegments)
        #expect(log.totalBytes == bytesBefore - result.deletedBytes)
        #expect(log.totalBytes <= 3 * 4096)
        #expect(result.firstOffsetBefore == 1)
        #expect(log.firstOffset == result.firstOffsetAfter)
        #expect(log.firstOffset > 1)
        #expect(segmentFiles(dir.stream).count == log.segmentCount)

        let first = log.firstOffset
        let error = #expect(throws: StreamError.self) { try log.read(from: 1, maxRecords: 10) }
        #expect(error?.code == .recordsTrimmed)
        #expect(error?.lostRecords == first - 1)
        #expect(error?.firstAvailable == first)
        #expect(error?.description.contains("\(first - 1) records lost") == true)
        #expect(throws: StreamError.self) { try log.read(from: first - 1, maxRecords: 10) }
        let rest = try readAll(log, from: first)
        #expect(rest.map(\.offset) == Array(first...1000))
        #expect(rest.map { F.key(of: $0.record) } == (Int(first)...1000).map { Optional($0) })
        // Nothing more to do.
        #expect(try log.trim().deletedSegments == 0)
        try log.close()

        // The retained range survives reopening.
        let reopened = try StreamLog(directory: dir.stream, options: smallSegments(retentionBytes: 3 * 4096))
        #expect(reopened.firstOffset == first)
        #expect(try readAll(reopened, from: first).count == rest.count)
        try reopened.close()
    }

    /// One record larger than a segment, so that every record has a segment of its own.
    static func big(_ n: Int) -> ChangeRecord {
        var record = F.insert(n)
        record.newValues![4] = .text([UInt8](repeating: UInt8(ascii: "x"), count: 5000))
        return record
    }

    @Test("by age: segments whose records are all older than the retention age go")
    func byAge() throws {
        let dir = TemporaryDirectory()
        let clock = TestClock()
        let t0 = clock.now
        let options = smallSegments(clock)
        do {
            let log = try StreamLog(directory: dir.stream, options: options)
            // Record k is appended at t0 + (k - 1) hours.
            for n in 1...5 {
                try log.append([Self.big(n)])
                try log.sync()
                clock.advance(seconds: 3600)
            }
            #expect(log.segmentCount == 5)
            #expect(try log.trim(now: t0 + 24 * Self.hour - 1).deletedSegments == 0)
            #expect(log.firstOffset == 1)
            let r1 = try log.trim(now: t0 + 24 * Self.hour)
            #expect(r1.deletedSegments == 1 && r1.firstOffsetBefore == 1 && r1.firstOffsetAfter == 2)
            #expect(try log.read(from: 2, maxRecords: 10).map(\.appendedAt) == (1...4).map { t0 + $0 * Self.hour })
            try log.trim(now: t0 + 26 * Self.hour + 1)
            #expect(log.firstOffset == 4)
            let error = #expect(throws: StreamError.self) { try log.read(from: 3, maxRecords: 1) }
            #expect(error?.lostRecords == 1)
            try log.close()
        }
        // After reopening, an older segment's newest append time is bounded by the next segment's
        // creation: record 4 (t0+3h) goes only once record 5's segment (t0+4h) is old enough.
        let log = try StreamLog(directory: dir.stream, options: options)
        #expect(log.firstOffset == 4)
        #expect(try log.trim(now: t0 + 27 * Self.hour).deletedSegments == 0)
        #expect(try log.trim(now: t0 + 28 * Self.hour).firstOffsetAfter == 6)
        #expect(log.segmentCount == 1)
        #expect(try log.append([F.insert(6)]) == 6...6)
        try log.close()
    }

    @Test("a quiet log expires entirely and keeps its next offset")
    func everythingExpires() throws {
        let dir = TemporaryDirectory()
        let clock = TestClock()
        let options = StreamLog.Options(clock: clock.function)
        do {
            let log = try StreamLog(directory: dir.stream, options: options)
            try log.append((1...50).map { F.insert($0) })
            try log.sync()
            #expect(log.segmentCount == 1)
            let result = try log.trim(now: clock.now + 25 * Self.hour)
            #expect(result.deletedSegments == 1)
            #expect(result.deletedRecords == 50)
            #expect(log.firstOffset == 51)
            #expect(log.nextOffset == 51)
            #expect(log.segmentCount == 1)
            let error = #expect(throws: StreamError.self) { try log.read(from: 50, maxRecords: 1) }
            #expect(error?.lostRecords == 1)
            #expect(try log.read(from: 51, maxRecords: 1).isEmpty)
            try log.close()
        }
        let log = try StreamLog(directory: dir.stream, options: options)
        #expect(log.firstOffset == 51)
        #expect(try log.append([F.insert(51)]) == 51...51)
        try log.sync()
        #expect(try log.read(from: 51, maxRecords: 5).map(\.offset) == [51])
        // Trimming an empty active segment does nothing.
        try log.close()
    }

    @Test("unsynced records keep the active segment")
    func unsyncedActiveSegmentStays() throws {
        let dir = TemporaryDirectory()
        let clock = TestClock()
        let log = try StreamLog(directory: dir.stream, options: .init(clock: clock.function))
        try log.append([F.insert(1)])
        #expect(try log.trim(now: clock.now + 48 * Self.hour).deletedSegments == 0)
        try log.sync()
        #expect(try log.trim(now: clock.now + 48 * Self.hour).deletedSegments == 1)
        try log.close()
    }

    @Test("a reader whose segment is deleted mid-read gets what was there, then the loss")
    func trimWhileReading() throws {
        let dir = TemporaryDirectory()
        let log = try StreamLog(directory: dir.stream, options: smallSegments(retentionBytes: 0))
        for n in stride(from: 1, through: 300, by: 10) { try log.append((n..<(n + 10)).map { F.insert($0) }) }
        try log.sync()
        let before = try log.read(from: 1, maxRecords: 5)
        #expect(before.map(\.offset) == [1, 2, 3, 4, 5])
        try log.trim()
        #expect(log.segmentCount == 1)
        let error = #expect(throws: StreamError.self) { try log.read(from: 6, maxRecords: 5) }
        #expect(error?.code == .recordsTrimmed)
        #expect(error?.requested == 6)
        #expect(error?.firstAvailable == log.firstOffset)
        try log.close()
    }
}
