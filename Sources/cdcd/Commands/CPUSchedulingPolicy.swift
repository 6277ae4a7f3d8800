import ArgumentParser
import Foundation

/// The Linux scheduling policy of the daemon's threads (`cdcd run --cpu-scheduling-policy`).
///
/// `batch` (the default) is `SCHED_BATCH`: the same share of the CPUs as a normal thread (it is
/// not a lower priority; `nice` is unchanged), but a thread that wakes up does not preempt the one
/// running, it waits for the scheduler's next turn. cdcd wakes often (capture between reads, the
/// stream's appender and fsyncs, the sinks) and the processes it serves are the database's: with
/// the walsender, the sink's target backend and cdcd's threads on two CPUs, the walsender, which
/// paces the whole stream, waited for a CPU 0.7 s of a 3.9 s replica run, mostly behind cdcd's
/// wakeups. With `batch`, `bench/replica.sh`'s workload ran 299–320k rows/s against 268–286k
/// (5 interleaved runs each, stop 22). `other` keeps the normal policy (`SCHED_OTHER`), as under
/// `chrt --other`. systemd's `CPUSchedulingPolicy=` is applied when the unit starts the process,
/// before cdcd sets its own, so the flag is the place to choose.
enum CPUSchedulingPolicy: String, ExpressibleByArgument, CaseIterable, Sendable {
    case batch, other

    /// Applies the policy to every thread the process has (threads created later inherit it from
    /// the thread that creates them). Returns the threads it could not change (none on Linux, where
    /// a process may always move its own threads between these two policies).
    @discardableResult
    func apply() -> [Int32] {
        #if os(Linux)
            // Linux's numbers (<sched.h> names SCHED_BATCH only under _GNU_SOURCE, which Glibc's
            // module map does not import).
            let policy: Int32 = self == .batch ? 3 : 0
            var failed: [Int32] = []
            let threads = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
            for thread in threads.compactMap({ Int32($0) }) {
                var parameter = sched_param(sched_priority: 0)
                if sched_setscheduler(thread, policy, &parameter) != 0 { failed.append(thread) }
            }
            return failed
        #else
            return []
        #endif
    }
}
