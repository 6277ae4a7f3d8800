import CDCCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension StreamLog {
    /// Up to `maxRecords` durable records from `offset` on, in offset order (fewer when the stream
    /// ends first; none when `offset` is past `durableEnd`). With `durableOnly: false`, records
    /// written but not yet synced too (up to `writtenEnd`; see `writeForReaders`).
    ///
    /// Throws `.recordsTrimmed` when `offset` is below `firstOffset` (the error says how many records
    /// were lost and where to continue), `.offsetBeyondEnd` when `offset` is past the next offset to
    /// be appended, `.corrupt` when stored bytes fail their checksum. Offset 0 means 1.
    ///
    /// Cost: records still in memory (`Options.recentRecords`, the last ones appended) are copied
    /// from there. Others: a binary search for the segment and its nearest index point (at most 512
    /// records or 128 KiB before `offset`), then a sequential read. The first read of an older
    /// segment after opening the log scans that segment once to index it.
    public func read(from offset: UInt64, maxRecords: Int, durableOnly: Bool = true) throws(StreamError) -> [Entry] {
        var position: ReadPosition?
        return try read(from: offset, maxRecords: maxRecords, durableOnly: durableOnly, position: &position)
    }

    /// Where a sequential reader stopped: the next record's offset and the file position its scan
    /// resumes at. A reader that keeps one (`Pipeline`) and reads on from there starts its next read
    /// at that position instead of the nearest index point (up to 512 records before it, read and
    /// checked again on every read of a caught-up reader).
    public struct ReadPosition: Sendable {
        fileprivate var base: UInt64
        fileprivate var offset: UInt64
        fileprivate var filePosition: Int64
    }

    /// `read(from:maxRecords:durableOnly:)` for a sequential reader: when `position` is where the
    /// previous read stopped and `offset` is its next record, the scan starts there. On return,
    /// `position` is where this read stopped (unchanged when it read no segment). A position only
    /// states where a record's entry starts in a segment file, which never changes: one that does not
    /// match is ignored, never wrong.
    public func read(
        from offset: UInt64, maxRecords: Int, durableOnly: Bool = true, position: inout ReadPosition?
    ) throws(StreamError) -> [Entry] {
        var next = max(offset, 1)
        var entries: [Entry] = []
        entries.reserveCapacity(min(max(maxRecords, 0), 4096))
        repeat {
            switch try plan(
                next, firstCall: entries.isEmpty, durableOnly: durableOnly, resume: position, maxRecords: maxRecords,
                into: &entries)
            {
            case .done:
                return entries
            case .recent(let count):
                next += UInt64(count)
            case .trimmed(let first):
                if entries.isEmpty {
                    throw StreamError(
                        code: .recordsTrimmed,
                        message: "records \(next)..<\(first) were deleted by retention before they were read; "
                            + "\(first - next) records lost, the oldest retained is \(first)",
                        requested: next, firstAvailable: first)
                }
                return entries
            case .index(let segment):
                try buildIndex(of: segment)
            case .scan(let scan):
                do throws(StreamError) {
                    let end = try read(scan, from: next, maxRecords: maxRecords, into: &entries)
                    next = end.offset
                    position = ReadPosition(base: scan.base, offset: end.offset, filePosition: end.filePosition)
                } catch where error.errno == ENOENT {
                    // Deleted by `trim` since the plan was made: plan again, which reports the loss.
                    try checkStillListed(scan.base, error: error)
                }
            }
        } while entries.count < maxRecords
        return entries
    }

    /// The last durable record, nil when none is retained. Capture resumes after its sequence number.
    public func lastEntry() throws(StreamError) -> Entry? {
        let (end, first) = shared.withLock { ($0.durableEnd, $0.firstOffset) }
        guard end > 0, end >= first else { return nil }
        return try read(from: end, maxRecords: 1).first
    }

    // MARK: Planning

    struct SegmentScan {
        var base: UInt64
        var path: String
        var start: IndexPoint
        var relations: [Relation]
        /// The last offset to read in this segment (durable or written, in the segment).
        var last: UInt64
    }

    enum ReadPlan {
        case done
        case trimmed(firstAvailable: UInt64)
        case index(base: UInt64)
        case scan(SegmentScan)
        /// This many entries were copied from `recent`.
        case recent(count: Int)
    }

    private func plan(
        _ next: UInt64, firstCall: Bool, durableOnly: Bool, resume: ReadPosition?, maxRecords: Int,
        into entries: inout [Entry]
    ) throws(StreamError) -> ReadPlan {
        try shared.withLock { (s) throws(StreamError) -> ReadPlan in
            if s.closed { throw StreamError(code: .closed, message: "the stream is closed") }
            if next < s.firstOffset { return .trimmed(firstAvailable: s.firstOffset) }
            let end = durableOnly ? s.durableEnd : s.writtenEnd
            if next > end {
                if firstCall && next > s.nextOffset {
                    throw StreamError(
                        code: .offsetBeyondEnd,
                        message: "offset \(next) is beyond the end of the stream (next offset \(s.nextOffset)); "
                            + "the checkpoint does not belong to this stream directory")
                }
                return .done
            }
            let copied = s.recent.copy(from: next, through: end, maxRecords: maxRecords - entries.count, into: &entries)
            if copied > 0 { return .recent(count: copied) }
            let i = s.segmentIndex(holding: next)
            let segment = s.segments[i]
            // The last record to read here: the segment's, the visible end, or the one before the
            // records held in memory (`next` is not among them: those were copied above).
            var last = min(i + 1 < s.segments.count ? s.segments[i + 1].base - 1 : s.nextOffset - 1, end)
            if let first = s.recent.firstOffset, first > next { last = min(last, first - 1) }
            if let resume, resume.base == segment.base, resume.offset == next {
                return .scan(
                    SegmentScan(
                        base: segment.base, path: segment.path,
                        start: IndexPoint(offset: next, position: resume.filePosition), relations: segment.relations,
                        last: last))
            }
            guard let index = segment.index else { return .index(base: segment.base) }
            var low = 0
            var high = index.count - 1
            while low < high {
                let mid = (low + high + 1) / 2
                if index[mid].offset <= next { low = mid } else { high = mid - 1 }
            }
            return .scan(
                SegmentScan(
                    base: segment.base, path: segment.path, start: index[low], relations: segment.relations,
                    last: last))
        }
    }

    private func checkStillListed(_ base: UInt64, error: StreamError) throws(StreamError) {
        let listed = shared.withLock { s in s.segments.contains { $0.base == base } }
        if listed { throw error }
    }

    // MARK: Reading

    /// Reads records of one segment into `entries`; returns the offset after the last one read and
    /// the file position of its entry (where a scan for it starts).
    private func read(
        _ scan: SegmentScan, from next: UInt64, maxRecords: Int, into entries: inout [Entry]
    ) throws(StreamError) -> (offset: UInt64, filePosition: Int64) {
        let fd = try POSIXFile.openFile(scan.path, O_RDONLY)
        defer { POSIXFile.closeFile(fd) }
        var scanner = try SegmentScanner(fd: fd, path: scan.path, from: scan.start.position, chunkSize: 64 << 10)
        var offset = scan.start.offset
        while offset <= scan.last && entries.count < maxRecords {
            switch try scanner.next() {
            case .end:
                throw StreamError(
                    code: .corrupt, message: "\(scan.path) ends before record \(offset) (expected up to \(scan.last))")
            case .invalid(let position, let reason):
                throw StreamError(
                    code: .corrupt,
                    message: "\(scan.path): \(reason) at byte \(position); the stream cannot be read past offset "
                        + "\(offset - 1)")
            case .entry(let entry):
                if entry.type == StreamSegment.relationEntry { continue }
                guard entry.type == StreamSegment.recordEntry else {
                    throw StreamError(
                        code: .corrupt,
                        message: "\(scan.path): unknown entry type \(entry.type) at byte \(entry.position)")
                }
                if offset >= next {
                    let decoded = try StreamBytes.withBytes(of: scanner.buffer) { (raw) throws(StreamError) -> Entry in
                        var reader = StreamByteReader(UnsafeRawBufferPointer(rebasing: raw[entry.payload]), offset: 1)
                        let appendedAt = try reader.readLE(Int64.self)
                        let id = try reader.readVarint()
                        guard id >= 1 && id <= UInt64(scan.relations.count) else {
                            throw reader.corrupt("undefined relation id \(id) in \(scan.path)")
                        }
                        let record = try StreamRecordCodec.decodeBody(&reader, relation: scan.relations[Int(id - 1)])
                        guard reader.remaining == 0 else { throw reader.corrupt("bytes after record in \(scan.path)") }
                        return Entry(offset: offset, appendedAt: appendedAt, record: record)
                    }
                    entries.append(decoded)
                }
                offset += 1
            }
        }
        return (offset, scanner.position)
    }

    /// Indexes an older segment (first read after opening the log) and publishes the index.
    private func buildIndex(of base: UInt64) throws(StreamError) {
        guard let path = shared.withLock({ s in s.segments.first { $0.base == base }?.path }) else { return }
        let fd: Int32
        do throws(StreamError) {
            fd = try POSIXFile.openFile(path, O_RDONLY)
        } catch where error.errno == ENOENT {
            try checkStillListed(base, error: error)
            return
        }
        defer { POSIXFile.closeFile(fd) }
        let result = try SegmentIndexBuilder.scan(
            fd: fd, path: path, base: base, relationCache: relationCache, tolerateTornTail: false)
        try shared.withLock { (s) throws(StreamError) in
            guard let i = s.segments.firstIndex(where: { $0.base == base }), s.segments[i].index == nil else { return }
            let expected = i + 1 < s.segments.count ? s.segments[i + 1].base - base : s.nextOffset - base
            guard result.recordCount == expected else {
                throw StreamError(
                    code: .corrupt,
                    message: "\(path) holds \(result.recordCount) records where the next segment's name implies "
                        + "\(expected); a segment file is missing or damaged")
            }
            s.segments[i].apply(result)
        }
    }
}
