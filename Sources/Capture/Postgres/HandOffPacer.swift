/// When the capture thread hands its pending changes to the consumer (the stream's appender): each
/// time the socket has nothing more to read while that happens at most `batchingRate` times a
/// second, otherwise at most every `interval`.
///
/// Every hand-off wakes each stage behind it once (append and write, fsync, the readers): about
/// 70 µs of CPU in all. Handing out whatever one socket read brought — 15–20 changes at 100k
/// changes/s, 6,500 hand-offs a second — made those wakeups a third of cdcd's CPU. At a few hundred
/// transactions a second they cost little, and waiting would only add latency. So the pacer keeps a
/// smoothed rate of *quiet points* — the moments the socket ran dry with changes pending, each of
/// which would be a hand-off without batching — and only above `batchingRate` does it ask capture
/// to keep reading until `interval` has passed since the last hand-off (or the batch is full,
/// capture's own rule). The quiet points go on being counted while capture waits, so the rate
/// does not fall because of the batching itself. A pure value: the caller passes the clock.
struct HandOffPacer: Sendable {
    /// The least time between two hand-offs while batching; zero: never wait.
    let interval: Duration
    /// Quiet points per second above which hand-offs are batched.
    let batchingRate: Double
    /// Quiet points per second over the last hand-offs (each hand-off halves the weight of the
    /// ones before).
    private(set) var rate: Double = 0
    private(set) var lastHandOff: ContinuousClock.Instant
    /// Quiet points since the last hand-off.
    private(set) var quietPoints = 0

    init(interval: Duration, batchingRate: Double, now: ContinuousClock.Instant) {
        self.interval = interval
        self.batchingRate = batchingRate
        lastHandOff = now
    }

    /// The socket ran dry with changes pending: how much longer to collect before handing them
    /// out; nil: hand them out now.
    mutating func quietPoint(now: ContinuousClock.Instant) -> Duration? {
        quietPoints += 1
        guard interval > .zero, rate > batchingRate else { return nil }
        let remaining = interval - (now - lastHandOff)
        return remaining > .zero ? remaining : nil
    }

    /// What was pending was handed out at `now`.
    mutating func handedOut(now: ContinuousClock.Instant) {
        let (seconds, attoseconds) = (now - lastHandOff).components
        let gap = max(Double(seconds) + Double(attoseconds) * 1e-18, 1e-4)
        rate = (rate + Double(max(quietPoints, 1)) / gap) / 2
        lastHandOff = now
        quietPoints = 0
    }
}
