import Foundation
import Synchronization

/// A pipeline's position in the stream, kept in one small text file (`<dir>/checkpoint`, the offset
/// in decimal), replaced atomically (write a temporary file, rename it over the old one), so a crash
/// of cdcd leaves either the old or the new value, never a torn one.
///
/// Durability against a crash of the machine is bounded rather than per save: `save` fsyncs the
/// file and its directory at most once per `syncInterval` (and always when asked, at creation and
/// on shutdown). That is safe for at-least-once delivery because a checkpoint is only ever saved
/// after its records are durable where they went (the file sink's fsync, the receiver's 2xx, the
/// target's commit, the dead-letter queue's fsync): a machine crash can bring back an older
/// checkpoint — whose records are then delivered again — but never a newer one. Per-batch fsyncs
/// (two, file and directory) cost more than the batch itself on a fast sink.
public final class CheckpointStore: Sendable {
    public let directory: String
    /// The longest a saved checkpoint stays only in the page cache.
    public let syncInterval: Duration
    private var path: String { directory + "/checkpoint" }
    /// When the checkpoint was last made durable; nil before the first durable save.
    private let lastSync = Mutex<ContinuousClock.Instant?>(nil)

    public init(directory: String, syncInterval: Duration = .seconds(1)) throws {
        self.directory = directory
        self.syncInterval = syncInterval
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    /// The saved offset (the last stream offset fully handled), nil before the first save.
    public func load() throws -> UInt64? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let value = UInt64(text) else {
            throw CocoaError(.fileReadCorruptFile, userInfo: [NSFilePathErrorKey: path])
        }
        return value
    }

    /// Replaces the checkpoint atomically; makes it durable when `durable` is set or when the last
    /// durable save is `syncInterval` old.
    public func save(_ offset: UInt64, durable: Bool = false) throws {
        let now = ContinuousClock.now
        let sync = durable || lastSync.withLock { last in last.map { now - $0 >= syncInterval } ?? true }
        try Self.atomicWrite(Array("\(offset)\n".utf8), to: path, directory: directory, sync: sync)
        if sync { lastSync.withLock { $0 = now } }
    }

    /// Writes `bytes` to a temporary file and renames it over `path`; with `sync`, fsyncs the file
    /// before the rename and the directory after it, so the new content survives a machine crash.
    static func atomicWrite(_ bytes: [UInt8], to path: String, directory: String, sync: Bool = true) throws {
        let temp = path + ".tmp"
        let fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        let synced = sync ? fsync(fd) : 0
        close(fd)
        guard written == bytes.count, synced == 0, rename(temp, path) == 0 else {
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
        }
        guard sync else { return }
        let dirfd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dirfd >= 0 {
            _ = fsync(dirfd)
            close(dirfd)
        }
    }
}
