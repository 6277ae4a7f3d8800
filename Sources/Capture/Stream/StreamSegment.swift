#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The on-disk layout of one segment file of the stream (see `StreamLog` for the whole format).
///
/// A segment is `<base offset, 20 decimal digits>.log`: a 32-byte header, then entries.
/// - header: magic `CDCDSTRM` (8 bytes), format version (4 bytes LE, 1), CRC-32C of the other 28
///   header bytes (4 bytes LE), base offset (8 bytes LE: the offset of the segment's first record),
///   creation time (8 bytes LE, microseconds since 1970; not before any append time of an older
///   segment).
/// - entry: payload length `n` (4 bytes LE, > 0), CRC-32C of the 4 length bytes followed by the
///   payload (4 bytes LE), payload (`n` bytes). The payload's first byte is its type:
///   - `1` relation definition: relation id (varint, 1, 2, 3… within the segment), then the relation
///     as `StreamRecordCodec` encodes it.
///   - `2` record: append time (8 bytes LE, microseconds since 1970), relation id (varint, defined
///     earlier in the same segment), then the record body as `StreamRecordCodec` encodes it. Records
///     take consecutive offsets from the segment's base, in file order.
enum StreamSegment {
    static let magic: [UInt8] = Array("CDCDSTRM".utf8)
    static let version: UInt32 = 1
    static let headerSize = 32
    static let entryHeaderSize = 8
    static let relationEntry: UInt8 = 1
    static let recordEntry: UInt8 = 2
    static let fileSuffix = ".log"

    static func fileName(base: UInt64) -> String {
        let digits = String(base)
        return String(repeating: "0", count: max(0, 20 - digits.utf8.count)) + digits + fileSuffix
    }

    /// The base offset a segment file name stands for, nil for any other file.
    static func base(fromFileName name: String) -> UInt64? {
        guard name.utf8.count == 20 + fileSuffix.utf8.count, name.hasSuffix(fileSuffix) else { return nil }
        let digits = name.utf8.prefix(20)
        guard digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { return nil }
        return UInt64(String(decoding: digits, as: UTF8.self))
    }

    static func header(base: UInt64, createdAt: Int64) -> [UInt8] {
        var bytes = magic
        StreamBytes.appendLE(version, to: &bytes)
        StreamBytes.appendLE(UInt32(0), to: &bytes)
        StreamBytes.appendLE(base, to: &bytes)
        StreamBytes.appendLE(createdAt, to: &bytes)
        StreamBytes.storeLE32(headerChecksum(bytes), at: 12, in: &bytes)
        return bytes
    }

    private static func headerChecksum(_ bytes: [UInt8]) -> UInt32 {
        CRC32C.checksum(bytes[16..<32], seed: CRC32C.checksum(bytes[0..<12]))
    }

    /// The base offset and creation time of a valid header, nil otherwise.
    static func parseHeader(_ bytes: [UInt8]) -> (base: UInt64, createdAt: Int64)? {
        guard bytes.count >= headerSize, Array(bytes[0..<8]) == magic else { return nil }
        return bytes.withUnsafeBytes { raw -> (UInt64, Int64)? in
            let version = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 8, as: UInt32.self))
            let crc = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 12, as: UInt32.self))
            guard version == Self.version, crc == headerChecksum(Array(bytes[0..<headerSize])) else { return nil }
            return (
                UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 16, as: UInt64.self)),
                Int64(littleEndian: raw.loadUnaligned(fromByteOffset: 24, as: Int64.self))
            )
        }
    }

    /// Reads and checks the header of an open segment file.
    static func readHeader(
        _ fd: Int32, path: String, expectedBase: UInt64
    ) throws(StreamError) -> (base: UInt64, createdAt: Int64)? {
        var bytes = [UInt8](repeating: 0, count: headerSize)
        let n = try StreamBytes.withMutableBytes(of: &bytes) { (raw) throws(StreamError) -> Int in
            try POSIXFile.readAt(fd, raw, at: 0, path: path)
        }
        guard n == headerSize, let header = parseHeader(bytes), header.base == expectedBase else { return nil }
        return header
    }

    /// Starts an entry in `buffer`: a placeholder header and the type byte. Close it with
    /// `finishEntry`.
    @inline(__always)
    static func beginEntry(type: UInt8, in buffer: inout [UInt8]) -> Int {
        let start = buffer.count
        buffer.append(contentsOf: [0, 0, 0, 0, 0, 0, 0, 0, type] as [UInt8])
        return start
    }

    /// Fills in the length and checksum of the entry begun at `start`; returns the entry's size in bytes.
    @inline(__always)
    static func finishEntry(at start: Int, in buffer: inout [UInt8]) -> Int {
        let length = buffer.count - start - entryHeaderSize
        StreamBytes.storeLE32(UInt32(truncatingIfNeeded: length), at: start, in: &buffer)
        let crc = buffer.withUnsafeBytes { raw in
            let lengthCRC = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[start..<(start + 4)]))
            return CRC32C.checksum(
                UnsafeRawBufferPointer(rebasing: raw[(start + entryHeaderSize)...]), seed: lengthCRC)
        }
        StreamBytes.storeLE32(crc, at: start + 4, in: &buffer)
        return buffer.count - start
    }

    /// The largest payload an entry can hold.
    static let maxPayload = Int(UInt32.max)
}

