/// Text parameters for one statement, packed in one buffer: `$1`, `$2`, … in order, each either a
/// NUL-terminated text value or NULL. Packing avoids one allocation per value on the apply path.
public struct StatementParameters: Sendable {
    /// The values back to back, each followed by a NUL byte.
    private(set) var bytes: [UInt8] = []
    /// Offset of each value in `bytes`, or -1 for NULL.
    private(set) var offsets: [Int] = []

    public init() {}

    public init(_ values: [String?]) {
        for value in values {
            if let value { append(Array(value.utf8)) } else { appendNull() }
        }
    }

    public var count: Int { offsets.count }

    /// Appends a text value (the exact PostgreSQL text form; it must not contain NUL bytes).
    public mutating func append(_ text: [UInt8]) {
        offsets.append(bytes.count)
        bytes.append(contentsOf: text)
        bytes.append(0)
    }

    /// Appends a text value from a buffer (the exact PostgreSQL text form, no NUL bytes).
    public mutating func append(_ text: UnsafeRawBufferPointer) {
        offsets.append(bytes.count)
        bytes.append(contentsOf: text)
        bytes.append(0)
    }

    public mutating func appendNull() {
        offsets.append(-1)
    }

    /// Calls `body` with libpq's `paramValues` array pointing into the buffer.
    func withPointers<R, E: Error>(_ body: ([UnsafePointer<CChar>?]) throws(E) -> R) throws(E) -> R {
        let result: Result<R, E> = bytes.withUnsafeBufferPointer { buffer in
            let base = buffer.baseAddress.map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) }
            let pointers: [UnsafePointer<CChar>?] = offsets.map { offset in
                offset < 0 ? nil : base.map { $0 + offset }
            }
            do throws(E) { return .success(try body(pointers)) } catch { return .failure(error) }
        }
        return try result.get()
    }
}
