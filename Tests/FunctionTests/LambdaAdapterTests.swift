import CDCCore
import Foundation
import Logging
import Testing

@testable import Capture

@Suite struct LambdaAdapterTests {
    let folder = FunctionFolder()
    let log = LogRecorder()

    /// An unchanged DynamoDB Streams handler, as deployed on AWS Lambda.
    static let ordersHandler = """
        def handler(event, context):
            failures = []
            for record in event["Records"]:
                status = record["dynamodb"]["NewImage"]["status"]["S"]
                print("order", record["dynamodb"]["Keys"]["id"]["N"], "is", status)
                if status == "bad":
                    failures.append({"itemIdentifier": record["dynamodb"]["SequenceNumber"]})
            return {"batchItemFailures": failures}

        """

    static func streamRecord(id: Int, status: String, sequence: String) -> [UInt8] {
        json(
            #"{"eventID":"e\#(id)","eventName":"INSERT","eventSource":"aws:dynamodb","awsRegion":"local","#
                + #""dynamodb":{"Keys":{"id":{"N":"\#(id)"}},"NewImage":{"id":{"N":"\#(id)"},"#
                + #""status":{"S":"\#(status)"}},"SequenceNumber":"\#(sequence)","#
                + #""StreamViewType":"NEW_AND_OLD_IMAGES"}}"#)
    }

    func lambda(_ handler: String, timeout: Duration = .seconds(10), environment: [String: String] = [:])
        -> FunctionProcess
    {
        FunctionProcess.lambda(
            handler: handler, searchPath: folder.path, timeout: timeout, environment: environment,
            logger: log.logger)
    }

    @Test func runsAnUnchangedDynamoDBStreamsHandler() async throws {
        try folder.write("handlers/orders.py", Self.ordersHandler)
        let function = lambda("handlers.orders.handler")
        let result = try await function.invoke([
            Self.streamRecord(id: 1, status: "ok", sequence: "100"),
            Self.streamRecord(id: 2, status: "bad", sequence: "200"),
            Self.streamRecord(id: 3, status: "ok", sequence: "300"),
            Self.streamRecord(id: 4, status: "bad", sequence: "400"),
        ])
        #expect(result.failedItemIdentifiers == ["200", "400"])
        #expect(result.records == nil)

        // print() went to the log, not into the protocol.
        let printed = await log.waitFor { $0.message == "order 2 is bad" }
        #expect(printed?.level == .warning)
        #expect(printed?.metadata["cdc.function"] == "lambda:handlers.orders.handler")

        let clean = try await function.invoke([Self.streamRecord(id: 5, status: "ok", sequence: "500")])
        #expect(clean.failedItemIdentifiers.isEmpty)
        await function.close()
    }

    @Test func handlerErrorKeepsTheProcess() async throws {
        try folder.write(
            "flaky.py",
            """
            def handler(event, context):
                if event["Records"][0].get("explode"):
                    raise ValueError("cannot handle order 7")
                return None

            """)
        let function = lambda("flaky.handler")
        _ = try await function.invoke([json(#"{"id":1}"#)])
        let pid = try #require(function.processID)

        let error = await functionError { () async throws(FunctionError) in
            try await function.invoke([json(#"{"explode":true}"#)])
        }
        #expect(error?.kind == .handlerError)
        #expect(error?.message == "function lambda:flaky.handler failed with ValueError: cannot handle order 7")
        #expect(function.processID == pid)
        let traceback = await log.waitFor { $0.message.contains("ValueError: cannot handle order 7") }
        #expect(traceback != nil)

        let result = try await function.invoke([json(#"{"id":2}"#)])
        #expect(result == FunctionResult())
        #expect(function.processID == pid)
        await function.close()
    }

    @Test func recordsAndContext() async throws {
        try folder.write(
            "enrich.py",
            """
            import re
            def handler(event, context):
                assert re.fullmatch(r"[0-9a-f-]{36}", context.aws_request_id)
                assert 0 < context.get_remaining_time_in_millis() <= 10000
                return {
                    "statusCode": 200,
                    "records": [
                        {
                            "id": r["id"],
                            "function": context.function_name,
                            "arn": context.invoked_function_arn,
                            "memory": context.memory_limit_in_mb,
                            "group": context.log_group_name,
                            "stream": context.log_stream_name.split("/")[-1][:9],
                        }
                        for r in event["Records"]
                    ],
                }

            """)
        let function = FunctionProcess.lambda(
            handler: "enrich.handler", searchPath: folder.path, timeout: .seconds(10), functionName: "orders-enricher",
            environment: ["AWS_REGION": "eu-west-1"], logger: log.logger)
        let result = try await function.invoke([json(#"{"id":1}"#)])
        let records = try #require(result.records)
        #expect(records.count == 1)
        #expect(
            try parsed(records[0])
                == parsed(
                    json(
                        #"{"id":1,"function":"orders-enricher","#
                            + #""arn":"arn:aws:lambda:eu-west-1:000000000000:function:orders-enricher","#
                            + #""memory":"128","group":"/aws/lambda/orders-enricher","stream":"[$LATEST]"}"#)))
        await function.close()
    }

    @Test(arguments: [
        ("return None", FunctionResult()),
        ("return [1, 2]", FunctionResult()),
        ("return {\"statusCode\": 200}", FunctionResult()),
        ("return {\"records\": []}", FunctionResult(records: [])),
        (
            #"from decimal import Decimal\#n    return {"records": [{"n": Decimal("12"), "x": Decimal("1.5")}]}"#,
            FunctionResult(records: [json(#"{"n":12,"x":1.5}"#)])
        ),
    ])
    func returnValues(body: String, expected: FunctionResult) async throws {
        try folder.write("returns.py", "def handler(event, context):\n    \(body)\n")
        let function = lambda("returns.handler")
        #expect(try await function.invoke([json("{}")]) == expected)
        await function.close()
    }

    @Test func moduleIsLookedUpInTheSearchPathFirstThenPythonPath() async throws {
        let elsewhere = FunctionFolder()
        try elsewhere.write(
            "shared.py", "def handler(event, context):\n    return {\"records\": [{\"from\": \"pythonpath\"}]}\n")
        try elsewhere.write(
            "local.py", "def handler(event, context):\n    return {\"records\": [{\"from\": \"pythonpath\"}]}\n")
        try folder.write(
            "local.py", "def handler(event, context):\n    return {\"records\": [{\"from\": \"config folder\"}]}\n")

        let shared = lambda("shared.handler", environment: ["PYTHONPATH": elsewhere.path])
        #expect(try await shared.invoke([json("{}")]).records == [json(#"{"from":"pythonpath"}"#)])
        await shared.close()

        let local = lambda("local.handler", environment: ["PYTHONPATH": elsewhere.path])
        #expect(try await local.invoke([json("{}")]).records == [json(#"{"from":"config folder"}"#)])
        await local.close()
    }

    @Test func missingModuleFailsWithAClearMessage() async throws {
        let function = lambda("handlers.missing.handler")
        let error = await functionError { () async throws(FunctionError) in try await function.invoke([json("{}")]) }
        #expect(error?.kind == .crashed)
        let message = error?.message ?? ""
        #expect(message.hasPrefix("function lambda:handlers.missing.handler exited with status 2"))
        #expect(message.contains("cannot load handler handlers.missing.handler"))
        #expect(message.contains("ModuleNotFoundError") || message.contains("No module named"))
    }

    @Test func handlerCannotReadOrWriteTheProtocol() async throws {
        try folder.write(
            "sneaky.py",
            """
            import os, sys
            def handler(event, context):
                sys.__stdout__.write("junk on the old stdout\\n")
                sys.__stdout__.flush()
                os.write(1, b"junk on fd 1\\n")
                assert sys.stdin.read() == ""
                return {"records": [{"ok": True}]}

            """)
        let function = lambda("sneaky.handler")
        for _ in 0..<2 {
            #expect(try await function.invoke([json("{}")]).records == [json(#"{"ok":true}"#)])
        }
        #expect(await log.waitFor { $0.message == "junk on fd 1" } != nil)
        await function.close()
    }
}
