import CDCConfig
import Testing

/// The design's example config (docs: design.md, "Config"), verbatim.
let designExample = """
    state_dir: ./cdcd-state
    source:
      postgres:
        url: postgres://cdc@127.0.0.1:5432/app
        slot: cdcd
        publication: cdcd
        tables: ["public.*"]
        snapshot: initial
    admin:
      listen: 127.0.0.1:8473
    pipelines:
      - name: replica
        tables: ["public.*"]
        sink: { postgres: { url: "postgres://app@10.0.0.2/app" } }
      - name: paid-orders
        tables: [public.orders]
        filter: [{ eventName: [MODIFY], newImage: { status: [paid] } }]
        batch_size: 50
        sink: { webhook: { url: "https://example.com/hooks/orders", secret: "${ORDERS_WEBHOOK_SECRET}" } }
    """

/// A valid Standard Webhooks secret for tests (base64 of 24 bytes).
let testSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

/// Parses `yaml` as `cdcd.yaml` in `/etc/cdcd`.
func parse(_ yaml: String, environment: [String: String] = [:]) throws(ConfigError) -> CDCDConfiguration {
    try ConfigLoader.parse(yaml: yaml, file: "cdcd.yaml", baseDirectory: "/etc/cdcd", environment: environment)
}

/// A config with one stdout pipeline and `pipelineExtra` (indented 4 spaces, one key per line) added
/// to it; the extra lines start at line 7.
func minimalConfig(pipelineExtra: String = "") -> String {
    """
    source:
      postgres:
        url: postgres://cdc@127.0.0.1/app
    pipelines:
      - name: a
        tables: [public.orders]
    \(pipelineExtra.split(separator: "\n", omittingEmptySubsequences: false).map { "    " + $0 }.joined(separator: "\n"))
        sink: { stdout: {} }
    """
}

/// Parses and returns the error, failing the test when the config parses.
func parseError(
    _ yaml: String, environment: [String: String] = [:], sourceLocation: SourceLocation = #_sourceLocation
)
    -> ConfigError?
{
    do {
        let configuration = try parse(yaml, environment: environment)
        Issue.record("expected an error, got \(configuration)", sourceLocation: sourceLocation)
        return nil
    } catch {
        return error
    }
}
