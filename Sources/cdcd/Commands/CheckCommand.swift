import ArgumentParser
import CDCCore
import Capture
import Foundation
import LibPQ

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

    @Option(name: .long, help: "The source database: libpq conninfo or postgres:// URI.")
    var source: String

    @Option(name: .long, help: "Tables to capture, comma-separated schema.table patterns (globs allowed).")
    var tables: String?

    @Option(name: .long, help: "The replication slot (and publication) name.")
    var slot: String = "cdcd"

    func run() async throws {
        let findings: [CheckFinding]
        do {
            let patterns = try (tables ?? "").split(separator: ",").map {
                try TablePattern(String($0).trimmingCharacters(in: .whitespaces))
            }
            findings = SourceCheck(
                connection: try ConnectionString(source), tables: patterns, slot: slot, publication: slot
            ).run()
        } catch {
            throw CommandSupport.failure(error)
        }
        for finding in findings { print(finding) }
        if findings.contains(where: { $0.severity == .error }) { throw ExitCode.failure }
    }
}
