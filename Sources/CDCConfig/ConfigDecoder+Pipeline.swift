import CDCCore
import Foundation

extension ConfigDecoder {
    typealias Pipeline = CDCDConfiguration.Pipeline

    static let pipelineKeys = [
        "name", "tables", "filter", "view", "format", "starting_position", "starting_timestamp", "batch_size",
        "batch_window", "parallelization", "function", "retry", "on_failure", "sink",
    ]

    func decodePipelines(_ node: ConfigNode, _ path: ConfigPath) throws(ConfigError) -> [Pipeline] {
        let elements = try list(node, path, example: "- name: replica ...")
        guard !elements.isEmpty else {
            throw fail(.missingKey, node.line, path, "list at least one pipeline")
        }
        var pipelines: [Pipeline] = []
        var seen: [String: (index: Int, line: Int)] = [:]
        for (index, element) in elements.enumerated() {
            let pipeline = try decodePipeline(element, path.index(index))
            if let first = seen[pipeline.name] {
                throw fail(
                    .duplicateName, pipeline.nameLine, path.index(index).key("name"),
                    "duplicate pipeline name '\(pipeline.name)' (also pipelines[\(first.index)], line \(first.line))")
            }
            seen[pipeline.name] = (index, pipeline.nameLine)
            pipelines.append(pipeline.pipeline)
        }
        return pipelines
    }

    struct DecodedPipeline {
        var pipeline: Pipeline
        var nameLine: Int
        var name: String { pipeline.name }
    }

    func decodePipeline(_ node: ConfigNode, _ path: ConfigPath) throws(ConfigError) -> DecodedPipeline {
        let reader = try MappingReader(
            node, path, self, allowed: Self.pipelineKeys, what: "pipeline settings (name, tables, sink, ...)")
        let nameNode = try reader.required("name", "every pipeline needs a unique name")
        let name = try nonEmptyText(nameNode, path.key("name"), expected: "a name")
        guard name.value.count <= 64,
            name.value.unicodeScalars.allSatisfy({
                $0.isASCII
                    && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "._-".unicodeScalars.contains($0))
            })
        else {
            throw fail(
                .invalidValue, nameNode.line, path.key("name"),
                "a pipeline name is letters, digits, ., _ and - (at most 64), got \(name.shown())")
        }
        var pipeline = Pipeline(name: name.value, line: node.line, sink: nil)

