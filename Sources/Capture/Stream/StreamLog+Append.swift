import CDCCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension StreamLog {
    /// Appends `records` in order and returns their offsets (nil for none). They are buffered:
    /// readers see them, and they survive a crash, only after `sync()`. Relations are written once per
    /// segment. Any write error is final: the log refuses further appends until reopened.
    @discardableResult
    public func append(_ records: [ChangeRecord]) throws(StreamError) -> ClosedRange<UInt64>? {
        guard !records.isEmpty else { return nil }
        return try writer.withLock { (w) throws(StreamError) -> ClosedRange<UInt64> in
            try w.checkUsable()
            let now = max(options.clock(), w.lastAppendedAt)
            let first = w.nextOffset
            let keepsRecent = options.recentRecords > 0
            do throws(StreamError) {
                // By index: iterating would copy each record (a retain and a release) for nothing.
                for index in records.indices {
                    if w.bytes >= Int64(w.segmentBytes) && w.nextOffset > w.base {
                        try roll(&w, createdAt: now)
                    }
                    let before = w.bytes
                    try w.appendRecord(records[index], appendedAt: now, relationCache: relationCache)
                    if keepsRecent {
                        w.pendingEntries.append(
                            (Entry(offset: w.nextOffset - 1, appendedAt: now, record: records[index]), Int(w.bytes - before)))
                    }
                    if w.buffer.count >= Writer.flushThreshold { try w.flush() }
                }
                w.lastAppendedAt = now
                publish(&w)
            } catch {
                w.failure = error
                throw error
            }
            return first...(w.nextOffset - 1)
        }
    }

    /// Makes everything appended so far durable (write, fsync) and visible to readers, and wakes
    /// readers waiting in `waitForRecords`. Cheap when there is nothing new. A failed fsync is final:
    /// the log refuses further writes until reopened (the kernel may have dropped the data).
    ///
    /// The fsync runs without the writer lock: another thread may `append` and `writeForReaders`
    /// meanwhile (what it appends is not covered by this sync). Calls to `sync` take turns.
    public func sync() throws(StreamError) {
        let waiters = try syncing.withLock { (_) throws(StreamError) -> [Waiter] in
            let (fd, path, end) = try writer.withLock { (w) throws(StreamError) -> (Int32, String, UInt64) in
                try w.flushIfUsable()
                let end = w.nextOffset - 1
                guard w.unsynced else { return (-1, w.path, end) }
                // The appender may roll to a new segment and close this descriptor while the fsync
                // runs (a roll fsyncs the segment it closes): sync a duplicate of it.
                let fd = dup(w.fd)
                guard fd >= 0 else {
                    let error = POSIXFile.error("dup", w.path)
                    w.failure = error
                    throw error
                }
                w.unsynced = false
                return (fd, w.path, end)
            }
            if fd >= 0 {
                defer { POSIXFile.closeFile(fd) }
                do throws(StreamError) {
                    try POSIXFile.syncFile(fd, path: path)
                } catch {
                    writer.withLock { $0.failure = error }
                    throw error
                }
            }
            return advance(writtenEnd: end, durableEnd: end)
        }
        for waiter in waiters { waiter.continuation.resume(returning: true) }
    }

    /// Writes what was appended to the segment file (no fsync) and shows it to readers that accept
    /// unsynced records (`read(from:maxRecords:durableOnly: false)`), waking those waiting. Capture
    /// calls it before `sync`, so such readers need not wait for the fsync; records it shows may
    /// vanish in a crash (then the source sends them again: it is acknowledged only after `sync`).
    public func writeForReaders() throws(StreamError) {
        let waiters = try writer.withLock { (w) throws(StreamError) -> [Waiter] in
            try w.flushIfUsable()
            return advance(writtenEnd: w.nextOffset - 1, durableEnd: nil)
        }
        for waiter in waiters { waiter.continuation.resume(returning: true) }
    }

    /// `sync` with the writer lock held; returns the waiters to wake.
    func syncLocked(_ w: inout Writer) throws(StreamError) -> [Waiter] {
        do throws(StreamError) {
            try w.flush()
            if w.unsynced {
                try POSIXFile.syncFile(w.fd, path: w.path)
                w.unsynced = false
            }
        } catch {
            w.failure = error
            throw error
        }
        let end = w.nextOffset - 1
        return advance(writtenEnd: end, durableEnd: end)
    }

    /// Moves the ends readers may see (never back) and returns the waiters that can now go on.
    private func advance(writtenEnd: UInt64, durableEnd: UInt64?) -> [Waiter] {
        shared.withLock { s in
            if let durableEnd { s.durableEnd = max(s.durableEnd, durableEnd) }
            s.writtenEnd = max(s.writtenEnd, writtenEnd)
            return s.takeSatisfiedWaiters()
        }
    }

    /// Copies what the writer did to the active segment into the metadata readers see.
    func publish(_ w: inout Writer) {
        let points = w.pendingPoints
        let relations = w.pendingRelations
        let entries = w.pendingEntries
        w.pendingPoints.removeAll(keepingCapacity: true)
        w.pendingRelations.removeAll(keepingCapacity: true)
        w.pendingEntries.removeAll(keepingCapacity: true)
        let bytes = w.bytes
        let count = w.nextOffset - w.base
        let lastAppendedAt = w.lastAppendedAt
        let nextOffset = w.nextOffset
        shared.withLock { s in
            let i = s.segments.count - 1
            s.segments[i].bytes = bytes
            if !points.isEmpty { s.segments[i].index?.append(contentsOf: points) }
            if !relations.isEmpty { s.segments[i].relations.append(contentsOf: relations) }
            s.segments[i].recordCount = count
            if count > 0 { s.segments[i].lastAppendedAt = lastAppendedAt }
            s.nextOffset = nextOffset
            for (entry, size) in entries { s.recent.append(entry, encodedSize: size) }
        }
    }

    /// Closes the active segment (written and fsynced) and starts a new one at the next offset, its
    /// header fsynced with the directory before any record goes in.
    func roll(_ w: inout Writer, createdAt: Int64) throws(StreamError) {
        try w.flush()
        if w.unsynced {
            try POSIXFile.syncFile(w.fd, path: w.path)
            w.unsynced = false
        }
        publish(&w)
        let base = w.nextOffset
        let path = directory + "/" + StreamSegment.fileName(base: base)
        let fd = try POSIXFile.openFile(path, O_RDWR | O_CREAT | O_EXCL)
        do throws(StreamError) {
            let header = StreamSegment.header(base: base, createdAt: createdAt)
            try StreamBytes.withBytes(of: header) { (raw) throws(StreamError) in
                try POSIXFile.writeAll(fd, raw, path: path)
            }
            try POSIXFile.syncFile(fd, path: path)
            try POSIXFile.syncDirectory(directory)
        } catch {
            POSIXFile.closeFile(fd)
            throw error
        }
        POSIXFile.closeFile(w.fd)
        w.startSegment(fd: fd, path: path, base: base, createdAt: createdAt)
        var segment = Segment(base: base, createdAt: createdAt, path: path, bytes: Int64(StreamSegment.headerSize))
        segment.index = [IndexPoint(offset: base, position: Int64(StreamSegment.headerSize))]
        segment.recordCount = 0
        shared.withLock { $0.segments.append(segment) }
    }
}

