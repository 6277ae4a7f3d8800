/// A forward-only cursor over a borrowed byte buffer that reads the PostgreSQL wire encoding:
/// big-endian integers, NUL-terminated strings and length-prefixed byte strings.
///
/// Every read checks the bounds first and throws `PgOutputDecodingError` (tagged with
/// `messageType` and the current offset) instead of reading past the end. The buffer must stay
/// valid while the reader is used; nothing is copied except by `readBytes`, `readText` and `readCString`.
struct ByteReader {
    /// The bytes being read (borrowed).
    let buffer: UnsafeRawBufferPointer
    /// Offset of the next byte to read.
    private(set) var offset: Int
    /// The message type byte put into errors (set once the first byte has been read).
    var messageType: UInt8?

    @inline(__always)
    init(_ buffer: UnsafeRawBufferPointer) {
        self.buffer = buffer
        self.offset = 0
        self.messageType = nil
    }

    /// Bytes not read yet.
    @inline(__always)
    var remaining: Int { buffer.count &- offset }

    /// An error of `code` at the current offset for this message.
    @inline(__always)
    func error(_ code: PgOutputDecodingError.Code, detail: Int = 0, at offset: Int? = nil) -> PgOutputDecodingError {
        PgOutputDecodingError(code: code, messageType: messageType, offset: offset ?? self.offset, detail: detail)
    }

    @inline(__always)
    private func require(_ count: Int) throws(PgOutputDecodingError) {
        if _slowPath(remaining < count) {
            throw error(.truncated, detail: count &- remaining)
        }
    }

    @inline(__always)
    private mutating func load<T: FixedWidthInteger>(_: T.Type) throws(PgOutputDecodingError) -> T {
        let size = MemoryLayout<T>.size
        try require(size)
        let value = buffer.loadUnaligned(fromByteOffset: offset, as: T.self)
        offset &+= size
        return T(bigEndian: value)
    }

    @inline(__always)
    mutating func readUInt8() throws(PgOutputDecodingError) -> UInt8 {
        try require(1)
        let value = buffer[offset]
        offset &+= 1
        return value
    }

    @inline(__always)
    mutating func readInt16() throws(PgOutputDecodingError) -> Int16 { try load(Int16.self) }

    @inline(__always)
    mutating func readInt32() throws(PgOutputDecodingError) -> Int32 { try load(Int32.self) }

    @inline(__always)
    mutating func readUInt32() throws(PgOutputDecodingError) -> UInt32 { try load(UInt32.self) }

    @inline(__always)
    mutating func readInt64() throws(PgOutputDecodingError) -> Int64 { try load(Int64.self) }

    @inline(__always)
    mutating func readUInt64() throws(PgOutputDecodingError) -> UInt64 { try load(UInt64.self) }

    /// A NUL-terminated string, decoded as UTF-8 (invalid sequences become U+FFFD); the NUL is consumed.
    mutating func readCString() throws(PgOutputDecodingError) -> String {
        let start = offset
        var end = start
        let count = buffer.count
        while end < count {
            if buffer[end] == 0 {
                let string = String(decoding: UnsafeRawBufferPointer(rebasing: buffer[start..<end]), as: UTF8.self)
                offset = end &+ 1
                return string
            }
            end &+= 1
        }
        throw error(.unterminatedString, at: count)
    }

    /// The next `count` bytes, copied into a new array.
    mutating func readBytes(_ count: Int) throws(PgOutputDecodingError) -> [UInt8] {
        try require(count)
        // Array(UnsafeRawBufferPointer) is a specialized memcpy. (`Array(unsafeUninitializedCapacity:)`
        // calls an unspecialized stdlib initializer that looks up generic metadata on every call on
        // Linux, which measured about twice as slow.)
        let bytes = Array(UnsafeRawBufferPointer(rebasing: buffer[offset..<(offset &+ count)]))
        offset &+= count
        return bytes
    }

    /// The next `count` bytes as a column value (inline when short: no allocation).
    mutating func readText(_ count: Int) throws(PgOutputDecodingError) -> PgText {
        try require(count)
        let text = PgText(UnsafeRawBufferPointer(rebasing: buffer[offset..<(offset &+ count)]))
        offset &+= count
        return text
    }

    /// The next `count` bytes, borrowed (valid as long as the reader's buffer).
    @inline(__always)
    mutating func readBuffer(_ count: Int) throws(PgOutputDecodingError) -> UnsafeRawBufferPointer {
        try require(count)
        let bytes = UnsafeRawBufferPointer(rebasing: buffer[offset..<(offset &+ count)])
        offset &+= count
        return bytes
    }

    /// Throws `.trailingBytes` unless every byte has been read.
    @inline(__always)
    func expectEnd() throws(PgOutputDecodingError) {
        if _slowPath(remaining != 0) {
            throw error(.trailingBytes, detail: remaining)
        }
    }
}
