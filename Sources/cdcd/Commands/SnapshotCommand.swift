import ArgumentParser
import CDCConfig
import CDCCore
import Capture
import Foundation

/// `cdcd snapshot --pipeline NAME [--tables ...]`: asks the running daemon to re-emit the current
/// rows of the pipeline's tables to that pipeline alone, while every pipeline keeps streaming.
///
/// It leaves a request file in `state_dir/backfills` (`<id>.request`, written atomically); the
/// daemon's capture picks it up within a second, merges the rows with the live changes by
/// watermarks (a newer change is never overwritten by an older read) and renames the file
/// `<id>.done` (or `<id>.failed`, with the error in the daemon's log).
struct SnapshotCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "snapshot",
        abstract: "Re-emit the current rows of a pipeline's tables to that pipeline (a backfill), while streaming goes on.")

    @Option(name: .long, help: "The config file (cdcd.yaml).")
    var config: String = "cdcd.yaml"
    @Option(name: .long, help: "The pipeline to backfill.")
    var pipeline: String
    @Option(
        name: .long, parsing: .upToNextOption,
        help: "Tables to read (schema.table, globs allowed; several or comma-separated). Default: the pipeline's tables.")
    var tables: [String] = []

    /// Where backfill requests go.
    static func directory(_ configuration: CDCDConfiguration) -> String {
        configuration.stateDirectory + "/backfills"
    }

    func run() async throws {
        let configuration: CDCDConfiguration
        do {
            configuration = try ConfigLoader.load(path: config, environment: ProcessInfo.processInfo.environment)
        } catch {
            throw CommandSupport.failure(error)
        }
        guard case .postgres = configuration.source else {
            throw CommandSupport.failure(
                CaptureError(code: .badConfiguration, message: "\(config): backfills need a postgres source"))
        }
        guard let target = configuration.pipeline(named: pipeline) else {
            let names = configuration.pipelines.map(\.name).joined(separator: ", ")
            throw CommandSupport.failure(
                CaptureError(code: .badConfiguration, message: "\(config): no pipeline named \(pipeline) (pipelines: \(names))"))
        }
        var patterns: [String] = []
        for text in tables.flatMap({ $0.split(separator: ",") }).map({ $0.trimmingCharacters(in: .whitespaces) }) {
            do {
                patterns.append(try TablePattern(text).text)
            } catch {
                throw CommandSupport.failure(CaptureError(code: .badConfiguration, message: "--tables: \(error)"))
            }
        }
        if patterns.isEmpty { patterns = target.tables.map(\.text) }
        let directory = Self.directory(configuration)
        let id = "\(Int64(Date().timeIntervalSince1970 * 1000))-\(pipeline)"
        let body = ([pipeline] + patterns).joined(separator: "\n") + "\n"
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let temporary = directory + "/.\(id).tmp"
            try body.write(toFile: temporary, atomically: false, encoding: .utf8)
            guard rename(temporary, directory + "/\(id).request") == 0 else {
                throw CaptureError(code: .badConfiguration, message: "cannot write \(directory)/\(id).request: errno \(errno)")
            }
        } catch {
            throw CommandSupport.failure(error)
        }
        print(
            "backfill \(id) requested for pipeline \(pipeline) (tables: \(patterns.isEmpty ? "all captured" : patterns.joined(separator: ", "))); "
                + "the running daemon renames \(directory)/\(id).request to .done when it is finished")
    }
}
