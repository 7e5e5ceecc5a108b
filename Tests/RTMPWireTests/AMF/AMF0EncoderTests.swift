import LadderMedia
import NIOCore
import RTMPTestSupport
import Testing

@testable import RTMPWire

@Suite struct AMF0EncoderTests {
    static let samples: [AMF0Value] = [
        .number(0), .number(-1.5), .number(.infinity), .boolean(true), .boolean(false), .string(""), .string("héllo"),
        .null, .undefined, .reference(7), .unsupported, .date(millis: 1_700_000_000_000, timezone: 0),
        .xmlDocument("<x/>"),
        .object([AMF0Property("b", .number(1)), AMF0Property("a", .string("z"))]),
        .ecmaArray([AMF0Property("duration", .number(0)), AMF0Property("", .null)]),
        .strictArray([.string("hvc1"), .number(2), .strictArray([])]),
        .typedObject(className: "Klass", properties: [AMF0Property("x", .boolean(true))]),
        .object([AMF0Property("nested", .ecmaArray([AMF0Property("deep", .object([]))]))]),
    ]

    @Test(arguments: samples)
    func roundTrips(value: AMF0Value) throws {
        var buffer = AMF0Encoder.encode([value])
        #expect(try AMF0Decoder().decode(from: &buffer) == value)
        #expect(buffer.readableBytes == 0)
    }

    @Test func encodesKnownBytes() {
        let buffer = AMF0Encoder.encode([
            .string("connect"), .number(1), .object([AMF0Property("app", .string("live"))]),
        ])
        let expected =
            AMF0Bytes.string("connect") + AMF0Bytes.number(1) + AMF0Bytes.object([("app", AMF0Bytes.string("live"))])
        #expect(Array(buffer.readableBytesView) == expected)
        let array = AMF0Encoder.encode([.ecmaArray([AMF0Property("a", .null)])])
        #expect(Array(array.readableBytesView) == AMF0Bytes.ecmaArray([("a", AMF0Bytes.null)]))
    }

    @Test func longStringsUseTheLongStringMarker() throws {
        let long = String(repeating: "x", count: 70_000)
        var buffer = AMF0Encoder.encode([.string(long)])
        #expect(buffer.getInteger(at: 0, as: UInt8.self) == 0x0C)
        #expect(buffer.getInteger(at: 1, as: UInt32.self) == 70_000)
        #expect(try AMF0Decoder().decode(from: &buffer) == .string(long))

        let limit = String(repeating: "y", count: 65_535)
        let short = AMF0Encoder.encode([.string(limit)])
        #expect(short.getInteger(at: 0, as: UInt8.self) == 0x02)
    }

    @Test func overlongPropertyNameIsCutAtAScalarBoundary() throws {
        let name = String(repeating: "a", count: 65_534) + "é"  // é is 2 bytes: 65,536 bytes in all
        var buffer = AMF0Encoder.encode([.object([AMF0Property(name, .null)])])
        let decoded = try AMF0Decoder().decode(from: &buffer)
        #expect(decoded.properties?.first?.key == String(repeating: "a", count: 65_534))
    }
}
