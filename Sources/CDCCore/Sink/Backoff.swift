/// Exponential backoff with full jitter: attempt 1 waits up to `initial`, each further attempt
/// doubles the bound, capped at `maximum` (Lambda's and AWS's recommended shape).
public struct Backoff: Sendable, Hashable {
    public var initial: Duration
    public var maximum: Duration

    public init(initial: Duration = .seconds(1), maximum: Duration = .seconds(60)) {
        self.initial = initial
        self.maximum = maximum
    }

    /// The upper bound of the wait after `attempt` failures (1-based).
    public func bound(afterAttempt attempt: Int) -> Duration {
        var bound = initial
        var n = 1
        while n < attempt && bound < maximum {
            bound = bound * 2
            n += 1
        }
        return min(bound, maximum)
    }

    /// A random wait in [bound/2, bound]: jittered, never zero, never above the cap.
    public func delay<G: RandomNumberGenerator>(afterAttempt attempt: Int, using generator: inout G) -> Duration {
        let bound = bound(afterAttempt: attempt)
        let nanoseconds = max(1, Int64(bound.components.seconds) * 1_000_000_000 + bound.components.attoseconds / 1_000_000_000)
        let jittered = Int64.random(in: (nanoseconds / 2)...nanoseconds, using: &generator)
        return .nanoseconds(jittered)
    }

    public func delay(afterAttempt attempt: Int) -> Duration {
        var generator = SystemRandomNumberGenerator()
        return delay(afterAttempt: attempt, using: &generator)
    }
}
