import Foundation

/// `cdcd status`'s text: a header saying whether the daemon runs (and is ready, or why not), the
/// source and stream lines, then one row per pipeline in aligned columns. Pure: a status in, text out.
public enum StatusTable {
    public static func render(_ status: DaemonStatus, admin: String, stateDirectory: String) -> String {
        var lines: [String] = []
        if status.running {
            lines.append(
                "cdcd is running (admin \(admin)): "
                    + (status.ready ? "ready" : "NOT READY — " + status.reasons.joined(separator: "; ")))
        } else {
            lines.append(
                "cdcd is not running (no answer on \(admin)); from the state directory \(stateDirectory) and the source:"
            )
        }
        let source = status.source
        var sourceLine = "source:   \(source.server)  slot \(source.slot)"
        if let streaming = source.streaming { sourceLine += streaming ? "  streaming" : "  DISCONNECTED" }
        if let received = source.receivedLSN { sourceLine += "  received \(received)" }
        if let confirmed = source.confirmedLSN { sourceLine += "  confirmed \(confirmed)" }
        if let lag = source.slotLagBytes { sourceLine += "  slot lag \(bytes(lag))" }
        if let active = source.slotActive, !status.running {
            sourceLine += active ? "  (slot in use)" : "  (slot idle)"
        }
        if let error = source.slotError { sourceLine += "  slot: \(error)" }
        lines.append(sourceLine)
        if let stream = status.stream {
            let held = stream.lastOffset >= stream.firstOffset ? stream.lastOffset - stream.firstOffset + 1 : 0
            lines.append(
                "stream:   offsets \(stream.firstOffset)…\(stream.lastOffset)  \(held) records  \(bytes(stream.bytes))  \(stream.segments) segment\(stream.segments == 1 ? "" : "s")"
            )
        } else {
            lines.append("stream:   (none yet)")
        }
        lines.append("")
        var rows = [["PIPELINE", "STATE", "CHECKPOINT", "LAG", "ITERATOR AGE", "DELIVERED", "DLQ", "LAST ERROR"]]
        for p in status.pipelines {
            rows.append([
                p.name, p.state, "\(p.checkpoint)", p.lag.map { "\($0)" } ?? "-",
                p.iteratorAgeMillis.map(duration) ?? "-", p.delivered.map { "\($0)" } ?? "-", "\(p.dlqSize)",
                p.lastError.map { $0.replacingOccurrences(of: "\n", with: " ") } ?? "-",
            ])
        }
        let widths = (0..<rows[0].count).map { column in rows.map { $0[column].count }.max() ?? 0 }
        for row in rows {
            let cells = row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }
            lines.append(cells.joined(separator: "  "))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// `512 B`, `1.5 KiB`, `3.2 MiB`, `1.1 GiB`.
    static func bytes(_ count: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(count)
        var unit = 0
        while abs(value) >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(count) B" : String(format: "%.1f", value) + " " + units[unit]
    }

    /// `850 ms`, `12.3 s`, `4 min 10 s`, `2 h 5 min`.
    static func duration(_ millis: Int64) -> String {
        if millis < 1000 { return "\(millis) ms" }
        let seconds = Double(millis) / 1000
        if seconds < 60 { return String(format: "%.1f s", seconds) }
        let whole = millis / 1000
        if whole < 3600 { return "\(whole / 60) min \(whole % 60) s" }
        return "\(whole / 3600) h \(whole % 3600 / 60) min"
    }
}
