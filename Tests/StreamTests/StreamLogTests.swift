import CDCCore
import Testing

@testable import Capture

@Suite("StreamLog: append, sync, read")
struct StreamLogTests {
    typealias F = Fixtures

    @Test("a new log is empty and starts at offset 1")
    func empty() throws {
        let dir = TemporaryDirectory()
        let log = try StreamLog(directory: dir.stream)
        #expect(log.firstOffset == 1)
        #expect(log.nextOffset == 1)
        #expect(log.durableEnd == 0)
        #expect(log.recovery == nil)
        #expect(try log.read(from: 1, maxRecords: 10).isEmpty)
        #expect(try log.read(from: 0, maxRecords: 10).isEmpty)
        #expect(try log.lastEntry() == nil)
        #expect(try log.append([]) == nil)
        try log.close()
        #expect(segmentFiles(dir.stream).map { String($0.suffix(24)) } == ["00000000000000000001.log"])
    }

    @Test("records are readable once synced, with consecutive offsets")
    func appendSyncRead() throws {
        let dir = TemporaryDirectory()
        let clock = TestClock()
        let log = try StreamLog(directory: dir.stream, options: .init(clock: clock.function))
        let records = (1...10).map { F.insert($0) }
        #expect(try log.append(Array(records[0..<3])) == 1...3)
        clock.advance(seconds: 1)
        #expect(try log.append(Array(records[3...])) == 4...10)
        #expect(log.appendedEnd == 10)
        #expect(log.durableEnd == 0)
        #expect(try log.read(from: 1, maxRecords: 100).isEmpty, "nothing is visible before sync")
        try log.sync()
        #expect(log.durableEnd == 10)
        let entries = try log.read(from: 1, maxRecords: 100)
        #expect(entries.map(\.offset) == Array(1...10))
        for (entry, record) in zip(entries, records) { expectSame(entry.record, record) }
        #expect(entries[0].appendedAt == clock.now - 1_000_000)
        #expect(entries[9].appendedAt == clock.now)
        #expect(entries.allSatisfy { $0.record.relation === entries[0].record.relation })
        #expect(try log.read(from: 4, maxRecords: 2).map(\.offset) == [4, 5])
        #expect(try log.read(from: 10, maxRecords: 5).map(\.offset) == [10])
        #expect(try log.read(from: 11, maxRecords: 5).isEmpty)
        #expect(try log.lastEntry()?.offset == 10)
        try log.close()
    }

    @Test("an offset past the appended end is an error naming the checkpoint")
    func beyondEnd() throws {
        let dir = TemporaryDirectory()
        let log = try StreamLog(directory: dir.stream)
        try log.append([F.insert(1)])
        #expect(try log.read(from: 2, maxRecords: 1).isEmpty)
        let error = #expect(throws: StreamError.self) { try log.read(from: 3, maxRecords: 1) }
        #expect(error?.code == .offsetBeyondEnd)
        try log.close()
    }

    @Test("reads from every position across segment rolls, before and after reopening")
    func segmentRolls() throws {
        let dir = TemporaryDirectory()
        var records: [ChangeRecord] = []
        do {
            let log = try StreamLog(directory: dir.stream, options: smallSegments())
            for batch in 0..<30 {
                let new = (0..<(batch % 7 + 1)).map { F.insert(records.count + $0 + 1) }
                records += new
                let range = try log.append(new)
                #expect(range == UInt64(records.count - new.count + 1)...UInt64(records.count))
                if batch % 3 == 0 { try log.sync() }
            }
            try log.sync()
            #expect(log.segmentCount > 3)
            try checkReads(log, records)
            try log.close()
        }
        #expect(segmentFiles(dir.stream).count > 3)
        let log = try StreamLog(directory: dir.stream, options: smallSegments())
        #expect(log.recovery == nil)
        #expect(log.durableEnd == UInt64(records.count))
        try checkReads(log, records)
        // Relations decoded from different segments are one instance.
        let all = try readAll(log)
        #expect(all.allSatisfy { $0.record.relation === all[0].record.relation })
        // Appending continues where it left off, in a new segment or the last one.
        #expect(try log.append([F.insert(records.count + 1)]) == UInt64(records.count + 1)...UInt64(records.count + 1))
        records.append(F.insert(records.count + 1))
        try log.sync()
        try checkReads(log, records)
        try log.close()
    }

    /// Reading from every offset, in several batch sizes, gives exactly the records from there on.
    private func checkReads(_ log: StreamLog, _ records: [ChangeRecord]) throws {
        let all = try readAll(log)
        #expect(all.map(\.offset) == Array(1...UInt64(records.count)))
        for (entry, record) in zip(all, records) { expectSame(entry.record, record) }
        for start in 1...records.count {
            for size in [1, 5, 1000] {
                let entries = try log.read(from: UInt64(start), maxRecords: size)
                let expected = min(size, records.count - start + 1)
                #expect(entries.count == expected)
                #expect(entries.map(\.offset) == Array(UInt64(start)..<UInt64(start + expected)))
                #expect(entries.map { F.key(of: $0.record) } == (start..<(start + expected)).map { Optional($0) })
            }
        }
    }

