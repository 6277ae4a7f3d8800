import CDCCore
import CurlHTTP
import Foundation

/// Sends DynamoDB and DynamoDB Streams JSON 1.0 calls, SigV4-signed, over libcurl (one reused easy
/// handle per endpoint, so connections are kept alive).
///
/// Blocking: used by one thread at a time (the DynamoDB capture thread); not Sendable.
final class DynamoDBClient {
    let signer: SigV4Signer
    let streamsURL: String
    let tableURL: String
    let timeoutMilliseconds: Int
    private var streams: CurlEasy?
    private var tables: CurlEasy?

    /// `endpoint` nil: AWS's regional endpoints (`streams.dynamodb.REGION.amazonaws.com` and
    /// `dynamodb.REGION.amazonaws.com`); otherwise both APIs at `endpoint` (a local API such as moto).
    init(credentials: AWSCredentials, region: String, endpoint: String?, timeoutMilliseconds: Int = 30_000) {
        signer = SigV4Signer(credentials: credentials, region: region, service: "dynamodb")
        streamsURL = endpoint ?? "https://streams.dynamodb.\(region).amazonaws.com/"
        tableURL = endpoint ?? "https://dynamodb.\(region).amazonaws.com/"
        self.timeoutMilliseconds = timeoutMilliseconds
    }

    /// Sends `request` and returns the body of its 2xx answer; `what` names the call's subject in
    /// errors (`stream ARN`, `shard ID`).
    func call(_ request: DynamoDBStreamsAPI.Request, what: String) throws(DynamoDBError) -> [UInt8] {
        let url = request.isStreams ? streamsURL : tableURL
        let easy = try handle(streams: request.isStreams, url: url)
        let (host, path) = Self.hostAndPath(url)
        let amzDate = SigV4Signer.amzDate(unixSeconds: Int64(Date().timeIntervalSince1970))
        var headers: [(String, String)] = [
            ("host", host), ("x-amz-date", amzDate), ("x-amz-target", request.target),
            ("content-type", "application/x-amz-json-1.0"),
        ]
        if let token = signer.credentials.sessionToken { headers.append(("x-amz-security-token", token)) }
        let signature = signer.sign(method: "POST", path: path, headers: headers, payload: request.body, amzDate: amzDate)
        var lines = headers.dropFirst().map { "\($0.0): \($0.1)" }  // libcurl sends Host itself
        lines.append("Authorization: \(signature.authorization)")
        let operation = request.target.split(separator: ".").last.map(String.init) ?? request.target
        let answer = easy.perform(headers: lines, body: request.body, timeoutMilliseconds: timeoutMilliseconds)
        if let failure = answer.transportError {
            throw DynamoDBError(.unavailable, "\(operation) \(what) at \(url): \(failure.message)")
        }
        if (200..<300).contains(answer.status) { return answer.body }
        throw DynamoDBError.answer(operation: operation, what: what, status: answer.status, body: answer.body)
    }

    private func handle(streams isStreams: Bool, url: String) throws(DynamoDBError) -> CurlEasy {
        if isStreams, let streams { return streams }
        if !isStreams, let tables { return tables }
        guard CurlEasy.globalInit else { throw DynamoDBError(.configuration, "curl_global_init failed") }
        let easy: CurlEasy
        do {
            easy = try CurlEasy(
                options: CurlOptions(
                    url: url, timeoutMilliseconds: timeoutMilliseconds, connectTimeoutMilliseconds: 10_000,
                    verifyTLS: true, fixedHeaders: ["Expect:", "Accept: application/json"]))
        } catch {
            throw DynamoDBError(.configuration, "DynamoDB endpoint \(url): \(error.message)")
        }
        if isStreams { streams = easy } else { tables = easy }
        return easy
    }

    /// The `Host` header value and the path of an endpoint URL (`http://127.0.0.1:5000` →
    /// `127.0.0.1:5000`, `/`).
    static func hostAndPath(_ url: String) -> (String, String) {
        var rest = Substring(url)
        if let scheme = rest.range(of: "://") { rest = rest[scheme.upperBound...] }
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        var host = String(rest[..<slash])
        if url.lowercased().hasPrefix("https://") && host.hasSuffix(":443") { host.removeLast(4) }
        if url.lowercased().hasPrefix("http://") && host.hasSuffix(":80") { host.removeLast(3) }
        let path = slash == rest.endIndex ? "/" : String(rest[slash...])
        return (host, path)
    }
}
