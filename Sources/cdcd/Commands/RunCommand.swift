import Admin
import ArgumentParser
import CDCCore
import CDCConfig
import Capture
import Foundation
import LibPQ
import Logging
import ServiceLifecycle
import Sinks

/// `cdcd run`: the daemon in the foreground. Capture appends to the durable stream; each pipeline
/// reads it from its own checkpoint into its sink. SIGTERM/SIGINT: stop capture, let pipelines
/// finish the batch in flight (bounded), keep checkpoints, exit 0.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Run the daemon in the foreground (systemd or a container supervises it).")

    @Option(name: .long, help: "The config file (cdcd.yaml).")
    var config: String = "cdcd.yaml"

    @OptionGroup var logging: LoggingOptions

    @Option(name: .long, help: "Seconds the pipelines get to finish in-flight batches on shutdown.")
    var drainSeconds: Int = 10

    @Option(
        name: .long,
        help: "Linux scheduling policy of the daemon's threads: batch (SCHED_BATCH: same CPU share, its wakeups do not preempt the database's processes) or other (SCHED_OTHER).")
    var cpuSchedulingPolicy: CPUSchedulingPolicy = .batch

    func run() async throws {
        AllocatorTuning.apply()
        let logger = logging.bootstrap()
        let unchanged = cpuSchedulingPolicy.apply()
        if !unchanged.isEmpty {
            logger.warning(
                "could not set the CPU scheduling policy of every thread; they run under the policy they had (choose it with --cpu-scheduling-policy)",
                metadata: ["cdc.policy": "\(cpuSchedulingPolicy.rawValue)", "cdc.threads": "\(unchanged.count)"])
        }
        let daemon: Daemon
        do {
            let configuration = try ConfigLoader.load(path: config, environment: ProcessInfo.processInfo.environment)
            SecretRedactor.shared.register(ConfigSecrets.of(configuration))
            daemon = try Daemon(configuration: configuration, logger: logger)
        } catch {
            throw CommandSupport.failure(error)
        }
        var groupConfiguration = ServiceGroupConfiguration(
            services: daemon.services, gracefulShutdownSignals: [.sigterm, .sigint], cancellationSignals: [],
            logger: logger)
        // The drain bound: what is still running after it is cancelled (systemd's TimeoutStopSec is above it).
        groupConfiguration.maximumGracefulShutdownDuration = .seconds(drainSeconds)
        let group = ServiceGroup(configuration: groupConfiguration)
        do {
            try await group.run()
        } catch {
            throw CommandSupport.failure(error)
        }
        logger.info("stopped")
    }
}

/// The wired daemon: the stream, capture into it, and the pipelines reading it.
struct Daemon {
    let services: [ServiceGroupConfiguration.ServiceConfiguration]

    init(configuration: CDCDConfiguration, logger: Logger) throws {
        try FileManager.default.createDirectory(atPath: configuration.stateDirectory, withIntermediateDirectories: true)
        let stream = try StreamLog(
            directory: configuration.stateDirectory + "/stream",
            options: StreamLog.Options(
                retentionAge: configuration.stream.retention, retentionBytes: configuration.stream.maxBytes))
        if let recovery = stream.recovery {
            logger.warning("stream recovered after an unclean stop", metadata: ["cdc.recovery": "\(recovery)"])
        }
        let (capture, admin) =
            switch configuration.source {
            case .postgres(let postgres):
                try Self.postgresCapture(postgres, configuration: configuration, stream: stream, logger: logger)
            case .dynamodb(let dynamodb):
                try Self.dynamoDBCapture(dynamodb, configuration: configuration, stream: stream, logger: logger)
            }
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [capture]
        var runners: [Capture.Pipeline] = []
        for pipeline in configuration.pipelines {
            let sink = try Self.makeSink(pipeline, configuration: configuration, logger: logger)
            let runner = try Pipeline(
                configuration: Self.pipelineConfiguration(pipeline), stream: stream, sink: sink,
                functions: try (0..<pipeline.parallelization).compactMap { _ in
                    try Self.makeFunction(pipeline, configuration: configuration, logger: logger)
                },
                stateDirectory: configuration.stateDirectory, logger: logger)
            services.append(.init(service: PipelineService(pipeline: runner, sink: sink, logger: logger)))
            runners.append(runner)
        }
        services.append(.init(service: RetentionService(stream: stream, logger: logger)))
        // First in the group, so it stops last: health and status answer while pipelines drain.
        services.insert(contentsOf: try admin(runners), at: 0)
        self.services = services
    }

