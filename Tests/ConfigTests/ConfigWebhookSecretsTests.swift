import CDCConfig
import Foundation
import Testing

/// `secrets:` — several Standard Webhooks secrets for rotation (one signature per secret).
@Suite("Config: webhook secret rotation")
struct ConfigWebhookSecretsTests {
    static let newSecret = "whsec_" + Data("the new secret, rotated in 2026".utf8).base64EncodedString()

    static func webhook(_ lines: String, environment: [String: String] = [:]) throws
        -> CDCDConfiguration.Pipeline.Sink.Webhook
    {
        let config = try parse(
            "source: { postgres: { url: 'postgres://db', tables: [a.b] } }\npipelines:\n  - name: a\n    sink:\n"
                + "      webhook:\n        url: https://example.com/x\n" + lines, environment: environment)
        guard case .webhook(let webhook)? = config.pipelines.first?.sink else {
            Issue.record("expected a webhook sink")
            throw CancellationError()
        }
        return webhook
    }

    @Test func secretsListGivesOneKeyEach() throws {
        let webhook = try Self.webhook(
            "        secrets: [\"${NEW}\", \(testSecret)]\n", environment: ["NEW": Self.newSecret])
        #expect(webhook.secret == nil)
        #expect(webhook.secrets == [Self.newSecret, testSecret])
        #expect(webhook.secretKeys == [Array("the new secret, rotated in 2026".utf8), webhook.secretKeys[1]])
        #expect(webhook.secretKeys.count == 2)
        for text in ["\(webhook)", String(reflecting: webhook)] {
            #expect(!text.contains("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"))
            #expect(!text.contains(String(Self.newSecret.dropFirst(6))))
            #expect(text.contains("secrets: [***, ***]"))
        }
    }

    @Test func oneSecretIsOneKey() throws {
        let webhook = try Self.webhook("        secret: \(testSecret)\n")
        #expect(webhook.secretKeys.count == 1)
        #expect(webhook.secretKeys.first == webhook.secretKey)
        #expect(try Self.webhook("").secretKeys.isEmpty)
    }

    @Test(arguments: [
        (
            "        secret: \(testSecret)\n        secrets: [\(testSecret)]\n",
            "cdcd.yaml:8: pipelines[0].sink.webhook.secrets: give either secret (one) or secrets (a list, for rotation: requests carry one signature per secret), not both"
        ),
        (
            "        secrets: []\n",
            "cdcd.yaml:7: pipelines[0].sink.webhook.secrets: must not be an empty list (leave it out to send unsigned requests)"
        ),
        (
            "        secrets: [\(testSecret), \"n0t-base64!\"]\n",
            "cdcd.yaml:7: pipelines[0].sink.webhook.secrets[1]: must be a Standard Webhooks secret, whsec_ followed by base64 (the value is not shown)"
        ),
        (
            "        secrets: \(testSecret)\n",
            "cdcd.yaml:7: pipelines[0].sink.webhook.secrets: must be a list (for example [\"${NEW_SECRET}\", \"${OLD_SECRET}\"]), got a single value"
        ),
    ])
    func badSecrets(_ lines: String, _ expected: String) {
        let error = parseError(
            "source: { postgres: { url: 'postgres://db', tables: [a.b] } }\npipelines:\n  - name: a\n    sink:\n"
                + "      webhook:\n        url: https://example.com/x\n" + lines)
        #expect(error?.description == expected)
        #expect(error?.description.contains("n0t-base64") == false)
    }
}
