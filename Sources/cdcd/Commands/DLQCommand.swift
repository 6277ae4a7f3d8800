import ArgumentParser
import CDCConfig
import CDCCore
import Capture
import Foundation
import Logging

/// `cdcd dlq list|replay|drop --pipeline NAME`: the dead-letter queue of one pipeline.
struct DLQCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dlq", abstract: "List, replay or drop a pipeline's dead-lettered records.",
        subcommands: [List.self, Replay.self, Drop.self])

    struct Options: ParsableArguments {
        @Option(name: .long, help: "The config file (cdcd.yaml).")
        var config: String = "cdcd.yaml"
        @Option(name: .long, help: "The pipeline's name.")
        var pipeline: String

        func load() throws -> (CDCDConfiguration, CDCDConfiguration.Pipeline) {
            let configuration: CDCDConfiguration
            do {
                configuration = try ConfigLoader.load(path: config, environment: ProcessInfo.processInfo.environment)
            } catch {
                throw CommandSupport.failure(error)
            }
            guard let pipeline = configuration.pipeline(named: pipeline) else {
                let names = configuration.pipelines.map(\.name).joined(separator: ", ")
                throw CommandSupport.failure(
                    CaptureError(code: .badConfiguration, message: "\(config): no pipeline named \(self.pipeline) (pipelines: \(names))"))
            }
            return (configuration, pipeline)
        }

        func queue() throws -> DeadLetterQueue {
            let (configuration, pipeline) = try load()
            return try DeadLetterQueue(directory: configuration.stateDirectory + "/pipelines/" + pipeline.name)
        }
    }

    /// Prints every entry as one JSON line (record, error, attempts, times).
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the dead-lettered records as JSON Lines.")
        @OptionGroup var options: Options
        func run() async throws {
            let queue = try options.queue()
            if let data = FileManager.default.contents(atPath: queue.path) { FileHandle.standardOutput.write(data) }
        }
    }

    /// Delivers every entry to the pipeline's sink again; the queue is emptied on success.
    struct Replay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Deliver the dead-lettered records to the pipeline's sink again.")
        @OptionGroup var options: Options
        func run() async throws {
            let (configuration, pipeline) = try options.load()
            let logger = CommandSupport.bootstrapLogging(level: .warning)
            do {
                let sink = try Daemon.makeSink(pipeline, configuration: configuration, logger: logger)
                let stream = try StreamLog(directory: configuration.stateDirectory + "/stream")
                let runner = try Pipeline(
                    configuration: Daemon.pipelineConfiguration(pipeline), stream: stream, sink: sink,
                    stateDirectory: configuration.stateDirectory, logger: logger)
                let count = try await runner.replayDeadLetters()
                await sink?.close()
                print("replayed \(count) records")
            } catch {
                throw CommandSupport.failure(error)
            }
        }
    }

    /// Removes every entry.
    struct Drop: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete the dead-lettered records.")
        @OptionGroup var options: Options
        func run() async throws {
            let queue = try options.queue()
            let count = queue.count
            try queue.removeAll()
            print("dropped \(count) records")
        }
    }
}
