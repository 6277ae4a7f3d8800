extension StreamLog {
    /// Applies retention at time `now` (microseconds since 1970; default: the log's clock) and
    /// returns what was deleted. Whole segments go, oldest first:
    /// - by age: a segment whose records were all appended at or before `now − retentionAge`. When
    ///   that is true of the active segment too (nothing appended for a whole retention period), it
    ///   is closed first so that it can go, leaving an empty segment that keeps the next offset;
    /// - by size: while all segments together exceed `retentionBytes`, except the active one.
    ///
    /// Readers below the new `firstOffset` get `.recordsTrimmed`. Call it periodically (every minute
    /// or so); it is cheap when there is nothing to delete.
    @discardableResult
    public func trim(now: Int64? = nil) throws(StreamError) -> TrimResult {
        try writer.withLock { (w) throws(StreamError) -> TrimResult in
            if w.closed { throw StreamError(code: .closed, message: "the stream is closed") }
            let now = now ?? options.clock()
            let age = options.retentionAge.components
            let ageMicros = age.seconds.multipliedReportingOverflow(by: 1_000_000)
            let retention =
                ageMicros.overflow ? Int64.max : ageMicros.partialValue + age.attoseconds / 1_000_000_000_000
            let cutoff = now.subtractingReportingOverflow(retention)
            let cutoffTime = cutoff.overflow ? Int64.min : cutoff.partialValue

            if w.failure == nil {
                let activeExpired = shared.withLock { s in
                    let active = s.segments[s.segments.count - 1]
                    return (active.recordCount ?? 0) > 0 && (active.lastAppendedAt ?? .max) <= cutoffTime
                        && s.durableEnd == s.nextOffset - 1
                }
                if activeExpired {
                    do throws(StreamError) {
                        try roll(&w, createdAt: max(options.clock(), w.lastAppendedAt))
                    } catch {
                        w.failure = error
                        throw error
                    }
                }
            }

            let limit = options.retentionBytes
            let (doomed, before, after) = shared.withLock { s -> ([Segment], UInt64, UInt64) in
                var drop = 0
                // A segment's newest append time, when not known (an older segment not read since
                // opening), is bounded by the creation time of the next segment.
                while drop < s.segments.count - 1
                    && (s.segments[drop].lastAppendedAt ?? s.segments[drop + 1].createdAt) <= cutoffTime
                {
                    drop += 1
                }
                var total = s.segments[drop...].reduce(Int64(0)) { $0 + $1.bytes }
                while drop < s.segments.count - 1 && total > limit {
                    total -= s.segments[drop].bytes
                    drop += 1
                }
                let before = s.firstOffset
                let doomed = Array(s.segments[..<drop])
                s.segments.removeFirst(drop)
                return (doomed, before, s.firstOffset)
            }
            for segment in doomed { try POSIXFile.removeFile(segment.path) }
            if !doomed.isEmpty { try POSIXFile.syncDirectory(directory) }
            return TrimResult(
                deletedSegments: doomed.count, deletedBytes: doomed.reduce(0) { $0 + $1.bytes },
                firstOffsetBefore: before, firstOffsetAfter: after)
        }
    }
}
