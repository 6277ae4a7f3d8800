import CDCCore
import Foundation

extension WebhookSink {
    /// How a webhook sink sends: endpoint, headers, signing keys, timeouts, TLS, batching.
    ///
    /// Holds secrets (keys, header values): its description shows neither, and the URL only as
    /// `displayURL` (credentials and secret query parameters masked).
    public struct Configuration: Sendable, CustomStringConvertible {
        /// `http://` or `https://`.
        public var url: String
        /// The URL as errors and logs show it.
        public var displayURL: String
        /// Extra headers, sent with every request after cdcd's own (a same-named one replaces cdcd's
        /// `Content-Type` or `User-Agent`).
        public var headers: [(name: String, value: String)]
        /// The whole request, connection included.
        public var timeout: Duration
        /// Establishing the connection (TCP and TLS); at most `timeout`.
        public var connectTimeout: Duration
        /// Decoded signing secrets: one `v1,` signature per key (rotation); none sends unsigned requests.
        public var signingKeys: [[UInt8]]
        /// One `{"Records":[...]}` request per batch instead of one request per record.
        public var batch: Bool
        /// A PEM bundle to verify the receiver's certificate with, instead of the system's.
        public var caFile: String?
        /// TLS verification off (logged as a warning when the sink starts).
        public var insecureSkipVerify: Bool
        /// Requests in flight at once over all connections (more wait in a queue, without a timer).
        public var maximumConcurrentRequests: Int
        /// Threads driving libcurl (each with its own multi handle and connections); writes take turns.
        public var eventLoops: Int

        public static let defaultMaximumConcurrentRequests = 64
        /// One loop per two cores (capture, the pipeline and other sinks need the rest), 1 to 4.
        public static var defaultEventLoops: Int { max(1, min(ProcessInfo.processInfo.activeProcessorCount / 2, 4)) }

        public init(
            url: String, displayURL: String? = nil, headers: [(name: String, value: String)] = [],
            timeout: Duration = .seconds(30), connectTimeout: Duration = .seconds(10), signingKeys: [[UInt8]] = [],
            batch: Bool = false, caFile: String? = nil, insecureSkipVerify: Bool = false,
            maximumConcurrentRequests: Int = Configuration.defaultMaximumConcurrentRequests,
            eventLoops: Int = Configuration.defaultEventLoops
        ) {
            self.url = url
            self.displayURL = displayURL ?? Self.strippedURL(url)
            self.headers = headers
            self.timeout = timeout
            self.connectTimeout = min(connectTimeout, timeout)
            self.signingKeys = signingKeys
            self.batch = batch
            self.caFile = caFile
            self.insecureSkipVerify = insecureSkipVerify
            self.maximumConcurrentRequests = maximumConcurrentRequests
            self.eventLoops = eventLoops
        }

        public var description: String {
            "WebhookSink.Configuration(url: \(displayURL), headers: [\(headers.map { "\($0.name): ***" }.joined(separator: ", "))], "
                + "timeout: \(timeout), signingKeys: \(signingKeys.count), batch: \(batch), caFile: \(caFile ?? "nil"), "
                + "insecureSkipVerify: \(insecureSkipVerify))"
        }

        /// `scheme://host[:port]/path`: the URL without user info, query or fragment.
        static func strippedURL(_ url: String) -> String {
            guard let schemeEnd = url.range(of: "://") else { return "(webhook url)" }
            var rest = url[schemeEnd.upperBound...]
            if let end = rest.firstIndex(where: { $0 == "?" || $0 == "#" }) { rest = rest[..<end] }
            let authorityEnd = rest.firstIndex(of: "/") ?? rest.endIndex
            if let at = rest[..<authorityEnd].lastIndex(of: "@") { rest = rest[rest.index(after: at)...] }
            return String(url[..<schemeEnd.upperBound]) + rest
        }
    }
}