    /// The admin services for the daemon's pipelines (built once the pipelines exist).
    typealias AdminServices = ([Capture.Pipeline]) throws -> [ServiceGroupConfiguration.ServiceConfiguration]

    /// The PostgreSQL source's capture into the stream, and the admin services that watch it.
    static func postgresCapture(
        _ postgres: PostgresSourceConfig, configuration: CDCDConfiguration, stream: StreamLog, logger: Logger
    ) throws -> (ServiceGroupConfiguration.ServiceConfiguration, AdminServices) {
        // Capture what the source lists, or else what the pipelines need (all tables if one wants all).
        var tables = postgres.tables
        if tables.isEmpty && !configuration.pipelines.contains(where: { $0.tables.isEmpty }) {
            tables = Array(Set(configuration.pipelines.flatMap(\.tables)))
        }
        let snapshotMarker = configuration.stateDirectory + "/snapshot-done"
        let source = PostgresSource(
            configuration: PostgresSource.Configuration(
                connection: try ConnectionString(postgres.url), slot: postgres.slot, publication: postgres.publication,
                tables: tables, skipThrough: try CaptureToStream.skipThrough(stream),
                snapshot: postgres.snapshot == .initial ? try CaptureToStream.snapshotPlan(stream, marker: snapshotMarker) : nil,
                heartbeat: postgres.heartbeat, backfillDirectory: SnapshotCommand.directory(configuration)),
            logger: logger)
        let capture = CaptureService(
            capture: CaptureToStream(source: source, stream: stream, logger: logger, snapshotMarker: snapshotMarker))
        return (
            .init(service: capture),
            { try Self.adminServices(configuration, source: source, stream: stream, pipelines: $0, logger: logger) }
        )
    }

    static func pipelineConfiguration(_ p: CDCDConfiguration.Pipeline) throws -> Capture.Pipeline.Configuration {
        let start: Capture.Pipeline.StartingPosition =
            switch p.startingPosition {
            case .trimHorizon: .trimHorizon
            case .latest: .latest
            case .atTimestamp(let date): .atTimestamp(Int64(date.timeIntervalSince1970 * 1_000_000))
            }
        // At-least-once sinks take records before their fsync (a slow fsync then delays only the
        // source's acknowledgement); the replica's exactly-once checkpoint counts stream offsets,
        // which records lost in a crash could take again, so it reads durable records only.
        let deliversUnsynced: Bool
        if case .postgres? = p.sink { deliversUnsynced = false } else { deliversUnsynced = true }
        return Capture.Pipeline.Configuration(
            name: p.name, tables: p.tables, filter: p.filter.isEmpty ? nil : try RecordFilter(patterns: p.filter),
            transforms: transforms(p),
            renderer: RecordRenderer(format: p.format, view: p.view), startingPosition: start,
            batchSize: p.batchSize, batchWindow: p.batchWindow, parallelization: p.parallelization,
            retry: .init(
                maxAttempts: p.retry.maxAttempts,
                maxRecordAgeMicros: p.retry.maxRecordAge.map { Int64($0.components.seconds) * 1_000_000 },
                bisectOnError: p.retry.bisectOnError,
                backoff: p.retry.backoff),
            deliversUnsyncedRecords: deliversUnsynced)
    }

    /// The built-in transforms of `function: {transforms: [...]}`, as CDCCore applies them.
    static func transforms(_ p: CDCDConfiguration.Pipeline) -> RecordTransformChain {
        guard case .transforms(let steps)? = p.function else { return RecordTransformChain([]) }
        return RecordTransformChain(steps.map { RecordTransform(tables: $0.tables, operation: $0.operation) })
    }

