import CDCCore
import LibPQ

/// COPY's binary format, for the columns whose text form cdcd converts exactly: the target then
/// reads each value with its type's `recv` function instead of parsing text (`int8in`,
/// `timestamptz_in`, `numeric_in`, COPY's own line and escape parsing), a fifth less CPU for the
/// target's COPY (1M rows of `bigint, int, text, timestamptz, numeric`: 1.27 against 1.65 CPU-s).
///
/// The conversions are strict. Each accepts the text PostgreSQL's output function writes under the
/// session settings capture connects with (`DateStyle=ISO`, `TimeZone=UTC`, `bytea_output=hex`,
/// `extra_float_digits=1`) and computes the value the type's input function would read from it;
/// anything else (another date style, a form not listed here) returns nil, and the sink sends that
/// COPY again in text form. A column is written in binary only when the target's type is the
/// source's (same OID), so the `recv` function is the one for the bytes written.
///
/// Formats: PostgreSQL's `*send`/`*recv` functions (`src/backend/utils/adt`), big-endian.
enum BinaryCopyEncoder {
    /// The types converted, by how their binary form is made.
    enum Kind: Sendable {
        case bool, int2, int4, int8, oid, float4, float8
        /// text, varchar, bpchar, json: the bytes as they are.
        case text
        /// Version 1, then the text.
        case jsonb
        case bytea, uuid, date, timestamp, timestamptz, numeric
    }

    /// The `COPY … (FORMAT binary)` header: signature, flags, header extension length.
    static let header: [UInt8] = [0x50, 0x47, 0x43, 0x4F, 0x50, 0x59, 0x0A, 0xFF, 0x0D, 0x0A, 0x00, 0, 0, 0, 0, 0, 0, 0, 0]
    /// The end of the data: a field count of -1.
    static let trailer: [UInt8] = [0xFF, 0xFF]

    /// How values of a built-in type are converted; nil: not converted (the COPY goes as text).
    static func kind(ofType oid: UInt32) -> Kind? {
        switch oid {
        case 16: .bool
        case 21: .int2
        case 23: .int4
        case 20: .int8
        case 26: .oid
        case 700: .float4
        case 701: .float8
        case 25, 1043, 1042, 114: .text
        case 3802: .jsonb
        case 17: .bytea
        case 2950: .uuid
        case 1082: .date
        case 1114: .timestamp
        case 1184: .timestamptz
        case 1700: .numeric
        default: nil
        }
    }

    /// Appends one field — its length, then its binary value — for the text form of a value;
    /// false (and the buffer's end unspecified) when the text is not in the form converted.
    static func appendField(_ text: UnsafeRawBufferPointer, kind: Kind, to data: inout CopyInBuffer) -> Bool {
        switch kind {
        case .text:
            appendInt32(Int32(text.count), to: &data)
            data.append(text)
            return true
        case .jsonb:
            appendInt32(Int32(text.count + 1), to: &data)
            data.append(1)
            data.append(text)
            return true
        case .bool:
            guard text.count == 1, text[0] == UInt8(ascii: "t") || text[0] == UInt8(ascii: "f") else { return false }
            appendInt32(1, to: &data)
            data.append(text[0] == UInt8(ascii: "t") ? 1 : 0)
            return true
        case .int2:
            guard let value = integer(text), let narrow = Int16(exactly: value) else { return false }
            appendInt32(2, to: &data)
            appendBigEndian(UInt16(bitPattern: narrow), to: &data)
            return true
        case .int4:
            guard let value = integer(text), let narrow = Int32(exactly: value) else { return false }
            appendInt32(4, to: &data)
            appendInt32(narrow, to: &data)
            return true
        case .oid:
            guard let value = integer(text), let narrow = UInt32(exactly: value) else { return false }
            appendInt32(4, to: &data)
            appendBigEndian(narrow, to: &data)
            return true
        case .int8:
            guard let value = integer(text) else { return false }
            appendInt32(8, to: &data)
            appendBigEndian(UInt64(bitPattern: value), to: &data)
            return true
        case .float4:
            guard let value = float4(text) else { return false }
            appendInt32(4, to: &data)
            appendBigEndian(value.bitPattern, to: &data)
            return true
        case .float8:
            guard let value = float8(text) else { return false }
            appendInt32(8, to: &data)
            appendBigEndian(value.bitPattern, to: &data)
            return true
        case .date:
            guard let days = date(text) else { return false }
            appendInt32(4, to: &data)
            appendInt32(days, to: &data)
            return true
        case .timestamp, .timestamptz:
            guard let microseconds = timestamp(text, withZone: kind == .timestamptz) else { return false }
            appendInt32(8, to: &data)
            appendBigEndian(UInt64(bitPattern: microseconds), to: &data)
            return true
        case .uuid:
            return appendUUID(text, to: &data)
        case .bytea:
            return appendBytea(text, to: &data)
        case .numeric:
            return appendNumeric(text, to: &data)
        }
    }