/// Reads a segment file's entries in order, in large chunks, checking each entry's length and
/// checksum. Stops at the end of the file as it was when the scanner was made.
struct SegmentScanner {
    /// One entry: where it starts in the file, and where its payload is in `buffer`.
    struct Entry {
        var position: Int64
        var type: UInt8
        var payload: Range<Int>
        var size: Int64 { Int64(StreamSegment.entryHeaderSize + payload.count) }
    }

    enum Step {
        case entry(Entry)
        /// The clean end of the file.
        case end
        /// Bytes at `position` that are not a whole, valid entry.
        case invalid(position: Int64, reason: String)
    }

    let fd: Int32
    let path: String
    /// File size when the scan began.
    let fileEnd: Int64
    private(set) var buffer: [UInt8]
    /// File position of `buffer[0]`.
    private var bufferStart: Int64
    private var head = 0
    private var count = 0

    init(fd: Int32, path: String, from position: Int64, chunkSize: Int) throws(StreamError) {
        self.fd = fd
        self.path = path
        self.fileEnd = try POSIXFile.fileSize(fd, path: path)
        self.buffer = [UInt8](repeating: 0, count: max(chunkSize, 4096))
        self.bufferStart = position
    }

    /// File position of the next entry.
    var position: Int64 { bufferStart + Int64(head) }

    /// Makes `needed` bytes from `head` available, unless the file ends first.
    private mutating func fill(_ needed: Int) throws(StreamError) -> Bool {
        if count - head >= needed { return true }
        if head > 0 {
            let live = count - head
            if live > 0 {
                buffer.withUnsafeMutableBytes { raw in
                    raw.baseAddress!.copyMemory(from: raw.baseAddress! + head, byteCount: live)
                }
            }
            bufferStart += Int64(head)
            head = 0
            count = live
        }
        if buffer.count < needed { buffer.append(contentsOf: repeatElement(0, count: needed - buffer.count)) }
        let want = Int(min(Int64(buffer.count - count), fileEnd - (bufferStart + Int64(count))))
        if want > 0 {
            let start = count
            let n = try StreamBytes.withMutableBytes(of: &buffer) { (raw) throws(StreamError) -> Int in
                try POSIXFile.readAt(
                    fd, UnsafeMutableRawBufferPointer(rebasing: raw[start..<(start + want)]),
                    at: bufferStart + Int64(start), path: path)
            }
            count += n
        }
        return count - head >= needed
    }

    mutating func next() throws(StreamError) -> Step {
        let position = self.position
        guard try fill(StreamSegment.entryHeaderSize) else {
            return count == head ? .end : .invalid(position: position, reason: "partial entry header")
        }
        let (length, crc) = buffer.withUnsafeBytes { raw in
            (
                UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: head, as: UInt32.self)),
                UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: head + 4, as: UInt32.self))
            )
        }
        if length == 0 { return .invalid(position: position, reason: "zero entry length") }
        let total = StreamSegment.entryHeaderSize + Int(length)
        if position + Int64(total) > fileEnd {
            return .invalid(position: position, reason: "entry runs past the end of the file")
        }
        guard try fill(total) else {
            return .invalid(position: position, reason: "entry runs past the end of the file")
        }
        let payloadStart = head + StreamSegment.entryHeaderSize
        let actual = buffer.withUnsafeBytes { raw in
            CRC32C.checksum(
                UnsafeRawBufferPointer(rebasing: raw[(payloadStart)..<(head + total)]),
                seed: CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[head..<(head + 4)])))
        }
        if actual != crc { return .invalid(position: position, reason: "checksum mismatch") }
        let type = buffer[payloadStart]
        head += total
        return .entry(Entry(position: position, type: type, payload: payloadStart..<(head)))
    }
}
