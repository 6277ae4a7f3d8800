import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A child process started with `posix_spawnp`, with pipes for its stdin, stdout and stderr.
///
/// The parent's ends are non-blocking and close-on-exec; the child starts in its own process group
/// (so a terminal's Ctrl-C reaches cdcd only, which then stops its functions in order), with every
/// signal at its default disposition and none blocked, and with no descriptor of cdcd's open but
/// 0, 1 and 2. Reaping is the owner's job (`waitpid` on `pid`).
struct ChildProcess {
    let pid: pid_t
    /// Write end of the child's stdin; -1 once closed.
    var stdin: Int32
    /// Read end of the child's stdout; -1 once closed.
    var stdout: Int32
    /// Read end of the child's stderr; -1 once closed.
    var stderr: Int32

    /// Why a child could not be started, for `FunctionError.cannotStart` messages.
    struct SpawnError: Error, CustomStringConvertible {
        var description: String
    }

    /// Starts `command` (looked up on `PATH` unless it contains a `/`) in `workingDirectory` (cdcd's
    /// own when nil), with cdcd's environment plus `environment`.
    static func spawn(
        command: [String], workingDirectory: String?, environment: [String: String]
    ) throws(SpawnError) -> ChildProcess {
        guard let program = command.first, !program.isEmpty else {
            throw SpawnError(description: "the command is empty")
        }
        var argv = command
        if let directory = workingDirectory {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue
            else {
                throw SpawnError(description: "its working directory \(directory) does not exist")
            }
            if !SpawnSupport.canChangeDirectory {
                // No posix_spawn_file_actions_addchdir_np: let a shell change directory, then exec.
                argv = ["/bin/sh", "-c", #"cd -- "$0" && exec "$@""#, directory] + command
            }
        }

        var pipes: [(read: Int32, write: Int32)] = []
        defer {
            for pipe in pipes {
                if pipe.read >= 0 { close(pipe.read) }
                if pipe.write >= 0 { close(pipe.write) }
            }
        }
        for _ in 0..<3 {
            guard let pipe = SpawnSupport.makePipe() else {
                throw SpawnError(description: "pipe() failed: \(SpawnSupport.reason(errno))")
            }
            pipes.append(pipe)
        }

        var actions = SpawnSupport.makeFileActions()
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, pipes[0].read, 0)
        posix_spawn_file_actions_adddup2(&actions, pipes[1].write, 1)
        posix_spawn_file_actions_adddup2(&actions, pipes[2].write, 2)
        if let directory = workingDirectory, SpawnSupport.canChangeDirectory {
            SpawnSupport.addChangeDirectory(&actions, directory)
        }
        SpawnSupport.addCloseFrom(&actions, 3)

        var attributes = SpawnSupport.makeAttributes()
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        sigdelset(&allSignals, SIGKILL)
        sigdelset(&allSignals, SIGSTOP)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(
            &attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP))

        var merged = ProcessInfo.processInfo.environment
        merged.merge(environment) { _, new in new }
        let cArguments: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        let cEnvironment: [UnsafeMutablePointer<CChar>?] = merged.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in cArguments { free(pointer) }
            for pointer in cEnvironment { free(pointer) }
        }

        var pid: pid_t = 0
        var status = posix_spawnp(&pid, argv[0], &actions, &attributes, cArguments, cEnvironment)
        // ETXTBSY: a script just written is still open for writing in a child that another thread
        // is forking (it shares the descriptor until it execs). It passes within moments: retry.
        var retries = 0
        while status == ETXTBSY && retries < 50 {
            retries += 1
            usleep(20_000)
            status = posix_spawnp(&pid, argv[0], &actions, &attributes, cArguments, cEnvironment)
        }
        guard status == 0 else {
            var hint = ""
            if status == ENOENT || status == EACCES || status == ENOEXEC {
                hint =
                    program.contains("/")
                    ? "; check that \(program) exists and is executable"
                    : "; check that \(program) is installed and on PATH"
            }
            throw SpawnError(description: "\(SpawnSupport.reason(status))\(hint)")
        }

        let child = ChildProcess(pid: pid, stdin: pipes[0].write, stdout: pipes[1].read, stderr: pipes[2].read)
        close(pipes[0].read)
        close(pipes[1].write)
        close(pipes[2].write)
        pipes = []
        for fd in [child.stdin, child.stdout, child.stderr] {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        }
        #if canImport(Darwin)
        _ = fcntl(child.stdin, F_SETNOSIGPIPE, 1)
        #endif
        return child
    }

    /// Sends `signal` to the child's process group (so helpers it started go too), or to the child
    /// alone if it left the group.
    func send(_ signal: Int32) {
        if kill(-pid, signal) != 0 { _ = kill(pid, signal) }
    }

    /// How a `waitpid` status reads in a message: "exited with status 1", "was killed by signal 9 (Killed)".
    static func describe(status: Int32) -> String {
        let signal = status & 0x7f
        if signal == 0 { return "exited with status \((status >> 8) & 0xff)" }
        let name = strsignal(signal).map { String(cString: $0) } ?? "signal \(signal)"
        return "was killed by signal \(signal) (\(name))"
    }
}

