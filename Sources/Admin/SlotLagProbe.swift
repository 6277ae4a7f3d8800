import Foundation
import LibPQ
import Logging
import ServiceLifecycle

/// Reads the source slot's lag every `interval` over a normal libpq connection, on a dedicated
/// thread (libpq blocks), and keeps the latest reading for `/status` and `/metrics`.
///
/// The connection is owned by that thread alone; only `SlotLag` values cross to other tasks,
/// through a lock. A lost connection is opened again at the next reading. Stops on graceful
/// shutdown.
public final class SlotLagProbe: Service, Sendable {
    private let connection: ConnectionString
    private let slot: String
    private let interval: Duration
    private let logger: Logger
    private let box = LockedValue<(lag: SlotLag?, stopping: Bool)>((nil, false))

    public init(connection: ConnectionString, slot: String, interval: Duration = .seconds(5), logger: Logger) {
        self.connection = connection
        self.slot = slot
        self.interval = interval
        self.logger = logger
    }

    /// The latest reading (nil before the first one).
    public var latest: SlotLag? { box.withLock { $0.lag } }

    public func run() async throws {
        let thread = Thread { [self] in loop() }
        thread.name = "cdcd-slot-lag"
        thread.start()
        try? await gracefulShutdown()
        box.withLock { $0.stopping = true }
    }

    private var isStopping: Bool { box.withLock { $0.stopping } }

    private func loop() {
        var db: PostgresConnection?
        var lastError: String?
        while !isStopping {
            if db == nil || db?.isClosed == true {
                do {
                    db = try PostgresConnection(connection, applicationName: "cdcd-slot-lag")
                } catch {
                    db = nil
                    record(SlotLag(error: "\(error)"), lastError: &lastError)
                }
            }
            if let connection = db {
                let lag = SlotLag.read(connection, slot: slot)
                if lag.error != nil {
                    connection.close()
                    db = nil
                }
                record(lag, lastError: &lastError)
            }
            let deadline = ContinuousClock.now + interval
            while ContinuousClock.now < deadline && !isStopping { Thread.sleep(forTimeInterval: 0.05) }
        }
        db?.close()
    }

    private func record(_ lag: SlotLag, lastError: inout String?) {
        if let error = lag.error, error != lastError {
            logger.warning("cannot read the replication slot's lag", metadata: ["cdc.error": "\(error)"])
        }
        lastError = lag.error
        box.withLock { $0.lag = lag }
    }
}