extension StreamLog {
    /// The appender's state (guarded by `writer`): the active segment's file and what was written to
    /// it but not yet published to readers.
    struct Writer {
        /// Buffered bytes are written out once they reach this size.
        static let flushThreshold = 1 << 20

        var fd: Int32
        var path: String
        let directory: String
        /// Base offset of the active segment.
        var base: UInt64
        /// Size of the active segment, buffered bytes included.
        var bytes: Int64
        var buffer: [UInt8] = []
        var nextOffset: UInt64
        var lastAppendedAt: Int64
        let segmentBytes: Int
        /// Data written since the last fsync.
        var unsynced = false
        /// Relation ids of the active segment: by instance (fast path), then by definition.
        var relationIDs: [ObjectIdentifier: (relation: Relation, id: UInt32)] = [:]
        var definitionIDs: [RelationDefinition: UInt32] = [:]
        var nextRelationID: UInt32 = 1
        var recordsSinceIndexPoint = 0
        var bytesSinceIndexPoint: Int64 = 0
        /// Index points and relations not yet published to `shared`.
        var pendingPoints: [IndexPoint] = []
        var pendingRelations: [Relation] = []
        /// Appended entries (with their encoded size) not yet published to `shared.recent`.
        var pendingEntries: [(Entry, Int)] = []
        var failure: StreamError?
        var closed = false
        var lockFD: Int32 = -1

        init(
            fd: Int32, path: String, directory: String, base: UInt64, bytes: Int64, nextOffset: UInt64,
            lastAppendedAt: Int64, segmentBytes: Int
        ) {
            self.fd = fd
            self.path = path
            self.directory = directory
            self.base = base
            self.bytes = bytes
            self.nextOffset = nextOffset
            self.lastAppendedAt = lastAppendedAt
            self.segmentBytes = segmentBytes
            buffer.reserveCapacity(Self.flushThreshold + 64 << 10)
        }

