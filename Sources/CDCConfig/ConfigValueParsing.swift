import Foundation

/// Text forms of the config's non-string values: durations, sizes, timestamps, YAML numbers.
enum ConfigValueParsing {
    /// `500ms`, `30s`, `5m`, `1h`, `24h`, `7d`, compounds such as `1h30m`, decimals such as `1.5s`, or a
    /// plain number of seconds (`30`, `0.25`). Nil when the text is none of these or overflows.
    static func duration(_ text: String) -> Duration? {
        let units: [(suffix: String, nanoseconds: Int64)] = [
            ("ms", 1_000_000), ("s", 1_000_000_000), ("m", 60_000_000_000), ("h", 3_600_000_000_000),
            ("d", 86_400_000_000_000),
        ]
        var rest = Substring(text)
        guard !rest.isEmpty else { return nil }
        if let seconds = decimalNanoseconds(rest, unit: 1_000_000_000) { return .nanoseconds(seconds) }
        var total: Int64 = 0
        while !rest.isEmpty {
            let number = rest.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
            guard !number.isEmpty else { return nil }
            rest = rest.dropFirst(number.count)
            let unitText = rest.prefix { $0.isASCII && $0.isLetter }
            guard let unit = units.first(where: { $0.suffix == unitText }),
                let part = decimalNanoseconds(number, unit: unit.nanoseconds)
            else { return nil }
            rest = rest.dropFirst(unitText.count)
            let (sum, overflow) = total.addingReportingOverflow(part)
            guard !overflow else { return nil }
            total = sum
        }
        return .nanoseconds(total)
    }

    /// `123`, `1.5` (digits, at most one dot, digits on at least one side) times `unit` nanoseconds,
    /// truncated to whole nanoseconds.
    private static func decimalNanoseconds(_ text: Substring, unit: Int64) -> Int64? {
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count <= 2, parts.allSatisfy({ $0.allSatisfy { $0.isASCII && $0.isNumber } }),
            !(parts[0].isEmpty && (parts.count == 1 || parts[1].isEmpty))
        else { return nil }
        guard let whole = parts[0].isEmpty ? 0 : Int64(parts[0]) else { return nil }
        let (scaled, overflow) = whole.multipliedReportingOverflow(by: unit)
        guard !overflow else { return nil }
        var fraction: Int64 = 0
        if parts.count == 2 {
            var scale = unit
            for digit in parts[1] {
                scale /= 10
                if scale == 0 { break }
                fraction += Int64(digit.wholeNumberValue!) * scale
            }
        }
        let (sum, sumOverflow) = scaled.addingReportingOverflow(fraction)
        return sumOverflow ? nil : sum
    }

    /// A byte count: a whole number with an optional unit, `B`, decimal `KB MB GB TB` or binary
    /// `KiB MiB GiB TiB` (case-insensitive). A bare number is bytes.
    static func byteCount(_ text: String) -> Int64? {
        let digits = text.prefix { $0.isASCII && $0.isNumber }
        guard !digits.isEmpty, let number = Int64(digits) else { return nil }
        let unit = text.dropFirst(digits.count).lowercased()
        let multipliers: [String: Int64] = [
            "": 1, "b": 1, "kb": 1_000, "mb": 1_000_000, "gb": 1_000_000_000, "tb": 1_000_000_000_000,
            "kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40,
        ]
        guard let multiplier = multipliers[unit] else { return nil }
        let (bytes, overflow) = number.multipliedReportingOverflow(by: multiplier)
        return overflow ? nil : bytes
    }

    /// An RFC 3339 timestamp with a `Z` or offset (`2026-01-02T03:04:05Z`, fractional seconds allowed),
    /// or a number of seconds since the Unix epoch (as Lambda's `StartingPositionTimestamp`).
    static func timestamp(_ text: String) -> Date? {
        if let seconds = Double(text), text.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }) {
            return Date(timeIntervalSince1970: seconds)
        }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text)
    }

    enum YAMLNumber {
        /// A number, as JSON number text.
        case number(String)
        /// `.inf` / `.nan`: a YAML number that JSON cannot hold.
        case notRepresentable
    }

    /// The YAML 1.2 core-schema number a plain scalar denotes, as exact JSON number text (`99.90` stays
    /// `99.90`; `+5` → `5`, `.5` → `0.5`, `0x1F` → `31`); nil when the text is not a number.
    static func yamlNumber(_ text: String) -> YAMLNumber? {
        if [".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF", ".nan", ".NaN", ".NAN"]
            .contains(text)
        {
            return .notRepresentable
        }
        if text.hasPrefix("0x") || text.hasPrefix("0o") {
            let digits = text.dropFirst(2)
            guard !digits.isEmpty, let value = UInt64(digits, radix: text.hasPrefix("0x") ? 16 : 8) else {
                return nil
            }
            return .number(String(value))
        }
        // [-+]? ( \.[0-9]+ | [0-9]+ ( \.[0-9]* )? ) ( [eE] [-+]? [0-9]+ )?
        var rest = Substring(text)
        var sign = ""
        if let first = rest.first, first == "-" || first == "+" {
            sign = first == "-" ? "-" : ""
            rest = rest.dropFirst()
        }
        let isDigit: (Character) -> Bool = { $0.isASCII && $0.isNumber }
        let whole = rest.prefix(while: isDigit)
        rest = rest.dropFirst(whole.count)
        var fraction: Substring?
        if rest.first == "." {
            rest = rest.dropFirst()
            let digits = rest.prefix(while: isDigit)
            fraction = digits
            rest = rest.dropFirst(digits.count)
        }
        guard !whole.isEmpty || !(fraction ?? "").isEmpty else { return nil }
        var exponent = ""
        if let first = rest.first, first == "e" || first == "E" {
            rest = rest.dropFirst()
            var exponentSign = ""
            if let s = rest.first, s == "-" || s == "+" {
                exponentSign = String(s)
                rest = rest.dropFirst()
            }
            let digits = rest.prefix(while: isDigit)
            guard !digits.isEmpty else { return nil }
            rest = rest.dropFirst(digits.count)
            exponent = "e" + exponentSign + digits
            if text.contains("E") { exponent = "E" + exponent.dropFirst() }
        }
        guard rest.isEmpty else { return nil }
        var integer = String(whole.drop { $0 == "0" })
        if integer.isEmpty { integer = "0" }
        var json = sign + integer
        if let fraction { json += "." + (fraction.isEmpty ? "0" : fraction) }
        return .number(json + exponent)
    }
}
