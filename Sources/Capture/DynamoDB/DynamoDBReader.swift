import CDCCore
import Foundation
import Logging

/// The DynamoDB source's thread: resolves the stream, then reads its shards round after round
/// until stopped or failed. Owns the HTTP client.
struct DynamoDBReader {
    let source: DynamoDBSource
    var configuration: DynamoDBSource.Configuration { source.configuration }
    var logger: Logger { source.logger }

    func run() {
        do {
            try read()
            source.channel.finish()
        } catch {
            source.setStreaming(false)
            logger.error("DynamoDB capture failed", metadata: ["cdc.error": "\(error)"])
            source.channel.finish(throwing: error)
        }
        source.setStreaming(false)
    }

    /// Sleeps up to `duration` in short steps; false once the source is stopping.
    func pause(_ duration: Duration) -> Bool {
        let end = ContinuousClock.now + duration
        while ContinuousClock.now < end {
            if source.isStopping { return false }
            let left = end - ContinuousClock.now
            Thread.sleep(forTimeInterval: min(0.05, Double(left.components.seconds) + Double(left.components.attoseconds) / 1e18))
        }
        return !source.isStopping
    }

    /// Calls `body` until it succeeds, retrying throttling and unavailability with backoff.
    func retrying<T>(_ body: () throws(DynamoDBError) -> T) throws(DynamoDBError) -> T? {
        var attempt = 0
        while !source.isStopping {
            do {
                return try body()
            } catch {
                guard error.isRetryable else { throw error }
                attempt += 1
                let delay = configuration.backoff.delay(afterAttempt: attempt)
                logger.warning(
                    "DynamoDB call failed, retrying",
                    metadata: ["cdc.error": "\(error)", "cdc.attempt": "\(attempt)", "cdc.retry_in": "\(delay)"])
                if !pause(delay) { return nil }
            }
        }
        return nil
    }

    func read() throws {
        let client = DynamoDBClient(
            credentials: configuration.credentials, region: configuration.region, endpoint: configuration.endpoint)
        // The stream.
        let arn: String
        switch configuration.stream {
        case .arn(let given):
            arn = given
        case .table(let table):
            guard let body = try retrying({ () throws(DynamoDBError) in
                try client.call(DynamoDBStreamsAPI.describeTable(table), what: "table \(table)")
            }) else { return }
            let found: String?
            do {
                found = try DynamoDBStreamsAPI.decodeLatestStreamARN(body)
            } catch {
                throw DynamoDBError(.badAnswer, "DescribeTable table \(table): \(error.message)")
            }
            guard let found else {
                throw DynamoDBError(
                    .configuration, "table \(table) has no stream enabled; enable DynamoDB Streams on it (StreamSpecification)")
            }
            arn = found
        }
        source.setStreamARN(arn)
        var (positions, lastPosition) = try configuration.resume(arn)
        positions.streamARN = arn
        guard var description = try describe(client, arn) else { return }
        let mapper = DynamoDBRecordMapper(
            streamARN: arn, tableName: description.tableName.isEmpty ? Self.tableName(arn) : description.tableName,
            keyAttributes: description.keyAttributes, region: configuration.region)
        var log = logger
        log[metadataKey: "cdc.stream"] = .string(arn)
        log.info(
            "reading DynamoDB stream",
            metadata: ["cdc.shards": "\(description.shards.count)", "cdc.finished_shards": "\(positions.finished.count)"])
        source.setStreaming(true)

        var iterators: [String: String] = [:]
        var lastDescribe = ContinuousClock.now
        var idle = 0
        while !source.isStopping {
            if ContinuousClock.now - lastDescribe >= configuration.describeInterval {
                guard let fresh = try describe(client, arn) else { return }
                description = fresh
                lastDescribe = ContinuousClock.now
            }
            var readAny = false
            var fullPage = false
            var shardEnded = false
            for shard in ShardLineage.readable(description.shards, finished: positions.finished) {
                if source.isStopping { return }
                var shardLog = log
                shardLog[metadataKey: "cdc.shard"] = .string(shard.id)
                // An iterator: where this run left off, or the saved position, or the oldest record.
                if iterators[shard.id] == nil {
                    let start: DynamoDBStreamsAPI.IteratorStart
                    if case .after(let sequence)? = positions.shards[shard.id] {
                        start = .afterSequenceNumber(sequence)
                    } else {
                        start = .trimHorizon
                    }
                    let iterator = try shardIterator(client, arn, shard.id, start, shardLog)
                    guard let iterator else {
                        if source.isStopping { return }
                        // The shard is gone (trimmed) or closed with nothing left: finished.
                        positions.shards[shard.id] = .finished
                        shardEnded = true
                        guard send(DynamoDBBatch(records: [], positions: positions)) else { return }
                        continue
                    }
                    iterators[shard.id] = iterator
                }
                let iterator = iterators[shard.id]!
                let answer: DynamoDBStreamsAPI.Records
                do throws(DynamoDBError) {
                    guard let body = try retrying({ () throws(DynamoDBError) in
                        try client.call(
                            DynamoDBStreamsAPI.getRecords(iterator: iterator, limit: configuration.recordsPerCall),
                            what: "stream \(arn) shard \(shard.id)")
                    }) else { return }
                    do {
                        answer = try DynamoDBStreamsAPI.decodeRecords(body)
                    } catch {
                        throw DynamoDBError(.badAnswer, "GetRecords stream \(arn) shard \(shard.id): \(error.message)")
                    }
                } catch {
                    switch error.code {
                    case .expiredIterator:
                        shardLog.info("shard iterator expired; getting a new one")
                        iterators[shard.id] = nil
                        continue
                    case .trimmed, .notFound:
                        shardLog.warning("shard no longer readable; getting a new iterator", metadata: ["cdc.error": "\(error)"])
                        iterators[shard.id] = nil
                        continue
                    default:
                        throw error
                    }
                }
                var records: [ChangeRecord] = []
                records.reserveCapacity(answer.records.count)
                if !answer.records.isEmpty {
                    let now = LSN(UInt64(max(0, Date().timeIntervalSince1970 * 1_000_000)))
                    lastPosition = max(LSN(lastPosition.rawValue + 1), now)
                    for (i, raw) in answer.records.enumerated() {
                        records.append(try mapper.map(raw, shardID: shard.id, position: lastPosition, index: UInt32(i + 1)))
                    }
                    positions.advance(with: records)
                    readAny = true
                    fullPage = fullPage || answer.records.count >= configuration.recordsPerCall
                }
                if let next = answer.nextShardIterator {
                    iterators[shard.id] = next
                } else {
                    // Closed and read to its end: its children may start once this batch is durable.
                    iterators[shard.id] = nil
                    positions.shards[shard.id] = .finished
                    shardEnded = true
                    shardLog.info("shard finished")
                }
                if !records.isEmpty || answer.nextShardIterator == nil {
                    guard send(DynamoDBBatch(records: records, positions: positions)) else { return }
                }
            }
            if shardEnded {
                guard let fresh = try describe(client, arn) else { return }
                description = fresh
                lastDescribe = ContinuousClock.now
                continue
            }
            if readAny {
                idle = 0
                // Caught up (no full page): keep each shard under AWS's 5 GetRecords per second.
                if !fullPage && !pause(configuration.idleInitial) { return }
            } else {
                idle += 1
                var wait = configuration.idleInitial
                for _ in 1..<min(idle, 16) where wait < configuration.idleMaximum { wait = wait * 2 }
                if !pause(min(wait, configuration.idleMaximum)) { return }
            }
        }
    }

