import CDCTestKit
import Foundation
import LibPQ
import Testing

@Suite("TCPReceiveCounters: what a connection's socket received, from the kernel")
struct TCPReceiveCountersTests {
    @Test("a TCP connection counts the bytes and segments of a large result")
    func countsAResult() throws {
        let connection = try TestPostgres.connect()
        defer { connection.close() }
        let before = try #require(connection.receiveCounters, "the test server is on loopback TCP")
        let rows = try connection.execute("SELECT repeat('x', 300000)")
        #expect(rows.scalar?.utf8.count == 300_000)
        let after = try #require(connection.receiveCounters)
        #expect(after.bytes - before.bytes >= 300_000)
        #expect(after.bytes - before.bytes < 310_000)
        #expect(after.dataSegments &- before.dataSegments >= 1)
    }

    @Test("a Unix socket has none")
    func unixSocket() throws {
        var fds: [Int32] = [0, 0]
        #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds) == 0)
        defer { fds.forEach { close($0) } }
        #expect(TCPReceiveCounters(socket: fds[0]) == nil)
        #expect(TCPReceiveCounters(socket: -1) == nil)
    }
}
