import CDCCore
import Foundation
import Logging
import Synchronization
import Testing

@testable import Capture

/// A throwaway directory for function programs, removed on deinit.
final class FunctionFolder: Sendable {
    let path: String

    init() {
        var template = Array("/tmp/cdcd-function-XXXXXX".utf8CString)
        path = template.withUnsafeMutableBufferPointer { buffer in
            guard let made = mkdtemp(buffer.baseAddress!) else { fatalError("mkdtemp failed") }
            return String(cString: made)
        }
    }

    /// Writes `contents` to `name` (creating folders), executable if asked; returns the full path.
    @discardableResult
    func write(_ name: String, _ contents: String, executable: Bool = false) throws -> String {
        let file = path + "/" + name
        try FileManager.default.createDirectory(
            atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try contents.write(toFile: file, atomically: true, encoding: .utf8)
        if executable { chmod(file, 0o755) }
        return file
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// Keeps what was logged, with level and metadata.
final class LogRecorder: Sendable {
    struct Entry: Sendable {
        var level: Logger.Level
        var message: String
        var metadata: Logger.Metadata
    }

    private let entries = Mutex<[Entry]>([])

    var logged: [Entry] { entries.withLock { $0 } }

    var logger: Logger {
        Logger(label: "test") { _ in Handler(recorder: self) }
    }

    /// Waits (up to 5 s) until an entry matches; stderr is logged as it arrives, so slightly later.
    func waitFor(_ matches: (Entry) -> Bool) async -> Entry? {
        for _ in 0..<500 {
            if let entry = logged.first(where: matches) { return entry }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return nil
    }

    struct Handler: LogHandler {
        let recorder: LogRecorder
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let entry = Entry(
                level: event.level, message: "\(event.message)",
                metadata: metadata.merging(event.metadata ?? [:]) { $1 })
            recorder.entries.withLock { $0.append(entry) }
        }
    }
}

/// UTF-8 bytes of a JSON text.
func json(_ text: String) -> [UInt8] { Array(text.utf8) }

/// A JSON text parsed, for comparisons that do not depend on spacing.
func parsed(_ bytes: [UInt8]) throws -> JSONValue { try JSONValue.parse(bytes) }

/// True once `pid` is gone for good: exited *and* reaped (a zombie still answers `kill(pid, 0)`).
func isReaped(_ pid: Int32) -> Bool {
    kill(pid, 0) == -1 && errno == ESRCH
}

/// Runs `body`, returning the `FunctionError` it threw (nil if it did not throw).
func functionError(_ body: () async throws(FunctionError) -> FunctionResult) async -> FunctionError? {
    do {
        _ = try await body()
        return nil
    } catch {
        return error
    }
}

/// A Python function program: reads `{"Records":[...]}` lines and answers `answer(records)` as JSON.
func pythonFunction(_ answer: String, prelude: String = "") -> String {
    """
    import json, sys, time
    \(prelude)
    def answer(records):
    \(answer.split(separator: "\n", omittingEmptySubsequences: false).map { "    " + $0 }.joined(separator: "\n"))

    for line in sys.stdin:
        records = json.loads(line)["Records"]
        sys.stdout.write(json.dumps(answer(records), separators=(",", ":")) + "\\n")
        sys.stdout.flush()

    """
}
