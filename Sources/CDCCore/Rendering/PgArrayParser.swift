/// Reads a PostgreSQL array literal (the text form `array_out` prints, and what `array_in` accepts)
/// and writes it as a JSON array, one callback per element.
///
/// Grammar handled: an optional dimension decoration (`[0:1]={1,2}`, `[1:2][1:1]={{a},{b}}`), nested
/// braces (`{{1,2},{3,4}}`), elements separated by the element type's delimiter (`,`; `;` for
/// `box`), double-quoted elements with backslash escapes (`"x\"y"`, `"a\\b"`), backslash escapes in
/// unquoted elements, whitespace around elements (ignored), and unquoted `NULL` (any case) as SQL
/// NULL while `"NULL"` is the string. An element is handed over unescaped: a slice of the input when
/// it had no escapes, otherwise a scratch copy. Malformed input makes `write` return false.
struct PgArrayParser {
    private let input: UnsafeBufferPointer<UInt8>
    private let delimiter: UInt8
    private var index = 0
    private var scratch: [UInt8] = []

    /// Arrays nested deeper than this are rejected (PostgreSQL's own limit is 6).
    static let maximumDepth = 32

    init(_ input: UnsafeBufferPointer<UInt8>, delimiter: UInt8) {
        self.input = input
        self.delimiter = delimiter
    }

    /// Writes the literal as nested JSON arrays (`[`/`]`, or `{"L":[`/`]}` when `attributeValue`),
    /// calling `element` for each element (nil for NULL) to write its value. Returns false, with the
    /// writer possibly holding partial output, when the input is not a well-formed array literal.
    mutating func write(
        attributeValue: Bool, into w: inout JSONWriter,
        element: (UnsafeBufferPointer<UInt8>?, inout JSONWriter) -> Void
    ) -> Bool {
        skipSpace()
        if index < input.count && input[index] == UInt8(ascii: "[") {
            guard skipDimensions() else { return false }
            skipSpace()
        }
        guard index < input.count, input[index] == UInt8(ascii: "{") else { return false }
        guard writeLevel(depth: 1, attributeValue: attributeValue, into: &w, element: element) else { return false }
        skipSpace()
        return index == input.count
    }

    private static func isSpace(_ b: UInt8) -> Bool {
        b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D || b == 0x0B || b == 0x0C
    }

    private mutating func skipSpace() {
        while index < input.count && Self.isSpace(input[index]) { index += 1 }
    }

    /// Skips `[lo:hi]…=` (or `[hi]`); true when well formed.
    private mutating func skipDimensions() -> Bool {
        var sawOne = false
        while index < input.count && input[index] == UInt8(ascii: "[") {
            index += 1
            var sawDigit = false
            while index < input.count && input[index] != UInt8(ascii: "]") {
                switch input[index] {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): sawDigit = true
                case UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: ":"), 0x20: break
                default: return false
                }
                index += 1
            }
            guard sawDigit, index < input.count else { return false }
            index += 1
            sawOne = true
            skipSpace()
        }
        guard sawOne, index < input.count, input[index] == UInt8(ascii: "=") else { return false }
        index += 1
        return true
    }

    /// At `{`: writes one level and consumes through its `}`.
    private mutating func writeLevel(
        depth: Int, attributeValue: Bool, into w: inout JSONWriter,
        element: (UnsafeBufferPointer<UInt8>?, inout JSONWriter) -> Void
    ) -> Bool {
        guard depth <= Self.maximumDepth else { return false }
        index += 1  // {
        w.writeRaw(attributeValue ? "{\"L\":[" : "[")
        skipSpace()
        if index < input.count && input[index] == UInt8(ascii: "}") {
            index += 1
            w.writeRaw(attributeValue ? "]}" : "]")
            return true
        }
        var first = true
        while true {
            skipSpace()
            guard index < input.count else { return false }
            if !first { w.comma() }
            first = false
            if input[index] == UInt8(ascii: "{") {
                guard writeLevel(depth: depth + 1, attributeValue: attributeValue, into: &w, element: element) else {
                    return false
                }
                skipSpace()
            } else {
                guard scanElement(into: &w, element: element) else { return false }
            }
            guard index < input.count else { return false }
            let b = input[index]
            index += 1
            if b == UInt8(ascii: "}") { break }
            guard b == delimiter else { return false }
        }
        w.writeRaw(attributeValue ? "]}" : "]")
        return true
    }

    /// Reads one scalar element up to (not including) the following delimiter or `}` and hands it to
    /// `element`.
    private mutating func scanElement(
        into w: inout JSONWriter, element: (UnsafeBufferPointer<UInt8>?, inout JSONWriter) -> Void
    ) -> Bool {
        let n = input.count
        if input[index] == UInt8(ascii: "\"") {
            index += 1
            let start = index
            var escaped = false
            while index < n && input[index] != UInt8(ascii: "\"") {
                if input[index] == UInt8(ascii: "\\") {
                    escaped = true
                    index += 1
                }
                index += 1
            }
            guard index < n else { return false }
            let end = index
            index += 1  // closing quote
            skipSpace()
            guard index < n, input[index] == delimiter || input[index] == UInt8(ascii: "}") else { return false }
            emit(start..<end, escaped: escaped, into: &w, element: element)
            return true
        }
        // Unquoted: up to the delimiter or `}`; backslash escapes; trailing unescaped space trimmed.
        let start = index
        var escaped = false
        var contentEnd = index  // end of the last non-space or escaped byte
        while index < n {
            let b = input[index]
            if b == delimiter || b == UInt8(ascii: "}") { break }
            if b == UInt8(ascii: "{") || b == UInt8(ascii: "\"") { return false }
            if b == UInt8(ascii: "\\") {
                escaped = true
                index += 2
                guard index <= n else { return false }
                contentEnd = index
                continue
            }
            index += 1
            if !Self.isSpace(b) { contentEnd = index }
        }
        guard index < n, contentEnd > start else { return false }
        if !escaped && contentEnd - start == 4 {
            let p = input
            if p[start] | 0x20 == UInt8(ascii: "n") && p[start + 1] | 0x20 == UInt8(ascii: "u")
                && p[start + 2] | 0x20 == UInt8(ascii: "l") && p[start + 3] | 0x20 == UInt8(ascii: "l")
            {
                element(nil, &w)
                return true
            }
        }
        emit(start..<contentEnd, escaped: escaped, into: &w, element: element)
        return true
    }

    private mutating func emit(
        _ range: Range<Int>, escaped: Bool, into w: inout JSONWriter,
        element: (UnsafeBufferPointer<UInt8>?, inout JSONWriter) -> Void
    ) {
        guard escaped else {
            element(UnsafeBufferPointer(rebasing: input[range]), &w)
            return
        }
        scratch.removeAll(keepingCapacity: true)
        var i = range.lowerBound
        while i < range.upperBound {
            if input[i] == UInt8(ascii: "\\") { i += 1 }
            if i < range.upperBound { scratch.append(input[i]) }
            i += 1
        }
        scratch.withUnsafeBufferPointer { element($0, &w) }
    }
}
