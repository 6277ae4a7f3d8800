import Foundation

/// A pipeline's position in the stream, kept in one small file (`<dir>/checkpoint`), replaced
/// atomically (write temp, fsync, rename, fsync dir), so a crash leaves either the old or the new
/// value, never a torn one. How often it is saved is the pipeline's choice (see `Pipeline.run`).
public struct CheckpointStore: Sendable {
    public let directory: String
    private var path: String { directory + "/checkpoint" }

    public init(directory: String) throws {
        self.directory = directory
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

    /// Durably replaces the checkpoint.
    public func save(_ offset: UInt64) throws {
        try Self.atomicWrite(Array("\(offset)\n".utf8), to: path, directory: directory)
    }

    static func atomicWrite(_ bytes: [UInt8], to path: String, directory: String) throws {
        let temp = path + ".tmp"
        let fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        let synced = fsync(fd)
        close(fd)
        guard written == bytes.count, synced == 0, rename(temp, path) == 0 else {
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
        }
        let dirfd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dirfd >= 0 {
            _ = fsync(dirfd)
            close(dirfd)
        }
    }
}
