import CDCCore
import Foundation

/// JSON Lines to a file (appended; fsynced by `flush`, which the pipeline calls before it saves a
/// checkpoint) or to stdout: for debugging and for pipes.
///
/// `@unchecked Sendable`: the file descriptor is only written under `lock`.
public final class FileSink: Sink, @unchecked Sendable {
    public enum Destination: Sendable, Equatable {
        case file(path: String)
        case standardOutput
    }

    private let destination: Destination
    private let lock = NSLock()
    private var fd: Int32

    /// Opens (creating) the file for appending. Throws a `SinkError` naming the path.
    public init(_ destination: Destination) throws(SinkError) {
        self.destination = destination
        switch destination {
        case .standardOutput:
            fd = 1
        case .file(let path):
            let opened = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
            guard opened >= 0 else {
                throw SinkError(
                    retryable: false, message: "cannot open file sink \(path): \(String(cString: strerror(errno)))")
            }
            fd = opened
        }
    }

    public func write(_ items: [SinkItem]) async throws(SinkError) {
        var buffer: [UInt8] = []
        // By index: iterating would copy each item (and retain its record) for nothing.
        var size = 0
        for index in items.indices { size += items[index].json.count + 1 }
        buffer.reserveCapacity(size)
        for index in items.indices {
            buffer += items[index].json
            buffer.append(UInt8(ascii: "\n"))
        }
        let failure: String? = lock.withLock {
            let ok = buffer.withUnsafeBytes { raw -> Bool in
                var offset = 0
                while offset < raw.count {
                    let n = Foundation.write(fd, raw.baseAddress! + offset, raw.count - offset)
                    if n < 0 {
                        if errno == EINTR { continue }
                        return false
                    }
                    offset += n
                }
                return true
            }
            return ok ? nil : String(cString: strerror(errno))
        }
        if let failure {
            throw SinkError(retryable: true, message: "writing to \(name) failed: \(failure)")
        }
    }

    /// fsyncs the file (nothing to do for stdout, nor for a path that cannot be synced — a device
    /// such as `/dev/null` or a FIFO, where fsync fails with EINVAL).
    public func flush() async throws(SinkError) {
        guard case .file = destination else { return }
        let failure: String? = lock.withLock {
            guard fd >= 0, fsync(fd) != 0, errno != EINVAL else { return nil }
            return String(cString: strerror(errno))
        }
        if let failure {
            throw SinkError(retryable: true, message: "syncing \(name) failed: \(failure)")
        }
    }

    private var name: String {
        switch destination {
        case .standardOutput: "stdout"
        case .file(let path): path
        }
    }

    public func close() async {
        lock.withLock {
            if case .file = destination, fd >= 0 {
                _ = fsync(fd)
                _ = Foundation.close(fd)
                fd = -1
            }
        }
    }
}
