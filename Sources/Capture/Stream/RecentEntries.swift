/// The stream's most recently appended entries, kept in memory so that readers who keep up with
/// capture get them without reading the segment file back, checking its checksums and decoding
/// every record again: a record appended by capture reaches the pipelines as the same
/// (copy-on-write) value.
///
/// Consecutive offsets, bounded by a count and by the entries' encoded size (what they take in the
/// segment file, a stand-in for their size in memory); the oldest go first. Evicted entries are
/// released in bulk, once they are as many as the live ones, so memory stays below twice the
/// bounds. Not thread-safe: `StreamLog` keeps it in its shared state, under that lock. The writer
/// adds entries as it publishes them; what readers may see is still bounded by
/// `durableEnd`/`writtenEnd`.
struct RecentEntries {
    /// Most entries held (0: none are kept).
    let maxCount: Int
    /// Most encoded bytes held.
    let maxBytes: Int

    /// Evicted entries (`..<head`), then the live ones, oldest first.
    private var entries: [StreamLog.Entry] = []
    /// Encoded size of each entry, at the same index.
    private var sizes: [Int] = []
    private var head = 0
    /// Encoded bytes of the live entries.
    private(set) var bytes = 0

    init(maxCount: Int, maxBytes: Int) {
        self.maxCount = max(0, maxCount)
        self.maxBytes = max(0, maxBytes)
    }

    /// Live entries.
    var count: Int { entries.count - head }

    /// Offset of the oldest entry held; nil when empty.
    var firstOffset: UInt64? { head < entries.count ? entries[head].offset : nil }

    /// Offset of the newest entry held; nil when empty.
    var lastOffset: UInt64? { head < entries.count ? entries[entries.count - 1].offset : nil }

    /// Adds the entry appended after the newest one. An entry that does not follow it empties the
    /// ring first (it holds consecutive offsets only); one larger than `maxBytes` empties it and is
    /// not kept.
    mutating func append(_ entry: StreamLog.Entry, encodedSize: Int) {
        guard maxCount > 0 else { return }
        if let last = lastOffset, entry.offset != last + 1 { removeAll() }
        guard encodedSize <= maxBytes else {
            removeAll()
            return
        }
        while head < entries.count && (count >= maxCount || bytes + encodedSize > maxBytes) {
            bytes -= sizes[head]
            head += 1
        }
        if head > 0 && head >= count {
            entries.removeFirst(head)
            sizes.removeFirst(head)
            head = 0
        }
        entries.append(entry)
        sizes.append(encodedSize)
        bytes += encodedSize
    }

    /// Appends to `output` the entries from `offset` through `last`, at most `maxRecords` of them;
    /// returns how many. None when `offset` is not held.
    func copy(from offset: UInt64, through last: UInt64, maxRecords: Int, into output: inout [StreamLog.Entry]) -> Int {
        guard let first = firstOffset, let newest = lastOffset, offset >= first, offset <= min(last, newest),
            maxRecords > 0
        else { return 0 }
        let start = head + Int(offset - first)
        let n = min(Int(min(last, newest) - offset) + 1, maxRecords)
        output.append(contentsOf: entries[start..<(start + n)])
        return n
    }

    /// Drops every entry (and the memory held by their records).
    mutating func removeAll() {
        entries.removeAll()
        sizes.removeAll()
        head = 0
        bytes = 0
    }
}
