#if canImport(Glibc)
    import Glibc
#endif

/// What a TCP socket has received so far: payload bytes and data segments, from the kernel's
/// `TCP_INFO` (Linux). Their ratio over an interval is the average size of the segments the peer
/// sent, which `ReplicationLoop` uses to pace its reads (see `ReadPause` in Capture).
public struct TCPReceiveCounters: Sendable, Equatable {
    /// Payload bytes received (`tcpi_bytes_received`).
    public var bytes: UInt64
    /// Segments received that carried data (`tcpi_data_segs_in`); wraps at 2³².
    public var dataSegments: UInt32

    public init(bytes: UInt64, dataSegments: UInt32) {
        self.bytes = bytes
        self.dataSegments = dataSegments
    }

    /// Byte offsets of the two fields in Linux's `struct tcp_info` (`linux/tcp.h`). The struct is
    /// part of the kernel's ABI and only ever grows at its end; glibc's own `struct tcp_info` stops
    /// before these fields, hence the offsets instead of the type.
    private static let bytesReceivedOffset = 128
    private static let dataSegmentsInOffset = 152
    private static let requiredLength = dataSegmentsInOffset + 4

    /// The counters of `socket`; nil when it is not a TCP socket (a Unix socket) or the kernel is
    /// older than Linux 4.6 (no `tcpi_data_segs_in`).
    public init?(socket: Int32) {
        #if os(Linux)
        var info = [UInt8](repeating: 0, count: 256)
        var length = socklen_t(info.count)
        guard getsockopt(socket, Int32(IPPROTO_TCP), TCP_INFO, &info, &length) == 0,
            Int(length) >= Self.requiredLength
        else { return nil }
        self = info.withUnsafeBytes { raw in
            TCPReceiveCounters(
                bytes: raw.loadUnaligned(fromByteOffset: Self.bytesReceivedOffset, as: UInt64.self),
                dataSegments: raw.loadUnaligned(fromByteOffset: Self.dataSegmentsInOffset, as: UInt32.self))
        }
        #else
        return nil
        #endif
    }
}
