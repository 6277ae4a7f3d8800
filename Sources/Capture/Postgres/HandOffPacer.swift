import LibPQ

/// When the capture thread hands its pending changes to the consumer (the stream's appender): each
/// time the socket has nothing more to read, unless changes stream in fast; then at most every
/// `interval`.
///
/// Every hand-off wakes each stage behind it once (append and write, fsync, the readers): about
/// 70 µs of CPU in all. Handing out whatever one socket read brought — 15–20 changes at 100k
/// changes/s, 6,500 hand-offs a second — made those wakeups a third of cdcd's CPU. At a thousand
/// transactions a second they cost little, and waiting would add latency where it shows (webhooks).
/// So the pacer keeps two smoothed rates: changes handed out per second, and *quiet points* per
/// second — the moments the socket ran dry with something pending, each of which is a hand-off
/// without batching (a one-row transaction makes two: after its change, after its commit). Above
/// `batchingRecordRate` changes or `batchingRate` quiet points a second, it asks capture to keep
/// reading until `interval` has passed since the last hand-off (or the batch is full, capture's own
/// rule). Quiet points go on being counted while capture waits, so batching does not lower the
/// rate that started it. A pure value: the caller passes the clock.
///
/// How capture collects while it waits matters as much. Waiting on the socket wakes it for nearly
/// every message the walsender writes (≈5 changes a read, 200k wakeups per million changes), and
/// each wakeup costs both sides: the walsender, which wakes it from inside its `send`, and capture,
/// half of whose CPU went to the kernel. So while changes come faster than `batchingRecordRate`,
/// capture sleeps `readPause` between reads instead (`pause(within:)`), and reads what arrived
/// meanwhile in one go. How long it sleeps adapts to the TCP segments the walsender sends
/// (`ReadPause`): long enough that they coalesce, no longer.
struct HandOffPacer: Sendable {
    /// The least time between two hand-offs while batching; zero: never wait.
    let interval: Duration
    /// Quiet points per second above which hand-offs are batched.
    let batchingRate: Double
    /// Changes per second above which hand-offs are batched.
    let batchingRecordRate: Double
    /// The sleep between socket reads while batching a fast stream of changes; zero: never sleep.
    private(set) var readPause: ReadPause
    /// Smoothed time between hand-offs, quiet points and changes per hand-off (each hand-off has a
    /// quarter of the weight). Rates are ratios of these averages, not averages of each hand-off's
    /// rate, which short gaps between random arrivals would inflate.
    private var gap: Double = 0
    private var points: Double = 0
    private var records: Double = 0
    private(set) var lastHandOff: ContinuousClock.Instant
    /// Quiet points since the last hand-off.
    private(set) var quietPoints = 0

    init(
        interval: Duration, batchingRate: Double, batchingRecordRate: Double, readPause: Duration = .zero,
        now: ContinuousClock.Instant
    ) {
        self.interval = interval
        self.batchingRate = batchingRate
        self.batchingRecordRate = batchingRecordRate
        self.readPause = ReadPause(initial: readPause)
        lastHandOff = now
    }

    /// Quiet points per second.
    var rate: Double { gap > 0 ? points / gap : 0 }
    /// Changes per second.
    var recordRate: Double { gap > 0 ? records / gap : 0 }

    /// Whether hand-offs are being batched.
    var isBatching: Bool { interval > .zero && (rate > batchingRate || recordRate > batchingRecordRate) }

    /// The socket ran dry with something pending: how much longer to collect before handing it
    /// out; nil: hand it out now.
    mutating func quietPoint(now: ContinuousClock.Instant) -> Duration? {
        quietPoints += 1
        guard isBatching else { return nil }
        let remaining = interval - (now - lastHandOff)
        return remaining > .zero ? remaining : nil
    }

    /// While collecting for `remaining` more (what `quietPoint` returned): how long to sleep before
    /// reading the socket again, when changes come fast enough for it; nil: wait on the socket.
    /// Batching on the quiet-point rate alone (many small transactions) keeps waiting on the
    /// socket: its quiet points are what keep that rate up.
    func pause(within remaining: Duration) -> Duration? {
        guard readPause.current > .zero, interval > .zero, recordRate > batchingRecordRate else { return nil }
        return min(readPause.current, remaining)
    }

    /// Capture slept what `pause(within:)` returned and read the socket; `counters` are the
    /// connection's TCP counters (see `ReadPause`).
    mutating func paused(counters: @autoclosure () -> TCPReceiveCounters?) {
        readPause.paused(counters: counters())
    }

    /// A new replication connection: its TCP counters start again from zero.
    mutating func connected() {
        readPause.forgetCounters()
    }

    /// A batch of `records` changes was handed out at `now`.
    mutating func handedOut(records: Int, now: ContinuousClock.Instant) {
        let (seconds, attoseconds) = (now - lastHandOff).components
        gap = (3 * gap + Double(seconds) + Double(attoseconds) * 1e-18) / 4
        points = (3 * points + Double(max(quietPoints, 1))) / 4
        self.records = (3 * self.records + Double(records)) / 4
        lastHandOff = now
        quietPoints = 0
    }
}
