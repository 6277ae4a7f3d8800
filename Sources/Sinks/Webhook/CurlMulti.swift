import CCurl
import CDCCore
import CurlHTTP
import Foundation

/// libcurl's multi interface on a thread of its own: many transfers in flight over one connection
/// cache (connections are reused; HTTP/2 streams are multiplexed when the server offers it).
///
/// Callers hand requests in with `submit` (any thread, one wake-up per call); the loop thread starts
/// up to `maximumTransfers` at once, queues the rest, and calls each request's completion on the loop
/// thread. Completions may queue follow-up requests with `enqueueOnLoop` (no lock, no wake-up).
///
/// `@unchecked Sendable`: the multi handle and the easy handles are used only on the loop thread;
/// the only state shared with other threads (`incoming`, `stopping`, `stopped`) is guarded by `lock`,
/// and `curl_multi_wakeup` is documented as callable from any thread.
final class CurlMulti: @unchecked Sendable {
    private let multi: UnsafeMutableRawPointer
    private let options: CurlOptions
    private let maximumTransfers: Int

    private let lock = NSLock()
    private var incoming: [CurlRequest] = []
    private var stopping = false
    private var stopped = false
    private var stopWaiters: [CheckedContinuation<Void, Never>] = []

    // Loop thread only.
    private var waiting: [CurlRequest] = []
    private var waitingHead = 0
    private var idle: [CurlEasy] = []
    /// The easy handles attached to the multi handle, by their `CURL*`.
    private var attached: [UnsafeMutableRawPointer: CurlEasy] = [:]

    init(options: CurlOptions, maximumTransfers: Int) throws(CurlSetupError) {
        guard CurlEasy.globalInit else { throw CurlSetupError(message: "curl_global_init failed") }
        // One easy handle up front: an option libcurl refuses fails here, at startup, not per request.
        let first = try CurlEasy(options: options)
        guard let multi = curl_multi_init() else { throw CurlSetupError(message: "curl_multi_init failed") }
        self.multi = multi
        self.options = options
        self.maximumTransfers = max(1, maximumTransfers)
        // Keep a connection per concurrent transfer in the cache, so bursts reuse them.
        _ = cdcd_curl_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, self.maximumTransfers)
        _ = cdcd_curl_multi_setopt_long(multi, CURLMOPT_MAX_HOST_CONNECTIONS, self.maximumTransfers)
        _ = cdcd_curl_multi_setopt_long(multi, CURLMOPT_PIPELINING, Int(CURLPIPE_MULTIPLEX))
        idle.append(first)
        let thread = Thread { [self] in loop() }
        thread.name = "cdcd-curl"
        thread.start()
    }

    /// Queues requests; their completions run on the loop thread.
    func submit(_ requests: [CurlRequest]) {
        let accepted = lock.withLock { () -> Bool in
            guard !stopping else { return false }
            incoming.append(contentsOf: requests)
            return true
        }
        guard accepted else {
            for request in requests { request.completion(Self.closedResponse) }
            return
        }
        curl_multi_wakeup(multi)
    }

    /// Queues a request from a completion (the loop thread) without locking or waking the loop.
    func enqueueOnLoop(_ request: CurlRequest) {
        waiting.append(request)
    }

    /// Stops the loop: transfers in flight and queued requests complete with a "closed" error.
    func stop() async {
        await withCheckedContinuation { continuation in
            let done = lock.withLock { () -> Bool in
                stopping = true
                if stopped { return true }
                stopWaiters.append(continuation)
                return false
            }
            if done { continuation.resume() } else { curl_multi_wakeup(multi) }
        }
    }

    private static let closedResponse = WebhookResponse(
        status: 0, transportError: .init(retryable: true, message: "the webhook sink was closed"))

    // MARK: the loop thread

    private func loop() {
        while true {
            let (more, stop) = lock.withLock { () -> ([CurlRequest], Bool) in
                defer { incoming.removeAll(keepingCapacity: true) }
                return (incoming, stopping)
            }
            waiting.append(contentsOf: more)
            if stop { break }
            startWaiting()
            var running: Int32 = 0
            _ = curl_multi_perform(multi, &running)
            collectFinished()
            if waitingHead < waiting.count && attached.count < maximumTransfers { continue }
            _ = curl_multi_poll(multi, nil, 0, 1000, nil)
        }
        shutDown()
    }

    private func startWaiting() {
        while attached.count < maximumTransfers && waitingHead < waiting.count {
            let request = waiting[waitingHead]
            waitingHead += 1
            start(request)
        }
        if waitingHead == waiting.count {
            waiting.removeAll(keepingCapacity: true)
            waitingHead = 0
        } else if waitingHead > 4096 && waitingHead * 2 > waiting.count {
            waiting.removeFirst(waitingHead)
            waitingHead = 0
        }
    }

    private func start(_ request: CurlRequest) {
        let easy: CurlEasy
        if let reused = idle.popLast() {
            easy = reused
        } else {
            do {
                easy = try CurlEasy(options: options)
            } catch {
                request.completion(
                    WebhookResponse(status: 0, transportError: .init(retryable: true, message: error.message)))
                return
            }
        }
        guard easy.prepare(request), curl_multi_add_handle(multi, easy.handle) == CURLM_OK else {
            easy.finish()
            idle.append(easy)
            request.completion(
                WebhookResponse(
                    status: 0, transportError: .init(retryable: true, message: "libcurl could not start the request")))
            return
        }
        attached[easy.handle] = easy
    }

    private func collectFinished() {
        var left: Int32 = 0
        while let message = curl_multi_info_read(multi, &left)?.pointee {
            guard message.msg == CURLMSG_DONE, let handle = message.easy_handle,
                let easy = attached.removeValue(forKey: handle)
            else { continue }
            let result = message.data.result
            curl_multi_remove_handle(multi, handle)
            let response = easy.response(result: result, timeoutMilliseconds: options.timeoutMilliseconds)
            let completion = easy.completion
            easy.finish()
            idle.append(easy)
            completion?(response)
        }
    }

    /// After the loop: fail what is left, free libcurl's handles, wake `stop()` callers.
    private func shutDown() {
        var left: Int32 = 0
        while curl_multi_info_read(multi, &left) != nil {}
        for easy in attached.values {
            curl_multi_remove_handle(multi, easy.handle)
            let completion = easy.completion
            easy.finish()
            completion?(Self.closedResponse)
        }
        attached = [:]
        while waitingHead < waiting.count {
            waiting[waitingHead].completion(Self.closedResponse)
            waitingHead += 1
        }
        waiting = []
        idle = []
        curl_multi_cleanup(multi)
        let (waiters, late) = lock.withLock { () -> ([CheckedContinuation<Void, Never>], [CurlRequest]) in
            stopped = true
            defer {
                stopWaiters = []
                incoming = []
            }
            return (stopWaiters, incoming)
        }
        // Requests submitted after the loop read `stopping` for the last time.
        for request in late { request.completion(Self.closedResponse) }
        for waiter in waiters { waiter.resume() }
    }
}
