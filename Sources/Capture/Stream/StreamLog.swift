import CDCCore
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The durable local stream: an append-only, crash-safe log of `ChangeRecord`s in one directory
/// (`state_dir/stream`), which capture appends to and each pipeline reads from its own checkpoint.
///
/// **Offsets.** Every stored record gets an offset: 1, 2, 3… with no gaps, in append order, never
/// reused (they survive restarts and retention). `read(from:)` takes the offset of the first record
/// wanted; a pipeline keeps the offset after the last one it finished as its checkpoint.
///
/// **Durability.** `append` buffers; `sync` writes and fsyncs (group commit: append many records,
/// then sync once). Readers see only durable records (`durableEnd`), so nothing a reader was given
/// can vanish in a crash — unless they ask for unsynced ones too (`durableOnly: false`): those see
/// records as soon as `writeForReaders` (or `sync`) wrote them to the file, and must not count on
/// what lies past `durableEnd` surviving a crash (a pipeline never saves a checkpoint past it).
/// `sync` runs its fsync without holding the writer lock, so a writer can append and
/// `writeForReaders` while another thread syncs. After a crash (`kill -9`, power loss), opening the log keeps every whole
/// record that reached the disk — all synced ones, and perhaps some appended after the last
/// sync — and truncates a torn or corrupt tail (`recovery` says what). So the log always holds a
/// prefix of what was appended; capture must resume after the log's last record (`lastEntry()`),
/// skipping changes the source replays at or below its sequence number.
///
/// **Retention.** `trim(now:)` deletes whole old segments: those whose records are all older than
/// `retentionAge`, then the oldest while the log is larger than `retentionBytes` (the segment being
/// appended to is never deleted for size). A reader asking for an offset below `firstOffset` gets
/// `StreamError.recordsTrimmed` saying how many records it lost.
///
/// **Threading contract.** A `StreamLog` is safe to use from any number of threads and tasks at
/// once. Writing calls (`append`, `sync`, `trim`, `close`) are serialised by a writer lock, so a
/// single appender is the intended use; `read`, `waitForRecords` and the offset properties take a
/// second, short-held lock only to look up segment metadata and do their file I/O without any
/// lock, so readers never wait for an fsync and never hold up appends. All calls block the calling
/// thread for file I/O: from async code, call them where blocking is acceptable (a dedicated thread,
/// or briefly, as a batch read is). One directory is used by one `StreamLog` at a time (an advisory
/// lock on `lock` in the directory enforces it across processes).
///
/// On disk: segment files `<base offset, 20 digits>.log`, rolled once they reach
/// `Options.segmentBytes`; their layout is described on `StreamSegment`. Records are encoded by
/// `StreamRecordCodec`, relations written once per segment.
public final class StreamLog: Sendable {
    /// Tuning and retention.
    public struct Options: Sendable {
        /// A segment is closed and a new one started once it holds this many bytes (it may exceed
        /// them by one record). At least 4096.
        public var segmentBytes: Int
        /// Records older than this are deleted by `trim` (whole segments at a time).
        public var retentionAge: Duration
        /// The log is kept below this size by `trim`, oldest segments first (the segment being
        /// appended to is always kept).
        public var retentionBytes: Int64
        /// The append-time clock: microseconds since 1970-01-01 UTC. Injected by tests.
        public var clock: @Sendable () -> Int64
        /// The last appended records kept in memory for readers that keep up (`RecentEntries`): at
        /// most this many, and at most `recentBytes` of their encoded size. 0: every read decodes
        /// the segment file.
        public var recentRecords: Int
        public var recentBytes: Int

        public init(
            segmentBytes: Int = 64 << 20, retentionAge: Duration = .seconds(24 * 3600),
            retentionBytes: Int64 = 16 << 30,
            clock: @escaping @Sendable () -> Int64 = StreamLog.wallClockMicroseconds,
            recentRecords: Int = 32_768, recentBytes: Int = 16 << 20
        ) {
            self.recentRecords = recentRecords
            self.recentBytes = recentBytes
            self.segmentBytes = max(segmentBytes, 4096)
            self.retentionAge = retentionAge
            self.retentionBytes = retentionBytes
            self.clock = clock
        }
    }

    /// One stored record.
    public struct Entry: Sendable {
        public var offset: UInt64
        /// When it was appended, in microseconds since 1970-01-01 UTC (never decreasing along the log).
        public var appendedAt: Int64
        public var record: ChangeRecord

