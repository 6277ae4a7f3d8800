import Foundation

/// A program running in the background (stdout and stderr to a log file), for tests that signal or
/// kill it: `cdcd run` under SIGTERM and SIGKILL.
public final class BackgroundProcess: @unchecked Sendable {
    public let pid: pid_t
    public let logPath: String

    /// Starts `executable` with `arguments`; output is appended to `logPath`.
    public init(_ executable: String, _ arguments: [String], logPath: String) throws {
        self.logPath = logPath
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logPath, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, nil, argv, environ)
        guard result == 0 else {
            throw TestPostgres.CommandFailure(command: executable, status: -1, stderr: "posix_spawn errno \(result)")
        }
        self.pid = pid
    }

    private let lock = NSLock()
    private var exitStatus: Int32?

    public func signal(_ number: Int32) {
        if lock.withLock({ exitStatus == nil }) { Glibc.kill(pid, number) }
    }

    /// Reaps the process if it has exited; returns its exit status (128 + signal when killed).
    private func poll(blocking: Bool) -> Int32? {
        lock.withLock {
            if let exitStatus { return exitStatus }
            var status: Int32 = 0
            if waitpid(pid, &status, blocking ? 0 : WNOHANG) == pid {
                exitStatus = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
            }
            return exitStatus
        }
    }

    /// Waits for the process to exit (up to `timeout`); returns its exit status, nil on timeout.
    public func wait(timeout: Duration) async -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let status = poll(blocking: false) { return status }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return nil
    }

    /// True while the process has not exited.
    public var isRunning: Bool { poll(blocking: false) == nil }

    /// SIGKILL, then reaps it (a no-op when it has already exited).
    public func kill() {
        signal(SIGKILL)
        _ = poll(blocking: true)
    }

    public var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }
}
