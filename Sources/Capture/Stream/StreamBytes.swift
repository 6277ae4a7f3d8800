import CDCCore

/// Appending the stream's primitive encodings to a byte buffer: LEB128 varints, zigzag varints,
/// little-endian fixed-width integers and length-prefixed byte strings.
enum StreamBytes {
    @inline(__always)
    static func appendVarint(_ value: UInt64, to buffer: inout [UInt8]) {
        var v = value
        while v >= 0x80 {
            buffer.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        buffer.append(UInt8(truncatingIfNeeded: v))
    }

    @inline(__always)
    static func appendZigzag(_ value: Int64, to buffer: inout [UInt8]) {
        appendVarint(UInt64(bitPattern: (value << 1) ^ (value >> 63)), to: &buffer)
    }

    @inline(__always)
    static func appendLE<T: FixedWidthInteger>(_ value: T, to buffer: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { buffer.append(contentsOf: $0) }
    }

    @inline(__always)
    static func appendBytes(_ bytes: [UInt8], to buffer: inout [UInt8]) {
        appendVarint(UInt64(bytes.count), to: &buffer)
        buffer.append(contentsOf: bytes)
    }

    @inline(__always)
    static func appendString(_ string: String, to buffer: inout [UInt8]) {
        var s = string
        s.withUTF8 { utf8 in
            appendVarint(UInt64(utf8.count), to: &buffer)
            buffer.append(contentsOf: utf8)
        }
    }

    /// The bytes `appendVarint` writes for `value`.
    @inline(__always)
    static func varintSize(_ value: UInt64) -> Int {
        // 1 byte per 7 significant bits, at least one.
        (64 &- (value | 1).leadingZeroBitCount &+ 6) / 7
    }

    /// Writes `value` as a varint at `out`; returns the bytes written (`varintSize(value)`).
    @inline(__always)
    static func storeVarint(_ value: UInt64, at out: UnsafeMutablePointer<UInt8>) -> Int {
        var v = value
        var n = 0
        while v >= 0x80 {
            out[n] = UInt8(truncatingIfNeeded: v) | 0x80
            v >>= 7
            n &+= 1
        }
        out[n] = UInt8(truncatingIfNeeded: v)
        return n &+ 1
    }

    /// Appends `count` bytes that `body` writes in place (it must write all of them): one append
    /// for a whole run of fields instead of one per field, each of which checks the array's
    /// uniqueness and capacity.
    @inline(__always)
    static func appendInPlace(count: Int, to buffer: inout [UInt8], _ body: (UnsafeMutablePointer<UInt8>) -> Void) {
        let start = buffer.count
        buffer.append(contentsOf: repeatElement(0, count: count))
        buffer.withUnsafeMutableBufferPointer { body($0.baseAddress! + start) }
    }

    /// Overwrites 4 bytes at `index` with `value`, little-endian.
    @inline(__always)
    static func storeLE32(_ value: UInt32, at index: Int, in buffer: inout [UInt8]) {
        buffer[index] = UInt8(truncatingIfNeeded: value)
        buffer[index + 1] = UInt8(truncatingIfNeeded: value >> 8)
        buffer[index + 2] = UInt8(truncatingIfNeeded: value >> 16)
        buffer[index + 3] = UInt8(truncatingIfNeeded: value >> 24)
    }
}

/// A forward-only cursor over borrowed bytes in the stream's encodings. Every read checks bounds and
/// throws `StreamError.corrupt` rather than reading past the end. The buffer must stay valid while
/// the reader is used.
struct StreamByteReader {
    let buffer: UnsafeRawBufferPointer
    private(set) var offset: Int

    @inline(__always)
    init(_ buffer: UnsafeRawBufferPointer, offset: Int = 0) {
        self.buffer = buffer
        self.offset = offset
    }

    @inline(__always)
    var remaining: Int { buffer.count &- offset }

    func corrupt(_ what: String) -> StreamError {
        StreamError(code: .corrupt, message: "invalid encoding: \(what) at byte \(offset)")
    }