        public init(offset: UInt64, appendedAt: Int64, record: ChangeRecord) {
            self.offset = offset
            self.appendedAt = appendedAt
            self.record = record
        }
    }

    /// What opening the log repaired: the bytes cut from the end of the last segment.
    public struct Recovery: Sendable, CustomStringConvertible {
        /// The segment file that was cut.
        public var segment: String
        /// Its size before and after.
        public var originalBytes: Int64
        public var keptBytes: Int64
        /// Why the first cut byte was not a valid entry.
        public var reason: String
        /// The offset of the last record kept (0 when the log is empty).
        public var lastOffset: UInt64

        public var truncatedBytes: Int64 { originalBytes - keptBytes }

        public var description: String {
            "truncated \(truncatedBytes) bytes at byte \(keptBytes) of \(segment) (\(reason)); last record kept: \(lastOffset)"
        }
    }

    /// What `trim` deleted.
    public struct TrimResult: Sendable, Equatable {
        public var deletedSegments: Int
        public var deletedBytes: Int64
        /// The oldest retained offset before and after.
        public var firstOffsetBefore: UInt64
        public var firstOffsetAfter: UInt64
        public var deletedRecords: UInt64 { firstOffsetAfter - firstOffsetBefore }
    }

    /// Wall-clock time in microseconds since 1970-01-01 UTC: the default append-time clock.
    public static func wallClockMicroseconds() -> Int64 { POSIXFile.wallClockMicroseconds() }

    /// The stream directory.
    public let directory: String
    public let options: Options
    /// What opening the log cut off a torn or corrupt tail; nil when the log was intact.
    public let recovery: Recovery?

    let writer: Mutex<Writer>
    let shared: Mutex<Shared>
    /// Serialises `sync` calls (their fsync runs without the writer lock).
    let syncing = Mutex<Void>(())
    /// Decoded relations, one instance per definition.
    let relationCache: RelationCache

    /// Opens the log in `directory` (created when missing) and recovers it: a partial or corrupt last
    /// entry of the last segment, and everything after it, is cut off and reported in `recovery`.
    public init(directory: String, options: Options = Options()) throws(StreamError) {
        self.directory = directory
        self.options = options
        let relationCache = RelationCache()
        self.relationCache = relationCache
        try POSIXFile.makeDirectories(directory)
        let lockPath = directory + "/lock"
        let lockFD = try POSIXFile.openFile(lockPath, O_RDWR | O_CREAT)
        do throws(StreamError) {
            try POSIXFile.lockExclusively(lockFD, path: lockPath)
            let opened = try Self.open(directory: directory, options: options, relationCache: relationCache)
            var writer = opened.writer
            writer.lockFD = lockFD
            self.writer = Mutex(writer)
            self.shared = Mutex(opened.shared)
            self.recovery = opened.recovery
        } catch {
            POSIXFile.closeFile(lockFD)
            throw error
        }
    }

    deinit {
        writer.withLock { w in
            guard !w.closed else { return }
            // Hand buffered records to the kernel (not fsynced: like a crash after the last sync).
            if w.failure == nil { try? w.flush() }
            w.closeFiles()
        }
    }

    /// Syncs what was appended, closes the files and releases the directory. Waiting readers return;
    /// later calls throw `.closed`. Closing twice is harmless.
    public func close() throws(StreamError) {
        var syncError: StreamError?
        let (durable, pending) = writer.withLock { w -> ([Waiter], [Waiter]) in
            guard !w.closed else { return ([], []) }
            var durable: [Waiter] = []
            if w.failure == nil {
                do throws(StreamError) {
                    durable = try syncLocked(&w)
                } catch {
                    syncError = error
                }
            }
            w.closeFiles()
            let pending = shared.withLock { s in
                s.closed = true
                s.recent.removeAll()
                let waiters = Array(s.waiters.values)
                s.waiters.removeAll()
                return waiters
            }
            return (durable, pending)
        }
        for waiter in durable { waiter.continuation.resume(returning: true) }
        for waiter in pending { waiter.continuation.resume(returning: false) }
        if let syncError { throw syncError }
    }

    // MARK: Positions

    /// The oldest retained offset; equal to `nextOffset` when no record is retained.
    public var firstOffset: UInt64 { shared.withLock { $0.firstOffset } }

    /// The last durable offset (0 when none): readers see records up to here.
    public var durableEnd: UInt64 { shared.withLock { $0.durableEnd } }

