import CDCCore

/// Records read from the stream, filtered and rendered, ready for the sink: the sink items with, in
/// parallel arrays, each one's stream offset and append time.
///
/// Kept as three arrays rather than an array of tuples so that the items go to the sink as they are
/// (no per-item copy, which costs a retain and a release of every value of every record) — the
/// common case hands the whole batch over in one piece.
struct PreparedBatch: Sendable {
    private(set) var items: [SinkItem] = []
    private(set) var offsets: [UInt64] = []
    private(set) var appendedAt: [Int64] = []

    init(capacity: Int = 0) {
        items.reserveCapacity(capacity)
        offsets.reserveCapacity(capacity)
        appendedAt.reserveCapacity(capacity)
    }

    private init(items: [SinkItem], offsets: [UInt64], appendedAt: [Int64]) {
        self.items = items
        self.offsets = offsets
        self.appendedAt = appendedAt
    }

    var count: Int { items.count }
    var isEmpty: Bool { items.isEmpty }

    mutating func append(offset: UInt64, item: consuming SinkItem, appendedAt time: Int64) {
        items.append(item)
        offsets.append(offset)
        appendedAt.append(time)
    }

    /// Reverses the order in place, moving the items (Array's own `reverse` copies them).
    mutating func reverse() {
        items.withUnsafeMutableBufferPointer { $0.reverse() }
        offsets.reverse()
        appendedAt.reverse()
    }

    /// The items at `range` (the whole batch shares its storage).
    subscript(range: Range<Int>) -> PreparedBatch {
        if range == 0..<count { return self }
        return PreparedBatch(
            items: Array(items[range]), offsets: Array(offsets[range]), appendedAt: Array(appendedAt[range]))
    }

    /// The items from `index` on.
    func suffix(from index: Int) -> PreparedBatch { self[index..<count] }

    /// Consecutive pieces of at most `size` items.
    func chunked(_ size: Int) -> [PreparedBatch] {
        let size = Swift.max(1, size)
        if count <= size { return [self] }
        return stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }

    /// The items whose index satisfies `keep`, in order.
    func filter(_ keep: (Int) -> Bool) -> PreparedBatch {
        var kept = PreparedBatch()
        for i in items.indices where keep(i) { kept.append(offset: offsets[i], item: items[i], appendedAt: appendedAt[i]) }
        return kept
    }
}
