import Testing

@testable import Capture

@Suite("StreamBytes")
struct StreamBytesTests {
    static let boundaries: [UInt64] = [
        0, 1, 127, 128, 300, 16_383, 16_384, 2_097_151, 2_097_152, UInt64(UInt32.max), 1 << 56 - 1, 1 << 56,
        1 << 63 - 1, 1 << 63, .max,
    ]

    @Test("varintSize and storeVarint agree with appendVarint", arguments: boundaries)
    func varintInPlace(value: UInt64) {
        var appended: [UInt8] = []
        StreamBytes.appendVarint(value, to: &appended)
        #expect(StreamBytes.varintSize(value) == appended.count)
        var stored = [UInt8](repeating: 0xEE, count: 12)
        let n = stored.withUnsafeMutableBufferPointer { StreamBytes.storeVarint(value, at: $0.baseAddress!) }
        #expect(n == appended.count)
        #expect(Array(stored[..<n]) == appended)
        #expect(stored[n...].allSatisfy { $0 == 0xEE })
    }

    @Test("appendInPlace appends exactly what the body writes, after what was there")
    func appendInPlace() {
        var buffer: [UInt8] = [9, 8]
        StreamBytes.appendInPlace(count: 3, to: &buffer) { out in
            out[0] = 1
            out[1] = 2
            out[2] = 3
        }
        #expect(buffer == [9, 8, 1, 2, 3])
    }
}
