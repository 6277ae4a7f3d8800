import CDCCore

/// One POST for a `CurlEasy` (the webhook sink's `CurlMulti`): header lines, body, and what to do with the answer.
///
/// `completion` runs on the multi's thread, once, with the response or the transport error; it must
/// not block (it may hand further requests to `CurlMulti.enqueueOnLoop`).
public struct CurlRequest: Sendable {
    /// Header lines (`Name: value`) of this request, sent after the handle's fixed ones.
    public var headers: [String]
    public var body: [UInt8]
    public var completion: @Sendable (WebhookResponse) -> Void

    public init(headers: [String], body: [UInt8], completion: @escaping @Sendable (WebhookResponse) -> Void) {
        self.headers = headers
        self.body = body
        self.completion = completion
    }
}
