/// AWS Signature Version 4 for one request (the `Authorization` header), in pure Swift.
///
/// Contract: `authorization` follows AWS's published algorithm — canonical request (method,
/// URI-encoded path, sorted query, lowercased sorted headers with trimmed values, signed header
/// list, hex SHA-256 of the payload), string to sign over the credential scope
/// `DATE/REGION/SERVICE/aws4_request`, signing key derived by HMAC-SHA256 chaining — and matches
/// AWS's SigV4 test suite (`Tests/CDCCoreTests/SigV4SignerTests.swift`). Paths are encoded once
/// (as every service but S3 expects); the caller passes the query already split into pairs.
public struct SigV4Signer: Sendable {
    public var credentials: AWSCredentials
    public var region: String
    public var service: String

    public init(credentials: AWSCredentials, region: String, service: String) {
        self.credentials = credentials
        self.region = region
        self.service = service
    }

    /// What a signature is made of, for tests and debugging (no secret in it).
    public struct Signature: Sendable, Hashable {
        public var canonicalRequest: String
        public var stringToSign: String
        public var signedHeaders: String
        public var signature: String
        /// The `Authorization` header's value.
        public var authorization: String
    }

    /// Signs a request. `headers` must hold every header to sign, `host` and `x-amz-date`
    /// (`amzDate`, `YYYYMMDD'T'HHMMSS'Z'`) included, and `x-amz-security-token` when the
    /// credentials have a session token (see `headers(for:...)`).
    public func sign(
        method: String, path: String, query: [(String, String)] = [], headers: [(String, String)], payload: [UInt8],
        amzDate: String
    ) -> Signature {
        let date = String(amzDate.prefix(8))
        var canonicalHeaders: [(String, String)] = []
        var byName: [String: Int] = [:]
        for (name, value) in headers {
            let key = name.lowercased()
            let trimmed = Self.collapseSpaces(value)
            if let i = byName[key] {
                canonicalHeaders[i].1 += "," + trimmed
            } else {
                byName[key] = canonicalHeaders.count
                canonicalHeaders.append((key, trimmed))
            }
        }
        canonicalHeaders.sort { $0.0 < $1.0 }
        let signedHeaders = canonicalHeaders.map(\.0).joined(separator: ";")
        var encodedQuery: [(name: String, value: String)] = []
        for (name, value) in query { encodedQuery.append((Self.uriEncode(name), Self.uriEncode(value))) }
        encodedQuery.sort { (a, b) -> Bool in a.name == b.name ? a.value < b.value : a.name < b.name }
        var queryParts: [String] = []
        for pair in encodedQuery { queryParts.append(pair.name + "=" + pair.value) }
        let canonicalQuery = queryParts.joined(separator: "&")
        var canonicalHeaderText = ""
        for (name, value) in canonicalHeaders { canonicalHeaderText += name + ":" + value + "\n" }
        let canonicalRequest = [
            method,
            Self.uriEncode(path.isEmpty ? "/" : path, keepSlash: true),
            canonicalQuery,
            canonicalHeaderText,
            signedHeaders,
            SHA256.hexDigest(payload),
        ].joined(separator: "\n")
        let scope = "\(date)/\(region)/\(service)/aws4_request"
        let stringToSign = [
            "AWS4-HMAC-SHA256", amzDate, scope, SHA256.hexDigest(Array(canonicalRequest.utf8)),
        ].joined(separator: "\n")
        let key = signingKey(date: date)
        let signature = Self.hex(HMACSHA256.authenticationCode(key: key, message: Array(stringToSign.utf8)))
        return Signature(
            canonicalRequest: canonicalRequest, stringToSign: stringToSign, signedHeaders: signedHeaders,
            signature: signature,
            authorization:
                "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyID)/\(scope), SignedHeaders=\(signedHeaders), Signature=\(signature)"
        )
    }

    /// The derived key: HMAC chain over date, region, service and `aws4_request`.
    public func signingKey(date: String) -> [UInt8] {
        var key = HMACSHA256.authenticationCode(
            key: Array(("AWS4" + credentials.secretAccessKey).utf8), message: Array(date.utf8))
        for part in [region, service, "aws4_request"] {
            key = HMACSHA256.authenticationCode(key: key, message: Array(part.utf8))
        }
        return key
    }

    /// `YYYYMMDD'T'HHMMSS'Z'` for Unix seconds `now` (UTC).
    public static func amzDate(unixSeconds now: Int64) -> String {
        let days = now >= 0 ? now / 86_400 : (now - 86_399) / 86_400
        let inDay = now - days * 86_400
        let (y, m, d) = civil(days)
        func two(_ v: Int64) -> String { v < 10 ? "0\(v)" : "\(v)" }
        let year = String(y)
        return String(repeating: "0", count: max(0, 4 - year.count)) + year + two(m) + two(d) + "T"
            + two(inDay / 3600) + two(inDay / 60 % 60) + two(inDay % 60) + "Z"
    }

    /// Year, month, day of a day count since 1970-01-01 (proleptic Gregorian).
    private static func civil(_ daysSinceEpoch: Int64) -> (Int64, Int64, Int64) {
        let z = daysSinceEpoch + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// RFC 3986 encoding as SigV4 wants it: unreserved characters as they are, everything else
    /// `%XX` (uppercase); `/` kept in paths.
    static func uriEncode(_ text: String, keepSlash: Bool = false) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        let hexDigits = Array("0123456789ABCDEF".utf8)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
                UInt8(ascii: "~"):
                out.append(byte)
            case UInt8(ascii: "/") where keepSlash:
                out.append(byte)
            default:
                out.append(UInt8(ascii: "%"))
                out.append(hexDigits[Int(byte >> 4)])
                out.append(hexDigits[Int(byte & 0xF)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Trims a header value and collapses runs of spaces to one, as the canonical form requires.
    static func collapseSpaces(_ value: String) -> String {
        var out = ""
        var pendingSpace = false
        for c in value {
            if c == " " || c == "\t" {
                pendingSpace = !out.isEmpty
            } else {
                if pendingSpace { out.append(" ") }
                pendingSpace = false
                out.append(c)
            }
        }
        return out
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
