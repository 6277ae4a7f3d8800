import CDCCore
import Foundation
import Testing

@testable import Sinks

/// The file sink's contract: `write` appends JSON Lines, `flush` makes them durable (fsync), and a
/// path that cannot be synced (a device, a FIFO) is written without failing the flush.
@Suite("File sink")
struct FileSinkTests {
    static func items(_ lines: [String]) -> [SinkItem] {
        lines.enumerated().map { SinkItem(sequenceNumber: String($0.offset), record: nil, json: Array($0.element.utf8)) }
    }

    @Test("write appends one line per item, readable before flush; flush and close succeed")
    func appendsLines() async throws {
        let path = NSTemporaryDirectory() + "cdcd-file-sink-\(UUID().uuidString).jsonl"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let sink = try FileSink(.file(path: path))
        try await sink.write(Self.items([#"{"a":1}"#, #"{"b":2}"#]))
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "{\"a\":1}\n{\"b\":2}\n")
        try await sink.flush()
        try await sink.write(Self.items([#"{"c":3}"#]))
        try await sink.flush()
        await sink.close()
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "{\"a\":1}\n{\"b\":2}\n{\"c\":3}\n")
    }

    @Test("a device path (fsync says EINVAL) flushes without error; /dev/full fails the write, naming it")
    func devices() async throws {
        let null = try FileSink(.file(path: "/dev/null"))
        try await null.write(Self.items(["{}"]))
        try await null.flush()
        await null.close()

        let full = try FileSink(.file(path: "/dev/full"))
        await #expect(throws: SinkError.self) { try await full.write(Self.items(["{}"])) }
        do {
            try await full.write(Self.items(["{}"]))
        } catch {
            #expect(error.retryable)
            #expect(error.message.contains("/dev/full"))
        }
        try await full.flush()
        await full.close()
    }
}
