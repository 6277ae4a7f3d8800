import Admin
import ArgumentParser
import CDCConfig
import Foundation

/// `cdcd status`: the running daemon's `/status` as a table (or JSON); when the daemon does not
/// answer, what the state directory and the source slot say, and that it is not running.
/// Exit status: 0 when the daemon answered, 3 when it is not running (as `systemctl status`), 1 on
/// errors (bad config, wrong token).
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the source position, slot lag, and each pipeline's checkpoint, lag, DLQ and state.")

    @Option(name: .long, help: "The config file (cdcd.yaml): admin.listen and admin.token, state_dir, source.")
    var config: String = "cdcd.yaml"

    @Option(name: .long, help: "The admin endpoint's URL (default: from admin.listen in the config).")
    var admin: String?

    @Flag(name: .long, help: "Print the status as JSON (as /status answers it).")
    var json = false

    func run() async throws {
        let configuration: CDCDConfiguration
        do {
            configuration = try ConfigLoader.load(path: config, environment: ProcessInfo.processInfo.environment)
        } catch {
            throw CommandSupport.failure(error)
        }
        SecretRedactor.shared.register(ConfigSecrets.of(configuration))
        let url = admin ?? AdminClient.url(host: configuration.admin.host, port: configuration.admin.port)
        let status: DaemonStatus
        do {
            switch try await AdminClient(baseURL: url, token: configuration.admin.token).status() {
            case .status(let answer): status = answer
            case .notRunning: status = OfflineStatus.read(configuration)
            }
        } catch {
            throw CommandSupport.failure(error)
        }
        if json {
            print(String(decoding: status.json(), as: UTF8.self))
        } else {
            print(
                StatusTable.render(status, admin: url, stateDirectory: configuration.stateDirectory), terminator: "")
        }
        if !status.running { throw ExitCode(3) }
    }
}
