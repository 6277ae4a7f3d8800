import CCurl
import CDCCore
import Foundation

/// One libcurl easy handle, set up once for one endpoint and reused for request after request (its
/// connections live in the multi handle's cache, so reuse is about not rebuilding options).
///
/// Used by one thread at a time (the webhook sink's `CurlMulti` loop thread, or the DynamoDB source's
/// capture thread through `perform`): it is not Sendable and never leaves that thread.
public final class CurlEasy {
    public let handle: UnsafeMutableRawPointer
    /// The header lines every request sends (built once), and the last of them.
    private var fixedHeaders: UnsafeMutablePointer<curl_slist>?
    private var fixedTail: UnsafeMutablePointer<curl_slist>?
    /// The request's own header lines, linked after `fixedTail` while it is in flight.
    private var requestHeaders: UnsafeMutablePointer<curl_slist>?
    /// The response body so far (cut at `bodyLimit`) and the `Retry-After` header.
    fileprivate var body: [UInt8] = []
    fileprivate var retryAfter: String?
    fileprivate let bodyLimit = 1 << 20
    /// What the request in flight calls when it ends.
    public var completion: (@Sendable (WebhookResponse) -> Void)?

    /// A handle for `options`; nil when libcurl cannot make one or rejects an option (the message).
    public init(options: CurlOptions) throws(CurlSetupError) {
        guard let handle = curl_easy_init() else { throw CurlSetupError(message: "curl_easy_init failed") }
        self.handle = handle
        let me = Unmanaged.passUnretained(self).toOpaque()
        try check(cdcd_curl_easy_setopt_string(handle, CURLOPT_URL, options.url), "url")
        try check(cdcd_curl_easy_setopt_string(handle, CURLOPT_PROTOCOLS_STR, "http,https"), "protocols")
        try check(cdcd_curl_easy_setopt_long(handle, CURLOPT_POST, 1), "post")
        try check(cdcd_curl_easy_setopt_long(handle, CURLOPT_NOSIGNAL, 1), "nosignal")
        try check(cdcd_curl_easy_setopt_long(handle, CURLOPT_FOLLOWLOCATION, 0), "followlocation")
        try check(cdcd_curl_easy_setopt_long(handle, CURLOPT_TCP_NODELAY, 1), "tcp_nodelay")
        // No proxy: the receiver is reached directly (and libcurl skips reading proxy variables per request).
        try check(cdcd_curl_easy_setopt_string(handle, CURLOPT_PROXY, ""), "proxy")
        try check(cdcd_curl_easy_setopt_long(handle, CURLOPT_TIMEOUT_MS, options.timeoutMilliseconds), "timeout")
        try check(
            cdcd_curl_easy_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, options.connectTimeoutMilliseconds),
            "connect timeout")
        // HTTP/2 over TLS when the server offers it (ALPN), HTTP/1.1 otherwise; wait for a multiplexed
        // connection rather than open parallel TLS handshakes.
        try check(cdcd_curl_easy_setopt_long(handle, CURLOPT_HTTP_VERSION, Int(CURL_HTTP_VERSION_2TLS)), "http version")
        if options.url.lowercased().hasPrefix("https:") {
            try check(cdcd_curl_easy_setopt_long(handle, CURLOPT_PIPEWAIT, 1), "pipewait")
        }
        try check(cdcd_curl_easy_setopt_long(handle, CURLOPT_SSL_VERIFYPEER, options.verifyTLS ? 1 : 0), "verify peer")
        try check(cdcd_curl_easy_setopt_long(handle, CURLOPT_SSL_VERIFYHOST, options.verifyTLS ? 2 : 0), "verify host")
        if let caFile = options.caFile {
            try check(cdcd_curl_easy_setopt_string(handle, CURLOPT_CAINFO, caFile), "ca_file")
        }
        try check(cdcd_curl_easy_setopt_write_function(handle, CURLOPT_WRITEFUNCTION, curlWriteBody), "write function")
        try check(cdcd_curl_easy_setopt_pointer(handle, CURLOPT_WRITEDATA, me), "write data")
        try check(cdcd_curl_easy_setopt_write_function(handle, CURLOPT_HEADERFUNCTION, curlWriteHeader), "header function")
        try check(cdcd_curl_easy_setopt_pointer(handle, CURLOPT_HEADERDATA, me), "header data")
        for line in options.fixedHeaders {
            guard let list = curl_slist_append(fixedHeaders, line) else {
                throw CurlSetupError(message: "libcurl could not store a header")
            }
            fixedHeaders = list
        }
        fixedTail = fixedHeaders
        while let next = fixedTail?.pointee.next { fixedTail = next }
    }

    private func check(_ code: CURLcode, _ what: String) throws(CurlSetupError) {
        guard code == CURLE_OK else {  // deinit cleans the handle up
            throw CurlSetupError(message: "libcurl rejected the \(what) option: \(String(cString: curl_easy_strerror(code)))")
        }
    }

    /// Sets the headers and body of the next request; false when libcurl refuses them.
    public func prepare(_ request: CurlRequest) -> Bool {
        releaseHeaders()
        for line in request.headers {
            guard let list = curl_slist_append(requestHeaders, line) else { return false }
            requestHeaders = list
        }
        fixedTail?.pointee.next = requestHeaders
        body.removeAll(keepingCapacity: true)
        retryAfter = nil
        completion = request.completion
        guard cdcd_curl_easy_setopt_slist(handle, CURLOPT_HTTPHEADER, fixedHeaders ?? requestHeaders) == CURLE_OK,
            cdcd_curl_easy_setopt_off(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(request.body.count)) == CURLE_OK
        else { return false }
        // COPYPOSTFIELDS copies `POSTFIELDSIZE_LARGE` bytes, so the Swift array need not outlive this call.
        let copied: CURLcode
        if request.body.isEmpty {
            copied = cdcd_curl_easy_setopt_string(handle, CURLOPT_COPYPOSTFIELDS, "")
        } else {
            copied = request.body.withUnsafeBytes {
                cdcd_curl_easy_setopt_pointer(handle, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: $0.baseAddress!))
            }
        }
        return copied == CURLE_OK
    }

    /// The answer to the request that just ended with `result`.
    public func response(result: CURLcode, timeoutMilliseconds: Int) -> WebhookResponse {
        var status = 0
        _ = cdcd_curl_easy_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        // HTTP/2: a server may answer before it has read the whole request and then reset the stream
        // (RST_STREAM NO_ERROR, RFC 9113 §8.1; nginx does so for `return 204`). libcurl 7.88 reports
        // that as a stream error although the answer is complete: the answer stands.
        if result == CURLE_HTTP2_STREAM && status >= 200 {
            return WebhookResponse(status: status, retryAfter: retryAfter, body: body)
        }
        guard result == CURLE_OK else {
            var message = String(cString: curl_easy_strerror(result))
            if result == CURLE_OPERATION_TIMEDOUT { message += " (no complete answer within \(timeoutMilliseconds) ms)" }
            return WebhookResponse(status: 0, transportError: .init(retryable: true, message: message))
        }
        return WebhookResponse(status: status, retryAfter: retryAfter, body: body)
    }

    /// Forgets the finished request (headers freed, buffers emptied), ready for the next one.
    public func finish() {
        releaseHeaders()
        completion = nil
        if body.count > 4096 { body = [] } else { body.removeAll(keepingCapacity: true) }
    }

    /// Frees the request's header lines (the fixed ones stay).
    private func releaseHeaders() {
        fixedTail?.pointee.next = nil
        if let requestHeaders { curl_slist_free_all(requestHeaders) }
        requestHeaders = nil
    }

    deinit {
        curl_easy_cleanup(handle)
        releaseHeaders()
        if let fixedHeaders { curl_slist_free_all(fixedHeaders) }
    }

    fileprivate func appendBody(_ bytes: UnsafeRawBufferPointer) {
        let room = bodyLimit - body.count
        if room > 0 { body.append(contentsOf: bytes.prefix(room)) }
    }

    fileprivate func header(_ line: UnsafeRawBufferPointer) {
        if line.starts(with: "HTTP/".utf8) {
            retryAfter = nil  // a new response (after 100 Continue): forget the previous one's headers
            return
        }
        let name = "retry-after:".utf8
        guard line.count > name.count,
            zip(line.prefix(name.count), name).allSatisfy({ ($0 | 0x20) == ($1 | 0x20) })
        else { return }
        retryAfter = String(decoding: line.dropFirst(name.count), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// libcurl's write callback: appends the body chunk to the `CurlEasy` passed as user data.
private func curlWriteBody(
    _ pointer: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ context: UnsafeMutableRawPointer?
) -> Int {
    guard let pointer, let context else { return 0 }
    let easy = Unmanaged<CurlEasy>.fromOpaque(context).takeUnretainedValue()
    easy.appendBody(UnsafeRawBufferPointer(start: pointer, count: size * count))
    return size * count
}

/// libcurl's header callback: one header line at a time.
private func curlWriteHeader(
    _ pointer: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ context: UnsafeMutableRawPointer?
) -> Int {
    guard let pointer, let context else { return 0 }
    let easy = Unmanaged<CurlEasy>.fromOpaque(context).takeUnretainedValue()
    easy.header(UnsafeRawBufferPointer(start: pointer, count: size * count))
    return size * count
}

/// The fixed settings of a `CurlEasy`.
public struct CurlOptions: Sendable {
    public var url: String
    public var timeoutMilliseconds: Int
    public var connectTimeoutMilliseconds: Int
    public var verifyTLS: Bool
    public var caFile: String?
    /// Header lines every request sends (`Name: value`; `Name:` removes a libcurl default).
    public var fixedHeaders: [String]

    public init(
        url: String, timeoutMilliseconds: Int, connectTimeoutMilliseconds: Int, verifyTLS: Bool, caFile: String? = nil,
        fixedHeaders: [String]
    ) {
        self.url = url
        self.timeoutMilliseconds = timeoutMilliseconds
        self.connectTimeoutMilliseconds = connectTimeoutMilliseconds
        self.verifyTLS = verifyTLS
        self.caFile = caFile
        self.fixedHeaders = fixedHeaders
    }
}

/// libcurl could not be set up (an option it refuses, no memory).
public struct CurlSetupError: Error, CustomStringConvertible {
    public var message: String
    public init(message: String) { self.message = message }
    public var description: String { message }
}

extension CurlEasy {
    /// Sends one POST with `headers` and `body` and waits for the answer (blocking: call it from a
    /// dedicated thread, never from the cooperative pool). Transport failures come back in
    /// `WebhookResponse.transportError`.
    public func perform(headers: [String], body: [UInt8], timeoutMilliseconds: Int) -> WebhookResponse {
        guard prepare(CurlRequest(headers: headers, body: body, completion: { _ in })) else {
            finish()
            return WebhookResponse(
                status: 0, transportError: .init(retryable: false, message: "libcurl refused the request"))
        }
        let result = curl_easy_perform(handle)
        let answer = response(result: result, timeoutMilliseconds: timeoutMilliseconds)
        finish()
        return answer
    }

    /// `curl_global_init`, once per process (before the first handle).
    public static let globalInit: Bool = curl_global_init(Int(CURL_GLOBAL_DEFAULT)) == CURLE_OK
}
