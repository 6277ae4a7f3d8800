import Foundation
import Logging

/// A swift-log handler that keeps every message (with metadata) so tests can check what was logged.
public struct RecordingLogHandler: LogHandler {
    public final class Store: @unchecked Sendable {
        private let lock = NSLock()
        private var lines: [String] = []
        public init() {}
        func append(_ line: String) { lock.withLock { lines.append(line) } }
        public var messages: [String] { lock.withLock { lines } }
    }

    public let store: Store
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .trace

    public init(store: Store) { self.store = store }

    public static func logger(_ store: Store) -> Logger {
        Logger(label: "test") { _ in RecordingLogHandler(store: store) }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let all = metadata.merging(event.metadata ?? [:]) { $1 }
        let rendered = all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        store.append("\(event.level) \(event.message) \(rendered)")
    }
}
