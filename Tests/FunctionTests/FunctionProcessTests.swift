import CDCCore
import Foundation
import Logging
import Testing

@testable import Capture

@Suite struct FunctionProcessTests {
    let folder = FunctionFolder()
    let log = LogRecorder()

    func python(_ file: String, timeout: Duration = .seconds(10)) -> FunctionProcess {
        FunctionProcess(
            command: ["python3", file], workingDirectory: folder.path, timeout: timeout, logger: log.logger)
    }

    @Test func transformsRecords() async throws {
        try folder.write(
            "upper.py",
            pythonFunction(
                """
                for record in records:
                    record["name"] = record["name"].upper()
                return {"records": records}
                """))
        let function = python("upper.py")
        let result = try await function.invoke([json(#"{"id":1,"name":"ada"}"#), json(#"{"id":2,"name":"bo"}"#)])
        #expect(
            result.records?.map { String(decoding: $0, as: UTF8.self) } == [
                #"{"id":1,"name":"ADA"}"#, #"{"id":2,"name":"BO"}"#,
            ])
        #expect(result.failedItemIdentifiers.isEmpty)
        let second = try await function.invoke([json(#"{"name":"x","total":1.10}"#)])
        #expect(second.records == [json(#"{"name":"X","total":1.1}"#)])
        await function.close()
    }

    @Test func reportsBatchItemFailures() async throws {
        try folder.write(
            "failures.py",
            pythonFunction(
                """
                return {"batchItemFailures": [{"itemIdentifier": r["seq"]} for r in records if r["ok"] is False]}
                """))
        let function = python("failures.py")
        let result = try await function.invoke([
            json(#"{"seq":"10","ok":true}"#), json(#"{"seq":"11","ok":false}"#), json(#"{"seq":"12","ok":false}"#),
        ])
        #expect(result.records == nil)
        #expect(result.failedItemIdentifiers == ["11", "12"])
        await function.close()
    }

    @Test func crashFailsTheBatchAndTheNextOneRestarts() async throws {
        try folder.write(
            "poison.py",
            pythonFunction(
                """
                if any(r.get("poison") for r in records):
                    sys.stderr.write("poison record, giving up\\n")
                    sys.exit(1)
                return {}
                """))
        let function = python("poison.py")
        _ = try await function.invoke([json(#"{"id":1}"#)])
        let firstPID = try #require(function.processID)

        let error = await functionError { () async throws(FunctionError) in
            try await function.invoke([json(#"{"id":2,"poison":true}"#)])
        }
        #expect(error?.kind == .crashed)
        #expect(error?.message.contains(#"function ["python3","poison.py"] exited with status 1"#) == true)
        #expect(error?.message.contains("poison record, giving up") == true)
        #expect(isReaped(firstPID))
        #expect(function.processID == nil)

        let result = try await function.invoke([json(#"{"id":3}"#)])
        #expect(result.records == nil)
        #expect(function.processID != nil && function.processID != firstPID)
        await function.close()
    }

    @Test func hangTimesOutAndTheNextBatchRestarts() async throws {
        try folder.write(
            "hang.py",
            pythonFunction(
                """
                if any(r.get("hang") for r in records):
                    time.sleep(3600)
                return {"records": []}
                """))
        let function = python("hang.py", timeout: .seconds(1))
        _ = try await function.invoke([json(#"{"id":1}"#)])
        let firstPID = try #require(function.processID)

        let clock = ContinuousClock()
        let start = clock.now
        let error = await functionError { () async throws(FunctionError) in
            try await function.invoke([json(#"{"hang":true}"#)])
        }
        let elapsed = clock.now - start
        #expect(error?.kind == .timedOut)
        #expect(error?.message.contains(#"function ["python3","hang.py"] did not answer within 1s"#) == true)
        #expect(elapsed >= .milliseconds(900) && elapsed < .seconds(3))
        #expect(isReaped(firstPID))

        let result = try await function.invoke([json(#"{"id":2}"#)])
        #expect(result.records == [])
        await function.close()
    }

    @Test func aNewProcessGetsStartupTimeOnTop() async throws {
        try folder.write("stuck.py", "import time\ntime.sleep(3600)\n")
        let function = FunctionProcess(
            command: ["python3", "stuck.py"], workingDirectory: folder.path, timeout: .seconds(1),
            startupTimeout: .milliseconds(500), logger: log.logger)
        let clock = ContinuousClock()
        let start = clock.now
        let error = await functionError { () async throws(FunctionError) in try await function.invoke([json("{}")]) }
        let elapsed = clock.now - start
        #expect(error?.kind == .timedOut)
        #expect(error?.message.contains("within 1.5s (its 1s timeout plus 500ms to start)") == true)
        #expect(elapsed >= .milliseconds(1400) && elapsed < .seconds(4))
        await function.close()
    }

    @Test func junkIsABadReply() async throws {
        try folder.write("junk.py", "import sys\nfor line in sys.stdin:\n    print('hello', flush=True)\n")
        let function = python("junk.py")
        let error = await functionError { () async throws(FunctionError) in
            try await function.invoke([json(#"{"id":1}"#)])
        }
        #expect(error?.kind == .badReply)
        #expect(
            error?.message.hasPrefix(#"function ["python3","junk.py"] printed a line that is not JSON: "hello""#)
                == true)
        // The process was stopped: its output no longer lines up with batches.
        #expect(function.processID == nil)
        await function.close()
    }

    @Test(arguments: [
        (#"[1,2]"#, "not a JSON object"),
        (#"{"records":{"a":1}}"#, #""records" as an object, not an array of objects"#),
        (#"{"records":[1]}"#, #""records" whose element 0 is a number"#),
        (#"{"result":"ok"}"#, #"unknown member "result""#),
    ])
    func wrongShapesAreBadReplies(reply: String, expected: String) async throws {
        try folder.write("shape.sh", "#!/bin/sh\nwhile read line; do echo '\(reply)'; done\n", executable: true)
        let function = FunctionProcess(command: ["./shape.sh"], workingDirectory: folder.path, logger: log.logger)
        let error = await functionError { () async throws(FunctionError) in try await function.invoke([json("{}")]) }
        #expect(error?.kind == .badReply)
        #expect(error?.message.contains(expected) == true, "\(error?.message ?? "no error")")
        await function.close()
    }

    @Test func shellScriptFunction() async throws {
        let script = try folder.write(
            "forward.sh", "#!/bin/sh\nwhile read line; do echo '{}'; done\n", executable: true)
        let function = FunctionProcess(command: [script], logger: log.logger)
        for _ in 0..<3 {
            let result = try await function.invoke([json(#"{"id":1}"#)])
            #expect(result == FunctionResult(records: nil, failedItemIdentifiers: []))
        }
        await function.close()
    }

    @Test func aFunctionThatExitsAfterEachBatchIsRestarted() async throws {
        let script = try folder.write("once.sh", "#!/bin/sh\nread line\necho '{\"records\":[]}'\n", executable: true)
        let function = FunctionProcess(command: [script], logger: log.logger)
        for _ in 0..<3 {
            // A batch sent while the previous process is still exiting fails as crashed (the
            // process was gone); the next one gets a fresh process.
            var result: FunctionResult
            do {
                result = try await function.invoke([json(#"{"id":1}"#)])
            } catch {
                #expect(error.kind == .crashed)
                result = try await function.invoke([json(#"{"id":1}"#)])
            }
            #expect(result.records == [])
        }
        await function.close()
    }

    @Test func stderrGoesToTheLog() async throws {
        try folder.write(
            "noisy.py",
            pythonFunction(
                """
                sys.stderr.write("working on %d records\\n" % len(records))
                sys.stderr.flush()
                return {}
                """))
        let function = python("noisy.py")
        _ = try await function.invoke([json("{}"), json("{}")])
        let entry = await log.waitFor { $0.message == "working on 2 records" }
        #expect(entry?.level == .warning)
        #expect(entry?.metadata["cdc.function"] == #"["python3","noisy.py"]"#)
        await function.close()
    }

    @Test func concurrentInvocationsRunOneAtATime() async throws {
        try folder.write("echo.py", pythonFunction("time.sleep(0.01)\nreturn {\"records\": records}"))
        let function = python("echo.py")
        try await withThrowingTaskGroup(of: (Int, FunctionResult).self) { group in
            for n in 0..<10 {
                group.addTask { (n, try await function.invoke([json(#"{"n":\#(n)}"#)])) }
            }
            for try await (n, result) in group {
                #expect(result.records == [json(#"{"n":\#(n)}"#)])
            }
        }
        await function.close()
    }

    @Test func largeBatchesAndReplies() async throws {
        try folder.write("echo.py", pythonFunction("return {\"records\": records}"))
        let function = python("echo.py")
        let big = String(repeating: "x", count: 1 << 20)
        let items = (0..<5).map { json(#"{"n":\#($0),"blob":"\#(big)"}"#) }
        let result = try await function.invoke(items)
        #expect(result.records == items)
        await function.close()
    }

    @Test func missingProgramCannotStart() async throws {
        let function = FunctionProcess(command: ["cdcd-no-such-program"], logger: log.logger)
        let error = await functionError { () async throws(FunctionError) in try await function.invoke([json("{}")]) }
        #expect(error?.kind == .cannotStart)
        #expect(error?.message.contains(#"function ["cdcd-no-such-program"] could not be started"#) == true)
        #expect(error?.message.contains("on PATH") == true)

        let elsewhere = FunctionProcess(
            command: ["python3", "f.py"], workingDirectory: folder.path + "/missing", logger: log.logger)
        let second = await functionError { () async throws(FunctionError) in try await elsewhere.invoke([json("{}")]) }
        #expect(second?.kind == .cannotStart)
        #expect(second?.message.contains("working directory \(folder.path)/missing does not exist") == true)
    }

    @Test func queuedBatchesAllFailWhenTheProgramIsMissing() async throws {
        let function = FunctionProcess(command: ["cdcd-no-such-program"], logger: log.logger)
        await withTaskGroup(of: FunctionError?.self) { group in
            for _ in 0..<5 {
                group.addTask {
                    await functionError { () async throws(FunctionError) in try await function.invoke([json("{}")]) }
                }
            }
            for await error in group {
                #expect(error?.kind == .cannotStart)
            }
        }
        await function.close()
    }

    @Test func cancellationStopsTheBatch() async throws {
        try folder.write("sleepy.py", pythonFunction("if records[0].get('hang'):\n    time.sleep(3600)\nreturn {}"))
        let function = python("sleepy.py", timeout: .seconds(60))
        let task = Task { () async -> Result<FunctionResult, FunctionError> in
            do throws(FunctionError) {
                return .success(try await function.invoke([json(#"{"hang":true}"#)]))
            } catch {
                return .failure(error)
            }
        }
        try await Task.sleep(for: .milliseconds(300))
        task.cancel()
        let error = await functionError { () async throws(FunctionError) in try await task.value.get() }
        #expect(error?.kind == .cancelled)
        let result = try await function.invoke([json("{}")])
        #expect(result.records == nil)
        await function.close()
    }

    @Test func closeReapsTheProcess() async throws {
        try folder.write("forward.py", pythonFunction("return {}"))
        let function = python("forward.py")
        _ = try await function.invoke([json("{}")])
        let pid = try #require(function.processID)
        #expect(!isReaped(pid))
        await function.close()
        #expect(isReaped(pid))
        #expect(!FileManager.default.fileExists(atPath: "/proc/\(pid)"))
        #expect(function.processID == nil)

        let error = await functionError { () async throws(FunctionError) in try await function.invoke([json("{}")]) }
        #expect(error?.kind == .cannotStart)
    }

    @Test func closeStopsAProcessThatIgnoresSIGTERM() async throws {
        try folder.write(
            "stubborn.py",
            pythonFunction("return {}", prelude: "import signal\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)"))
        let function = python("stubborn.py")
        _ = try await function.invoke([json("{}")])
        let pid = try #require(function.processID)
        await function.close()
        #expect(isReaped(pid))
    }

    @Test func droppingTheLastReferenceStopsTheProcess() async throws {
        try folder.write("forward.py", pythonFunction("return {}"))
        var function: FunctionProcess? = python("forward.py")
        _ = try await function?.invoke([json("{}")])
        let pid = try #require(function?.processID)
        function = nil
        var reaped = false
        for _ in 0..<300 where !reaped {
            try await Task.sleep(for: .milliseconds(10))
            reaped = isReaped(pid)
        }
        #expect(reaped)
    }
}
