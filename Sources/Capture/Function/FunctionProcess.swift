import Foundation
import Logging

/// A processing function run as one long-lived subprocess, speaking one JSON line per batch.
///
/// The process is started on the first `invoke` and kept for the next ones. For each batch cdcd writes
/// the Lambda event `{"Records":[item,...]}` and a newline to its stdin and reads one line back from its
/// stdout (of any length), within `timeout` (plus `startupTimeout` for the first batch of a new process);
/// see `FunctionResult.init(reply:function:)` for what the line may say. Invocations run one at a time,
/// in the order they were made. Each line the process writes to stderr is logged at warning level with
/// `cdc.function` metadata.
///
/// A crash (the process exits or closes its stdout), a timeout (the process is killed with SIGKILL) or
/// a reply that cannot be read fails that invocation; the process is reaped and started again on the
/// next `invoke`. A handler error (`errorMessage` in the reply) fails the invocation and keeps the
/// process. `close()` stops the process; it is also stopped, without waiting, when the last reference
/// to this object goes away.
///
/// All pipe I/O and waiting happens on one dedicated thread per function (started with the first
/// invocation, ended by `close()`), never on the Swift concurrency pool.
public final class FunctionProcess: Sendable {
    /// The program and its arguments; the program is looked up on `PATH` unless it contains a `/`.
    public let command: [String]
    /// Where the process runs (the config file's folder); nil runs it in cdcd's current directory.
    public let workingDirectory: String?
    /// Variables added to (or replacing ones in) cdcd's environment for the process.
    public let environment: [String: String]
    /// How long one invocation may take, from when it starts (not while it waits for an earlier one).
    public let timeout: Duration
    /// Extra time the first invocation of a freshly started process gets, for the program to start
    /// (interpreter start-up, imports) — like Lambda's init phase, which does not count against the
    /// function's timeout.
    public let startupTimeout: Duration
    /// How messages and logs name the function: the command as a JSON array unless given.
    public let name: String

    let core: Core

    /// Prepares the function; nothing is started until the first `invoke`.
    public init(
        command: [String], workingDirectory: String? = nil, environment: [String: String] = [:],
        timeout: Duration = .seconds(30), startupTimeout: Duration = .seconds(10), name: String? = nil,
        logger: Logger
    ) {
        let name = name ?? Self.describe(command)
        self.command = command
        self.workingDirectory = workingDirectory
        self.environment = environment
        self.timeout = timeout
        self.startupTimeout = startupTimeout
        self.name = name
        self.core = Core(
            Spec(
                command: command, workingDirectory: workingDirectory, environment: environment,
                timeout: timeout, startupTimeout: startupTimeout, name: name, logger: logger))
    }

    deinit {
        core.shutDown(waiter: nil)
    }

    /// The process id of the running child, nil while none runs (before the first invocation, after a
    /// crash until the next one, after `close()`).
    public var processID: Int32? {
        core.state.withLock { $0.pid }
    }

    /// Runs the function on one batch: `items` are JSON objects (compact UTF-8), sent as
    /// `{"Records":[...]}`. Returns what the function answered, or throws a `FunctionError` naming
    /// the function and what happened. Waits for earlier invocations to finish first.
    public func invoke(_ items: [[UInt8]]) async throws(FunctionError) -> FunctionResult {
        let request = Self.event(items)
        let core = self.core
        let id = core.allocate()
        let result = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                core.submit(Job(id: id, request: request, continuation: continuation))
            }
        } onCancel: {
            core.cancel(id)
        }
        return try result.get()
    }

    /// Stops the process: closes its stdin, sends SIGTERM, and SIGKILL if it is still there after a
    /// short grace; then reaps it and ends the I/O thread. An invocation still running fails as
    /// `.crashed`, queued and later ones as `.cannotStart`. Returns once the process is reaped.
    public func close() async {
        let core = self.core
        await withCheckedContinuation { continuation in
            core.shutDown(waiter: continuation)
        }
    }

    /// `{"Records":[item,...]}` and a newline. Line breaks inside an item (only valid between tokens in
    /// JSON) become spaces, so one batch is always one line.
    static func event(_ items: [[UInt8]]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(items.reduce(16) { $0 + $1.count + 1 })
        bytes.append(contentsOf: #"{"Records":["#.utf8)
        for (index, item) in items.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            if item.contains(where: { $0 == 0x0A || $0 == 0x0D }) {
                bytes.append(contentsOf: item.lazy.map { $0 == 0x0A || $0 == 0x0D ? 0x20 : $0 })
            } else {
                bytes.append(contentsOf: item)
            }
        }
        bytes.append(contentsOf: "]}\n".utf8)
        return bytes
    }

    /// `["python3","handler.py"]`.
    static func describe(_ command: [String]) -> String {
        "[" + command.map { FunctionError.quote(Array($0.utf8), limit: .max) }.joined(separator: ",") + "]"
    }
}
