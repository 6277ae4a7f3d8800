import CCurl
import Foundation

/// The event side of `CurlMulti`: the sockets libcurl asks to watch (`CURLMOPT_SOCKETFUNCTION`) and
/// a wake-up pipe, waited on with one `poll(2)`, plus libcurl's next timeout (`CURLMOPT_TIMERFUNCTION`).
/// `waitAndDispatch` waits for either and tells libcurl what happened with `curl_multi_socket_action`,
/// which then works only on the ready sockets. (poll rather than epoll: portable, and the set is
/// small — at most one socket per request in flight.)
///
/// Used only on the loop thread, except `wake()`, which writes one byte to the pipe (any thread).
final class CurlPoller: @unchecked Sendable {
    private let multi: UnsafeMutableRawPointer
    private let wakeRead: Int32
    private let wakeWrite: Int32
    /// The sockets to watch and for what (`POLLIN`, `POLLOUT`); `pollSet` is rebuilt when it changes.
    private var watched: [Int32: Int16] = [:]
    private var pollSet: [pollfd] = []
    private var pollSetIsStale = true
    /// When libcurl wants `curl_multi_socket_action(CURL_SOCKET_TIMEOUT)`; nil: no timeout pending.
    private var deadline: ContinuousClock.Instant?

    init(multi: UnsafeMutableRawPointer) throws(CurlSetupError) {
        self.multi = multi
        var pipeFDs: [Int32] = [-1, -1]
        guard pipe(&pipeFDs) == 0 else {
            throw CurlSetupError(message: "cannot create the webhook event loop: \(String(cString: strerror(errno)))")
        }
        wakeRead = pipeFDs[0]
        wakeWrite = pipeFDs[1]
        for fd in pipeFDs {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }
        let me = Unmanaged.passUnretained(self).toOpaque()
        _ = cdcd_curl_multi_setopt_socket_function(multi, CURLMOPT_SOCKETFUNCTION, curlSocketCallback)
        _ = cdcd_curl_multi_setopt_pointer(multi, CURLMOPT_SOCKETDATA, me)
        _ = cdcd_curl_multi_setopt_timer_function(multi, CURLMOPT_TIMERFUNCTION, curlTimerCallback)
        _ = cdcd_curl_multi_setopt_pointer(multi, CURLMOPT_TIMERDATA, me)
    }

    /// Makes the loop's current or next wait return at once.
    func wake() {
        var byte: UInt8 = 1
        _ = write(wakeWrite, &byte, 1)
    }

    /// Waits (at most a second) for a ready socket, libcurl's timeout or a wake-up, and lets libcurl
    /// handle what is ready.
    func waitAndDispatch() {
        var timeout: Int32 = 1000
        if let deadline {
            let left = deadline - .now
            timeout = left <= .zero ? 0 : Int32(min(1000, left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000 + 1))
        }
        if pollSetIsStale {
            pollSet = [pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0)]
            for (fd, events) in watched { pollSet.append(pollfd(fd: fd, events: events, revents: 0)) }
            pollSetIsStale = false
        }
        let count = poll(&pollSet, nfds_t(pollSet.count), timeout)
        var running: Int32 = 0
        if count > 0 {
            // Copied: libcurl's socket callback may change `pollSet` during the calls below.
            let ready = pollSet.filter { $0.revents != 0 }
            for entry in ready {
                if entry.fd == wakeRead {
                    var buffer = [UInt8](repeating: 0, count: 64)
                    while read(wakeRead, &buffer, buffer.count) > 0 {}
                    continue
                }
                var flags: Int32 = 0
                if entry.revents & Int16(POLLIN) != 0 { flags |= CURL_CSELECT_IN }
                if entry.revents & Int16(POLLOUT) != 0 { flags |= CURL_CSELECT_OUT }
                if entry.revents & Int16(POLLERR | POLLHUP | POLLNVAL) != 0 { flags |= CURL_CSELECT_ERR }
                _ = curl_multi_socket_action(multi, entry.fd, flags, &running)
            }
        }
        if let deadline, deadline <= .now {
            self.deadline = nil  // libcurl may set a new one from inside the call
            _ = curl_multi_socket_action(multi, CURL_SOCKET_BAD, 0, &running)
        }
    }

    /// libcurl's socket callback: watch `fd` for `what` (`CURL_POLL_*`), or stop watching it.
    fileprivate func watch(_ fd: Int32, _ what: Int32) {
        if what == CURL_POLL_REMOVE {
            watched[fd] = nil
        } else {
            watched[fd] = (what & CURL_POLL_IN != 0 ? Int16(POLLIN) : 0) | (what & CURL_POLL_OUT != 0 ? Int16(POLLOUT) : 0)
        }
        pollSetIsStale = true
    }

    /// libcurl's timer callback: call back in `milliseconds` (0: at once; -1: no timeout).
    fileprivate func setTimer(_ milliseconds: Int) {
        deadline = milliseconds < 0 ? nil : .now + .milliseconds(milliseconds)
    }

    func close() {
        _ = Foundation.close(wakeRead)
        _ = Foundation.close(wakeWrite)
    }
}

private func curlSocketCallback(
    _ easy: UnsafeMutableRawPointer?, _ socket: curl_socket_t, _ what: Int32, _ context: UnsafeMutableRawPointer?,
    _ socketContext: UnsafeMutableRawPointer?
) -> Int32 {
    guard let context else { return 0 }
    Unmanaged<CurlPoller>.fromOpaque(context).takeUnretainedValue().watch(socket, what)
    return 0
}

private func curlTimerCallback(
    _ multi: UnsafeMutableRawPointer?, _ milliseconds: Int, _ context: UnsafeMutableRawPointer?
) -> Int32 {
    guard let context else { return 0 }
    Unmanaged<CurlPoller>.fromOpaque(context).takeUnretainedValue().setTimer(milliseconds)
    return 0
}
