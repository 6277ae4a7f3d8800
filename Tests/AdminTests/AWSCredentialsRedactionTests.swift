import Admin
import CDCCore
import Testing

/// The DynamoDB source's AWS secret key and session token are registered with the redactor, so a
/// message that quotes them (a library's error, a debug dump) is masked.
@Suite("AWS credentials redaction")
struct AWSCredentialsRedactionTests {
    @Test func secretKeyAndTokenAreMasked() {
        let credentials = AWSCredentials(
            accessKeyID: "AKIDVISIBLE", secretAccessKey: "wJalrXUtnFEMI/secret-key-7", sessionToken: "session-token-8")
        let redactor = SecretRedactor()
        redactor.register(ConfigSecrets.of(credentials))
        let text = redactor.redact("signing with wJalrXUtnFEMI/secret-key-7 and session-token-8 for AKIDVISIBLE")
        #expect(!text.contains("secret-key-7"))
        #expect(!text.contains("session-token-8"))
        #expect(text.contains("AKIDVISIBLE"))  // the key id is not a secret
        #expect(!"\(credentials)".contains("secret-key-7"))
    }
}
