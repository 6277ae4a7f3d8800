import CDCCore

/// One POST for `CurlMulti`: header lines, body, and what to do with the answer.
///
/// `completion` runs on the multi's thread, once, with the response or the transport error; it must
/// not block (it may hand further requests to `CurlMulti.enqueueOnLoop`).
struct CurlRequest: Sendable {
    /// Header lines (`Name: value`) of this request, sent after the handle's fixed ones.
    var headers: [String]
    var body: [UInt8]
    var completion: @Sendable (WebhookResponse) -> Void
}
