/// Standard Webhooks signing (https://www.standardwebhooks.com): the three headers a receiver
/// verifies, `webhook-id`, `webhook-timestamp` and `webhook-signature`.
///
/// The signature is `v1,<base64 of HMAC-SHA256(key, "<id>.<timestamp>.<body>")>`; with several keys
/// (secret rotation) the header holds one signature per key, space-separated, so a receiver holding
/// either the old or the new secret accepts the request. Keys are the decoded bytes of `whsec_` secrets.
/// A signer never prints its keys: its description names only how many it holds.
public struct WebhookSigner: Sendable, CustomStringConvertible {
    private let macs: [HMACSHA256]

    /// A signer for `keys` (decoded secrets); no keys means unsigned requests.
    public init(keys: [[UInt8]]) {
        macs = keys.map { HMACSHA256(key: $0) }
    }

    /// True when requests carry a `webhook-signature` header.
    public var signs: Bool { !macs.isEmpty }

    /// The `webhook-signature` value for one request: `v1,<base64>` per key, space-separated.
    public func signature(id: String, timestamp: Int64, body: [UInt8]) -> String {
        let prefix = Array("\(id).\(timestamp).".utf8)
        var writer = JSONWriter(capacity: macs.count * 50)
        for (index, mac) in macs.enumerated() {
            if index > 0 { writer.writeRaw(UInt8(ascii: " ")) }
            writer.writeRaw(Array("v1,".utf8))
            let code = mac.authenticationCode(prefix, body)
            writer.writeBase64Fragment(count: code.count) { code[$0] }
        }
        return String(decoding: writer.bytes, as: UTF8.self)
    }

    /// The headers of one request, in the order they are sent: `webhook-id`, `webhook-timestamp`,
    /// and `webhook-signature` when there are keys.
    public func headers(id: String, timestamp: Int64, body: [UInt8]) -> [(name: String, value: String)] {
        var headers = [("webhook-id", id), ("webhook-timestamp", String(timestamp))]
        if signs { headers.append(("webhook-signature", signature(id: id, timestamp: timestamp, body: body))) }
        return headers
    }

    public var description: String { "WebhookSigner(\(macs.count) keys)" }
}
