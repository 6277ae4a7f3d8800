import CDCCore
import Foundation

/// Where the DynamoDB source is in each shard of one stream: the last sequence number durable in
/// the cdcd stream, or "finished" (read to its end). Saved in `<state_dir>/dynamodb-shards.json`,
/// replaced atomically, and only after the records it covers are durable in the stream (so a
/// restart never skips a record; at worst a few are read again).
///
/// `streamOffset` is the last cdcd stream offset the file accounts for: on startup, records the
/// stream holds past it (appended before a crash, not yet saved here) advance the positions, so
/// they are not captured twice.
public struct ShardPositions: Sendable, Hashable {
    public enum Position: Sendable, Hashable {
        /// Resume with `AFTER_SEQUENCE_NUMBER`.
        case after(String)
        /// Read to its end: never read again.
        case finished
    }

    public var streamARN: String
    public var streamOffset: UInt64?
    public var shards: [String: Position]

    public init(streamARN: String, streamOffset: UInt64? = nil, shards: [String: Position] = [:]) {
        self.streamARN = streamARN
        self.streamOffset = streamOffset
        self.shards = shards
    }

    /// The ids of finished shards.
    public var finished: Set<String> { Set(shards.compactMap { $0.value == .finished ? $0.key : nil }) }

    /// Applies records appended to the stream: each shard moves to its last record's sequence
    /// number (a finished shard stays finished).
    public mutating func advance(with records: some Sequence<ChangeRecord>) {
        for record in records {
            guard let d = record.dynamodb, d.streamARN == streamARN || streamARN.isEmpty else { continue }
            if shards[d.shardID] != .finished { shards[d.shardID] = .after(d.sequenceNumber) }
        }
    }

    // MARK: File

    public func encoded() -> [UInt8] {
        var list: [JSONValue] = []
        for id in shards.keys.sorted() {
            switch shards[id]! {
            case .after(let sequence):
                list.append(.object([.init("id", .string(id)), .init("after", .string(sequence))]))
            case .finished:
                list.append(.object([.init("id", .string(id)), .init("finished", .bool(true))]))
            }
        }
        var members = [JSONValue.Member("streamArn", .string(streamARN))]
        if let streamOffset { members.append(.init("streamOffset", .number(String(streamOffset)))) }
        members.append(.init("shards", .array(list)))
        return JSONValue.object(members).jsonBytes + [UInt8(ascii: "\n")]
    }

    public static func decode(_ bytes: [UInt8]) -> ShardPositions? {
        guard let root = try? JSONValue.parse(bytes), let arn = root["streamArn"]?.stringValue else { return nil }
        var positions = ShardPositions(streamARN: arn)
        if case .number(let text)? = root["streamOffset"] { positions.streamOffset = UInt64(text) }
        for entry in root["shards"]?.arrayValue ?? [] {
            guard let id = entry["id"]?.stringValue else { continue }
            if entry["finished"] == .bool(true) {
                positions.shards[id] = .finished
            } else if let after = entry["after"]?.stringValue {
                positions.shards[id] = .after(after)
            }
        }
        return positions
    }

    /// The saved positions at `path`; nil when there are none (first run). A file for another
    /// stream (the table's stream was re-enabled) counts as none.
    public static func load(path: String, streamARN: String) throws -> ShardPositions? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        guard let positions = decode(Array(data)) else {
            throw DynamoDBError(.configuration, "\(path) is damaged; move it away to read the stream from its oldest record")
        }
        return positions.streamARN == streamARN ? positions : nil
    }

    /// Durably replaces the file at `path`.
    public func save(path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        try CheckpointStore.atomicWrite(encoded(), to: path, directory: directory.isEmpty ? "." : directory)
    }
}