    /// A NULL field.
    static func appendNull(to data: inout CopyInBuffer) { appendInt32(-1, to: &data) }

    /// A row's field count.
    static func appendRowStart(fields: Int, to data: inout CopyInBuffer) {
        appendBigEndian(UInt16(truncatingIfNeeded: fields), to: &data)
    }

    // MARK: Integers and floats

    /// `[-]digits` (int2out/int4out/int8out), at most 19 digits, within Int64.
    static func integer(_ text: UnsafeRawBufferPointer) -> Int64? {
        var index = 0
        let negative = text.count > 0 && text[0] == UInt8(ascii: "-")
        if negative { index = 1 }
        let digits = text.count - index
        guard digits > 0, digits <= 19 else { return nil }
        var magnitude: UInt64 = 0
        while index < text.count {
            let digit = text[index] &- 0x30
            guard digit < 10 else { return nil }
            magnitude = magnitude &* 10 &+ UInt64(digit)
            index += 1
        }
        if negative {
            guard magnitude <= UInt64(Int64.max) + 1 else { return nil }
            return Int64(truncatingIfNeeded: 0 &- magnitude)
        }
        return Int64(exactly: magnitude)
    }

    /// float8out's forms: a decimal or exponent number (shortest exact), `NaN`, `[-]Infinity`.
    /// Read by the standard library's correctly rounded parser, as `float8in` reads with `strtod`.
    static func float8(_ text: UnsafeRawBufferPointer) -> Double? {
        guard isFloatText(text) else { return nil }
        if text.count == 3 && text[0] == UInt8(ascii: "N") { return .nan }
        return Double(String(decoding: text, as: UTF8.self))
    }

    /// float4out's forms, read as `float4in` reads them (`strtof`: rounded once, to single precision).
    static func float4(_ text: UnsafeRawBufferPointer) -> Float? {
        guard isFloatText(text) else { return nil }
        if text.count == 3 && text[0] == UInt8(ascii: "N") { return .nan }
        return Float(String(decoding: text, as: UTF8.self))
    }

