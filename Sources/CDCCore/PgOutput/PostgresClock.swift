#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// PostgreSQL's wall clock: microseconds since 2000-01-01 00:00:00 UTC, the unit of commit times,
/// keepalive send times and the standby status update's clock field.
public enum PostgresClock {
    /// Seconds from the Unix epoch (1970-01-01) to the PostgreSQL epoch (2000-01-01).
    public static let unixEpochOffsetSeconds: Int64 = 946_684_800

    /// The current time (CLOCK_REALTIME) in microseconds since 2000-01-01 UTC.
    public static func now() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return (Int64(ts.tv_sec) - unixEpochOffsetSeconds) * 1_000_000 + Int64(ts.tv_nsec) / 1_000
    }
}
