import CDCCore
import Testing

@testable import Capture

@Suite struct FunctionReplyTests {
    static let name = #"["f"]"#

    @Test(arguments: [
        ("{}", FunctionResult(records: nil, failedItemIdentifiers: [])),
        (#"{"records":[]}"#, FunctionResult(records: [], failedItemIdentifiers: [])),
        (#"{"records":null,"batchItemFailures":null}"#, FunctionResult()),
        (#" {"records" : [ {"a" : 1.10} ] } "#, FunctionResult(records: [Array(#"{"a":1.10}"#.utf8)])),
        (
            #"{"batchItemFailures":[{"itemIdentifier":"7"},{"itemIdentifier":"9"}],"records":[{"b":[1,2]}]}"#,
            FunctionResult(records: [Array(#"{"b":[1,2]}"#.utf8)], failedItemIdentifiers: ["7", "9"])
        ),
    ])
    func readsReplies(line: String, expected: FunctionResult) throws {
        #expect(try FunctionResult(reply: Array(line.utf8), function: Self.name) == expected)
    }

    @Test(arguments: [
        ("hello", FunctionError.Kind.badReply, #"function ["f"] printed a line that is not JSON: "hello""#),
        ("", .badReply, "printed an empty line"),
        ("null", .badReply, "which is not a JSON object"),
        (#"{"records":"x"}"#, .badReply, #""records" as a string"#),
        (#"{"records":[{},[]]}"#, .badReply, #"element 1 is an array"#),
        (#"{"batchItemFailures":{}}"#, .badReply, #""batchItemFailures" as an object"#),
        (#"{"batchItemFailures":[{"itemIdentifier":7}]}"#, .badReply, "element 0 has no non-empty string"),
        (#"{"batchItemFailures":[{"itemIdentifier":""}]}"#, .badReply, "element 0 has no non-empty string"),
        (#"{"statusCode":200}"#, .badReply, #"unknown member "statusCode""#),
        (
            #"{"errorMessage":"boom","errorType":"ValueError"}"#, .handlerError,
            #"function ["f"] failed with ValueError: boom"#
        ),
        (#"{"errorMessage":"boom"}"#, .handlerError, #"function ["f"] failed: boom"#),
    ])
    func rejectsReplies(line: String, kind: FunctionError.Kind, message: String) {
        #expect {
            try FunctionResult(reply: Array(line.utf8), function: Self.name)
        } throws: { error in
            guard let error = error as? FunctionError else { return false }
            return error.kind == kind && error.message.contains(message)
        }
    }

    @Test func longJunkIsShortenedInMessages() {
        let line = Array(String(repeating: "z", count: 5000).utf8)
        #expect {
            try FunctionResult(reply: line, function: Self.name)
        } throws: { error in
            (error as? FunctionError)?.message.contains("(first 200 of 5000 bytes)") == true
        }
    }

    @Test func eventIsOneLine() {
        let bytes = FunctionProcess.event([Array(#"{"a":1}"#.utf8), Array("{\"b\":\n2}".utf8)])
        #expect(String(decoding: bytes, as: UTF8.self) == "{\"Records\":[{\"a\":1},{\"b\": 2}]}\n")
        #expect(String(decoding: FunctionProcess.event([]), as: UTF8.self) == "{\"Records\":[]}\n")
    }

    @Test(arguments: [
        (Duration.seconds(30), "30s"), (.milliseconds(1500), "1.5s"), (.milliseconds(250), "250ms"),
    ])
    func describesTimeouts(duration: Duration, text: String) {
        #expect(FunctionError.describe(duration) == text)
    }
}