        if let tables = reader.value("tables") {
            pipeline.tables = try tablePatterns(tables, path.key("tables"))
        }
        if let filter = reader.value("filter") {
            pipeline.filter = try decodeFilter(filter, path.key("filter"))
        }
        if let view = reader.value("view") {
            pipeline.view = try choice(view, path.key("view"), RecordRenderer.View.allCases.map { ($0.rawValue, $0) })
        }
        if let format = reader.value("format") {
            pipeline.format = try choice(
                format, path.key("format"), RecordRenderer.Format.allCases.map { ($0.rawValue, $0) })
        }
        pipeline.startingPosition = try decodeStartingPosition(reader, path)
        if let batchSize = reader.value("batch_size") {
            pipeline.batchSize = try int(batchSize, path.key("batch_size"), range: Pipeline.batchSizeRange)
        }
        if let batchWindow = reader.value("batch_window") {
            pipeline.batchWindow = try duration(batchWindow, path.key("batch_window"), range: Pipeline.batchWindowRange)
        }
        if let parallelization = reader.value("parallelization") {
            pipeline.parallelization = try int(
                parallelization, path.key("parallelization"), range: Pipeline.parallelizationRange)
        }
        if let function = reader.value("function") {
            pipeline.function = try decodeFunction(function, path.key("function"))
        }
        if let retry = reader.value("retry") {
            pipeline.retry = try decodeRetry(retry, path.key("retry"))
        }
        if let onFailure = reader.value("on_failure") {
            pipeline.onFailure = try choice(
                onFailure, path.key("on_failure"), Pipeline.OnFailure.allCases.map { ($0.rawValue, $0) })
        }
        if let sink = reader.value("sink") {
            pipeline.sink = try decodeSink(sink, path.key("sink"))
        } else {
            switch pipeline.function {
            case .command, .lambda: break
            case .transforms, nil:
                throw fail(
                    .missingKey, reader.entry("sink")?.keyLine ?? node.line, path.key("sink"),
                    "required key missing: a pipeline needs a sink (postgres, webhook, file or stdout) unless a command or lambda function is its end"
                )
            }
        }
        return DecodedPipeline(pipeline: pipeline, nameLine: nameNode.line)
    }

    private func decodeStartingPosition(
        _ reader: MappingReader, _ path: ConfigPath
    ) throws(ConfigError)
        -> Pipeline.StartingPosition
    {
        enum Kind { case trimHorizon, latest, atTimestamp }
        var kind = Kind.latest
        let positionNode = reader.value("starting_position")
        if let positionNode {
            kind = try choice(
                positionNode, path.key("starting_position"),
                [("TRIM_HORIZON", Kind.trimHorizon), ("LATEST", .latest), ("AT_TIMESTAMP", .atTimestamp)])
        }
        let timestampNode = reader.value("starting_timestamp")
        switch kind {
        case .trimHorizon, .latest:
            if let timestampNode {
                throw fail(
                    .conflict, timestampNode.line, path.key("starting_timestamp"),
                    "only used with starting_position: AT_TIMESTAMP")
            }
            return kind == .latest ? .latest : .trimHorizon
        case .atTimestamp:
            guard let timestampNode else {
                throw fail(
                    .missingKey, positionNode?.line ?? reader.line, path.key("starting_timestamp"),
                    "required key missing: AT_TIMESTAMP needs starting_timestamp (for example 2026-01-02T03:04:05Z)")
            }
            let text = try nonEmptyText(timestampNode, path.key("starting_timestamp"), expected: "a timestamp")
            guard let date = ConfigValueParsing.timestamp(text.value) else {
                throw fail(
                    .invalidValue, timestampNode.line, path.key("starting_timestamp"),
                    "must be an RFC 3339 timestamp with a zone (2026-01-02T03:04:05Z) or epoch seconds, got \(text.shown())"
                )
            }
            return .atTimestamp(date)
        }
    }

    func decodeRetry(_ node: ConfigNode, _ path: ConfigPath) throws(ConfigError) -> Pipeline.Retry {
        let reader = try MappingReader(
            node, path, self, allowed: ["max_attempts", "max_record_age", "bisect_on_error", "backoff"],
            what: "retry settings")
        var retry = Pipeline.Retry()
        if let maxAttempts = reader.value("max_attempts") {
            retry.maxAttempts = try int(maxAttempts, path.key("max_attempts"), range: Pipeline.Retry.maxAttemptsRange)
        }
        if let maxRecordAge = reader.value("max_record_age") {
            retry.maxRecordAge = try duration(
                maxRecordAge, path.key("max_record_age"), range: .seconds(1)...Self.unbounded)
        }
        if let bisect = reader.value("bisect_on_error") {
            retry.bisectOnError = try bool(bisect, path.key("bisect_on_error"))
        }
        if let backoffNode = reader.value("backoff") {
            let backoffPath = path.key("backoff")
            let backoff = try MappingReader(
                backoffNode, backoffPath, self, allowed: ["initial", "max"], what: "backoff settings")
            if let initial = backoff.value("initial") {
                retry.backoff.initial = try duration(initial, backoffPath.key("initial"), range: Self.positive)
            }
            if let maximum = backoff.value("max") {
                retry.backoff.maximum = try duration(maximum, backoffPath.key("max"), range: Self.positive)
                if retry.backoff.maximum < retry.backoff.initial {
                    throw fail(
                        .outOfRange, maximum.line, backoffPath.key("max"),
                        "must be at least initial (\(Self.format(retry.backoff.initial))), got \(Self.format(retry.backoff.maximum))"
                    )
                }
            } else if retry.backoff.initial > retry.backoff.maximum {
                retry.backoff.maximum = retry.backoff.initial
            }
        }
        return retry
    }
}
