import CDCCore
import Foundation

/// A pipeline's dead-letter queue: records whose retries were exhausted, with the error, the number
/// of attempts and the times, one JSON object per line in `<dir>/dlq.jsonl` (appended and fsynced
/// before the pipeline's checkpoint moves past them, so nothing is dropped silently).
///
/// `@unchecked Sendable`: the file is only touched under `lock`.
public final class DeadLetterQueue: @unchecked Sendable {
    /// One dead-lettered item.
    public struct Entry: Sendable {
        public var streamOffset: UInt64
        public var sequenceNumber: String
        /// The item as the pipeline delivers it (JSON).
        public var item: JSONValue
        public var error: String
        public var attempts: Int
        public var firstAttempt: String
        public var lastAttempt: String
    }

    public let path: String
    private let lock = NSLock()

    public init(directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        path = directory + "/dlq.jsonl"
    }

    /// Appends entries durably.
    public func append(_ entries: [Entry]) throws {
        var writer = JSONWriter()
        for entry in entries {
            writer.beginObject()
            writer.writeKey("streamOffset")
            writer.writeUInt(entry.streamOffset)
            writer.comma()
            writer.writeKey("sequenceNumber")
            writer.writeString(entry.sequenceNumber)
            writer.comma()
            writer.writeKey("error")
            writer.writeString(entry.error)
            writer.comma()
            writer.writeKey("attempts")
            writer.writeInt(entry.attempts)
            writer.comma()
            writer.writeKey("firstAttempt")
            writer.writeString(entry.firstAttempt)
            writer.comma()
            writer.writeKey("lastAttempt")
            writer.writeString(entry.lastAttempt)
            writer.comma()
            writer.writeKey("item")
            entry.item.write(into: &writer)
            writer.endObject()
            writer.writeRaw(UInt8(ascii: "\n"))
        }
        try lock.withLock {
            let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
            defer { close(fd) }
            let bytes = writer.bytes
            let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            guard written == bytes.count, fsync(fd) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        }
    }

    /// Every entry, oldest first.
    public func list() throws -> [Entry] {
        try lock.withLock {
            guard let data = FileManager.default.contents(atPath: path) else { return [] }
            return try data.split(separator: UInt8(ascii: "\n")).map { line in
                let value = try JSONValue.parse(Array(line))
                return Entry(
                    streamOffset: UInt64(value["streamOffset"].flatMap(\.numberText) ?? "0") ?? 0,
                    sequenceNumber: value["sequenceNumber"]?.stringValue ?? "",
                    item: value["item"] ?? .null,
                    error: value["error"]?.stringValue ?? "",
                    attempts: Int(value["attempts"].flatMap(\.numberText) ?? "0") ?? 0,
                    firstAttempt: value["firstAttempt"]?.stringValue ?? "",
                    lastAttempt: value["lastAttempt"]?.stringValue ?? "")
            }
        }
    }

    public var count: Int { (try? list().count) ?? 0 }

    /// Removes the oldest `count` entries (those a replay delivered), keeping any appended since.
    public func removeFirst(_ count: Int) throws {
        try lock.withLock {
            guard let data = FileManager.default.contents(atPath: path) else { return }
            var kept: [UInt8] = []
            for line in data.split(separator: UInt8(ascii: "\n")).dropFirst(count) {
                kept += line
                kept.append(UInt8(ascii: "\n"))
            }
            try CheckpointStore.atomicWrite(kept, to: path, directory: (path as NSString).deletingLastPathComponent)
        }
    }

    /// Removes every entry (after a successful replay, or `cdcd dlq drop`).
    public func removeAll() throws {
        try lock.withLock {
            try CheckpointStore.atomicWrite([], to: path, directory: (path as NSString).deletingLastPathComponent)
        }
    }
}

extension JSONValue {
    /// The exact text of a number, nil for other values.
    var numberText: String? {
        if case .number(let text) = self { return text }
        return nil
    }
}
