import CDCCore
import Foundation
import LibPQ

/// The PostgreSQL the integration tests run against, and helpers to make per-test names.
///
/// `scripts/test.sh` starts a throwaway server and exports `CDCD_TEST_PG`; when it is unset (a bare
/// `swift test`), the kit starts one itself with the same script (`scripts/pg.sh start cdcd-swift-test`).
public enum TestPostgres {
    /// The repository root (where `scripts/` lives).
    public static let repositoryRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// Conninfo of the shared test server.
    public static let url: String = {
        if let url = ProcessInfo.processInfo.environment["CDCD_TEST_PG"], !url.isEmpty { return url }
        return try! runBlocking("/bin/bash", [repositoryRoot + "/scripts/pg.sh", "start", "cdcd-swift-test"]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }()

    public static var connectionString: ConnectionString { try! ConnectionString(url) }

    /// Conninfo of the shared test server through its Unix socket (the first of its
    /// `unix_socket_directories`; `scripts/pg.sh` trusts local connections there).
    public static let unixSocketURL: String = {
        let connection = try! connect()
        defer { connection.close() }
        let directory = try! connection.execute(
            "SELECT split_part(current_setting('unix_socket_directories'), ',', 1)"
        ).scalar!.trimmingCharacters(in: .whitespaces)
        let port = try! connection.execute("SELECT current_setting('port')").scalar!
        return "host=\(directory) port=\(port) user=postgres dbname=postgres"
    }()

    /// A fresh SQL connection to the test server.
    public static func connect(_ url: String = TestPostgres.url) throws -> PostgresConnection {
        try PostgresConnection(ConnectionString(url))
    }

    /// A lower-case name unique to this process and call: for schemas, slots, publications.
    public static func uniqueName(_ prefix: String) -> String {
        "\(prefix)_\(getpid())_\(UInt32.random(in: 0...UInt32.max))"
    }

    /// Runs `scripts/pg.sh` with arguments; returns its stdout, throws with its stderr.
    @discardableResult
    public static func pgScript(_ arguments: [String]) async throws -> String {
        try await run("/bin/bash", [repositoryRoot + "/scripts/pg.sh"] + arguments).stdout
    }

    public struct CommandFailure: Error, CustomStringConvertible {
        public var command: String
        public var status: Int32
        public var stderr: String
        public var description: String { "\(command) exited \(status): \(stderr)" }
    }

    /// Runs a program to completion (stdin from /dev/null), capturing stdout and stderr.
    ///
    /// Uses `posix_spawn` and `waitpid` directly (Foundation's `Process` can miss a child's exit when
    /// several run at once on Linux). Blocks the calling thread: async tests use `run(...)` below.
    public static func runBlocking(
        _ executable: String, _ arguments: [String], allowFailure: Bool = false
    ) throws -> (status: Int32, stdout: String, stderr: String) {
        var outPipe: [Int32] = [0, 0]
        var errPipe: [Int32] = [0, 0]
        guard pipe(&outPipe) == 0, pipe(&errPipe) == 0 else { throw CommandFailure(command: executable, status: -1, stderr: "pipe failed") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
        for fd in outPipe + errPipe { posix_spawn_file_actions_addclose(&actions, fd) }
        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, nil, argv, environ)
        close(outPipe[1])
        close(errPipe[1])
        guard spawned == 0 else {
            close(outPipe[0])
            close(errPipe[0])
            throw CommandFailure(command: executable, status: -1, stderr: "cannot start: errno \(spawned)")
        }
        var out: [UInt8] = []
        var err: [UInt8] = []
        var fds = [pollfd(fd: outPipe[0], events: Int16(POLLIN), revents: 0), pollfd(fd: errPipe[0], events: Int16(POLLIN), revents: 0)]
        var open = 2
        var buffer = [UInt8](repeating: 0, count: 65536)
        while open > 0 {
            if poll(&fds, 2, -1) < 0 { if errno == EINTR { continue } else { break } }
            for i in 0..<2 where fds[i].fd >= 0 && fds[i].revents != 0 {
                let n = read(fds[i].fd, &buffer, buffer.count)
                if n > 0 {
                    if i == 0 { out += buffer[0..<n] } else { err += buffer[0..<n] }
                } else if n == 0 || (n < 0 && errno != EINTR) {
                    close(fds[i].fd)
                    fds[i].fd = -1
                    open -= 1
                }
            }
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let exitCode: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        let result = (exitCode, String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self))
        if exitCode != 0 && !allowFailure {
            throw CommandFailure(
                command: ([executable] + arguments).joined(separator: " "), status: exitCode, stderr: result.2)
        }
        return result
    }

    /// Runs a program on a thread of its own, so the test's cooperative thread is not blocked.
    public static func run(
        _ executable: String, _ arguments: [String], allowFailure: Bool = false
    ) async throws -> (status: Int32, stdout: String, stderr: String) {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                continuation.resume(with: Result { try runBlocking(executable, arguments, allowFailure: allowFailure) })
            }
            thread.start()
        }
    }

    /// The `cdcd` executable built next to the tests (`CDCD_BIN` overrides).
    public static var cdcdBinary: String {
        if let path = ProcessInfo.processInfo.environment["CDCD_BIN"] { return path }
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var dir = URL(fileURLWithPath: exe).deletingLastPathComponent()
        // The test runner lives in .build/<triple>/debug/ (sometimes inside an .xctest bundle).
        for _ in 0..<3 {
            let candidate = dir.appendingPathComponent("cdcd").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir.deleteLastPathComponent()
        }
        return repositoryRoot + "/.build/debug/cdcd"
    }
}
