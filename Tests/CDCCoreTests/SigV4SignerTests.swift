import Testing

@testable import CDCCore

/// AWS's published SigV4 test suite (aws-sig-v4-test-suite: AKIDEXAMPLE, 20150830T123600Z,
/// us-east-1, service `service`).
@Suite("SigV4")
struct SigV4SignerTests {
    struct Vector: Sendable, CustomTestStringConvertible {
        var name: String
        var method: String
        var path = "/"
        var query: [(String, String)] = []
        var headers: [(String, String)] = []
        var body = ""
        var signedHeaders = "host;x-amz-date"
        var signature: String
        var testDescription: String { name }
    }

    static let signer = SigV4Signer(
        credentials: AWSCredentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
        region: "us-east-1", service: "service")

    static let vectors: [Vector] = [
        Vector(name: "get-vanilla", method: "GET", signature: "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"),
        Vector(
            name: "get-vanilla-query-order-key-case", method: "GET", query: [("Param2", "value2"), ("Param1", "value1")],
            signature: "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"),
        Vector(
            name: "get-utf8", method: "GET", path: "/ሴ",
            signature: "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85"),
        Vector(
            name: "get-header-value-trim", method: "GET",
            headers: [("My-Header1", " value1"), ("My-Header2", " \"a   b   c\"")],
            signedHeaders: "host;my-header1;my-header2;x-amz-date",
            signature: "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"),
        Vector(name: "post-vanilla", method: "POST", signature: "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"),
        Vector(
            name: "post-vanilla-query", method: "POST", query: [("Param1", "value1")],
            signature: "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11"),
        Vector(
            name: "post-header-key-sort", method: "POST", headers: [("My-Header1", "value1")],
            signedHeaders: "host;my-header1;x-amz-date",
            signature: "c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c"),
        Vector(
            name: "post-header-value-case", method: "POST", headers: [("My-Header1", "VALUE1")],
            signedHeaders: "host;my-header1;x-amz-date",
            signature: "cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d"),
        Vector(
            name: "post-x-www-form-urlencoded", method: "POST",
            headers: [("Content-Type", "application/x-www-form-urlencoded")], body: "Param1=value1",
            signedHeaders: "content-type;host;x-amz-date",
            signature: "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a"),
    ]

    @Test(arguments: vectors)
    func awsTestSuite(_ vector: Vector) {
        let headers = [("Host", "example.amazonaws.com"), ("X-Amz-Date", "20150830T123600Z")] + vector.headers
        let signed = Self.signer.sign(
            method: vector.method, path: vector.path, query: vector.query, headers: headers,
            payload: Array(vector.body.utf8), amzDate: "20150830T123600Z")
        #expect(signed.signedHeaders == vector.signedHeaders)
        #expect(signed.signature == vector.signature, "\(signed.canonicalRequest)")
        #expect(
            signed.authorization
                == "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=\(vector.signedHeaders), Signature=\(vector.signature)"
        )
    }

    @Test func canonicalRequestOfGetVanilla() {
        let signed = Self.signer.sign(
            method: "GET", path: "/", headers: [("Host", "example.amazonaws.com"), ("X-Amz-Date", "20150830T123600Z")],
            payload: [], amzDate: "20150830T123600Z")
        #expect(
            signed.canonicalRequest
                == "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        )
        #expect(
            signed.stringToSign
                == "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\nbb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63"
        )
    }

    @Test func amzDate() {
        #expect(SigV4Signer.amzDate(unixSeconds: 1_440_938_160) == "20150830T123600Z")
        #expect(SigV4Signer.amzDate(unixSeconds: 0) == "19700101T000000Z")
    }

    @Test func credentialsNeverShowTheSecret() {
        let credentials = AWSCredentials(accessKeyID: "AKID", secretAccessKey: "s3cr3t-key", sessionToken: "t0k3n")
        #expect(!"\(credentials)".contains("s3cr3t-key"))
        #expect(!"\(credentials)".contains("t0k3n"))
        #expect(!String(reflecting: credentials).contains("s3cr3t-key"))
    }

    @Test func credentialsFromTheEnvironmentFirst() throws {
        let found = try AWSCredentials.resolve(
            environment: ["AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_SESSION_TOKEN": "token"]
        ) { _ in Issue.record("the profile file was read"); return nil }
        #expect(found == AWSCredentials(accessKeyID: "AKID", secretAccessKey: "secret", sessionToken: "token"))
    }

    @Test func credentialsFromTheProfileFile() throws {
        let file = """
            # comment
            [default]
            aws_access_key_id = DEFAULTID
            aws_secret_access_key = defaultsecret

            [ops]
            aws_access_key_id=OPSID
            aws_secret_access_key =  opssecret
            aws_session_token = opstoken
            """
        let found = try AWSCredentials.resolve(environment: ["HOME": "/home/x", "AWS_PROFILE": "ops"]) { path in
            path == "/home/x/.aws/credentials" ? file : nil
        }
        #expect(found == AWSCredentials(accessKeyID: "OPSID", secretAccessKey: "opssecret", sessionToken: "opstoken"))
        let fallback = try AWSCredentials.resolve(environment: ["AWS_SHARED_CREDENTIALS_FILE": "/c"]) { _ in file }
        #expect(fallback.accessKeyID == "DEFAULTID")
        #expect(throws: AWSCredentials.NotFound.self) {
            try AWSCredentials.resolve(environment: ["HOME": "/h", "AWS_PROFILE": "missing"]) { _ in file }
        }
        #expect(throws: AWSCredentials.NotFound.self) {
            try AWSCredentials.resolve(environment: ["HOME": "/h"]) { _ in nil }
        }
    }
}
