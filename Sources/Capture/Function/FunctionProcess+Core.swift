import Foundation
import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension FunctionProcess {
    /// What the I/O thread needs to know about the function.
    struct Spec: Sendable {
        var command: [String]
        var workingDirectory: String?
        var environment: [String: String]
        var timeout: Duration
        var startupTimeout: Duration
        var name: String
        var logger: Logger

        /// Grace between SIGTERM and SIGKILL in `close()`.
        var terminationGrace: Duration = .seconds(2)
        /// How long a process that closed its stdout gets to exit before it is killed.
        var exitGrace: Duration = .seconds(1)
    }

    /// One invocation waiting for, or being given, the I/O thread.
    struct Job: Sendable {
        var id: UInt64
        var request: [UInt8]
        var continuation: CheckedContinuation<Result<FunctionResult, FunctionError>, Never>

        func finish(_ result: Result<FunctionResult, FunctionError>) {
            continuation.resume(returning: result)
        }
    }

    /// The state shared by the callers (`invoke`, `close`, cancellation) and the I/O thread, and the
    /// wake-up pipe with which callers interrupt the thread's `poll`.
    final class Core: Sendable {
        let spec: Spec
        let state: Mutex<State>
        /// Read end (polled by the I/O thread) and write end (written by callers) of the wake-up pipe;
        /// both non-blocking, -1 if the pipe could not be made (then `submit` fails every job).
        let wakeRead: Int32
        let wakeWrite: Int32

        struct State {
            var nextID: UInt64 = 0
            /// Ids handed out by `allocate` whose job has not been submitted yet.
            var allocated: Set<UInt64> = []
            /// Of those, the ones cancelled before they were submitted.
            var cancelledEarly: Set<UInt64> = []
            var queue: [Job] = []
            var currentID: UInt64?
            var currentCancelled = false
            var closed = false
            var thread: ThreadState = .notStarted
            var closeWaiters: [CheckedContinuation<Void, Never>] = []
            /// The running child's pid, for `processID`; cleared before it is reaped.
            var pid: Int32?
        }

        enum ThreadState { case notStarted, running, finished }

        init(_ spec: Spec) {
            self.spec = spec
            self.state = Mutex(State())
            if let pipe = SpawnSupport.makePipe() {
                for fd in [pipe.read, pipe.write] { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
                (wakeRead, wakeWrite) = pipe
            } else {
                (wakeRead, wakeWrite) = (-1, -1)
            }
        }

        deinit {
            if wakeRead >= 0 { SpawnSupport.closeDescriptor(wakeRead) }
            if wakeWrite >= 0 { SpawnSupport.closeDescriptor(wakeWrite) }
        }

        /// Interrupts the I/O thread's `poll` so it looks at the shared state again.
        func wake() {
            var byte: UInt8 = 1
            _ = write(wakeWrite, &byte, 1)  // EAGAIN: a wake-up is already pending, which is enough.
        }

        func allocate() -> UInt64 {
            state.withLock { state in
                state.nextID += 1
                state.allocated.insert(state.nextID)
                return state.nextID
            }
        }

        func submit(_ job: Job) {
            enum Outcome {
                case queued(startThread: Bool)
                case failed(FunctionError)
            }
            let name = spec.name
            let outcome = state.withLock { state -> Outcome in
                state.allocated.remove(job.id)
                if state.cancelledEarly.remove(job.id) != nil {
                    return .failed(FunctionError(.cancelled, "function \(name): the batch was cancelled before it ran"))
                }
                if state.closed {
                    return .failed(FunctionError(.cannotStart, "function \(name) is closed (cdcd is stopping)"))
                }
                if wakeRead < 0 {
                    return .failed(
                        FunctionError(.cannotStart, "function \(name) could not be started: pipe() failed"))
                }
                state.queue.append(job)
                guard case .notStarted = state.thread else { return .queued(startThread: false) }
                state.thread = .running
                return .queued(startThread: true)
            }
            switch outcome {
            case .failed(let error):
                job.finish(.failure(error))
            case .queued(let startThread):
                if startThread {
                    let thread = Thread { [self] in Loop(core: self).run() }
                    thread.name = "cdcd-function"
                    thread.start()
                } else {
                    wake()
                }
            }
        }

        func cancel(_ id: UInt64) {
            let name = spec.name
            let (removed, running) = state.withLock { state -> (Job?, Bool) in
                if let index = state.queue.firstIndex(where: { $0.id == id }) {
                    return (state.queue.remove(at: index), false)
                }
                if state.currentID == id {
                    state.currentCancelled = true
                    return (nil, true)
                }
                if state.allocated.contains(id) { state.cancelledEarly.insert(id) }
                return (nil, false)
            }
            removed?.finish(
                .failure(FunctionError(.cancelled, "function \(name): the batch was cancelled before it ran")))
            if running { wake() }
        }

        /// Marks the function closed, fails queued jobs, and has the I/O thread stop the process and
        /// end; `waiter` (if any) is resumed once that is done.
        func shutDown(waiter: CheckedContinuation<Void, Never>?) {
            let (queued, resumeNow) = state.withLock { state -> ([Job], Bool) in
                state.closed = true
                let queued = state.queue
                state.queue = []
                switch state.thread {
                case .notStarted:
                    state.thread = .finished
                    return (queued, true)
                case .finished:
                    return (queued, true)
                case .running:
                    if let waiter { state.closeWaiters.append(waiter) }
                    return (queued, false)
                }
            }
            let error = FunctionError(.cannotStart, "function \(spec.name) was closed before the batch ran")
            for job in queued { job.finish(.failure(error)) }
            if resumeNow { waiter?.resume() } else { wake() }
        }
    }
}
