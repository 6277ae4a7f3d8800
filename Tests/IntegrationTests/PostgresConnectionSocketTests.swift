import CDCTestKit
import Foundation
import LibPQ
import Testing

/// What a connection can tell about its socket: whether it is a Unix socket or loopback TCP, how many
/// bytes wait in it unread, and a fixed receive buffer (capture's reads depend on all of them).
@Suite("PostgresConnection: its socket")
struct PostgresConnectionSocketTests {
    @Test("isUnixSocket tells the test server's Unix socket from its TCP port")
    func unixOrTCP() throws {
        let tcp = try TestPostgres.connect()
        defer { tcp.close() }
        #expect(!tcp.isUnixSocket)
        let local = try TestPostgres.connect(TestPostgres.unixSocketURL)
        defer { local.close() }
        #expect(local.isUnixSocket)
        #expect(local.receiveCounters == nil)
        #expect(try local.execute("SELECT 1").scalar == "1")
    }

    @Test("isLoopbackTCP: the test server's 127.0.0.1 port is, its Unix socket is not")
    func loopback() throws {
        let tcp = try TestPostgres.connect()
        defer { tcp.close() }
        #expect(tcp.isLoopbackTCP)
        let local = try TestPostgres.connect(TestPostgres.unixSocketURL)
        defer { local.close() }
        #expect(!local.isLoopbackTCP)
    }

    @Test("fixReceiveBuffer fixes the size the kernel allots, and the connection still carries large results")
    func fixedReceiveBuffer() throws {
        let tcp = try TestPostgres.connect()
        defer { tcp.close() }
        let allotted = try #require(tcp.fixReceiveBuffer(bytes: 64 * 1024))
        #expect(allotted >= 64 * 1024 && allotted <= 4 * 64 * 1024)
        let value = try tcp.execute("SELECT repeat('x', 3000000)").scalar
        #expect(value?.count == 3_000_000)
        #expect(tcp.fixReceiveBuffer(bytes: 64 * 1024) == allotted, "the same request, the same allotment")
    }

    @Test("unreadBytes counts what arrived and was not read yet", arguments: [false, true])
    func unread(unixSocket: Bool) async throws {
        let listener = try TestPostgres.connect(unixSocket ? TestPostgres.unixSocketURL : TestPostgres.url)
        defer { listener.close() }
        let channel = TestPostgres.uniqueName("unread")
        try listener.execute("LISTEN \(channel)")
        #expect(listener.unreadBytes == 0)
        let notifier = try TestPostgres.connect()
        defer { notifier.close() }
        // The server sends the notification to the idle listener on its own.
        try notifier.execute("SELECT pg_notify($1, $2)", [channel, String(repeating: "x", count: 5000)])
        let deadline = ContinuousClock.now + .seconds(10)
        while listener.unreadBytes == 0 && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(listener.unreadBytes > 5000)
        try listener.consumeInput()
        #expect(listener.unreadBytes == 0)
    }
}