    @inline(__always)
    mutating func require(_ count: Int) throws(StreamError) {
        if _slowPath(count < 0 || remaining < count) { throw corrupt("truncated value") }
    }

    @inline(__always)
    mutating func readUInt8() throws(StreamError) -> UInt8 {
        try require(1)
        let v = buffer[offset]
        offset &+= 1
        return v
    }

    @inline(__always)
    mutating func readLE<T: FixedWidthInteger>(_: T.Type) throws(StreamError) -> T {
        let size = MemoryLayout<T>.size
        try require(size)
        let v = buffer.loadUnaligned(fromByteOffset: offset, as: T.self)
        offset &+= size
        return T(littleEndian: v)
    }

    @inline(__always)
    mutating func readVarint() throws(StreamError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let byte = try readUInt8()
            if _slowPath(shift == 63 && byte > 1) { throw corrupt("varint overflow") }
            result |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return result }
            shift &+= 7
            if _slowPath(shift > 63) { throw corrupt("varint overflow") }
        }
    }

    @inline(__always)
    mutating func readZigzag() throws(StreamError) -> Int64 {
        let v = try readVarint()
        return Int64(bitPattern: v >> 1) ^ -Int64(bitPattern: v & 1)
    }

    /// A varint that must fit `T` (a count, an index, a 32-bit number).
    @inline(__always)
    mutating func readVarint<T: FixedWidthInteger>(as _: T.Type) throws(StreamError) -> T {
        let v = try readVarint()
        guard let value = T(exactly: v) else { throw corrupt("number out of range") }
        return value
    }

    /// A count of items that each take at least one byte: bounded by what is left.
    @inline(__always)
    mutating func readCount() throws(StreamError) -> Int {
        let v = try readVarint()
        guard v <= UInt64(remaining) else { throw corrupt("count larger than the entry") }
        return Int(v)
    }

    @inline(__always)
    mutating func readBytes(count: Int) throws(StreamError) -> [UInt8] {
        try require(count)
        let bytes = [UInt8](UnsafeRawBufferPointer(rebasing: buffer[offset..<(offset &+ count)]))
        offset &+= count
        return bytes
    }

    /// The next `count` bytes, borrowed (valid as long as the reader's buffer).
    @inline(__always)
    mutating func readBuffer(count: Int) throws(StreamError) -> UnsafeRawBufferPointer {
        try require(count)
        let bytes = UnsafeRawBufferPointer(rebasing: buffer[offset..<(offset &+ count)])
        offset &+= count
        return bytes
    }

    /// The next `count` bytes as a column value (inline when short: no allocation).
    @inline(__always)
    mutating func readText(count: Int) throws(StreamError) -> PgText {
        try require(count)
        let text = PgText(UnsafeRawBufferPointer(rebasing: buffer[offset..<(offset &+ count)]))
        offset &+= count
        return text
    }

    @inline(__always)
    mutating func readString() throws(StreamError) -> String {
        let count = try readCount()
        try require(count)
        let s = String(decoding: UnsafeRawBufferPointer(rebasing: buffer[offset..<(offset &+ count)]), as: UTF8.self)
        offset &+= count
        return s
    }
}

extension StreamBytes {
    /// `Array.withUnsafeBytes` for a body with typed throws (the standard one rethrows untyped).
    @inline(__always)
    static func withBytes<R>(
        of array: [UInt8], _ body: (UnsafeRawBufferPointer) throws(StreamError) -> R
    ) throws(StreamError) -> R {
        let result: Result<R, StreamError> = array.withUnsafeBytes { raw in
            Result { () throws(StreamError) -> R in try body(raw) }
        }
        return try result.get()
    }

    /// `Array.withUnsafeMutableBytes` for a body with typed throws.
    @inline(__always)
    static func withMutableBytes<R>(
        of array: inout [UInt8], _ body: (UnsafeMutableRawBufferPointer) throws(StreamError) -> R
    ) throws(StreamError) -> R {
        let result: Result<R, StreamError> = array.withUnsafeMutableBytes { raw in
            Result { () throws(StreamError) -> R in try body(raw) }
        }
        return try result.get()
    }
}
