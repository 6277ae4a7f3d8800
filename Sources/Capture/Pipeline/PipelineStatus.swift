import Foundation

/// What a pipeline reports about itself (`/status`, `cdcd status`, metrics).
public struct PipelineStatus: Sendable {
    public enum State: String, Sendable {
        case starting, running, retrying, disabled
    }
    public var state: State = .starting
    public var checkpoint: UInt64 = 0
    public var delivered: UInt64 = 0
    public var filtered: UInt64 = 0
    public var retried: UInt64 = 0
    public var deadLettered: UInt64 = 0
    public var trimmedRecords: UInt64 = 0
    /// Times the sink lost records it had taken (its destination crashed) and the pipeline
    /// delivered again from its saved checkpoint.
    public var rewinds: UInt64 = 0
    /// Milliseconds between the newest record of the last batch being appended and now.
    public var iteratorAgeMillis: Int64 = 0
    public var lastError: String?
}

/// `@unchecked Sendable`: `value` is only touched under `lock`.
final class PipelineStatusBox: @unchecked Sendable {
    private let lock = NSLock()
    private var status = PipelineStatus()
    var value: PipelineStatus { lock.withLock { status } }
    func update(_ body: (inout PipelineStatus) -> Void) { lock.withLock { body(&status) } }
}
