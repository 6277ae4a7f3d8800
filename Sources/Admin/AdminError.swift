/// Errors of the admin side (endpoint, status client). Messages never hold a token or password.
public struct AdminError: Error, CustomStringConvertible, Sendable {
    public enum Code: String, Sendable {
        /// A non-loopback listener without a token.
        case insecureListener
        /// The endpoint could not bind its address.
        case cannotListen
        /// `cdcd status` got an answer it could not use (401, not JSON, …).
        case badResponse
    }

    public var code: Code
    public var message: String

    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