    /// Hands a batch to the consumer, waiting while the buffer is full; false once stopped.
    func send(_ batch: DynamoDBBatch) -> Bool {
        while true {
            switch source.channel.send(batch, timeout: 1) {
            case .sent: return true
            case .cancelled: return false
            case .timedOut: if source.isStopping { return false }
            }
        }
    }

    /// Every shard of the stream (DescribeStream page after page); nil once stopped.
    func describe(_ client: DynamoDBClient, _ arn: String) throws(DynamoDBError) -> DynamoDBStreamsAPI.StreamDescription? {
        var start: String?
        var all: DynamoDBStreamsAPI.StreamDescription?
        repeat {
            let from = start
            guard let body = try retrying({ () throws(DynamoDBError) in
                try client.call(DynamoDBStreamsAPI.describeStream(arn: arn, exclusiveStartShardID: from), what: "stream \(arn)")
            }) else { return nil }
            let page: DynamoDBStreamsAPI.StreamDescription
            do {
                page = try DynamoDBStreamsAPI.decodeStreamDescription(body)
            } catch {
                throw DynamoDBError(.badAnswer, "DescribeStream stream \(arn): \(error.message)")
            }
            if all == nil { all = page } else { all!.shards += page.shards }
            start = page.lastEvaluatedShardID
        } while start != nil
        guard var result = all else { return nil }
        result.shards = ShardLineage.ordered(result.shards)
        return result
    }

    /// A shard iterator from `start`; a trimmed position falls back to the oldest record (loudly).
    /// Nil when the shard no longer exists, or once stopped.
    func shardIterator(
        _ client: DynamoDBClient, _ arn: String, _ shardID: String, _ start: DynamoDBStreamsAPI.IteratorStart,
        _ log: Logger
    ) throws(DynamoDBError) -> String? {
        do throws(DynamoDBError) {
            guard let body = try retrying({ () throws(DynamoDBError) in
                try client.call(
                    DynamoDBStreamsAPI.getShardIterator(arn: arn, shardID: shardID, start: start),
                    what: "stream \(arn) shard \(shardID)")
            }) else { return nil }
            do {
                return try DynamoDBStreamsAPI.decodeShardIterator(body)
            } catch {
                throw DynamoDBError(.badAnswer, "GetShardIterator stream \(arn) shard \(shardID): \(error.message)")
            }
        } catch {
            switch error.code {
            case .notFound:
                log.warning("shard not found (trimmed?): counted as finished", metadata: ["cdc.error": "\(error)"])
                return nil
            case .trimmed where start != .trimHorizon:
                log.error(
                    "the saved position is older than the stream keeps: reading the shard from its oldest record; records in between were lost",
                    metadata: ["cdc.error": "\(error)"])
                return try shardIterator(client, arn, shardID, .trimHorizon, log)
            default:
                throw error
            }
        }
    }

    /// `NAME` of `arn:aws:dynamodb:REGION:ACCOUNT:table/NAME/stream/LABEL`.
    static func tableName(_ arn: String) -> String {
        let parts = arn.split(separator: "/")
        return parts.count >= 2 ? String(parts[1]) : arn
    }
}
