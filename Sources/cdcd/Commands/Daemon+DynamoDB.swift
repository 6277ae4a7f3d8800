import Admin
import CDCCore
import CDCConfig
import Capture
import Foundation
import Logging
import ServiceLifecycle

extension Daemon {
    /// The DynamoDB source's capture into the stream, and the admin services that watch it.
    static func dynamoDBCapture(
        _ dynamodb: DynamoDBSourceConfig, configuration: CDCDConfiguration, stream: StreamLog, logger: Logger
    ) throws -> (ServiceGroupConfiguration.ServiceConfiguration, AdminServices) {
        let capture = try dynamoDBCaptureToStream(dynamodb, configuration: configuration, stream: stream, logger: logger)
        return (
            .init(service: DynamoDBCaptureService(capture: capture)),
            { try Self.adminServices(configuration, dynamodb: capture.source, stream: stream, pipelines: $0, logger: logger) }
        )
    }

    /// The DynamoDB source and its hand-off into the stream. Credentials come from the AWS
    /// environment variables or the profile file, and are registered with the log redactor.
    static func dynamoDBCaptureToStream(
        _ dynamodb: DynamoDBSourceConfig, configuration: CDCDConfiguration, stream: StreamLog, logger: Logger
    ) throws -> DynamoDBCaptureToStream {
        // Transforms edit a record's columns; a DynamoDB record renders from DynamoDB's own images,
        // so they would silently do nothing: refuse them.
        for pipeline in configuration.pipelines {
            if case .transforms? = pipeline.function {
                throw CaptureError(
                    code: .badConfiguration,
                    message: "\(configuration.file):\(pipeline.line): pipelines.\(pipeline.name).function.transforms: not supported with source.dynamodb yet (records render from DynamoDB's images); use a lambda or command function")
            }
        }
        let environment = ProcessInfo.processInfo.environment
        let credentials: AWSCredentials
        do {
            credentials = try AWSCredentials.resolve(environment: environment) { path in
                FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) }
            }
        } catch {
            throw CaptureError(code: .badConfiguration, message: "\(configuration.file): source.dynamodb: \(error.message)")
        }
        SecretRedactor.shared.register(ConfigSecrets.of(credentials))
        let positionsPath = configuration.stateDirectory + "/dynamodb-shards.json"
        let source = DynamoDBSource(
            configuration: .init(
                stream: streamSelection(dynamodb), region: dynamodb.region, endpoint: dynamodb.endpoint, credentials: credentials,
                resume: { arn in
                    try DynamoDBCaptureToStream.resume(stream: stream, positionsPath: positionsPath, streamARN: arn)
                }),
            logger: logger)
        return DynamoDBCaptureToStream(source: source, stream: stream, positionsPath: positionsPath, logger: logger)
    }

    /// `cdcd check` for a DynamoDB source: credentials found, stream reachable and fit for the pipelines.
    static func checkDynamoDB(
        _ dynamodb: DynamoDBSourceConfig, configuration: CDCDConfiguration, wantsOldImages: Bool, wantsNewImages: Bool
    ) -> [CheckFinding] {
        let credentials: AWSCredentials
        do {
            credentials = try AWSCredentials.resolve(environment: ProcessInfo.processInfo.environment) { path in
                FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) }
            }
        } catch {
            return [CheckFinding(.error, "source.dynamodb: \(error.message)")]
        }
        SecretRedactor.shared.register(ConfigSecrets.of(credentials))
        return DynamoDBSourceCheck(
            stream: streamSelection(dynamodb), region: dynamodb.region, endpoint: dynamodb.endpoint,
            credentials: credentials, wantsOldImages: wantsOldImages, wantsNewImages: wantsNewImages
        ).run()
    }

    static func streamSelection(_ dynamodb: DynamoDBSourceConfig) -> DynamoDBSource.Configuration.Stream {
        switch dynamodb.stream {
        case .arn(let arn): .arn(arn)
        case .table(let table): .table(table)
        }
    }

    /// The admin endpoint for a daemon reading a DynamoDB stream (no slot lag probe).
    static func adminServices(
        _ configuration: CDCDConfiguration, dynamodb: DynamoDBSource, stream: StreamLog, pipelines: [Capture.Pipeline],
        logger: Logger
    ) throws -> [ServiceGroupConfiguration.ServiceConfiguration] {
        let monitor = DaemonMonitor(dynamodb: dynamodb, stream: stream, pipelines: pipelines)
        let metrics = AdminMetrics()
        metrics.bootstrap(pipelines: monitor.pipelineNames)
        let server = try AdminServer(
            configuration: .init(
                host: configuration.admin.host, port: configuration.admin.port, token: configuration.admin.token),
            monitor: monitor, metrics: metrics, logger: logger)
        return [.init(service: server)]
    }
}

/// DynamoDB capture → stream, stopped on graceful shutdown after the pipelines.
struct DynamoDBCaptureService: Service {
    let capture: DynamoDBCaptureToStream
    func run() async throws {
        try await withGracefulShutdownHandler {
            try await capture.run()
        } onGracefulShutdown: {
            capture.source.stop()
        }
    }
}
