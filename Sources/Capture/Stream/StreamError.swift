/// An error of the durable stream (`StreamLog`, `StreamRecordCodec`). Its description names the
/// file and what to do; it never holds record contents.
public struct StreamError: Error, CustomStringConvertible, Sendable {
    public enum Code: String, Sendable {
        /// A system call failed (`errno` holds the reason): disk full, permissions, I/O error.
        case io
        /// Stored bytes are not a valid stream (bad checksum, header or encoding) outside the tail
        /// that recovery repairs: the disk or someone else changed the files.
        case corrupt
        /// The requested records were deleted by retention: the reader lost
        /// `firstAvailable - requested` records. The reader must say so loudly and may continue from
        /// `firstAvailable`.
        case recordsTrimmed
        /// The requested offset is beyond the end of the stream (a checkpoint from another stream
        /// directory, or a stream directory that was replaced).
        case offsetBeyondEnd
        /// Another process (or another `StreamLog` in this one) holds the stream directory.
        case locked
        /// An earlier write failed; the log takes no more appends until it is reopened (reopening
        /// truncates whatever was half written).
        case failed
        /// The log was closed.
        case closed
    }

    public var code: Code
    public var message: String
    /// The failed system call's `errno`, for `.io`.
    public var errno: Int32?
    /// For `.recordsTrimmed`: the offset asked for.
    public var requested: UInt64?
    /// For `.recordsTrimmed`: the oldest retained offset (where the reader may continue).
    public var firstAvailable: UInt64?

    public init(
        code: Code, message: String, errno: Int32? = nil, requested: UInt64? = nil, firstAvailable: UInt64? = nil
    ) {
        self.code = code
        self.message = message
        self.errno = errno
        self.requested = requested
        self.firstAvailable = firstAvailable
    }

    /// For `.recordsTrimmed`: how many records the reader lost.
    public var lostRecords: UInt64? {
        guard let requested, let firstAvailable, firstAvailable > requested else { return nil }
        return firstAvailable - requested
    }

    public var description: String { "stream: " + message }
}
