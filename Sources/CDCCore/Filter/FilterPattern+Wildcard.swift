extension FilterPattern {
    /// A compiled `{"wildcard": "..."}` pattern: `*` matches any run of characters (none included),
    /// `\*` a literal asterisk and `\\` a literal backslash, as in EventBridge. Matching is on the UTF-8
    /// bytes of the whole string, case-sensitive.
    struct Wildcard: Sendable, Hashable {
        /// The literal pieces between the asterisks: one more than there are asterisks.
        let segments: [[UInt8]]

        /// Why a wildcard text is malformed.
        enum Problem: Error, Sendable {
            case consecutiveAsterisks
            case invalidEscape
        }

        /// Compiles `text`; on failure, says why (EventBridge rejects `**` and a backslash before
        /// anything but `*` or `\`).
        init(_ text: String) throws(Problem) {
            var segments: [[UInt8]] = []
            var current: [UInt8] = []
            var previousWasAsterisk = false
            var iterator = text.utf8.makeIterator()
            while let byte = iterator.next() {
                switch byte {
                case UInt8(ascii: "*"):
                    if previousWasAsterisk { throw .consecutiveAsterisks }
                    segments.append(current)
                    current = []
                    previousWasAsterisk = true
                    continue
                case UInt8(ascii: "\\"):
                    guard let escaped = iterator.next(), escaped == UInt8(ascii: "*") || escaped == UInt8(ascii: "\\")
                    else { throw .invalidEscape }
                    current.append(escaped)
                default:
                    current.append(byte)
                }
                previousWasAsterisk = false
            }
            segments.append(current)
            self.segments = segments
        }

        /// True when the whole of `string` fits the pattern.
        func matches(_ string: String) -> Bool {
            var string = string
            return string.withUTF8 { matches(bytes: $0) }
        }

        private func matches(bytes: UnsafeBufferPointer<UInt8>) -> Bool {
            let first = segments[0]
            guard segments.count > 1 else { return bytes.elementsEqual(first) }
            let last = segments[segments.count - 1]
            guard bytes.count >= first.count + last.count,
                bytes.prefix(first.count).elementsEqual(first),
                bytes.suffix(last.count).elementsEqual(last)
            else { return false }
            // Leftmost placement of each middle piece is optimal for `*`-only patterns.
            var position = first.count
            let end = bytes.count - last.count
            for segment in segments.dropFirst().dropLast() where !segment.isEmpty {
                guard let found = Self.firstIndex(of: segment, in: bytes, from: position, to: end) else { return false }
                position = found + segment.count
            }
            return true
        }

        private static func firstIndex(
            of needle: [UInt8], in haystack: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int
        ) -> Int? {
            guard end - start >= needle.count else { return nil }
            for candidate in start...(end - needle.count)
            where haystack[candidate] == needle[0]
                && haystack[candidate..<candidate + needle.count].elementsEqual(needle)
            {
                return candidate
            }
            return nil
        }
    }
}