    /// The last offset written to the files, durable or not (0 when none): readers that accept
    /// unsynced records see records up to here (see `writeForReaders`).
    public var writtenEnd: UInt64 { shared.withLock { $0.writtenEnd } }

    /// The last appended offset, durable or not (0 when none).
    public var appendedEnd: UInt64 { shared.withLock { $0.nextOffset - 1 } }

    /// The offset the next appended record gets.
    public var nextOffset: UInt64 { shared.withLock { $0.nextOffset } }

    /// Bytes in all segment files (buffered appends included).
    public var totalBytes: Int64 { shared.withLock { s in s.segments.reduce(0) { $0 + $1.bytes } } }

    /// The number of segment files.
    public var segmentCount: Int { shared.withLock { $0.segments.count } }

    // MARK: Opening

    private struct Opened {
        var writer: Writer
        var shared: Shared
        var recovery: Recovery?
    }

    private static func open(
        directory: String, options: Options, relationCache: RelationCache
    ) throws(StreamError) -> Opened {
        let bases = try POSIXFile.list(directory).compactMap { StreamSegment.base(fromFileName: $0) }.sorted()
        var segments: [Segment] = []
        // Older segments: header and size only; their index is built when a reader first needs it.
        for base in bases.dropLast() {
            let path = directory + "/" + StreamSegment.fileName(base: base)
            let fd = try POSIXFile.openFile(path, O_RDONLY)
            defer { POSIXFile.closeFile(fd) }
            guard let header = try StreamSegment.readHeader(fd, path: path, expectedBase: base) else {
                throw StreamError(
                    code: .corrupt,
                    message: "\(path) has no valid segment header; move the file away to open the stream")
            }
            segments.append(
                Segment(
                    base: base, createdAt: header.createdAt, path: path, bytes: try POSIXFile.fileSize(fd, path: path)))
        }

        let clock = options.clock()
        let lastBase = bases.last ?? 1
        let lastPath = directory + "/" + StreamSegment.fileName(base: lastBase)
        let fd = try POSIXFile.openFile(lastPath, O_RDWR | O_CREAT)
        var recovery: Recovery?
        do throws(StreamError) {
            var createdAt: Int64
            let size = try POSIXFile.fileSize(fd, path: lastPath)
            if let header = try StreamSegment.readHeader(fd, path: lastPath, expectedBase: lastBase) {
                createdAt = header.createdAt
            } else if size <= Int64(StreamSegment.headerSize) {
                // A new segment whose header never reached the disk (or a new log): it holds no entry.
                createdAt = max(clock, segments.last?.createdAt ?? clock)
                try POSIXFile.truncateFile(fd, to: 0, path: lastPath)
                let header = StreamSegment.header(base: lastBase, createdAt: createdAt)
                try StreamBytes.withBytes(of: header) { (raw) throws(StreamError) in
                    try POSIXFile.seekFile(fd, to: 0, path: lastPath)
                    try POSIXFile.writeAll(fd, raw, path: lastPath)
                }
                try POSIXFile.syncFile(fd, path: lastPath)
                try POSIXFile.syncDirectory(directory)
            } else {
                throw StreamError(
                    code: .corrupt,
                    message: "\(lastPath) has no valid segment header; move the file away to open the stream")
            }

            var last = Segment(base: lastBase, createdAt: createdAt, path: lastPath, bytes: 0)
            let scan = try SegmentIndexBuilder.scan(
                fd: fd, path: lastPath, base: lastBase, relationCache: relationCache, tolerateTornTail: true)
            last.apply(scan)
            if scan.validEnd < size {
                try POSIXFile.truncateFile(fd, to: scan.validEnd, path: lastPath)
                recovery = Recovery(
                    segment: StreamSegment.fileName(base: lastBase), originalBytes: size, keptBytes: scan.validEnd,
                    reason: scan.invalidReason ?? "trailing bytes", lastOffset: lastBase + scan.recordCount - 1)
            }
            // Whatever a killed process left in the page cache becomes durable before readers see it.
            try POSIXFile.syncFile(fd, path: lastPath)
            try POSIXFile.syncDirectory(directory)
            try POSIXFile.seekFile(fd, to: scan.validEnd, path: lastPath)
            segments.append(last)

            let nextOffset = lastBase + scan.recordCount
            var writer = Writer(
                fd: fd, path: lastPath, directory: directory, base: lastBase, bytes: scan.validEnd,
                nextOffset: nextOffset, lastAppendedAt: max(scan.lastAppendedAt ?? createdAt, createdAt),
                segmentBytes: options.segmentBytes)
            for (i, relation) in scan.relations.enumerated() {
                writer.definitionIDs[RelationDefinition(relation)] = UInt32(i + 1)
            }
            writer.nextRelationID = UInt32(scan.relations.count + 1)
            writer.recordsSinceIndexPoint = scan.recordsSinceIndexPoint
            writer.bytesSinceIndexPoint = scan.bytesSinceIndexPoint
            let shared = Shared(
                segments: segments, nextOffset: nextOffset, durableEnd: nextOffset - 1,
                recent: RecentEntries(maxCount: options.recentRecords, maxBytes: options.recentBytes))
            return Opened(writer: writer, shared: shared, recovery: recovery)
        } catch {
            POSIXFile.closeFile(fd)
            throw error
        }
    }
}

