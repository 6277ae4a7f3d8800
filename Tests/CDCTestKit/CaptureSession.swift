import CDCCore
import Capture
import Foundation
import LibPQ
import Logging

/// A `PostgresSource` driven the way the tests need: start it, wait until its slot streams, collect
/// records with a deadline, stop it.
public final class CaptureSession {
    public let source: PostgresSource
    public let slot: String
    private var iterator: PostgresSource.Batches.AsyncIterator
    private let url: String
    /// Every batch received, in order (tests inspect sizes and acknowledgements).
    public private(set) var batches: [CaptureBatch] = []

    /// A capture of `tables` through a fresh slot and publication (temporary unless `slot` is given).
    public init(
        url: String = TestPostgres.url, tables: [String], slot: String? = nil, publication: String? = nil,
        endLSN: LSN? = nil, maxBatchRecords: Int = 1000, statusInterval: Double = 5,
        logger: Logger = Logger(label: "test")
    ) throws {
        let name = slot ?? TestPostgres.uniqueName("slot")
        self.slot = name
        self.url = url
        let configuration = PostgresSource.Configuration(
            connection: try ConnectionString(url), slot: name, temporarySlot: slot == nil,
            publication: publication ?? name, dropPublicationOnExit: publication == nil && slot == nil,
            tables: try tables.map { try TablePattern($0) }, endLSN: endLSN, maxBatchRecords: maxBatchRecords,
            statusInterval: statusInterval, reconnectDelay: (0.2, 2))
        source = PostgresSource(configuration: configuration, logger: logger)
        iterator = source.batches().makeAsyncIterator()
    }

    /// Waits until the slot has reached its consistent point (changes committed after this are
    /// captured). A slot shows as active while it is still being created — waiting for other
    /// sessions' open transactions — so `confirmed_flush_lsn` is what tells.
    public func waitUntilStreaming(timeout: Duration = .seconds(30)) async throws {
        let connection = try TestPostgres.connect(url)
        defer { connection.close() }
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let active = try connection.execute(
                "SELECT confirmed_flush_lsn IS NOT NULL FROM pg_replication_slots WHERE slot_name = $1", [slot]
            ).scalar
            if active == "t" { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw CaptureTimeout(what: "slot \(slot) to become active")
    }

    /// Collects records until at least `count` arrived (or the stream ends), acknowledging each
    /// batch. Throws `CaptureTimeout` after `timeout`, and whatever the source failed with.
    public func records(
        count: Int, timeout: Duration = .seconds(60), pauseBetweenBatches: Duration = .zero,
        untilAcknowledgement: Bool = false
    ) async throws -> [ChangeRecord] {
        var records: [ChangeRecord] = []
        let source = self.source
        let expired = TimeoutFlag()
        let watchdog = Task {
            try await Task.sleep(for: timeout)
            expired.set()
            source.stop()
        }
        defer { watchdog.cancel() }
        while records.count < count || (untilAcknowledgement && batches.last?.acknowledgeLSN == nil) {
            guard let batch = try await iterator.next() else { break }
            batches.append(batch)
            records += batch.records
            if let lsn = batch.acknowledgeLSN { source.acknowledge(lsn) }
            if pauseBetweenBatches > .zero { try await Task.sleep(for: pauseBetweenBatches) }
        }
        if expired.isSet && records.count < count {
            throw CaptureTimeout(what: "\(count) records (got \(records.count))")
        }
        return records
    }

    /// The first error the stream ends with (setup failures), or nil when it ends cleanly.
    public func failure(timeout: Duration = .seconds(30)) async -> (any Error)? {
        do {
            _ = try await records(count: Int.max, timeout: timeout)
            return nil
        } catch {
            return error
        }
    }

    public func stop() { source.stop() }

    deinit { source.stop() }
}

public struct CaptureTimeout: Error, CustomStringConvertible {
    public var what: String
    public init(what: String) { self.what = what }
    public var description: String { "timed out waiting for \(what)" }
}

final class TimeoutFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
}
