import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension FunctionProcess {
    /// The dedicated I/O thread of one function: owns the child process and its pipes, runs jobs one at
    /// a time, and `poll`s the child's stdin, stdout and stderr and the wake-up pipe. Never shared:
    /// every property is touched by this thread only.
    final class Loop {
        let core: Core
        var child: ChildProcess?
        var running: Running?
        /// Bytes of the reply read so far; `scanned` of them are known to hold no newline.
        var stdoutBuffer: [UInt8] = []
        var scanned = 0
        /// The unfinished last line of stderr, and the child's last few stderr lines (for messages).
        var stderrPending: [UInt8] = []
        var stderrTail: [String] = []
        var chunk = [UInt8](repeating: 0, count: 65536)

        static let maximumStderrLine = 16384
        static let stderrTailLines = 5

        struct Running {
            var job: Job
            var written = 0
            var deadline: ContinuousClock.Instant
            /// The process was started for this job, so the deadline includes `startupTimeout`.
            var includesStartup: Bool
        }

        var spec: Spec { core.spec }

        init(core: Core) {
            self.core = core
        }

        func run() {
            Self.blockBrokenPipeSignal()
            while step() {}
        }

        // MARK: Jobs

        private enum Command {
            case close, cancelCurrent
            case start(Job)
            case wait
        }

        /// Takes the next command from the shared state and waits once for I/O; false once closed.
        private func step() -> Bool {
            let isRunning = running != nil
            let command = core.state.withLock { state -> Command in
                if state.closed { return .close }
                if isRunning { return state.currentCancelled ? .cancelCurrent : .wait }
                guard !state.queue.isEmpty else { return .wait }
                let job = state.queue.removeFirst()
                state.currentID = job.id
                state.currentCancelled = false
                return .start(job)
            }
            switch command {
            case .close:
                stop(first: SIGTERM, grace: spec.terminationGrace)
                complete(
                    .failure(FunctionError(.crashed, "function \(spec.name) was closed while it handled the batch")))
                let waiters = core.state.withLock { state in
                    state.thread = .finished
                    defer { state.closeWaiters = [] }
                    return state.closeWaiters
                }
                for waiter in waiters { waiter.resume() }
                return false
            case .cancelCurrent:
                stop(first: SIGKILL, grace: .zero)
                complete(
                    .failure(
                        FunctionError(
                            .cancelled,
                            "function \(spec.name): the batch was cancelled while it ran; the process was killed "
                                + "and is started again for the next batch")))
            case .start(let job):
                start(job)
                // Could not start: look at the queue again before waiting.
                if running == nil { return true }
            case .wait:
                break
            }
            waitForIO()
            return true
        }

        private func start(_ job: Job) {
            let fresh = child == nil
            if fresh {
                do {
                    let started = try ChildProcess.spawn(
                        command: spec.command, workingDirectory: spec.workingDirectory,
                        environment: spec.environment)
                    child = started
                    core.state.withLock { $0.pid = started.pid }
                    stderrTail = []
                    stderrPending = []
                    stdoutBuffer = []
                } catch {
                    core.state.withLock { state in
                        state.currentID = nil
                        state.currentCancelled = false
                    }
                    job.finish(
                        .failure(FunctionError(.cannotStart, "function \(spec.name) could not be started: \(error)")))
                    return
                }
            }
            stdoutBuffer = []
            scanned = 0
            running = Running(
                job: job, deadline: .now + spec.timeout + (fresh ? spec.startupTimeout : .zero), includesStartup: fresh)
        }

        /// Ends the running job (if any) with `result`.
        private func complete(_ result: Result<FunctionResult, FunctionError>) {
            guard let job = running?.job else { return }
            running = nil
            core.state.withLock { state in
                state.currentID = nil
                state.currentCancelled = false
            }
            job.finish(result)
        }

        // MARK: I/O

        private func waitForIO() {
            var fds = [pollfd(fd: core.wakeRead, events: Int16(POLLIN), revents: 0)]
            var stdinIndex = -1
            var stdoutIndex = -1
            var stderrIndex = -1
            if let child {
                if child.stdout >= 0 {
                    stdoutIndex = fds.count
                    fds.append(pollfd(fd: child.stdout, events: Int16(POLLIN), revents: 0))
                }
                if child.stderr >= 0 {
                    stderrIndex = fds.count
                    fds.append(pollfd(fd: child.stderr, events: Int16(POLLIN), revents: 0))
                }
                if let running, child.stdin >= 0, running.written < running.job.request.count {
                    stdinIndex = fds.count
                    fds.append(pollfd(fd: child.stdin, events: Int16(POLLOUT), revents: 0))
                }
            }
            var timeout: Int32 = -1
            if let running {
                let (seconds, attoseconds) = (running.deadline - .now).components
                let milliseconds = seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
                timeout = Int32(clamping: max(0, milliseconds))
            }
            let ready = poll(&fds, nfds_t(fds.count), timeout)
            if ready < 0 {
                if errno != EINTR { usleep(10_000) }  // Cannot happen with valid descriptors; do not spin.
                return
            }
            if fds[0].revents != 0 { drainWakeups() }
            let pid = child?.pid
            if stderrIndex >= 0, fds[stderrIndex].revents != 0, child?.pid == pid { readStderr() }
            if stdoutIndex >= 0, fds[stdoutIndex].revents != 0, child?.pid == pid { readStdout() }
            if stdinIndex >= 0, fds[stdinIndex].revents != 0, child?.pid == pid, running != nil { writeRequest() }
            if let running, ContinuousClock.now >= running.deadline {
                var within = FunctionError.describe(spec.timeout)
                if running.includesStartup {
                    within =
                        "\(FunctionError.describe(spec.timeout + spec.startupTimeout)) (its \(within) timeout "
                        + "plus \(FunctionError.describe(spec.startupTimeout)) to start)"
                }
                stop(first: SIGKILL, grace: .zero)
                complete(
                    .failure(
                        FunctionError(
                            .timedOut,
                            "function \(spec.name) did not answer within \(within); "
                                + "it was killed and is started again for the next batch")))
            }
        }

        private func drainWakeups() {
            while chunk.withUnsafeMutableBytes({ read(core.wakeRead, $0.baseAddress!, $0.count) }) > 0 {}
        }

        private func writeRequest() {
            guard let running, let child else { return }
            let written = running.job.request.withUnsafeBytes { bytes in
                write(child.stdin, bytes.baseAddress! + running.written, bytes.count - running.written)
            }
            if written > 0 {
                self.running?.written += written
            } else if written < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
                return
            } else {
                Self.discardBrokenPipeSignal()
                childEnded(how: "closed its stdin")
            }
        }

        private func readStdout() {
            guard let child else { return }
            var received = 0
            while true {
                let count = chunk.withUnsafeMutableBytes { read(child.stdout, $0.baseAddress!, $0.count) }
                if count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) { break }
                if count <= 0 {
                    childEnded(how: "closed its stdout")
                    return
                }
                received += count
                guard running != nil else {
                    let output = FunctionError.quote(chunk[..<count])
                    spec.logger.warning(
                        "function \(spec.name) printed output between batches; ignored: \(output)",
                        metadata: ["cdc.function": "\(spec.name)"])
                    return
                }
                stdoutBuffer.append(contentsOf: chunk[..<count])
                if let newline = stdoutBuffer[scanned...].firstIndex(of: 0x0A) {
                    var line = stdoutBuffer
                    stdoutBuffer = []
                    scanned = 0
                    let extra = line.count - newline - 1
                    line.removeSubrange(newline...)
                    if line.last == 0x0D { line.removeLast() }
                    if extra > 0 {
                        spec.logger.warning(
                            "function \(spec.name) printed \(extra) bytes after its reply line; ignored",
                            metadata: ["cdc.function": "\(spec.name)"])
                    }
                    handleReply(line)
                    return
                }
                scanned = stdoutBuffer.count
                if count < chunk.count || received >= 1 << 22 { break }
            }
        }

        private func handleReply(_ line: [UInt8]) {
            do throws(FunctionError) {
                complete(.success(try FunctionResult(reply: line, function: spec.name)))
            } catch  where error.kind == .badReply {
                stop(first: SIGKILL, grace: .zero)
                complete(
                    .failure(
                        FunctionError(
                            .badReply,
                            error.message + "; the process was stopped and is started again for the next batch")))
            } catch {
                complete(.failure(error))
            }
        }

        /// The child closed its stdout or stdin: wait for it to exit (killing it after a grace), and
        /// fail the running job with how it ended and the last lines of its stderr.
        private func childEnded(how: String) {
            let (status, killed) = stop(first: nil, grace: spec.exitGrace)
            var message = "function \(spec.name) "
            if killed {
                message += "\(how) and did not exit, so it was killed"
            } else if let status {
                message += ChildProcess.describe(status: status)
            } else {
                message += "ended (its exit status is unknown)"
            }
            if !stderrTail.isEmpty {
                var tail = stderrTail.joined(separator: " | ")
                if tail.count > 1000 { tail = "…" + tail.suffix(1000) }
                message += " (stderr: \(tail))"
            }
            if running != nil {
                complete(.failure(FunctionError(.crashed, message + "; it is started again for the next batch")))
            } else {
                spec.logger.warning(
                    "\(message) between batches; it is started again for the next batch",
                    metadata: ["cdc.function": "\(spec.name)"])
            }
        }

        // MARK: stderr

        /// Reads what stderr has now (a bounded amount) and logs each complete line.
        private func readStderr() {
            guard let fd = child?.stderr, fd >= 0 else { return }
            for _ in 0..<64 {
                let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
                if count < 0 && errno == EINTR { continue }
                if count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) { return }
                if count <= 0 {
                    SpawnSupport.closeDescriptor(fd)
                    child?.stderr = -1
                    flushStderrLine()
                    return
                }
                stderrPending.append(contentsOf: chunk[..<count])
                var start = 0
                while let newline = stderrPending[start...].firstIndex(of: 0x0A) {
                    logStderr(stderrPending[start..<newline])
                    start = newline + 1
                }
                stderrPending.removeSubrange(..<start)
                if stderrPending.count >= Self.maximumStderrLine { flushStderrLine() }
                if count < chunk.count { return }
            }
        }

        private func flushStderrLine() {
            if !stderrPending.isEmpty { logStderr(stderrPending[...]) }
            stderrPending = []
        }

        private func logStderr(_ bytes: ArraySlice<UInt8>) {
            var line = bytes
            if line.last == 0x0D { line.removeLast() }
            let text = String(decoding: line, as: UTF8.self)
            spec.logger.warning("\(text)", metadata: ["cdc.function": "\(spec.name)"])
            guard !text.allSatisfy(\.isWhitespace) else { return }
            stderrTail.append(text.count > 300 ? String(text.prefix(300)) + "…" : text)
            if stderrTail.count > Self.stderrTailLines { stderrTail.removeFirst() }
        }

        // MARK: Stopping

        /// Stops and reaps the child: closes its stdin, sends `first` (if any), waits up to `grace` for
        /// it to exit while logging its stderr, then SIGKILLs it. Returns its `waitpid` status (nil if
        /// unknown) and whether it had to be killed. No-op without a child.
        @discardableResult
        private func stop(first signal: Int32?, grace: Duration) -> (status: Int32?, killed: Bool) {
            guard let current = child else { return (nil, false) }
            core.state.withLock { $0.pid = nil }
            if current.stdin >= 0 {
                SpawnSupport.closeDescriptor(current.stdin)
                child?.stdin = -1
            }
            if let signal { current.send(signal) }
            var status: Int32 = 0
            var known = true
            var exited = false
            let deadline = ContinuousClock.now + grace
            while true {
                readStderr()
                let result = waitpid(current.pid, &status, WNOHANG)
                if result == current.pid {
                    exited = true
                    break
                }
                if result < 0 && errno != EINTR {  // ECHILD: reaped by someone else.
                    exited = true
                    known = false
                    break
                }
                if ContinuousClock.now >= deadline { break }
                usleep(2_000)
            }
            var killed = false
            if !exited {
                current.send(SIGKILL)
                killed = signal != SIGKILL
                while true {
                    let result = waitpid(current.pid, &status, 0)
                    if result == current.pid { break }
                    if result < 0 && errno != EINTR {
                        known = false
                        break
                    }
                }
            }
            readStderr()
            flushStderrLine()
            if let fd = child?.stdout, fd >= 0 { SpawnSupport.closeDescriptor(fd) }
            if let fd = child?.stderr, fd >= 0 { SpawnSupport.closeDescriptor(fd) }
            child = nil
            stdoutBuffer = []
            scanned = 0
            return (known ? status : nil, killed)
        }

        // MARK: SIGPIPE

        /// Writing to the stdin of a child that exited raises SIGPIPE, whose default kills cdcd. Blocked
        /// on this thread, the write fails with EPIPE instead and the signal stays pending here, where
        /// `discardBrokenPipeSignal` takes it. (Darwin uses F_SETNOSIGPIPE on the pipe instead.)
        private static func blockBrokenPipeSignal() {
            #if !canImport(Darwin)
            var set = sigset_t()
            sigemptyset(&set)
            sigaddset(&set, SIGPIPE)
            pthread_sigmask(SIG_BLOCK, &set, nil)
            #endif
        }

        private static func discardBrokenPipeSignal() {
            #if !canImport(Darwin)
            var set = sigset_t()
            sigemptyset(&set)
            sigaddset(&set, SIGPIPE)
            var pending = sigset_t()
            sigpending(&pending)
            if sigismember(&pending, SIGPIPE) == 1 {
                var noWait = timespec(tv_sec: 0, tv_nsec: 0)
                _ = sigtimedwait(&set, nil, &noWait)
            }
            #endif
        }
    }
}