    @Test("a sequential reader's kept position: the same records as reads from the index, across rolls and relations")
    func sequentialReadPosition() throws {
        let dir = TemporaryDirectory()
        let log = try StreamLog(directory: dir.stream, options: smallSegments())
        var records: [ChangeRecord] = []
        var position: StreamLog.ReadPosition?
        var next: UInt64 = 1
        var read: [StreamLog.Entry] = []
        // A reader that keeps up: each append is read at once, in reads of 1 to 4 records, and reads
        // that find nothing new come in between (the position must survive them).
        for batch in 0..<60 {
            let new = (0..<(batch % 5 + 1)).map { n -> ChangeRecord in
                let key = records.count + n + 1
                return key % 7 == 0 ? F.insert(key, relation: F.everything) : F.insert(key)
            }
            records += new
            try log.append(new)
            try log.sync()
            while true {
                let entries = try log.read(from: next, maxRecords: batch % 4 + 1, position: &position)
                if entries.isEmpty { break }
                #expect(position != nil)
                read += entries
                next = entries.last!.offset + 1
            }
        }
        #expect(log.segmentCount > 3)
        #expect(read.map(\.offset) == Array(1...UInt64(records.count)))
        for (entry, record) in zip(read, records) { expectSame(entry.record, record) }
        // A position that does not belong to the offset asked for is ignored.
        var stale = position
        #expect(try log.read(from: 3, maxRecords: 2, position: &stale).map(\.offset) == [3, 4])
        let fromIndex = try log.read(from: 5, maxRecords: 3)
        #expect(try log.read(from: 5, maxRecords: 3, position: &stale).map(\.offset) == fromIndex.map(\.offset))
        try log.close()
    }

    @Test("many index points inside one segment")
    func sparseIndex() throws {
        let dir = TemporaryDirectory()
        let count = 3000
        do {
            let log = try StreamLog(directory: dir.stream, options: .init(recentRecords: 0))
            for start in stride(from: 1, through: count, by: 100) {
                try log.append((start..<(start + 100)).map { F.insert($0) })
            }
            try log.sync()
            #expect(log.segmentCount == 1)
            for start in [1, 2, 511, 512, 513, 1024, 1025, 2999, 3000] {
                #expect(try log.read(from: UInt64(start), maxRecords: 3).map { F.key(of: $0.record) }.first == start)
            }
            try log.close()
        }
        let log = try StreamLog(directory: dir.stream)
        for start in [1, 513, 1537, 3000] {
            #expect(try log.read(from: UInt64(start), maxRecords: 3).map { F.key(of: $0.record) }.first == start)
        }
        try log.close()
    }

    @Test("relations: new instances with the same definition reuse it; a schema change adds one")
    func relations() throws {
        let dir = TemporaryDirectory()
        let renamed = Relation(
            oid: F.orders.oid, schema: "public", name: "orders", replicaIdentity: .full, columns: F.orders.columns,
            keyIndexes: F.orders.keyIndexes)
        let sameAsOrders = RelationDefinition(F.orders).makeRelation()
        let records = [
            F.insert(1), F.insert(2, relation: sameAsOrders), F.insert(3, relation: renamed),
            F.insert(4, relation: F.everything), F.insert(5),
        ]
        do {
            // Decoded from the file (not the appended records kept in memory).
            let log = try StreamLog(directory: dir.stream, options: .init(recentRecords: 0))
            try log.append(records)
            try log.sync()
            let entries = try log.read(from: 1, maxRecords: 10)
            for (entry, record) in zip(entries, records) { expectSame(entry.record, record) }
            #expect(entries[0].record.relation === entries[1].record.relation)
            #expect(entries[0].record.relation === entries[4].record.relation)
            #expect(entries[2].record.relation.replicaIdentity == .full)
            try log.close()
        }
        // Three definitions were written, once each.
        let bytes = fileBytes(segmentFiles(dir.stream)[0])
        #expect(countEntries(bytes, type: StreamSegment.relationEntry) == 3)
        let log = try StreamLog(directory: dir.stream)
        let entries = try log.read(from: 1, maxRecords: 10)
        for (entry, record) in zip(entries, records) { expectSame(entry.record, record) }
        // Appending after reopening reuses the definitions already in the segment.
        try log.append([F.insert(6, relation: F.everything)])
        try log.sync()
        try log.close()
        #expect(countEntries(fileBytes(segmentFiles(dir.stream)[0]), type: StreamSegment.relationEntry) == 3)
    }

