import Foundation
import Testing

@testable import Capture

/// The hand-off between the capture thread and its consumer: bounded, and in order.
@Suite("BatchChannel")
struct BatchChannelTests {
    @Test(arguments: [1, 2, 8])
    func elementsComeOutInSendOrderUnderBackPressure(capacity: Int) async throws {
        let channel = BatchChannel<Int>(capacity: capacity)
        let count = 20_000
        let producer = Thread {
            for i in 0..<count {
                while channel.send(i, timeout: 0.05) == .timedOut {}
            }
            channel.finish()
        }
        producer.start()
        var received: [Int] = []
        received.reserveCapacity(count)
        while let element = try await channel.next() {
            received.append(element)
            // A consumer that is sometimes slower and sometimes faster than the producer, so the
            // producer both waits for space and finds the consumer waiting.
            if element % 97 == 0 { try await Task.sleep(for: .microseconds(200)) }
        }
        #expect(received.count == count)
        #expect(received == Array(0..<count))
    }
}
