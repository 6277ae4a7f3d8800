import LibPQ

/// The sleep between socket reads while capture collects a fast stream of changes
/// (`HandOffPacer.pause(within:)`), adapted to the size of the TCP segments the walsender sends.
///
/// The walsender writes every change as a message of its own and sends it at once (its socket
/// has `TCP_NODELAY`). Over TCP each send becomes a segment of its own, unless the receive window
/// is closed at that moment: then the sends queue in the walsender's socket and leave together,
/// as one large segment, when capture reads. Every segment costs the walsender the whole TCP path,
/// over loopback the receiving side's too. Reading one libpq buffer (16 KB) every 300 µs kept the
/// window open: 400–500k segments per million changes, and the walsender spent 25–40% more CPU
/// serving cdcd than serving PostgreSQL's own apply worker, whose slower reads keep the window
/// closed (7,600 segments for the same million changes).
///
/// Capture reads once per pause, so the pause bounds how fast it reads: long enough, and the
/// window is closed when the walsender sends; too long, and capture holds the walsender back. The
/// right pause depends on how fast the walsender goes (rows, machine, load), so it is measured:
/// every `samplingInterval` pauses the connection's TCP counters give the average segment since
/// the last sample. Under `segmentTarget` bytes the window was open, and a longer pause costs no
/// throughput (the walsender's sends found room): the pause grows by a quarter, up to `maximum`.
/// Larger segments mean capture is the slower side: the pause shrinks by a sixteenth, down to
/// `minimum`. It settles near the shortest pause at which the sends coalesce. Over a Unix socket
/// (no TCP counters) it stays at its initial value. When the pause is skipped altogether (a Unix
/// socket holding bytes, a loopback socket nearly full) is `StreamSocket`'s decision. A pure value:
/// the caller passes the counters.
struct ReadPause: Sendable {
    /// Segments averaging fewer bytes than this were sent into an open window.
    static let segmentTarget: UInt64 = 2048
    /// Pauses between two looks at the counters.
    static let samplingInterval = 16

    let minimum: Duration
    let maximum: Duration
    /// The pause now; zero: capture never sleeps between reads (and this never adapts).
    private(set) var current: Duration
    private var last: TCPReceiveCounters?
    private var pausesSinceSample = 0

    init(initial: Duration, minimum: Duration = .microseconds(100), maximum: Duration = .milliseconds(2)) {
        current = initial
        self.minimum = min(minimum, initial)
        self.maximum = max(maximum, initial)
    }

    /// The counters now come from another connection: the next reading is a baseline again.
    mutating func forgetCounters() {
        last = nil
        pausesSinceSample = 0
    }

    /// Capture slept `current` and read: every `samplingInterval` pauses, looks at `counters`
    /// (evaluated only then) and adapts.
    mutating func paused(counters: @autoclosure () -> TCPReceiveCounters?) {
        guard current > .zero else { return }
        pausesSinceSample += 1
        guard pausesSinceSample >= Self.samplingInterval else { return }
        pausesSinceSample = 0
        guard let now = counters() else { return }
        defer { last = now }
        guard let last, now.dataSegments != last.dataSegments, now.bytes >= last.bytes else { return }
        let averageSegment = (now.bytes - last.bytes) / UInt64(now.dataSegments &- last.dataSegments)
        current =
            averageSegment < Self.segmentTarget
            ? min(maximum, current * 5 / 4)
            : max(minimum, current * 15 / 16)
    }
}
