import Admin
import CDCConfig
import CDCTestKit
import Foundation
import Logging
import Testing

/// Secrets never reach a log handler, whatever carries them.
@Suite("secret redaction")
struct RedactionTests {
    @Test func configSecretsAreFoundInEveryPlace() throws {
        let yaml = """
            source:
              postgres:
                url: "postgres://app:pa%2Fss-src-1@db/app"
                tables: [public.t]
            admin: { listen: "0.0.0.0:8473", token: admin-token-2 }
            pipelines:
              - name: hook
                sink:
                  webhook:
                    url: https://example.com/h
                    secret: whsec_aGVsbG8td29ybGQtc2VjcmV0
                    headers: { Authorization: "Bearer hdr-token-3", X-Api-Key: key-value-4, X-Trace: visible }
              - name: replica
                sink: { postgres: { url: "host=replica password=replica-pw-5 dbname=app" } }
            """
        let directory = NSTemporaryDirectory() + TestPostgres.uniqueName("secrets")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try yaml.write(toFile: directory + "/cdcd.yaml", atomically: true, encoding: .utf8)
        let configuration = try ConfigLoader.load(path: directory + "/cdcd.yaml", environment: [:])
        let secrets = Set(ConfigSecrets.of(configuration))
        for expected in [
            "pa/ss-src-1", "pa%2Fss-src-1", "admin-token-2", "whsec_aGVsbG8td29ybGQtc2VjcmV0",
            "aGVsbG8td29ybGQtc2VjcmV0",
            "Bearer hdr-token-3", "hdr-token-3", "key-value-4", "replica-pw-5",
        ] {
            #expect(secrets.contains(expected), "\(expected)")
        }
        #expect(!secrets.contains("visible"))
    }

    @Test func messagesMetadataAndErrorsAreMasked() {
        let redactor = SecretRedactor()
        redactor.register(["s3cret-value", "abc"])
        let store = RecordingLogHandler.Store()
        var logger = Logger(label: "t") { _ in
            RedactingLogHandler(RecordingLogHandler(store: store), redactor: redactor)
        }
        logger.logLevel = .trace
        logger[metadataKey: "cdc.conn"] = "password=s3cret-value host=db"
        logger.trace(
            "connecting with s3cret-value",
            metadata: [
                "nested": ["a": .array(["x s3cret-value y"])], "authorization": "Bearer anything",
                "cdc.table": "public.abc",
            ])
        let line = store.messages.joined()
        #expect(!line.contains("s3cret-value"))
        #expect(!line.contains("Bearer anything"))
        #expect(line.contains("connecting with ***"))
        #expect(line.contains("public.abc"))  // too short to be registered as a secret
    }

    @Test func jsonLinesCarryTimestampLevelMessageAndMetadata() throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        var handler = JSONLogHandler(label: "cdcd", fileDescriptor: fds[1])
        handler.logLevel = .debug
        handler[metadataKey: "cdc.pipeline"] = "orders"
        let logger = Logger(label: "cdcd") { _ in handler }
        logger.warning("line \"one\"\nwith newline", metadata: ["cdc.count": "3", "list": ["a", "b"]])
        close(fds[1])
        let data = FileHandle(fileDescriptor: fds[0], closeOnDealloc: true).readDataToEndOfFile()
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n")
        #expect(lines.count == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        #expect(object["level"] as? String == "warning")
        #expect(object["message"] as? String == "line \"one\"\nwith newline")
        #expect((object["timestamp"] as? String)?.hasSuffix("Z") == true)
        let metadata = try #require(object["metadata"] as? [String: Any])
        #expect(metadata["cdc.pipeline"] as? String == "orders")
        #expect(metadata["cdc.count"] as? String == "3")
        #expect(metadata["list"] as? [String] == ["a", "b"])
    }
}
