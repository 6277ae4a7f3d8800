#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The few POSIX file calls the stream needs, retrying on `EINTR` and throwing `StreamError.io`
/// with the path and the system's reason.
enum POSIXFile {
    static func error(_ operation: String, _ path: String, _ code: Int32 = errno) -> StreamError {
        StreamError(
            code: .io, message: "\(operation) \(path) failed: \(String(cString: strerror(code))) (errno \(code))",
            errno: code)
    }

    static func openFile(_ path: String, _ flags: Int32, mode: mode_t = 0o644) throws(StreamError) -> Int32 {
        while true {
            let fd = path.withCString { open($0, flags | O_CLOEXEC, mode) }
            if fd >= 0 { return fd }
            if errno != EINTR { throw error("open", path) }
        }
    }

    static func closeFile(_ fd: Int32) {
        _ = close(fd)
    }

    /// Writes all of `bytes` at the file's current position.
    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws(StreamError) {
        var done = 0
        while done < bytes.count {
            let n = write(fd, bytes.baseAddress! + done, bytes.count - done)
            if n > 0 {
                done += n
            } else if n < 0 && errno == EINTR {
                continue
            } else {
                throw error("write", path, n == 0 ? EIO : errno)
            }
        }
    }

    /// Reads up to `buffer.count` bytes at `position`; fewer only at the end of the file.
    static func readAt(
        _ fd: Int32, _ buffer: UnsafeMutableRawBufferPointer, at position: Int64, path: String
    ) throws(StreamError) -> Int {
        var done = 0
        while done < buffer.count {
            let n = pread(fd, buffer.baseAddress! + done, buffer.count - done, off_t(position) + off_t(done))
            if n > 0 {
                done += n
            } else if n == 0 {
                break
            } else if errno != EINTR {
                throw error("read", path)
            }
        }
        return done
    }

    static func syncFile(_ fd: Int32, path: String) throws(StreamError) {
        while fsync(fd) != 0 {
            if errno != EINTR { throw error("fsync", path) }
        }
    }

    static func truncateFile(_ fd: Int32, to size: Int64, path: String) throws(StreamError) {
        while ftruncate(fd, off_t(size)) != 0 {
            if errno != EINTR { throw error("truncate", path) }
        }
    }

    static func seekFile(_ fd: Int32, to position: Int64, path: String) throws(StreamError) {
        if lseek(fd, off_t(position), SEEK_SET) < 0 { throw error("seek", path) }
    }

    static func fileSize(_ fd: Int32, path: String) throws(StreamError) -> Int64 {
        var info = stat()
        if fstat(fd, &info) != 0 { throw error("stat", path) }
        return Int64(info.st_size)
    }

    /// Removes a file; a file that is already gone is fine.
    static func removeFile(_ path: String) throws(StreamError) {
        if path.withCString({ unlink($0) }) != 0 && errno != ENOENT { throw error("unlink", path) }
    }

    /// Fsyncs a directory, so that files created or removed in it stay so after a crash.
    static func syncDirectory(_ path: String) throws(StreamError) {
        let fd = try openFile(path, O_RDONLY | O_DIRECTORY)
        defer { closeFile(fd) }
        try syncFile(fd, path: path)
    }

    /// Creates `path` and its missing parents.
    static func makeDirectories(_ path: String) throws(StreamError) {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/") {
            prefix += component
            if prefix.withCString({ mkdir($0, 0o755) }) != 0 && errno != EEXIST {
                throw error("mkdir", prefix)
            }
            prefix += "/"
        }
    }

    /// The names in a directory (without `.` and `..`).
    static func list(_ path: String) throws(StreamError) -> [String] {
        guard let dir = path.withCString({ opendir($0) }) else { throw error("opendir", path) }
        defer { _ = closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: &entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: MemoryLayout.size(ofValue: entry.pointee.d_name)) {
                    String(cString: $0)
                }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// Takes an exclusive advisory lock on an open file, failing at once when someone holds it.
    ///
    /// A lock released an instant ago can still look held for a moment when another thread of this
    /// process was spawning a child (the child shares the lock's file description until it execs),
    /// so a held lock is retried for up to a second before giving up.
    static func lockExclusively(_ fd: Int32, path: String) throws(StreamError) {
        var tries = 0
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            if errno == EWOULDBLOCK && tries < 100 {
                tries += 1
                usleep(10_000)
                continue
            }
            if errno == EWOULDBLOCK {
                throw StreamError(
                    code: .locked,
                    message: "\(path) is locked: another cdcd (or another stream in this process) uses this stream "
                        + "directory; stop it or use another state_dir")
            }
            throw error("flock", path)
        }
    }

    /// Wall-clock time in microseconds since 1970-01-01 00:00:00 UTC.
    static func wallClockMicroseconds() -> Int64 {
        var ts = timespec()
        _ = clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec) / 1000
    }
}
