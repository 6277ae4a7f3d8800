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
        #expect(PostgresConnection.isLoopback(ipv4("127.0.0.1")))
        #expect(PostgresConnection.isLoopback(ipv4("127.1.2.3")))
        #expect(!PostgresConnection.isLoopback(ipv4("10.0.0.1")))
        #expect(!PostgresConnection.isLoopback(ipv4("128.0.0.1")))
        #expect(PostgresConnection.isLoopback(ipv6("::1")))
        #expect(PostgresConnection.isLoopback(ipv6("::ffff:127.0.0.1")))
        #expect(!PostgresConnection.isLoopback(ipv6("::ffff:10.0.0.1")))
        #expect(!PostgresConnection.isLoopback(ipv6("::2")))
        #expect(!PostgresConnection.isLoopback(ipv6("fe80::1")))
        var unix = sockaddr_storage()
        unix.ss_family = sa_family_t(AF_UNIX)
        #expect(!PostgresConnection.isLoopback(unix))
    }

    func ipv4(_ text: String) -> sockaddr_storage {
        var storage = sockaddr_storage()
        withUnsafeMutableBytes(of: &storage) { raw in
            let address = raw.baseAddress!.assumingMemoryBound(to: sockaddr_in.self)
            address.pointee.sin_family = sa_family_t(AF_INET)
            #expect(inet_pton(AF_INET, text, &address.pointee.sin_addr) == 1)
        }
        return storage
    }

    func ipv6(_ text: String) -> sockaddr_storage {
        var storage = sockaddr_storage()
        withUnsafeMutableBytes(of: &storage) { raw in
            let address = raw.baseAddress!.assumingMemoryBound(to: sockaddr_in6.self)
            address.pointee.sin6_family = sa_family_t(AF_INET6)
            #expect(inet_pton(AF_INET6, text, &address.pointee.sin6_addr) == 1)
        }
        return storage
    }
}
