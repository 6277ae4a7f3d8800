import ArgumentParser

/// The `cdcd` command line.
@main
struct CDCD: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cdcd",
        abstract: "Change data capture for PostgreSQL: stream every change as a JSON record.",
        subcommands: [RunCommand.self, TailCommand.self, CheckCommand.self, StatusCommand.self, DLQCommand.self, SnapshotCommand.self]
    )
}
