import Foundation
import LibPQ
import Testing

@testable import Capture

@Suite("StreamSocket: when capture reads again without pausing")
struct StreamSocketTests {
    @Test("a Unix socket is read at once while it holds a byte")
    func unix() {
        let socket = StreamSocket(kind: .unix)
        #expect(!socket.readsAtOnce(unread: 0))
        #expect(socket.readsAtOnce(unread: 1))
    }

    @Test("a loopback socket is read at once from the full share of its allotted buffer on")
    func loopback() {
        let allotted = 2 * StreamSocket.loopbackReceiveBuffer
        let socket = StreamSocket.loopback(allotted: allotted)
        let fullAt = allotted * StreamSocket.fullShare / 100
        #expect(socket.kind == .loopbackTCP(fullAt: fullAt))
        #expect(fullAt > allotted / 2 && fullAt < allotted, "full means more than half the buffer, not all of it")
        #expect(!socket.readsAtOnce(unread: 0))
        #expect(!socket.readsAtOnce(unread: fullAt - 1))
        #expect(socket.readsAtOnce(unread: fullAt))
    }

    @Test("TCP to another machine always pauses, and its unread bytes are not even asked for")
    func remote() {
        let socket = StreamSocket(kind: .tcp)
        // Outside #expect, which evaluates a call's arguments itself to show them.
        let reads = socket.readsAtOnce(unread: { Issue.record("unread bytes asked for"); return 1 << 30 }())
        #expect(!reads)
    }

    @Test("loopback addresses: 127.0.0.0/8, ::1 and ::ffff:127.x; others are not")
    func loopbackAddresses() {
        #expect(PostgresConnection.isLoopback(address("127.0.0.1")))
        #expect(PostgresConnection.isLoopback(address("127.1.2.3")))
        #expect(!PostgresConnection.isLoopback(address("10.0.0.1")))
        #expect(!PostgresConnection.isLoopback(address("128.0.0.1")))
        #expect(PostgresConnection.isLoopback(address("::1")))
        #expect(PostgresConnection.isLoopback(address("::ffff:127.0.0.1")))
        #expect(!PostgresConnection.isLoopback(address("::ffff:10.0.0.1")))
        #expect(!PostgresConnection.isLoopback(address("::2")))
        #expect(!PostgresConnection.isLoopback(address("fe80::1")))
        var unix = sockaddr_storage()
        unix.ss_family = sa_family_t(AF_UNIX)
        #expect(!PostgresConnection.isLoopback(unix))
    }

    /// A numeric IPv4 or IPv6 address as the socket calls return it.
    func address(_ text: String) -> sockaddr_storage {
        var hints = addrinfo()
        hints.ai_flags = AI_NUMERICHOST
        var found: UnsafeMutablePointer<addrinfo>?
        var storage = sockaddr_storage()
        guard getaddrinfo(text, nil, &hints, &found) == 0, let info = found else {
            Issue.record("not a numeric address: \(text)")
            return storage
        }
        defer { freeaddrinfo(found) }
        withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: UnsafeRawBufferPointer(start: info.pointee.ai_addr, count: Int(info.pointee.ai_addrlen))) }
        return storage
    }
}
