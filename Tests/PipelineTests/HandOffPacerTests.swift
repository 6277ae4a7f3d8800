import Testing

@testable import Capture

@Suite("HandOffPacer: when capture hands its changes on")
struct HandOffPacerTests {
    let start = ContinuousClock.now

    func at(_ ms: Double) -> ContinuousClock.Instant { start + .microseconds(Int((ms * 1000).rounded())) }

    @Test("a trickle goes out at once; a stream is batched every interval; a trickle again goes at once")
    func trickleStreamTrickle() {
        var pacer = HandOffPacer(interval: .milliseconds(5), batchingRate: 1000, now: at(0))
        var t = 0.0
        // 500 transactions a second, each handed out when the socket runs dry after it: never waits.
        for _ in 0..<20 {
            t += 2
            #expect(pacer.quietPoint(now: at(t)) == nil)
            pacer.handedOut(now: at(t))
        }
        #expect(pacer.rate < 1000)
        // Changes streaming in, the socket running dry every 0.15 ms: after a few hand-offs, capture
        // collects until 5 ms have passed since the last one.
        var waits: [Duration?] = []
        for _ in 0..<4 {
            t += 0.15
            let wait = pacer.quietPoint(now: at(t))
            waits.append(wait)
            if wait == nil { pacer.handedOut(now: at(t)) }
        }
        #expect(waits == [nil, .microseconds(4850), .microseconds(4700), .microseconds(4550)])
        // While it waits, the quiet points still count: the rate holds and batching goes on.
        for _ in 0..<10 {
            for k in 1...32 { _ = pacer.quietPoint(now: at(t + Double(k) * 0.15)) }
            t += 5
            #expect(pacer.quietPoint(now: at(t)) == nil, "due once the interval has passed")
            pacer.handedOut(now: at(t))
            #expect(pacer.quietPoint(now: at(t + 0.15)) == .microseconds(4850))
        }
        #expect(pacer.rate > 6000)
        // Back to a trickle (a transaction every 4 ms): a few batches later, they go out at once again.
        var waited = 0
        for _ in 0..<20 {
            t += 5
            pacer.handedOut(now: at(t))
            if pacer.quietPoint(now: at(t + 4)) != nil { waited += 1 }
        }
        #expect(waited > 0 && waited < 8)
        #expect(pacer.quietPoint(now: at(t + 4)) == nil)
    }

    @Test("after a quiet spell the first batch goes at once; zero interval never waits")
    func quietAndOff() {
        var pacer = HandOffPacer(interval: .milliseconds(5), batchingRate: 1000, now: at(0))
        for i in 1...10 { pacer.handedOut(now: at(Double(i) * 0.2)) }
        #expect(pacer.quietPoint(now: at(2.5)) != nil)
        #expect(pacer.quietPoint(now: at(1000)) == nil)
        var off = HandOffPacer(interval: .zero, batchingRate: 0, now: at(0))
        off.handedOut(now: at(0.1))
        #expect(off.quietPoint(now: at(0.2)) == nil)
    }
}