    static func makeFunction(
        _ p: CDCDConfiguration.Pipeline, configuration: CDCDConfiguration, logger: Logger
    ) throws -> FunctionProcess? {
        switch p.function {
        case nil:
            return nil
        case .command(let command)?:
            return FunctionProcess(
                command: command.arguments, workingDirectory: command.workingDirectory, timeout: command.timeout,
                logger: logger)
        case .lambda(let lambda)?:
            return FunctionProcess.lambda(
                handler: lambda.handler, python: lambda.python, searchPath: lambda.searchPath, timeout: lambda.timeout,
                functionName: lambda.functionName, logger: logger)
        case .transforms?:
            return nil  // applied in the pipeline itself (see `transforms(_:)`)
        }
    }

    static func makeSink(
        _ p: CDCDConfiguration.Pipeline, configuration: CDCDConfiguration, logger: Logger = Logger(label: "cdcd")
    ) throws -> (any Sink)? {
        let key = "\(configuration.file):\(p.line): pipelines.\(p.name).sink"
        switch p.sink {
        case .file(let file)?:
            return try FileSink(.file(path: file.path))
        case .stdout?:
            return try FileSink(.standardOutput)
        case .postgres(let postgres)?:
            // The replica applies captured records in commit order, in one transaction per batch
            // with its checkpoint: one lane, and no function output (which is not a record).
            if p.parallelization != 1 {
                throw CaptureError(
                    code: .badConfiguration,
                    message: "\(key).postgres: parallelization must be 1 (the replica applies changes in commit order)")
            }
            switch p.function {
            case .command?, .lambda?:
                throw CaptureError(
                    code: .badConfiguration,
                    message: "\(key).postgres: a function's output cannot be replicated; use transforms, or a file/webhook sink")
            case .transforms?, nil:
                break
            }
            var sourceURL: ConnectionString?
            if case .postgres(let source) = configuration.source { sourceURL = try ConnectionString(source.url) }
            let mapping = postgres
            return PostgresSink(
                PostgresSink.Configuration(
                    pipeline: p.name, target: try ConnectionString(postgres.url), source: sourceURL,
                    createTables: postgres.createTables, checkpointSchema: postgres.checkpointSchema,
                    synchronousCommit: postgres.synchronousCommit, mapTable: { mapping.target(schema: $0, table: $1) }),
                logger: logger)
        case .webhook(let webhook)?:
            var logger = logger
            logger[metadataKey: "cdc.pipeline"] = .string(p.name)
            return try WebhookSink(
                configuration: WebhookSink.Configuration(
                    url: webhook.url, displayURL: CDCDConfiguration.redactURL(webhook.url),
                    headers: webhook.headers.map { ($0.name, $0.value) }, timeout: webhook.timeout,
                    signingKeys: webhook.secretKeys, batch: webhook.batch, caFile: webhook.caFile,
                    insecureSkipVerify: webhook.insecureSkipVerify),
                logger: logger)
        case nil:
            return nil  // the function is the end (the config requires one then)
        }
    }
}

/// Capture → stream, stopped on graceful shutdown after the pipelines.
struct CaptureService: Service {
    let capture: CaptureToStream
    func run() async throws {
        try await withGracefulShutdownHandler {
            try await capture.run()
        } onGracefulShutdown: {
            capture.source.stop()
        }
    }
}

/// One pipeline. A disabled pipeline (410 Gone, …) stops alone: the others and capture go on.
struct PipelineService: Service {
    let pipeline: Capture.Pipeline
    let sink: (any Sink)?
    let logger: Logger
    func run() async throws {
        do {
            try await cancelWhenGracefulShutdown { try await pipeline.run() }
        } catch let disabled as PipelineDisabled {
            logger.error("\(disabled)")
            try? await gracefulShutdown()
        } catch is CancellationError {
        }
        await pipeline.close()
        await sink?.close()
    }
}

/// Applies the stream's retention every minute.
struct RetentionService: Service {
    let stream: StreamLog
    let logger: Logger
    func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                let result = try stream.trim()
                if result.deletedSegments > 0 {
                    logger.info("stream retention", metadata: ["cdc.deleted_records": "\(result.deletedRecords)"])
                }
            } catch {
                logger.error("stream retention failed", metadata: ["cdc.error": "\(error)"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(60)) }
        }
    }
}
