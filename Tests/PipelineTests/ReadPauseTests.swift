import LibPQ
import Testing

@testable import Capture

@Suite("ReadPause: capture's sleep between reads follows the walsender's segment size")
struct ReadPauseTests {
    /// Feeds `samples` counter readings, each `bytes` more over `segments` more data segments than
    /// the one before, one per `ReadPause.samplingInterval` pauses.
    func feed(_ pause: inout ReadPause, from start: inout TCPReceiveCounters, samples: Int, bytes: UInt64, segments: UInt32) {
        for _ in 0..<samples {
            for _ in 1..<ReadPause.samplingInterval {
                pause.paused(counters: { Issue.record("counters read between samples"); return nil }())
            }
            start.bytes += bytes
            start.dataSegments &+= segments
            pause.paused(counters: start)
        }
    }

    @Test("small segments lengthen the pause up to the maximum; large ones shorten it down to the minimum")
    func adapts() {
        var pause = ReadPause(initial: .microseconds(300))
        var counters = TCPReceiveCounters(bytes: 1000, dataSegments: 10)
        feed(&pause, from: &counters, samples: 1, bytes: 16_000, segments: 100)
        #expect(pause.current == .microseconds(300), "the first reading is only a baseline")
        // One message per segment (≈160 bytes): the window was open.
        feed(&pause, from: &counters, samples: 1, bytes: 16_000, segments: 100)
        #expect(pause.current == .microseconds(375))
        feed(&pause, from: &counters, samples: 20, bytes: 16_000, segments: 100)
        #expect(pause.current == .milliseconds(2))
        // 16 KB segments: the sends queued behind a closed window; capture is the slower side.
        feed(&pause, from: &counters, samples: 1, bytes: 160_000, segments: 10)
        #expect(pause.current == .microseconds(1875))
        feed(&pause, from: &counters, samples: 100, bytes: 160_000, segments: 10)
        #expect(pause.current == .microseconds(100))
        // Exactly the target counts as coalesced.
        var target = ReadPause(initial: .microseconds(320))
        var c = TCPReceiveCounters(bytes: 0, dataSegments: 0)
        feed(&target, from: &c, samples: 2, bytes: ReadPause.segmentTarget * 4, segments: 4)
        #expect(target.current == .microseconds(300))
    }

    @Test("no new segments, no counters (a Unix socket) or no pause at all: nothing changes")
    func holds() {
        var pause = ReadPause(initial: .microseconds(300))
        var counters = TCPReceiveCounters(bytes: 1000, dataSegments: UInt32.max - 5)
        feed(&pause, from: &counters, samples: 3, bytes: 0, segments: 0)
        #expect(pause.current == .microseconds(300))
        // The segment counter wraps at 2³²: still one message per segment.
        feed(&pause, from: &counters, samples: 1, bytes: 1600, segments: 10)
        #expect(pause.current == .microseconds(375))
        var unix = ReadPause(initial: .microseconds(300))
        for _ in 0..<(ReadPause.samplingInterval * 10) { unix.paused(counters: nil) }
        #expect(unix.current == .microseconds(300))
        var never = ReadPause(initial: .zero)
        var n = TCPReceiveCounters(bytes: 0, dataSegments: 0)
        feed(&never, from: &n, samples: 5, bytes: 1600, segments: 10)
        #expect(never.current == .zero)
    }

    @Test("after a reconnect the first reading is a baseline again")
    func reconnect() {
        var pause = ReadPause(initial: .microseconds(300))
        var old = TCPReceiveCounters(bytes: 0, dataSegments: 0)
        feed(&pause, from: &old, samples: 2, bytes: 1600, segments: 10)
        #expect(pause.current == .microseconds(375))
        pause.forgetCounters()
        // The new connection's counters have nothing to do with the old one's (here: more bytes
        // in fewer segments, which against the old counters would read as a wrapped segment count).
        var new = TCPReceiveCounters(bytes: 1_000_000, dataSegments: 5)
        feed(&pause, from: &new, samples: 1, bytes: 1600, segments: 10)
        #expect(pause.current == .microseconds(375), "only a baseline")
        feed(&pause, from: &new, samples: 1, bytes: 1600, segments: 10)
        #expect(pause.current == .microseconds(468.75))
    }

    @Test("the pacer sleeps the adapted pause, never past the hand-off")
    func pacerUsesIt() {
        let start = ContinuousClock.now
        var pacer = HandOffPacer(
            interval: .milliseconds(5), batchingRate: 5000, batchingRecordRate: 20_000, readPause: .microseconds(300),
            now: start)
        // 100k changes a second, handed out every 5 ms.
        for n in 1...50 { pacer.handedOut(records: 500, now: start + .milliseconds(5 * n)) }
        #expect(pacer.pause(within: .milliseconds(4)) == .microseconds(300))
        var counters = TCPReceiveCounters(bytes: 0, dataSegments: 0)
        for _ in 0..<(ReadPause.samplingInterval * 3) {
            counters.bytes += 160
            counters.dataSegments += 1
            pacer.paused(counters: counters)
        }
        #expect(pacer.pause(within: .milliseconds(4)) == .microseconds(468.75))
        #expect(pacer.pause(within: .microseconds(200)) == .microseconds(200))
    }
}
