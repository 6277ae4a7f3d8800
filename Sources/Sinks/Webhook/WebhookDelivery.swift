import CDCCore
import CurlHTTP

/// One `write` of a `batch: false` sink: a request per item, all keys at once, each key's items one
/// after the other in order (a key's next item is sent only once the previous one succeeded).
///
/// `@unchecked Sendable`: created by the writing task, then handed to the curl loop thread by
/// `CurlMulti.submit` (under its lock) and from then on used only there, until it resumes the
/// writer's continuation with the outcomes.
final class WebhookDelivery: @unchecked Sendable {
    /// Item indexes per ordering key, in batch order.
    private let chains: [[Int]]
    /// The index of the next item with the same key, per item.
    private let next: [Int?]
    private let send: (WebhookDelivery, Int) -> CurlRequest
    /// One per item: nil while unsent or when an earlier item of its key failed.
    private(set) var outcomes: [WebhookResponse.Outcome?]
    private var openChains: Int
    private var continuation: CheckedContinuation<[WebhookResponse.Outcome?], Never>?

    /// `request(delivery, index)` builds the (signed) request for item `index`; its completion must
    /// call `finished(index:outcome:)`.
    init(items: [SinkItem], request: @escaping (WebhookDelivery, Int) -> CurlRequest) {
        var chainOf: [[UInt8]?: Int] = [:]
        var chains: [[Int]] = []
        // By index: iterating would copy each item (and retain its record) for nothing.
        for index in items.indices {
            let key = WebhookPayload.orderingKey(of: items[index])
            if let chain = chainOf[key] {
                chains[chain].append(index)
            } else {
                chainOf[key] = chains.count
                chains.append([index])
            }
        }
        self.chains = chains
        var next = [Int?](repeating: nil, count: items.count)
        for chain in chains { for (a, b) in zip(chain, chain.dropFirst()) { next[a] = b } }
        self.next = next
        self.send = request
        self.outcomes = Array(repeating: nil, count: items.count)
        self.openChains = chains.count
    }

    /// Sends the first item of every key through `multi` and returns every item's outcome.
    func run(on multi: CurlMulti) async -> [WebhookResponse.Outcome?] {
        guard !chains.isEmpty else { return [] }
        return await withCheckedContinuation { continuation in
            self.continuation = continuation
            multi.submit(chains.map { send(self, $0[0]) })
        }
    }

    /// Called on the loop thread when item `index` was answered: records it, then sends the key's
    /// next item (on success) or closes the key (on failure).
    func finished(index: Int, outcome: WebhookResponse.Outcome, multi: CurlMulti) {
        outcomes[index] = outcome
        if case .delivered = outcome, let next = nextInChain(after: index) {
            multi.enqueueOnLoop(send(self, next))
            return
        }
        openChains -= 1
        if openChains == 0 {
            let continuation = self.continuation
            self.continuation = nil
            continuation?.resume(returning: outcomes)
        }
    }

    private func nextInChain(after index: Int) -> Int? {
        next[index]
    }
}
