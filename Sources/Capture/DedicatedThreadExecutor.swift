import Foundation

/// A task executor with one thread of its own. Work that must block — the stream's fsync in
/// `CaptureToStream`, a checkpoint file's fsyncs — runs there (`withTaskExecutorPreference`, or
/// `run` for a plain closure) instead of on the cooperative pool, whose few threads (one per core)
/// every pipeline and sink completion needs: an fsync that takes 5 ms under disk contention would
/// otherwise hold a core's worth of Swift concurrency for 5 ms.
///
/// Jobs run one at a time, in the order they were enqueued. `shutdown()` ends the thread once the
/// jobs enqueued before it have run; call it when nothing prefers the executor any more.
///
/// `@unchecked Sendable`: `jobs` and `stopping` are guarded by `condition`'s lock; the thread only
/// runs the jobs it took out under that lock.
final class DedicatedThreadExecutor: TaskExecutor, @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    private var stopping = false

    init(name: String) {
        let thread = Thread { [self] in loop() }
        thread.name = name
        thread.start()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    /// Ends the thread after the jobs already enqueued.
    func shutdown() {
        condition.lock()
        stopping = true
        condition.signal()
        condition.unlock()
    }

    private func loop() {
        var batch: [UnownedJob] = []
        while true {
            condition.lock()
            while jobs.isEmpty && !stopping { condition.wait() }
            if jobs.isEmpty {
                condition.unlock()
                return
            }
            swap(&batch, &jobs)
            condition.unlock()
            for job in batch { job.runSynchronously(on: asUnownedTaskExecutor()) }
            batch.removeAll(keepingCapacity: true)
        }
    }
}
