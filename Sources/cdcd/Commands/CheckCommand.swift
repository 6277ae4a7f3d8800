import Admin
import ArgumentParser
import CDCCore
import CDCConfig
import Capture
import Foundation
import LibPQ
import Logging

/// `cdcd check`: validate a source for change capture; one line per finding, exit 1 on any error.
struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate a source database for change capture.",
        discussion: """
            Checks wal_level, the replication privilege, free slots, that the tables exist and have a
            primary key or replica identity, and the publication and slot. Prints one line per finding
            (ok / warning / error); exits 1 on any error, 0 when there are only warnings.
            """
    )

    @Option(name: .long, help: "The config file (cdcd.yaml): checks the whole config and its source.")
    var config: String?

    @Option(name: .long, help: "The source database: libpq conninfo or postgres:// URI (instead of --config).")
    var source: String?

    @Option(name: .long, help: "Tables to capture, comma-separated schema.table patterns (globs allowed).")
    var tables: String?

    @Option(name: .long, help: "The replication slot (and publication) name.")
    var slot: String = "cdcd"

    func run() async throws {
        var findings: [CheckFinding] = []
        do {
            if let config {
                findings = try await checkConfig(config)
            } else if let source {
                SecretRedactor.shared.register(ConfigSecrets.passwords(in: source))
                let patterns = try (tables ?? "").split(separator: ",").map {
                    try TablePattern(String($0).trimmingCharacters(in: .whitespaces))
                }
                findings = SourceCheck(
                    connection: try ConnectionString(source), tables: patterns, slot: slot, publication: slot
                ).run()
            } else {
                throw ValidationError("give --config FILE or --source URL")
            }
        } catch let error as ValidationError {
            throw error
        } catch {
            findings.append(CheckFinding(.error, "\(error)"))
        }
        for finding in findings { print(SecretRedactor.shared.redact("\(finding)")) }
        if findings.contains(where: { $0.severity == .error }) { throw ExitCode.failure }
    }

    /// The config (syntax, keys, values), then its source, then each pipeline's sink.
    private func checkConfig(_ path: String) async throws -> [CheckFinding] {
        let configuration = try ConfigLoader.load(path: path, environment: ProcessInfo.processInfo.environment)
        SecretRedactor.shared.register(ConfigSecrets.of(configuration))
        var findings = [CheckFinding(.ok, "\(path): config is valid (\(configuration.pipelines.count) pipelines)")]
        let wantsOld = configuration.pipelines.contains { $0.view == .oldImage || $0.view == .newAndOldImages }
        switch configuration.source {
        case .dynamodb(let dynamodb):
            findings += Daemon.checkDynamoDB(
                dynamodb, configuration: configuration, wantsOldImages: wantsOld,
                wantsNewImages: configuration.pipelines.contains { $0.view == .newImage || $0.view == .newAndOldImages })
        case .postgres(let postgres):
            findings += SourceCheck(
                connection: try ConnectionString(postgres.url), tables: postgres.tables, slot: postgres.slot,
                publication: postgres.publication, wantsOldImages: wantsOld
            ).run()
        }
        for pipeline in configuration.pipelines {
            do {
                let sink = try Daemon.makeSink(
                    pipeline, configuration: configuration, logger: Logger(label: "cdcd.check") { _ in SwiftLogNoOpLogHandler() })
                do {
                    try await sink?.prepare()
                } catch {
                    await sink?.close()
                    throw error
                }
                await sink?.close()
                findings.append(CheckFinding(.ok, "pipeline \(pipeline.name): sink is ready"))
            } catch {
                findings.append(CheckFinding(.error, "pipeline \(pipeline.name): \(error)"))
            }
        }
        return findings
    }
}
