/// The bytes of one part of a `COPY … FROM STDIN`, written in place: `PostgresConnection.copyIn`
/// owns one per COPY, empties it before each part and hands it to the code that renders rows.
///
/// A byte buffer of its own rather than an `[UInt8]`: rendering a row writes a few bytes per column,
/// and every `Array.append` checks uniqueness and capacity and updates the count, which cost more
/// than the bytes themselves (perf, stop 19). `appendUnsafe(maxCount:_:)` reserves room once for a
/// whole value and lets the caller write it through a pointer.
///
/// Not copyable: it owns its memory and frees it when it ends.
public struct CopyInBuffer: ~Copyable {
    @usableFromInline var base: UnsafeMutablePointer<UInt8>
    @usableFromInline var capacity: Int
    @usableFromInline var written = 0

    /// Bytes written.
    @inlinable public var count: Int { written }

    /// An empty buffer with room for `capacity` bytes (it grows as needed).
    public init(capacity: Int = 64 << 10) {
        self.capacity = max(capacity, 64)
        base = .allocate(capacity: self.capacity)
    }

    deinit { base.deallocate() }

    @inlinable public var isEmpty: Bool { written == 0 }

    /// Forgets the bytes, keeping the memory.
    public mutating func removeAll() { written = 0 }

    /// Makes room for `extra` more bytes.
    @inlinable
    public mutating func reserve(_ extra: Int) {
        if capacity - count < extra { grow(count + extra) }
    }

    @usableFromInline
    mutating func grow(_ needed: Int) {
        var newCapacity = capacity * 2
        while newCapacity < needed { newCapacity *= 2 }
        let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        bigger.update(from: base, count: count)
        base.deallocate()
        base = bigger
        capacity = newCapacity
    }

    @inlinable
    public mutating func append(_ byte: UInt8) {
        reserve(1)
        end.pointee = byte
        written &+= 1
    }

    @inlinable
    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        guard let source = bytes.baseAddress, bytes.count > 0 else { return }
        reserve(bytes.count)
        UnsafeMutableRawPointer(end).copyMemory(from: source, byteCount: bytes.count)
        written &+= bytes.count
    }

    /// Reserves `maxCount` bytes and calls `body` with where they start; `body` writes at most
    /// `maxCount` bytes there and returns how many it wrote.
    @inlinable
    public mutating func appendUnsafe(maxCount: Int, _ body: (UnsafeMutablePointer<UInt8>) -> Int) {
        reserve(maxCount)
        let added = body(end)
        precondition(added >= 0 && added <= maxCount, "CopyInBuffer: wrote more than reserved")
        written &+= added
    }

    /// The first free byte.
    @inlinable
    var end: UnsafeMutablePointer<UInt8> { base + written }

    /// Calls `body` with the bytes written.
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(start: base, count: count))
    }

    /// A copy of the bytes written.
    public var bytes: [UInt8] { withUnsafeBytes { Array($0) } }
}
