import CDCConfig
import CDCCore
import Testing

/// `source.postgres.heartbeat`: off unless written; a duration of at least a second.
@Suite("Postgres source heartbeat")
struct ConfigHeartbeatTests {
    static func yaml(_ heartbeat: String?) -> String {
        "source:\n  postgres:\n    url: postgres://cdc@127.0.0.1/app\n"
            + (heartbeat.map { "    heartbeat: \($0)\n" } ?? "")
            + "pipelines: [{ name: a, tables: [public.orders], sink: { stdout: {} } }]\n"
    }

    static func heartbeat(_ written: String?) throws -> Duration? {
        guard case .postgres(let source) = try parse(yaml(written)).source else { return nil }
        return source.heartbeat
    }

    @Test func offByDefault() throws {
        #expect(try Self.heartbeat(nil) == nil)
    }

    @Test(arguments: [("60s", Duration.seconds(60)), ("1s", .seconds(1)), ("5m", .seconds(300))])
    func written(_ text: String, _ expected: Duration) throws {
        #expect(try Self.heartbeat(text) == expected)
    }

    @Test(arguments: ["500ms", "0", "often"])
    func rejected(_ text: String) {
        let error = parseError(Self.yaml(text))
        #expect(error?.description.contains("cdcd.yaml:4: source.postgres.heartbeat") == true, "\(String(describing: error))")
    }
}
