import CDCCore
import Testing

@testable import Capture

@Suite("StreamLog: crash recovery")
struct StreamLogRecoveryTests {
    typealias F = Fixtures

    /// A log whose last append wrote a new relation and one record; returns the last segment's path,
    /// its full bytes, where the last append began, and the records.
    private func prepare(
        _ dir: borrowing TemporaryDirectory, options: StreamLog.Options
    ) throws -> (path: String, bytes: [UInt8], lastAppendStart: Int, records: [ChangeRecord]) {
        var records = (1...40).map { F.insert($0) }
        let log = try StreamLog(directory: dir.stream, options: options)
        try log.append(records)
        try log.sync()
        let path = segmentFiles(dir.stream).last!
        let start = fileBytes(path).count
        let last = ChangeRecord(
            eventName: .modify, relation: F.everything, database: "app", commitLSN: LSN(1 << 33), index: 1, xid: 1,
            commitTime: 1, keyValues: [F.t("1"), F.t("t")], newValues: StreamRecordCodecTests.allValues)
        try log.append([last])
        records.append(last)
        try log.close()
        #expect(segmentFiles(dir.stream).last == path, "the last append stays in the same segment")
        return (path, fileBytes(path), start, records)
    }

    /// Opens the log, checks it holds exactly `expected`, appends one more and checks again.
    private func checkRecovered(
        _ dir: borrowing TemporaryDirectory, options: StreamLog.Options, expected: ArraySlice<ChangeRecord>,
        truncated: Bool, sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let log = try StreamLog(directory: dir.stream, options: options)
        #expect((log.recovery != nil) == truncated, sourceLocation: sourceLocation)
        #expect(log.durableEnd == UInt64(expected.count), sourceLocation: sourceLocation)
        let entries = try readAll(log)
        #expect(entries.count == expected.count, sourceLocation: sourceLocation)
        for (entry, record) in zip(entries, expected) {
            expectSame(entry.record, record, sourceLocation: sourceLocation)
        }
        let next = F.insert(999, relation: F.everything)
        let range = try log.append([next])
        #expect(range == UInt64(expected.count + 1)...UInt64(expected.count + 1), sourceLocation: sourceLocation)
        try log.sync()
        let after = try log.read(from: UInt64(expected.count), maxRecords: 10)
        #expect(after.map(\.offset) == [UInt64(expected.count), UInt64(expected.count + 1)].filter { $0 > 0 })
        if let appended = after.last { expectSame(appended.record, next, sourceLocation: sourceLocation) }
        try log.close()
    }

    @Test("a cut anywhere inside the last append keeps every whole record and nothing after")
    func tornTailAtEveryByte() throws {
        let dir = TemporaryDirectory()
        let options = StreamLog.Options()
        let (path, bytes, start, records) = try prepare(dir, options: options)
        // The last append wrote a relation entry, then the record entry.
        let relationLength = Int(bytes[start]) | Int(bytes[start + 1]) << 8 | Int(bytes[start + 2]) << 16
        let recordStart = start + 8 + relationLength
        #expect(bytes[start + 8] == StreamSegment.relationEntry && bytes[recordStart + 8] == StreamSegment.recordEntry)
        for cut in start..<bytes.count {
            writeFile(path, Array(bytes[..<cut]))
            // The relation entry may survive its record: still 40 records, and nothing to cut at its end.
            try checkRecovered(
                dir, options: options, expected: records[..<40], truncated: cut != start && cut != recordStart)
        }
        writeFile(path, bytes)
        try checkRecovered(dir, options: options, expected: records[...], truncated: false)
    }

    @Test("a flipped byte anywhere in the last append cuts it off")
    func flippedByte() throws {
        let dir = TemporaryDirectory()
        let options = StreamLog.Options()
        let (path, bytes, start, records) = try prepare(dir, options: options)
        for position in start..<bytes.count {
            var damaged = bytes
            damaged[position] ^= 0x5A
            writeFile(path, damaged)
            let log = try StreamLog(directory: dir.stream, options: options)
            #expect(log.recovery != nil)
            #expect(log.recovery.map { $0.keptBytes <= Int64(start + 200) } == true)
            #expect(log.durableEnd == 40)
            #expect(try readAll(log).count == 40)
            try log.close()
        }
        writeFile(path, bytes)
        let damaged = bytes.enumerated().map { $0.offset == bytes.count - 1 ? $0.element ^ 1 : $0.element }
        writeFile(path, damaged)
        try checkRecovered(dir, options: options, expected: records[..<40], truncated: true)
    }

    @Test("a torn tail in the newest of several segments")
    func tornTailAfterRolls() throws {
        let dir = TemporaryDirectory()
        let options = smallSegments()
        let (path, bytes, start, records) = try prepare(dir, options: options)
        #expect(segmentFiles(dir.stream).count > 1)
        for cut in stride(from: start + 1, to: bytes.count, by: 7) {
            writeFile(path, Array(bytes[..<cut]))
            try checkRecovered(dir, options: options, expected: records[..<40], truncated: true)
        }
    }

    @Test("zeros after the last entry (a file extended but never written) are cut")
    func zeroTail() throws {
        let dir = TemporaryDirectory()
        let options = StreamLog.Options()
        let (path, bytes, _, records) = try prepare(dir, options: options)
        writeFile(path, bytes + [UInt8](repeating: 0, count: 4096))
        let log = try StreamLog(directory: dir.stream, options: options)
        #expect(log.recovery?.truncatedBytes == 4096)
        #expect(log.recovery?.reason == "zero entry length")
        try log.close()
        #expect(fileBytes(path) == bytes)
        try checkRecovered(dir, options: options, expected: records[...], truncated: false)
    }

    @Test("a new segment whose header never reached the disk is started again")
    func tornHeader() throws {
        let dir = TemporaryDirectory()
        let options = smallSegments()
        var records: [ChangeRecord] = []
        do {
            let log = try StreamLog(directory: dir.stream, options: options)
            records = (1...100).map { F.insert($0) }
            try log.append(records)
            try log.close()
        }
        let files = segmentFiles(dir.stream)
        let next = dir.stream + "/" + StreamSegment.fileName(base: 101)
        for size in [0, 1, 31] {
            writeFile(next, Array(StreamSegment.header(base: 101, createdAt: 5)[..<size]))
            try checkRecovered(dir, options: options, expected: records[...], truncated: false)
            #expect(segmentFiles(dir.stream).count == files.count + 1)
            // Remove it again, with the record checkRecovered appended to it.
            try POSIXFile.removeFile(next)
        }
    }

    @Test("damage before the tail of an older segment is reported, not repaired")
    func corruptOlderSegment() throws {
        let dir = TemporaryDirectory()
        let options = smallSegments()
        do {
            let log = try StreamLog(directory: dir.stream, options: options)
            try log.append((1...100).map { F.insert($0) })
            try log.close()
        }
        let first = segmentFiles(dir.stream)[0]
        var bytes = fileBytes(first)
        bytes[bytes.count / 2] ^= 0xFF
        writeFile(first, bytes)
        let log = try StreamLog(directory: dir.stream, options: options)
        #expect(log.recovery == nil)
        let error = #expect(throws: StreamError.self) { try log.read(from: 1, maxRecords: 100) }
        #expect(error?.code == .corrupt)
        #expect(error?.description.contains(first) == true)
        // Later segments stay readable.
        #expect(try log.read(from: 100, maxRecords: 1).first?.offset == 100)
        try log.close()
    }
}
