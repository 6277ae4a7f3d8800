import ArgumentParser

/// `cdcd check`: validate the source (and, once configs land, the whole config). Placeholder until
/// the check lands; see issue notes.
struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check", abstract: "Validate a source database for change capture.")
    func run() async throws {}
}
