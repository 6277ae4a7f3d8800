#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The bytes of one column value's text form (UTF-8 as the server printed it).
///
/// Up to 15 bytes are held inline, like Swift's small strings: keys, numbers, booleans, dates and
/// short texts, most of a typical row, cost no allocation when a row is decoded and no reference
/// counting when it is copied. Longer values are a range of an array: an array of their own, or
/// one buffer shared by the long values of a decoded row (`init(shared:offset:count:)`, used by
/// the pgoutput and stream decoders), so a row costs one allocation for all of them. Equality and
/// hashing compare the bytes (inline exactly when the value fits, so an inline value never equals
/// a long one).
///
/// A random-access collection of `UInt8` indexed from 0; hot paths read it through
/// `withUnsafeBytes`, and `array` gives an `[UInt8]` copy.
public struct PgText: Sendable {
    @usableFromInline
    enum Storage: Sendable {
        /// Bytes 0..<15 of the two words in memory order are the value (unused bytes zero); byte 15
        /// is the count.
        case small(UInt64, UInt64)
        /// `bytes[offset..<offset + count]`, more than `inlineCapacity` bytes.
        case large([UInt8], offset: UInt32, count: UInt32)
    }

    @usableFromInline
    var storage: Storage

    /// The most bytes held inline.
    public static let inlineCapacity = 15

    /// A copy of `buffer`.
    @inlinable
    public init(_ buffer: UnsafeRawBufferPointer) {
        let count = buffer.count
        if count <= Self.inlineCapacity {
            var words: (UInt64, UInt64) = (0, 0)
            Swift.withUnsafeMutableBytes(of: &words) { raw in
                if count > 0 { raw.baseAddress!.copyMemory(from: buffer.baseAddress!, byteCount: count) }
                raw[15] = UInt8(truncatingIfNeeded: count)
            }
            storage = .small(words.0, words.1)
        } else {
            // Array(UnsafeRawBufferPointer) is a specialized memcpy.
            storage = .large(Array(buffer), offset: 0, count: UInt32(truncatingIfNeeded: count))
        }
    }

    /// The value `bytes` (kept as is when longer than `inlineCapacity`).
    @inlinable
    public init(_ bytes: [UInt8]) {
        if bytes.count <= Self.inlineCapacity {
            self = bytes.withUnsafeBytes { PgText($0) }
        } else {
            storage = .large(bytes, offset: 0, count: UInt32(truncatingIfNeeded: bytes.count))
        }
    }

    /// The `count` bytes at `offset` of `shared`, a buffer that holds the long values of one row
    /// (decoders copy them there together: one allocation per row). `count` must be more than
    /// `inlineCapacity` (shorter values are inline).
    @inlinable
    public init(shared: [UInt8], offset: Int, count: Int) {
        precondition(count > Self.inlineCapacity && offset >= 0 && offset + count <= shared.count, "not a long value of shared")
        storage = .large(shared, offset: UInt32(truncatingIfNeeded: offset), count: UInt32(truncatingIfNeeded: count))
    }

    /// The UTF-8 bytes of `string`.
    public init(_ string: String) {
        var string = string
        self = string.withUTF8 { PgText(UnsafeRawBufferPointer($0)) }
    }

    /// Calls `body` with the bytes, valid only during the call.
    @inlinable
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        switch storage {
        case .small(let first, let second):
            var words = (first, second)
            let count = Int(truncatingIfNeeded: UInt64(littleEndian: second) >> 56)
            return try Swift.withUnsafeBytes(of: &words) { raw in
                try body(UnsafeRawBufferPointer(rebasing: raw[0..<count]))
            }
        case .large(let bytes, let offset, let count):
            return try bytes.withUnsafeBytes { raw in
                try body(UnsafeRawBufferPointer(rebasing: raw[Int(offset)..<(Int(offset) &+ Int(count))]))
            }
        }
    }

    /// Calls `body` with the bytes as `UInt8`s, valid only during the call.
    @inlinable
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        try withUnsafeBytes { raw in try body(raw.bindMemory(to: UInt8.self)) }
    }

    /// The bytes as an array (a copy for inline values, the stored array otherwise).
    @inlinable
    public var array: [UInt8] {
        switch storage {
        case .small: withUnsafeBytes { Array($0) }
        case .large(let bytes, let offset, let count):
            offset == 0 && Int(count) == bytes.count ? bytes : Array(bytes[Int(offset)..<(Int(offset) &+ Int(count))])
        }
    }

    /// The text as a String (invalid UTF-8 repaired with U+FFFD).
    public var string: String {
        withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
    }
}

extension PgText: Hashable {
    @inlinable
    public static func == (a: PgText, b: PgText) -> Bool {
        switch (a.storage, b.storage) {
        case (.small(let a0, let a1), .small(let b0, let b1)):
            return a0 == b0 && a1 == b1
        case (.large, .large):
            return a.withUnsafeBytes { x in
                b.withUnsafeBytes { y in x.count == y.count && memcmp(x.baseAddress!, y.baseAddress!, x.count) == 0 }
            }
        default:
            return false  // inline exactly when the value fits: an inline value is never a long one
        }
    }

    @inlinable
    public func hash(into hasher: inout Hasher) {
        withUnsafeBytes { bytes in
            hasher.combine(bytes.count)
            hasher.combine(bytes: bytes)
        }
    }
}

extension PgText: RandomAccessCollection {
    public typealias Index = Int
    public typealias Element = UInt8
    public typealias Indices = Range<Int>

    @inlinable
    public var startIndex: Int { 0 }

    @inlinable
    public var endIndex: Int { count }

    @inlinable
    public var count: Int {
        switch storage {
        case .small(_, let second): Int(truncatingIfNeeded: UInt64(littleEndian: second) >> 56)
        case .large(_, _, let count): Int(count)
        }
    }

    @inlinable
    public var isEmpty: Bool { count == 0 }

    @inlinable
    public subscript(position: Int) -> UInt8 {
        switch storage {
        case .small(let first, let second):
            precondition(position >= 0 && position < count, "PgText index out of range")
            let word = position < 8 ? UInt64(littleEndian: first) : UInt64(littleEndian: second)
            return UInt8(truncatingIfNeeded: word >> (UInt64(position & 7) &* 8))
        case .large(let bytes, let offset, let count):
            precondition(position >= 0 && position < Int(count), "PgText index out of range")
            return bytes[Int(offset) &+ position]
        }
    }

    @inlinable
    public func withContiguousStorageIfAvailable<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R? {
        try withUnsafeBufferPointer(body)
    }
}

extension PgText: ExpressibleByArrayLiteral {
    public init(arrayLiteral elements: UInt8...) {
        self.init(elements)
    }
}

extension PgText: ExpressibleByStringLiteral {
    public init(stringLiteral value: String) {
        self.init(value)
    }
}

extension PgText: CustomStringConvertible, CustomDebugStringConvertible {
    public var description: String { string }
    public var debugDescription: String { "PgText(\(string.debugDescription))" }
}