// MARK: - State

extension StreamLog {
    /// A point of a segment's sparse index: the record `offset` starts at file `position`.
    struct IndexPoint: Sendable {
        var offset: UInt64
        var position: Int64
    }

    /// A record is indexed at least every this many records or bytes.
    static let indexEveryRecords = 512
    static let indexEveryBytes: Int64 = 128 << 10

    /// What readers and retention know of one segment file.
    struct Segment: Sendable {
        let base: UInt64
        /// Not before any append time in older segments, nor after any in this one.
        let createdAt: Int64
        let path: String
        /// File size, including appends still buffered.
        var bytes: Int64
        /// Sparse index, nil until the segment was scanned (older segments after opening).
        var index: [IndexPoint]?
        /// Relations by id − 1; complete once `index` is set.
        var relations: [Relation] = []
        /// Records in the segment, when known (scanned or written here).
        var recordCount: UInt64?
        /// Append time of its last record, when known.
        var lastAppendedAt: Int64?

        init(base: UInt64, createdAt: Int64, path: String, bytes: Int64) {
            self.base = base
            self.createdAt = createdAt
            self.path = path
            self.bytes = bytes
        }

        mutating func apply(_ scan: SegmentIndexBuilder.Result) {
            index = scan.index
            relations = scan.relations
            recordCount = scan.recordCount
            lastAppendedAt = scan.lastAppendedAt
            bytes = scan.validEnd
        }
    }

    /// A reader waiting in `waitForRecords`.
    struct Waiter {
        var offset: UInt64
        /// Waits for a durable record (else for a written one, see `writeForReaders`).
        var durable: Bool = true
        var continuation: CheckedContinuation<Bool, Never>
    }

    /// Metadata shared by the writer and readers (guarded by `shared`).
    struct Shared {
        /// Oldest first; the last one is being appended to.
        var segments: [Segment]
        var nextOffset: UInt64
        var durableEnd: UInt64
        /// The last offset written to its segment file (durable or not; at least `durableEnd`):
        /// what readers that accept unsynced records see.
        var writtenEnd: UInt64
        var closed = false
        var waiters: [UInt64: Waiter] = [:]
        var nextWaiterID: UInt64 = 0
        /// The last appended entries, for readers that keep up.
        var recent: RecentEntries

        init(segments: [Segment], nextOffset: UInt64, durableEnd: UInt64, recent: RecentEntries) {
            self.segments = segments
            self.nextOffset = nextOffset
            self.durableEnd = durableEnd
            self.writtenEnd = durableEnd
            self.recent = recent
        }

        var firstOffset: UInt64 { segments.first?.base ?? nextOffset }

        /// The index of the segment holding `offset` (which must be retained).
        func segmentIndex(holding offset: UInt64) -> Int {
            var low = 0
            var high = segments.count - 1
            while low < high {
                let mid = (low + high + 1) / 2
                if segments[mid].base <= offset { low = mid } else { high = mid - 1 }
            }
            return low
        }

        /// Removes and returns the waiters whose records are now durable (or written, for those
        /// that accept unsynced records).
        mutating func takeSatisfiedWaiters() -> [Waiter] {
            guard !waiters.isEmpty else { return [] }
            var ready: [Waiter] = []
            for (id, waiter) in waiters where waiter.offset <= (waiter.durable ? durableEnd : writtenEnd) {
                ready.append(waiter)
                waiters[id] = nil
            }
            return ready
        }
    }
}
