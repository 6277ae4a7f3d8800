extension FilterPattern {
    /// A JSON number reduced to an exact canonical form, so that `1`, `1.0`, `10e-1` and `0.1E1` are one
    /// value and any two numbers compare exactly, however many digits they have (no rounding through
    /// `Double`: `9007199254740993` ≠ `9007199254740992`, and `0.1 + 0.2` style surprises cannot happen).
    ///
    /// The value is `0.d₁d₂…dₙ × 10^exponent` with `digits` = d₁…dₙ, no leading or trailing zeros; zero
    /// has no digits and sign 0 (so `-0` = `0`).
    struct Number: Sendable, Hashable, Comparable {
        /// -1, 0 or +1.
        let sign: Int8
        /// The power of ten of the digit string read as a fraction (0 for zero).
        let exponent: Int
        /// Significant decimal digits (values 0–9), the first and last non-zero; empty for zero.
        let digits: [UInt8]

        /// Exponents are clamped to this magnitude while parsing, which keeps arithmetic in range and
        /// changes nothing real: such numbers are far outside anything a record holds.
        private static let exponentLimit = 1_000_000_000

        /// Parses a number in JSON syntax (`-12.50e+3`); leading zeros are tolerated. Nil for anything
        /// else (empty text, `+1`, `.5`, `1.`, `NaN`, `0x10`).
        init?(_ text: String) {
            var text = text
            guard let number = text.withUTF8({ Self.parse($0) }) else { return nil }
            self = number
        }

        private static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> Number? {
            func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }
            let n = bytes.count
            var i = 0
            var sign: Int8 = 1
            if i < n, bytes[i] == UInt8(ascii: "-") {
                sign = -1
                i += 1
            }
            var digits: [UInt8] = []
            while i < n, isDigit(bytes[i]) {
                digits.append(bytes[i] - UInt8(ascii: "0"))
                i += 1
            }
            guard !digits.isEmpty else { return nil }
            var fractionDigits = 0
            if i < n, bytes[i] == UInt8(ascii: ".") {
                i += 1
                while i < n, isDigit(bytes[i]) {
                    digits.append(bytes[i] - UInt8(ascii: "0"))
                    fractionDigits += 1
                    i += 1
                }
                guard fractionDigits > 0 else { return nil }
            }
            var exponent = 0
            if i < n, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
                i += 1
                var negative = false
                if i < n, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") {
                    negative = bytes[i] == UInt8(ascii: "-")
                    i += 1
                }
                let exponentStart = i
                while i < n, isDigit(bytes[i]) {
                    exponent = min(exponent * 10 + Int(bytes[i] - UInt8(ascii: "0")), exponentLimit)
                    i += 1
                }
                guard i > exponentStart else { return nil }
                if negative { exponent = -exponent }
            }
            guard i == n else { return nil }
            // The value is D × 10^(exponent − fractionDigits), D the digit string read as an integer.
            guard let first = digits.firstIndex(where: { $0 != 0 }),
                let last = digits.lastIndex(where: { $0 != 0 })
            else { return Number(sign: 0, exponent: 0, digits: []) }
            return Number(
                sign: sign,
                exponent: (digits.count - first) + exponent - fractionDigits,
                digits: Array(digits[first...last])
            )
        }

        private init(sign: Int8, exponent: Int, digits: [UInt8]) {
            self.sign = sign
            self.exponent = exponent
            self.digits = digits
        }

        static func < (lhs: Number, rhs: Number) -> Bool {
            if lhs.sign != rhs.sign { return lhs.sign < rhs.sign }
            switch lhs.sign {
            case 0: return false
            case 1: return magnitudeLess(lhs, rhs)
            default: return magnitudeLess(rhs, lhs)
            }
        }

        private static func magnitudeLess(_ a: Number, _ b: Number) -> Bool {
            if a.exponent != b.exponent { return a.exponent < b.exponent }
            return a.digits.lexicographicallyPrecedes(b.digits)
        }
    }
}
