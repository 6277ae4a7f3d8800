import LibPQ

/// The replication connection's socket as capture's reads see it while it batches a fast stream:
/// when a read is followed at once by the next one instead of a pause (`ReadPause`).
///
/// - Over a Unix socket there are no segments to coalesce: what a read left in the socket is read
///   at once, and the pause only waits for more. One 16 KB libpq read per pause capped capture
///   below the walsender's pace (the walsender then slept on its full socket).
/// - Over TCP to this machine (loopback) the receive buffer is fixed at `loopbackReceiveBuffer`,
///   and capture reads without pausing while the socket holds at least `fullShare` of it. A socket
///   that full means the receive window is closed or nearly: the walsender's sends are queueing on
///   its side (they leave as large segments when the window opens), and it sleeps once its own
///   buffer is full. Pausing then only held it back: the two CPUs of the benchmark machine were
///   idle 9–22% of a run, most of it ended by capture waking from a pause with 0.25–2 MB unread.
///   The buffer is fixed because the kernel's autotuning grows it when the reader speeds up: the
///   window opened wide, the walsender's sends went out one small segment each (700–800k per
///   million changes instead of 40–70k) and its CPU per change doubled. Below `fullShare` the
///   pause applies as before (at 40% the small segments came back in three runs of four).
/// - Over TCP to another machine nothing changes: a fixed buffer would cap the throughput of a
///   long link (a window of 512 KB carries 10 MB/s over a 50 ms round trip), and there the
///   segments' receiving side runs on the other machine.
struct StreamSocket: Sendable, Equatable {
    enum Kind: Sendable, Equatable {
        case unix
        /// `fullAt`: unread bytes from which capture reads at once.
        case loopbackTCP(fullAt: Int)
        case tcp
    }

    /// The receive buffer requested over loopback TCP (Linux allots twice this, half of it for its
    /// bookkeeping).
    static let loopbackReceiveBuffer = 256 * 1024
    /// The share of the allotted buffer, in percent, that counts as full.
    static let fullShare = 55

    let kind: Kind

    /// Whether capture reads again without pausing, given the bytes waiting unread in the socket
    /// (evaluated only where they matter).
    func readsAtOnce(unread: @autoclosure () -> Int) -> Bool {
        switch kind {
        case .unix: unread() > 0
        case .loopbackTCP(let fullAt): unread() >= fullAt
        case .tcp: false
        }
    }

    /// The kind for a buffer of `allotted` bytes (as the kernel reports it).
    static func loopback(allotted: Int) -> StreamSocket {
        StreamSocket(kind: .loopbackTCP(fullAt: allotted * fullShare / 100))
    }

    /// Looks at `connection`'s socket and, over loopback TCP, fixes its receive buffer.
    static func prepare(_ connection: PostgresConnection) -> StreamSocket {
        if connection.isUnixSocket { return StreamSocket(kind: .unix) }
        if connection.isLoopbackTCP, let allotted = connection.fixReceiveBuffer(bytes: loopbackReceiveBuffer) {
            return loopback(allotted: allotted)
        }
        return StreamSocket(kind: .tcp)
    }
}
