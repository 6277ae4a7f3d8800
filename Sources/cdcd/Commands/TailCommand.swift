import Admin
import ArgumentParser
import CDCCore
import Capture
import Foundation
import LibPQ
import Logging

/// `cdcd tail`: stream records as JSON Lines to stdout, like `pg_recvlogical` but typed and keyed.
struct TailCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tail",
        abstract: "Stream a database's changes as JSON Lines on stdout.",
        discussion: """
            Without --slot, a temporary replication slot and publication are used and dropped on exit.
            With --slot NAME, a persistent slot and a publication of the same name are created when
            missing and resumed when present: a later `tail --slot NAME` continues where this one stopped.
            """
    )

    @Option(name: .long, help: "The source database: libpq conninfo or postgres:// URI.")
    var source: String

    @Option(name: .long, help: "Tables to capture, comma-separated schema.table patterns (globs allowed: public.*).")
    var tables: String?

    @Option(name: .long, help: "Record format: cdcd or dynamodb.")
    var format: RecordRenderer.Format = .cdcd

    @Option(name: .long, help: "Stream view: KEYS_ONLY, NEW_IMAGE, OLD_IMAGE or NEW_AND_OLD_IMAGES.")
    var view: RecordRenderer.View = .newAndOldImages

    @Option(name: .long, help: "Use (and create when missing) this persistent replication slot.")
    var slot: String?

    @Option(name: .long, help: "Stop once the stream reaches this LSN (X/Y), like pg_recvlogical --endpos.")
    var endLsn: String?

    @Option(name: .long, help: "Log level on stderr: trace, debug, info, notice, warning, error.")
    var logLevel: Logger.Level = .notice

    @Option(name: .long, help: "Log format on stderr: text or json (one object per line).")
    var logFormat: LogFormat = .text

    func run() async throws {
        SecretRedactor.shared.register(ConfigSecrets.passwords(in: source))
        let logger = CommandSupport.bootstrapLogging(level: logLevel, format: logFormat)
        let configuration: PostgresSource.Configuration
        do {
            configuration = try makeConfiguration()
        } catch {
            throw CommandSupport.failure(error)
        }
        let source = PostgresSource(configuration: configuration, logger: logger)
        let signals = SignalTrap { source.stop() }
        defer { signals.cancel() }
        let renderer = RecordRenderer(format: format, view: view)
        let output = StandardOutput()
        do {
            for try await batch in source.batches() {
                var writer = JSONWriter()
                writer.bytes.reserveCapacity(batch.records.count * 256)
                for record in batch.records {
                    renderer.render(record, into: &writer)
                    writer.bytes.append(UInt8(ascii: "\n"))
                }
                guard output.write(writer.bytes) else {
                    source.stop()
                    break
                }
                if let lsn = batch.acknowledgeLSN { source.acknowledge(lsn) }
            }
        } catch {
            throw CommandSupport.failure(error)
        }
    }

    private func makeConfiguration() throws -> PostgresSource.Configuration {
        let connection = try ConnectionString(source)
        let patterns = try (tables ?? "").split(separator: ",").map {
            try TablePattern(String($0).trimmingCharacters(in: .whitespaces))
        }
        var endLSN: LSN?
        if let endLsn {
            guard let lsn = LSN(string: endLsn) else {
                throw ValidationError("--end-lsn '\(endLsn)' is not an LSN of the form X/Y (for example 0/16B3748)")
            }
            endLSN = lsn
        }
        if let slot {
            return PostgresSource.Configuration(
                connection: connection, slot: slot, publication: slot, tables: patterns, endLSN: endLSN)
        }
        let unique = "cdcd_tail_\(getpid())_\(UInt32.random(in: 0...UInt32.max))"
        return PostgresSource.Configuration(
            connection: connection, slot: unique, temporarySlot: true, publication: unique,
            dropPublicationOnExit: true, tables: patterns, endLSN: endLSN)
    }
}

extension RecordRenderer.Format: ExpressibleByArgument {}
extension RecordRenderer.View: ExpressibleByArgument {}
extension Logger.Level: @retroactive ExpressibleByArgument {}
