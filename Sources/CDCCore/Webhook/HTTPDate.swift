/// HTTP dates (RFC 9110 §5.6.7), for `Retry-After`: the preferred IMF-fixdate
/// (`Sun, 06 Nov 1994 08:49:37 GMT`) and the obsolete RFC 850 (`Sunday, 06-Nov-94 08:49:37 GMT`) and
/// asctime (`Sun Nov  6 08:49:37 1994`) forms. Pure Swift, no locale.
public enum HTTPDate {
    private static let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]

    /// Unix seconds of `text`, nil when it is not an HTTP date.
    public static func parse(_ text: String) -> Int64? {
        let separators: Set<Character> = [" ", ",", "-", ":"]
        let tokens = text.split(whereSeparator: { separators.contains($0) }).map { $0.lowercased() }
        // tokens[0] is the weekday.
        let fields: (day: String, month: String, year: String, time: ArraySlice<String>, zone: ArraySlice<String>)
        if tokens.count == 7, months.contains(tokens[1]) {
            fields = (tokens[2], tokens[1], tokens[6], tokens[3...5], [])  // asctime
        } else if tokens.count == 8 {
            fields = (tokens[1], tokens[2], tokens[3], tokens[4...6], tokens[7...])  // IMF-fixdate, RFC 850
        } else {
            return nil
        }
        guard let monthIndex = months.firstIndex(of: fields.month), let day = Int(fields.day),
            var year = Int(fields.year), fields.zone.allSatisfy({ $0 == "gmt" || $0 == "utc" })
        else { return nil }
        let time = fields.time.compactMap { Int($0) }
        guard time.count == 3, (1...31).contains(day), (0..<24).contains(time[0]), (0..<60).contains(time[1]),
            (0...60).contains(time[2])
        else { return nil }
        if fields.year.count == 2 { year += year < 70 ? 2000 : 1900 }
        return daysFromCivil(year: year, month: monthIndex + 1, day: day) * 86400
            + Int64(time[0] * 3600 + time[1] * 60 + time[2])
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let m = Int64(month)
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + Int64(day) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }
}
