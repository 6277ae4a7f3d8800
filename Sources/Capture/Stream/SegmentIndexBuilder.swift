import CDCCore

/// Reads a whole segment file once to learn what readers need: where records start (a sparse
/// index), the relations it defines, how many records it holds and the last append time.
enum SegmentIndexBuilder {
    struct Result {
        /// The end of the last valid entry.
        var validEnd: Int64
        /// Why the bytes at `validEnd` are not an entry, when the file goes on past it.
        var invalidReason: String?
        var index: [StreamLog.IndexPoint]
        var relations: [Relation]
        var recordCount: UInt64
        var lastAppendedAt: Int64?
        var recordsSinceIndexPoint: Int
        var bytesSinceIndexPoint: Int64
    }

    /// Scans the segment. With `tolerateTornTail`, an invalid entry ends the scan (the caller cuts
    /// the file there); otherwise it is `StreamError.corrupt`. A valid entry with impossible content
    /// is always `.corrupt`.
    static func scan(
        fd: Int32, path: String, base: UInt64, relationCache: RelationCache, tolerateTornTail: Bool
    ) throws(StreamError) -> Result {
        let headerEnd = Int64(StreamSegment.headerSize)
        var scanner = try SegmentScanner(fd: fd, path: path, from: headerEnd, chunkSize: 1 << 20)
        var result = Result(
            validEnd: headerEnd, invalidReason: nil, index: [StreamLog.IndexPoint(offset: base, position: headerEnd)],
            relations: [], recordCount: 0, lastAppendedAt: nil, recordsSinceIndexPoint: 0, bytesSinceIndexPoint: 0)
        func corrupt(_ what: String, at position: Int64) -> StreamError {
            StreamError(
                code: .corrupt,
                message: "\(path): \(what) at byte \(position); the stream cannot be read past offset "
                    + "\(base + result.recordCount)")
        }
        scanning: while true {
            switch try scanner.next() {
            case .end:
                break scanning
            case .invalid(let position, let reason):
                if tolerateTornTail {
                    result.invalidReason = reason
                    break scanning
                }
                throw corrupt(reason, at: position)
            case .entry(let entry):
                switch entry.type {
                case StreamSegment.relationEntry:
                    let definition = try StreamBytes.withBytes(of: scanner.buffer) {
                        (raw) throws(StreamError) -> RelationDefinition in
                        var reader = StreamByteReader(UnsafeRawBufferPointer(rebasing: raw[entry.payload]), offset: 1)
                        let id = try reader.readVarint()
                        guard id == UInt64(result.relations.count + 1) else {
                            throw reader.corrupt("relation id \(id) out of sequence")
                        }
                        let definition = try StreamRecordCodec.decodeRelation(&reader)
                        guard reader.remaining == 0 else { throw reader.corrupt("bytes after the relation") }
                        return definition
                    }
                    result.relations.append(relationCache.intern(definition))
                case StreamSegment.recordEntry:
                    let appendedAt = try StreamBytes.withBytes(of: scanner.buffer) {
                        (raw) throws(StreamError) -> Int64 in
                        var reader = StreamByteReader(UnsafeRawBufferPointer(rebasing: raw[entry.payload]), offset: 1)
                        let appendedAt = try reader.readLE(Int64.self)
                        let id = try reader.readVarint()
                        guard id >= 1 && id <= UInt64(result.relations.count) else {
                            throw reader.corrupt("undefined relation id \(id)")
                        }
                        return appendedAt
                    }
                    if result.recordsSinceIndexPoint >= StreamLog.indexEveryRecords
                        || result.bytesSinceIndexPoint >= StreamLog.indexEveryBytes
                    {
                        result.index.append(
                            StreamLog.IndexPoint(offset: base + result.recordCount, position: entry.position))
                        result.recordsSinceIndexPoint = 0
                        result.bytesSinceIndexPoint = 0
                    }
                    result.recordCount += 1
                    result.recordsSinceIndexPoint += 1
                    result.lastAppendedAt = appendedAt
                default:
                    throw corrupt("unknown entry type \(entry.type)", at: entry.position)
                }
                result.bytesSinceIndexPoint += entry.size
                result.validEnd = entry.position + entry.size
            }
        }
        return result
    }
}
