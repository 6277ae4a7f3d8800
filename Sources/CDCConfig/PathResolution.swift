/// Relative paths in a config are relative to the config file's folder.
enum PathResolution {
    /// `path` made absolute against `base` (itself absolute when the loader was given a file) and
    /// normalised lexically (`.`/`..` folded, repeated `/` merged). `~/...` is under `HOME`.
    static func resolve(_ path: String, base: String, home: String?) -> String {
        if path.hasPrefix("/") { return normalize(path) }
        if let home, path == "~" || path.hasPrefix("~/") { return normalize(home + "/" + path.dropFirst()) }
        if base.isEmpty { return normalize(path) }
        return normalize(base + "/" + path)
    }

    static func normalize(_ path: String) -> String {
        let absolute = path.hasPrefix("/")
        var parts: [Substring] = []
        for part in path.split(separator: "/") {
            switch part {
            case ".": continue
            case "..":
                if let last = parts.last, last != ".." {
                    parts.removeLast()
                } else if !absolute {
                    parts.append(part)
                }
            default: parts.append(part)
            }
        }
        let joined = parts.joined(separator: "/")
        if absolute { return "/" + joined }
        return joined.isEmpty ? "." : joined
    }

    /// The folder holding `file`: `/etc/cdcd` for `/etc/cdcd/cdcd.yaml`, `.` for `cdcd.yaml`.
    static func directory(of file: String) -> String {
        guard let slash = file.lastIndex(of: "/") else { return "." }
        return slash == file.startIndex ? "/" : String(file[..<slash])
    }
}