/// The platform differences of spawning, in one place.
enum SpawnSupport {
    /// `close(2)`, by a name that methods called `close()` do not shadow.
    static func closeDescriptor(_ fd: Int32) {
        _ = close(fd)
    }

    static func reason(_ code: Int32) -> String {
        "\(String(cString: strerror(code))) (errno \(code))"
    }

    /// A pipe whose two descriptors are close-on-exec and above 2 (so `dup2` onto 0, 1 or 2 never
    /// degenerates into a no-op that would keep close-on-exec set).
    static func makePipe() -> (read: Int32, write: Int32)? {
        var fds: [Int32] = [-1, -1]
        #if os(Linux)
        if let pipe2 = GlibcExtensions.pipe2 {
            guard pipe2(&fds, O_CLOEXEC) == 0 else { return nil }
        } else {
            guard pipe(&fds) == 0 else { return nil }
        }
        #else
        guard pipe(&fds) == 0 else { return nil }
        #endif
        for index in 0..<2 {
            if fds[index] <= 2 {
                let moved = fcntl(fds[index], F_DUPFD_CLOEXEC, 3)
                close(fds[index])
                fds[index] = moved
            } else {
                _ = fcntl(fds[index], F_SETFD, FD_CLOEXEC)
            }
        }
        guard fds[0] >= 0, fds[1] >= 0 else {
            for fd in fds where fd >= 0 { close(fd) }
            return nil
        }
        return (fds[0], fds[1])
    }

    #if canImport(Darwin)
    static func makeFileActions() -> posix_spawn_file_actions_t? {
        var actions: posix_spawn_file_actions_t? = nil
        posix_spawn_file_actions_init(&actions)
        return actions
    }

    static func makeAttributes() -> posix_spawnattr_t? {
        var attributes: posix_spawnattr_t? = nil
        posix_spawnattr_init(&attributes)
        return attributes
    }

    static let canChangeDirectory = true

    static func addChangeDirectory(_ actions: inout posix_spawn_file_actions_t?, _ directory: String) {
        _ = posix_spawn_file_actions_addchdir_np(&actions, directory)
    }

    static func addCloseFrom(_ actions: inout posix_spawn_file_actions_t?, _ lowest: Int32) {
        // Darwin has no closefrom action; every descriptor cdcd opens itself is close-on-exec.
    }
    #else
    static func makeFileActions() -> posix_spawn_file_actions_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        return actions
    }

    static func makeAttributes() -> posix_spawnattr_t {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        return attributes
    }

    static var canChangeDirectory: Bool { GlibcExtensions.addChangeDirectory != nil }

    static func addChangeDirectory(_ actions: inout posix_spawn_file_actions_t, _ directory: String) {
        _ = GlibcExtensions.addChangeDirectory?(&actions, directory)
    }

    static func addCloseFrom(_ actions: inout posix_spawn_file_actions_t, _ lowest: Int32) {
        _ = GlibcExtensions.addCloseFrom?(&actions, lowest)
    }
    #endif
}

#if !canImport(Darwin)
/// GNU extensions that Swift's Glibc module does not import (they sit behind `_GNU_SOURCE`), looked
/// up at run time; each is nil where the C library lacks it (glibc before 2.29 / 2.34, musl).
enum GlibcExtensions {
    typealias AddChangeDirectory =
        @convention(c) (
            UnsafeMutablePointer<posix_spawn_file_actions_t>?, UnsafePointer<CChar>?
        ) -> Int32
    typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, Int32) -> Int32
    typealias Pipe2 = @convention(c) (UnsafeMutablePointer<Int32>?, Int32) -> Int32

    static let addChangeDirectory: AddChangeDirectory? = symbol("posix_spawn_file_actions_addchdir_np")
    static let addCloseFrom: AddCloseFrom? = symbol("posix_spawn_file_actions_addclosefrom_np")
    static let pipe2: Pipe2? = symbol("pipe2")

    private static func symbol<T>(_ name: String) -> T? {
        guard let handle = dlopen(nil, RTLD_NOW), let address = dlsym(handle, name) else { return nil }
        return unsafeBitCast(address, to: T.self)
    }
}
#endif