    /// `NaN`, `Infinity`, `-Infinity`, or only digits, sign, point and exponent (no hex floats,
    /// no spaces, nothing the standard library reads differently from `strtod`).
    private static func isFloatText(_ text: UnsafeRawBufferPointer) -> Bool {
        guard text.count > 0, text.count <= 32 else { return false }
        if equals(text, "NaN") || equals(text, "Infinity") || equals(text, "-Infinity") {
            return true
        }
        guard (text[0] &- 0x30) < 10 || text[0] == UInt8(ascii: "-") else { return false }
        for byte in text where !((byte &- 0x30) < 10 || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "+")
            || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "e"))
        {
            return false
        }
        return true
    }

    // MARK: Dates and times

    /// Days from 2000-01-01 (`date_recv`); `infinity` and `-infinity` are Int32's extremes.
    static func date(_ text: UnsafeRawBufferPointer) -> Int32? {
        if equals(text, "infinity") { return .max }
        if equals(text, "-infinity") { return .min }
        var reader = DateTimeReader(text)
        guard let days = reader.date(), reader.era(), reader.atEnd, let bc = reader.bc,
            let adjusted = reader.daysSince2000(days: days, bc: bc)
        else { return nil }
        return Int32(exactly: adjusted)
    }

    /// Microseconds from 2000-01-01 00:00 (UTC for `timestamptz`), as `timestamp_recv` reads them;
    /// `infinity` and `-infinity` are Int64's extremes.
    static func timestamp(_ text: UnsafeRawBufferPointer, withZone: Bool) -> Int64? {
        if equals(text, "infinity") { return .max }
        if equals(text, "-infinity") { return .min }
        var reader = DateTimeReader(text)
        guard let days = reader.date(), reader.skip(UInt8(ascii: " ")), let time = reader.time() else { return nil }
        var offset: Int64 = 0
        if withZone {
            guard let zone = reader.zoneOffset() else { return nil }
            offset = zone
        }
        guard reader.era(), reader.atEnd, let bc = reader.bc, let day = reader.daysSince2000(days: days, bc: bc) else {
            return nil
        }
        return Int64(day) * 86_400_000_000 + time - offset * 1_000_000
    }

    /// Reads the ISO forms of dates and times, left to right.
    private struct DateTimeReader {
        let text: UnsafeRawBufferPointer
        var index = 0
        /// Whether the value ended in ` BC` (after `era()`); nil before.
        var bc: Bool?

        init(_ text: UnsafeRawBufferPointer) { self.text = text }

        var atEnd: Bool { index == text.count }

        mutating func skip(_ byte: UInt8) -> Bool {
            guard index < text.count, text[index] == byte else { return false }
            index += 1
            return true
        }

        /// Exactly `count` digits (at least `count` and at most `maximum` when given).
        mutating func number(_ count: Int, maximum: Int? = nil) -> Int? {
            var value = 0
            var read = 0
            while index < text.count, read < (maximum ?? count), (text[index] &- 0x30) < 10 {
                value = value * 10 + Int(text[index] &- 0x30)
                index += 1
                read += 1
            }
            return read >= count ? value : nil
        }

        /// `YYYY-MM-DD` (four or more year digits): (year, month, day), checked against the calendar.
        mutating func date() -> (year: Int, month: Int, day: Int)? {
            guard let year = number(4, maximum: 7), year > 0, skip(UInt8(ascii: "-")), let month = number(2),
                skip(UInt8(ascii: "-")), let day = number(2), (1...12).contains(month), day >= 1
            else { return nil }
            return (year, month, day)
        }

        /// `HH:MM:SS[.f…]` (up to six fraction digits): microseconds since midnight.
        mutating func time() -> Int64? {
            guard let hour = number(2), hour < 24, skip(UInt8(ascii: ":")), let minute = number(2), minute < 60,
                skip(UInt8(ascii: ":")), let second = number(2), second < 60
            else { return nil }
            var fraction = 0
            if skip(UInt8(ascii: ".")) {
                let start = index
                guard let digits = number(1, maximum: 6) else { return nil }
                fraction = digits
                for _ in (index - start)..<6 { fraction *= 10 }
            }
            return (Int64(hour * 3600 + minute * 60 + second)) * 1_000_000 + Int64(fraction)
        }

        /// `+HH`, `-HH`, optionally `:MM` and `:SS`: seconds east of UTC.
        mutating func zoneOffset() -> Int64? {
            guard index < text.count, text[index] == UInt8(ascii: "+") || text[index] == UInt8(ascii: "-") else {
                return nil
            }
            let sign: Int64 = text[index] == UInt8(ascii: "-") ? -1 : 1
            index += 1
            guard let hours = number(2), hours <= 15 else { return nil }
            var seconds = hours * 3600
            if skip(UInt8(ascii: ":")) {
                guard let minutes = number(2), minutes < 60 else { return nil }
                seconds += minutes * 60
                if skip(UInt8(ascii: ":")) {
                    guard let extra = number(2), extra < 60 else { return nil }
                    seconds += extra
                }
            }
            return sign * Int64(seconds)
        }

        /// An optional ` BC`; false when something else follows.
        mutating func era() -> Bool {
            if index == text.count {
                bc = false
                return true
            }
            guard text.count - index == 3, text[index] == UInt8(ascii: " "), text[index + 1] == UInt8(ascii: "B"),
                text[index + 2] == UInt8(ascii: "C")
            else { return false }
            index += 3
            bc = true
            return true
        }

        /// Days from 2000-01-01 to a date of the proleptic Gregorian calendar (`date2j`); nil when
        /// the day is not in its month.
        func daysSince2000(days date: (year: Int, month: Int, day: Int), bc: Bool) -> Int? {
            let year = bc ? 1 - date.year : date.year  // 1 BC is year 0
            let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
            let monthDays =
                switch date.month {
                case 2: leap ? 29 : 28
                case 4, 6, 9, 11: 30
                default: 31
                }
            guard date.day <= monthDays, year >= -4712 else { return nil }
            var (y, m) = (year, date.month)
            if m > 2 {
                m += 1
                y += 4800
            } else {
                m += 13
                y += 4799
            }
            let century = y / 100
            var julian = y * 365 - 32167
            julian += y / 4 - century + century / 4
            julian += 7834 * m / 256 + date.day
            return julian - 2_451_545
        }
    }

    // MARK: Other types

    /// `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` (uuid_out): 16 bytes.
    private static func appendUUID(_ text: UnsafeRawBufferPointer, to data: inout CopyInBuffer) -> Bool {
        let dash = UInt8(ascii: "-")
        guard text.count == 36, text[8] == dash, text[13] == dash, text[18] == dash, text[23] == dash else { return false }
        appendInt32(16, to: &data)
        var valid = true
        data.appendUnsafe(maxCount: 16) { out in
            var index = 0
            for n in 0..<16 {
                if index == 8 || index == 13 || index == 18 || index == 23 { index += 1 }
                guard let high = HexDigit.value(text[index]), let low = HexDigit.value(text[index + 1]) else {
                    valid = false
                    return n
                }
                out[n] = high << 4 | low
                index += 2
            }
            return 16
        }
        return valid
    }

    /// `\x` and hex digits (byteaout with `bytea_output=hex`): the bytes.
    private static func appendBytea(_ text: UnsafeRawBufferPointer, to data: inout CopyInBuffer) -> Bool {
        guard text.count >= 2, text.count % 2 == 0, text[0] == UInt8(ascii: "\\"), text[1] == UInt8(ascii: "x") else {
            return false
        }
        let count = (text.count - 2) / 2
        appendInt32(Int32(count), to: &data)
        var valid = true
        data.appendUnsafe(maxCount: count) { out in
            for n in 0..<count {
                guard let high = HexDigit.value(text[2 + 2 * n]), let low = HexDigit.value(text[3 + 2 * n]) else {
                    valid = false
                    return n
                }
                out[n] = high << 4 | low
            }
            return count
        }
        return valid
    }

    /// numeric_out's forms — `[-]digits[.digits]`, `NaN`, `Infinity`, `-Infinity` — as numeric_send
    /// writes them: digit count, weight, sign, display scale, then base-10000 digits (the integer
    /// part grouped from the point leftwards, the fraction rightwards; `numeric_recv` strips the
    /// zero groups at either end).
    private static func appendNumeric(_ text: UnsafeRawBufferPointer, to data: inout CopyInBuffer) -> Bool {
        func special(_ sign: UInt16) {
            appendInt32(8, to: &data)
            for half: UInt16 in [0, 0, sign, 0] { appendBigEndian(half, to: &data) }
        }
        if equals(text, "NaN") {
            special(0xC000)
            return true
        }
        if equals(text, "Infinity") {
            special(0xD000)
            return true
        }
        if equals(text, "-Infinity") {
            special(0xF000)
            return true
        }
        let negative = text.count > 0 && text[0] == UInt8(ascii: "-")
        let start = negative ? 1 : 0
        var point = text.count
        for index in start..<text.count {
            let byte = text[index]
            if byte == UInt8(ascii: ".") {
                guard point == text.count else { return false }
                point = index
            } else if (byte &- 0x30) >= 10 {
                return false
            }
        }
        let integerDigits = point - start
        let fractionDigits = point == text.count ? 0 : text.count - point - 1
        guard integerDigits > 0, point == text.count || fractionDigits > 0, fractionDigits <= 0x3FFF else { return false }
        let integerGroups = (integerDigits + 3) / 4
        let fractionGroups = (fractionDigits + 3) / 4
        let groups = integerGroups + fractionGroups
        guard groups <= Int(Int16.max), integerGroups - 1 <= Int(Int16.max) else { return false }
        appendInt32(Int32(8 + 2 * groups), to: &data)
        appendBigEndian(UInt16(groups), to: &data)
        appendBigEndian(UInt16(integerGroups - 1), to: &data)
        appendBigEndian(UInt16(negative ? 0x4000 : 0), to: &data)
        appendBigEndian(UInt16(fractionDigits), to: &data)
        data.appendUnsafe(maxCount: 2 * groups) { out in
            var written = 0
            func digit(_ position: Int) -> Int { Int(text[position] &- 0x30) }
            // The integer part: the first group takes what is left over from fours.
            var index = start
            var take = integerDigits - (integerGroups - 1) * 4
            for _ in 0..<integerGroups {
                var group = 0
                for _ in 0..<take {
                    group = group * 10 + digit(index)
                    index += 1
                }
                out[written] = UInt8(group >> 8)
                out[written + 1] = UInt8(group & 0xFF)
                written += 2
                take = 4
            }
            // The fraction: fours from the point, the last one padded with zeros.
            index = point + 1
            for _ in 0..<fractionGroups {
                var group = 0
                for _ in 0..<4 {
                    group = group * 10 + (index < text.count ? digit(index) : 0)
                    index += 1
                }
                out[written] = UInt8(group >> 8)
                out[written + 1] = UInt8(group & 0xFF)
                written += 2
            }
            return written
        }
        return true
    }

    // MARK: Bytes

    /// Whether `text` is `word` (a byte loop: the generic `elementsEqual` was 1% of cdcd's samples).
    @inline(__always)
    static func equals(_ text: UnsafeRawBufferPointer, _ word: StaticString) -> Bool {
        guard text.count == word.utf8CodeUnitCount else { return false }
        let bytes = word.utf8Start
        for index in 0..<text.count where text[index] != bytes[index] { return false }
        return true
    }

    @inline(__always)
    static func appendInt32(_ value: Int32, to data: inout CopyInBuffer) {
        appendBigEndian(UInt32(bitPattern: value), to: &data)
    }

    @inline(__always)
    static func appendBigEndian<T: FixedWidthInteger & UnsignedInteger>(_ value: T, to data: inout CopyInBuffer) {
        data.appendUnsafe(maxCount: MemoryLayout<T>.size) { out in
            UnsafeMutableRawPointer(out).storeBytes(of: value.bigEndian, as: T.self)
            return MemoryLayout<T>.size
        }
    }
}
