import Testing

@testable import Capture

@Suite("HandOffPacer: when capture hands its changes on")
struct HandOffPacerTests {
    let start = ContinuousClock.now

    func at(_ ms: Double) -> ContinuousClock.Instant { start + .microseconds(Int((ms * 1000).rounded())) }

    func pacer() -> HandOffPacer {
        HandOffPacer(interval: .milliseconds(5), batchingRate: 5000, batchingRecordRate: 20_000, now: at(0))
    }

    /// Quiet points every `every` ms with `records` changes each, handed out whenever the pacer says
    /// so, for `count` quiet points from `t`; returns the waits asked for.
    func run(_ p: inout HandOffPacer, from t: inout Double, count: Int, every: Double, records: Int) -> [Duration?] {
        var waits: [Duration?] = []
        var pending = 0
        for _ in 0..<count {
            t += every
            pending += records
            let wait = p.quietPoint(now: at(t))
            waits.append(wait)
            if wait == nil {
                p.handedOut(records: pending, now: at(t))
                pending = 0
            }
        }
        return waits
    }

    @Test("1,000 one-row transactions a second go out at once (a hand-off after each change and each commit)")
    func trickle() {
        var p = pacer()
        var t = 0.0
        for _ in 0..<500 {
            t += 0.7
            #expect(p.quietPoint(now: at(t)) == nil)
            p.handedOut(records: 1, now: at(t))
            t += 0.3
            #expect(p.quietPoint(now: at(t)) == nil)
            p.handedOut(records: 0, now: at(t))
        }
        #expect(!p.isBatching)
    }

    @Test("a stream of changes is handed out every interval, and again at once when it slows down")
    func streamThenTrickle() {
        var p = pacer()
        var t = 0.0
        // The socket runs dry every 0.15 ms with 15 changes (100k changes/s).
        let first = run(&p, from: &t, count: 20, every: 0.15, records: 15)
        #expect(first[0] == nil, "the first goes at once")
        #expect(p.isBatching)
        let waits = run(&p, from: &t, count: 400, every: 0.15, records: 15)
        let handOffs = waits.filter { $0 == nil }.count
        #expect(handOffs >= 10 && handOffs <= 13, "60 ms at most every 5 ms: \(handOffs)")
        #expect(p.isBatching, "the quiet points counted while waiting keep the rate up")
        // Then one transaction every 4 ms: a few batches later, each goes out at once.
        _ = run(&p, from: &t, count: 30, every: 4, records: 1)
        #expect(!p.isBatching)
        #expect(run(&p, from: &t, count: 10, every: 4, records: 1).allSatisfy { $0 == nil })
    }

    @Test("large reads: few quiet points but many changes a second are batched too")
    func largeReads() {
        var p = pacer()
        var t = 0.0
        let waits = run(&p, from: &t, count: 100, every: 1, records: 200)
        #expect(p.isBatching)
        #expect(waits.suffix(50).filter { $0 == nil }.count <= 11)
    }

    @Test("a fast stream of changes is collected with short sleeps between reads; many small transactions wait on the socket")
    func readPauses() {
        var p = HandOffPacer(
            interval: .milliseconds(5), batchingRate: 5000, batchingRecordRate: 20_000, readPause: .microseconds(300),
            now: at(0))
        var t = 0.0
        #expect(p.pause(within: .milliseconds(4)) == nil, "nothing measured yet")
        // 100k changes a second.
        _ = run(&p, from: &t, count: 100, every: 0.15, records: 15)
        #expect(p.pause(within: .milliseconds(4)) == .microseconds(300))
        #expect(p.pause(within: .microseconds(120)) == .microseconds(120), "never past the hand-off")
        // 16,000 quiet points a second with one change each: batched on quiet points, below the change rate.
        var small = pacer()
        var u = 0.0
        _ = run(&small, from: &u, count: 2000, every: 0.0625, records: 1)
        #expect(small.isBatching)
        #expect(small.pause(within: .milliseconds(4)) == nil)
        // No pause configured: always the socket.
        var plain = pacer()
        var v = 0.0
        _ = run(&plain, from: &v, count: 100, every: 0.15, records: 15)
        #expect(plain.isBatching && plain.pause(within: .milliseconds(4)) == nil)
    }

    @Test("after a quiet spell the first batch goes at once; zero interval never waits")
    func quietAndOff() {
        var p = pacer()
        var t = 0.0
        _ = run(&p, from: &t, count: 50, every: 0.15, records: 15)
        #expect(p.isBatching)
        #expect(p.quietPoint(now: at(t + 1000)) == nil)
        var off = HandOffPacer(interval: .zero, batchingRate: 0, batchingRecordRate: 0, now: at(0))
        var u = 0.0
        #expect(run(&off, from: &u, count: 50, every: 0.15, records: 15).allSatisfy { $0 == nil })
    }
}
