/// Which number texts may be a DynamoDB `N` AttributeValue.
///
/// DynamoDB numbers have at most 38 significant digits and a magnitude below 10^126 (and above
/// 10^-130); SDK deserializers enforce that (aws-lambda-powertools' `TypeDeserializer` raises on
/// inexact, overflowing or underflowing values, with a minimum adjusted exponent of -128). cdcd writes
/// numbers that do not fit (a `numeric` with 50 digits, a `float8` of `1e+300`, an integer in a jsonb
/// document with 40 digits) as `S` with their exact text instead, so a handler never fails to decode
/// a record.
enum DynamoDBNumber {
    /// True when `text` is a JSON number with at most 38 significant digits (trailing zeros do not
    /// count) whose most significant digit's decimal exponent is within -128…125. Zero always fits.
    static func fits(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        let n = text.count
        var i = 0
        if i < n && text[i] == UInt8(ascii: "-") { i += 1 }
        @inline(__always) func isDigit(_ k: Int) -> Bool {
            k < n && text[k] >= UInt8(ascii: "0") && text[k] <= UInt8(ascii: "9")
        }
        guard isDigit(i) else { return false }
        // Walk the mantissa digits (integer part then fraction), tracking significant digits.
        var firstNonZero = -1  // position among mantissa digits
        var lastNonZero = -1
        var position = 0
        var fractionDigits = 0
        var inFraction = false
        while i < n {
            let c = text[i]
            if c == UInt8(ascii: ".") && !inFraction {
                inFraction = true
            } else if c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") {
                if c != UInt8(ascii: "0") {
                    if firstNonZero < 0 { firstNonZero = position }
                    lastNonZero = position
                }
                position += 1
                if inFraction { fractionDigits += 1 }
            } else {
                break
            }
            i += 1
        }
        var exponent = 0
        if i < n && (text[i] == UInt8(ascii: "e") || text[i] == UInt8(ascii: "E")) {
            i += 1
            var negative = false
            if i < n && (text[i] == UInt8(ascii: "+") || text[i] == UInt8(ascii: "-")) {
                negative = text[i] == UInt8(ascii: "-")
                i += 1
            }
            guard isDigit(i) else { return false }
            while isDigit(i) {
                exponent = min(exponent * 10 + Int(text[i] - UInt8(ascii: "0")), 1_000_000)  // saturate
                i += 1
            }
            if negative { exponent = -exponent }
        }
        guard i == n else { return false }
        if firstNonZero < 0 { return true }  // zero
        guard lastNonZero - firstNonZero + 1 <= 38 else { return false }
        // value = mantissaDigits × 10^(exponent − fractionDigits); the leading digit's place:
        let adjusted = (position - 1 - firstNonZero) + exponent - fractionDigits
        return adjusted >= -128 && adjusted <= 125
    }
}