    private func countEntries(_ bytes: [UInt8], type: UInt8) -> Int {
        var position = StreamSegment.headerSize
        var count = 0
        while position + 8 < bytes.count {
            let length =
                Int(bytes[position]) | Int(bytes[position + 1]) << 8 | Int(bytes[position + 2]) << 16
                | Int(bytes[position + 3]) << 24
            if bytes[position + 8] == type { count += 1 }
            position += 8 + length
        }
        return count
    }

    @Test("records handed to the kernel but not synced survive a process exit")
    func unsyncedButWritten() throws {
        let dir = TemporaryDirectory()
        do {
            let log = try StreamLog(directory: dir.stream)
            try log.append([F.insert(1)])
            try log.sync()
            try log.append([F.insert(2), F.insert(3)])
            // No sync, no close: deinit writes the buffer out, as a killed process's page cache would keep it.
        }
        let log = try StreamLog(directory: dir.stream)
        #expect(log.recovery == nil)
        #expect(try readAll(log).map(\.offset) == [1, 2, 3])
        try log.close()
    }

    @Test("one directory, one open log")
    func exclusive() throws {
        let dir = TemporaryDirectory()
        let log = try StreamLog(directory: dir.stream)
        let error = #expect(throws: StreamError.self) { try StreamLog(directory: dir.stream) }
        #expect(error?.code == .locked)
        try log.close()
        try log.close()
        #expect(throws: StreamError.self) { try log.append([F.insert(1)]) }
        #expect(throws: StreamError.self) { try log.read(from: 1, maxRecords: 1) }
        let again = try StreamLog(directory: dir.stream)
        try again.close()
    }

    @Test("waitForRecords wakes on sync and times out otherwise")
    func waiting() async throws {
        let dir = TemporaryDirectory()
        let log = try StreamLog(directory: dir.stream)
        #expect(await log.waitForRecords(from: 1, timeout: .milliseconds(50)) == false)
        try log.append([F.insert(1)])
        #expect(await log.waitForRecords(from: 1, timeout: .milliseconds(50)) == false, "not durable yet")
        async let woken = log.waitForRecords(from: 1, timeout: .seconds(30))
        try await Task.sleep(for: .milliseconds(50))
        let start = ContinuousClock.now
        try log.sync()
        #expect(await woken)
        #expect(ContinuousClock.now - start < .seconds(10))
        #expect(await log.waitForRecords(from: 1, timeout: .zero))
        // Closing releases waiters.
        async let released = log.waitForRecords(from: 2, timeout: .seconds(30))
        try await Task.sleep(for: .milliseconds(50))
        try log.close()
        #expect(await released == false)
    }

    @Test("writeForReaders shows records to readers of unsynced records; durable readers wait for sync")
    func unsyncedReaders() async throws {
        let dir = TemporaryDirectory()
        let log = try StreamLog(directory: dir.stream)
        try log.append([F.insert(1), F.insert(2)])
        #expect(try log.read(from: 1, maxRecords: 10, durableOnly: false).isEmpty, "appended, not yet written")
        async let early = log.waitForRecords(from: 1, timeout: .seconds(30), durableOnly: false)
        try await Task.sleep(for: .milliseconds(50))
        try log.writeForReaders()
        #expect(await early)
        #expect(log.writtenEnd == 2)
        #expect(log.durableEnd == 0)
        #expect(try log.read(from: 1, maxRecords: 10, durableOnly: false).map(\.offset) == [1, 2])
        #expect(try log.read(from: 1, maxRecords: 10).isEmpty, "durable readers see nothing before sync")
        #expect(await log.waitForRecords(from: 1, timeout: .milliseconds(20)) == false)
        // Appending and writing go on while another thread syncs; the sync covers what was there.
        try log.append([F.insert(3)])
        try log.sync()
        #expect(log.durableEnd == 3)
        #expect(log.writtenEnd == 3)
        #expect(try log.read(from: 1, maxRecords: 10).map(\.offset) == [1, 2, 3])
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for i in 4...200 {
                    try log.append([F.insert(i)])
                    try log.writeForReaders()
                }
            }
            group.addTask {
                for _ in 0..<50 { try log.sync() }
            }
            try await group.waitForAll()
        }
        try log.sync()
        #expect(log.durableEnd == 200)
        #expect(try log.read(from: 1, maxRecords: 500).map(\.offset) == Array(1...200))
        try log.close()
        let reopened = try StreamLog(directory: dir.stream)
        #expect(reopened.durableEnd == 200)
        #expect(reopened.writtenEnd == 200)
        try reopened.close()
    }

    @Test("a cancelled wait returns at once")
    func cancelledWait() async throws {
        let dir = TemporaryDirectory()
        let log = try StreamLog(directory: dir.stream)
        let task = Task { await log.waitForRecords(from: 1, timeout: .seconds(60)) }
        try await Task.sleep(for: .milliseconds(20))
        task.cancel()
        #expect(await task.value == false)
        #expect(log.shared.withLock { $0.waiters.isEmpty })
        try log.close()
    }
}