        func checkUsable() throws(StreamError) {
            if closed { throw StreamError(code: .closed, message: "the stream is closed") }
            if let failure {
                throw StreamError(
                    code: .failed,
                    message: "an earlier write failed (\(failure.message)); reopen the stream to recover",
                    errno: failure.errno)
            }
        }

        mutating func startSegment(fd: Int32, path: String, base: UInt64, createdAt: Int64) {
            self.fd = fd
            self.path = path
            self.base = base
            bytes = Int64(StreamSegment.headerSize)
            relationIDs.removeAll()
            definitionIDs.removeAll()
            nextRelationID = 1
            recordsSinceIndexPoint = 0
            bytesSinceIndexPoint = 0
            lastAppendedAt = max(lastAppendedAt, createdAt)
        }

        /// Encodes one record entry (and its relation's definition when the segment lacks it).
        mutating func appendRecord(
            _ record: ChangeRecord, appendedAt: Int64, relationCache: RelationCache
        ) throws(StreamError) {
            let relationID = relationID(for: record.relation, relationCache: relationCache)
            if recordsSinceIndexPoint >= StreamLog.indexEveryRecords
                || bytesSinceIndexPoint >= StreamLog.indexEveryBytes
            {
                pendingPoints.append(IndexPoint(offset: nextOffset, position: bytes))
                recordsSinceIndexPoint = 0
                bytesSinceIndexPoint = 0
            }
            let start = StreamSegment.beginEntry(type: StreamSegment.recordEntry, in: &buffer)
            StreamBytes.appendLE(appendedAt, to: &buffer)
            StreamBytes.appendVarint(UInt64(relationID), to: &buffer)
            StreamRecordCodec.encodeBody(record, into: &buffer)
            try finish(entryAt: start)
            recordsSinceIndexPoint += 1
            nextOffset += 1
        }

        private mutating func finish(entryAt start: Int) throws(StreamError) {
            guard buffer.count - start - StreamSegment.entryHeaderSize <= StreamSegment.maxPayload else {
                buffer.removeSubrange(start...)
                throw StreamError(code: .io, message: "a record of more than 4 GiB cannot be stored")
            }
            let size = Int64(StreamSegment.finishEntry(at: start, in: &buffer))
            bytes += size
            bytesSinceIndexPoint += size
            unsynced = true
        }

        private mutating func relationID(for relation: Relation, relationCache: RelationCache) -> UInt32 {
            let key = ObjectIdentifier(relation)
            if let known = relationIDs[key] { return known.id }
            let definition = RelationDefinition(relation)
            let id: UInt32
            if let existing = definitionIDs[definition] {
                id = existing
            } else {
                id = nextRelationID
                nextRelationID += 1
                definitionIDs[definition] = id
                let start = StreamSegment.beginEntry(type: StreamSegment.relationEntry, in: &buffer)
                StreamBytes.appendVarint(UInt64(id), to: &buffer)
                StreamRecordCodec.encodeRelation(relation, into: &buffer)
                // A relation definition is far below the entry size limit.
                try? finish(entryAt: start)
                // Readers get an instance of their own, not the writer's: records are retained and
                // released by the capture threads and by the pipelines at once, and one shared
                // reference count would bounce between their cores.
                pendingRelations.append(relationCache.intern(definition))
            }
            // Instances are held while the segment is active, so identifiers are never reused; a
            // source that makes a new instance per record only costs the definition lookup.
            if relationIDs.count >= 4096 { relationIDs.removeAll(keepingCapacity: true) }
            relationIDs[key] = (relation, id)
            return id
        }

        /// `flush` for a writer that must still be usable; a failed write is kept as `failure`
        /// (the log refuses further writes until reopened).
        mutating func flushIfUsable() throws(StreamError) {
            try checkUsable()
            do throws(StreamError) {
                try flush()
            } catch {
                failure = error
                throw error
            }
        }

        /// Writes the buffered bytes to the file (no fsync).
        mutating func flush() throws(StreamError) {
            guard !buffer.isEmpty else { return }
            try StreamBytes.withBytes(of: buffer) { (raw) throws(StreamError) in
                try POSIXFile.writeAll(fd, raw, path: path)
            }
            buffer.removeAll(keepingCapacity: true)
        }

        mutating func closeFiles() {
            if fd >= 0 { POSIXFile.closeFile(fd) }
            if lockFD >= 0 { POSIXFile.closeFile(lockFD) }
            fd = -1
            lockFD = -1
            closed = true
        }
    }
}
