import LadderMedia
import NIOCore
import RTMPTestSupport
import Testing

@testable import RTMPWire

@Suite struct AMF0DecoderTests {
    func decodeOne(_ bytes: [UInt8], decoder: AMF0Decoder = AMF0Decoder()) throws -> AMF0Value {
        var buffer = ByteBuffer(bytes: bytes)
        let value = try decoder.decode(from: &buffer)
        #expect(buffer.readableBytes == 0)
        return value
    }

    @Test func decodesFFmpegConnectCommand() throws {
        let values = try AMF0Decoder().decodeAll(ByteBuffer(bytes: ffmpegConnectPayload))
        #expect(values.count == 3)
        #expect(values[0] == .string("connect"))
        #expect(values[1] == .number(1))
        #expect(
            values[2]
                == .object([
                    AMF0Property("app", .string("live")),
                    AMF0Property("type", .string("nonprivate")),
                    AMF0Property("flashVer", .string("FMLE/3.0 (compatible; Lavf59.27.100)")),
                    AMF0Property("tcUrl", .string("rtmp://127.0.0.1:19999/live")),
                ]))
        #expect(values[2]["tcUrl"]?.stringValue == "rtmp://127.0.0.1:19999/live")
    }

    @Test func decodesOBSConnectCommand() throws {
        let values = try AMF0Decoder().decodeAll(ByteBuffer(bytes: AMF0Bytes.obsConnect))
        #expect(values.count == 3)
        #expect(values[2]["flashVer"]?.stringValue == "FMLE/3.0 (compatible; FMSc/1.0)")
        #expect(values[2]["fourCcList"] == .strictArray([.string("av01"), .string("vp09"), .string("hvc1")]))
        #expect(values[2].properties?.map(\.key) == ["app", "type", "flashVer", "swfUrl", "tcUrl", "fourCcList"])
    }

    @Test func scalarVectors() throws {
        #expect(try decodeOne(hexBytes("00 3ff0000000000000")) == .number(1))
        #expect(try decodeOne(hexBytes("01 00")) == .boolean(false))
        #expect(try decodeOne(hexBytes("01 05")) == .boolean(true))
        #expect(try decodeOne(hexBytes("02 0003 616263")) == .string("abc"))
        #expect(try decodeOne(hexBytes("0c 00000003 616263")) == .string("abc"))
        #expect(try decodeOne(hexBytes("05")) == .null)
        #expect(try decodeOne(hexBytes("06")) == .undefined)
        #expect(try decodeOne(hexBytes("07 0002")) == .reference(2))
        #expect(try decodeOne(hexBytes("0d")) == .unsupported)
        #expect(try decodeOne(hexBytes("0b 4270000000000000 0000")) == .date(millis: 0x1_0000_0000 * 256, timezone: 0))
        #expect(try decodeOne(hexBytes("0f 00000002 3c61")) == .xmlDocument("<a"))
    }

    @Test func containerVectors() throws {
        #expect(
            try decodeOne(AMF0Bytes.ecmaArray([("duration", AMF0Bytes.number(0)), ("width", AMF0Bytes.number(640))]))
                == .ecmaArray([AMF0Property("duration", .number(0)), AMF0Property("width", .number(640))]))
        #expect(
            try decodeOne(AMF0Bytes.strictArray([AMF0Bytes.null, AMF0Bytes.boolean(true)]))
                == .strictArray([.null, .boolean(true)]))
        #expect(
            try decodeOne(hexBytes("10 0001 43") + AMF0Bytes.utf8("x") + AMF0Bytes.null + AMF0Bytes.objectEnd)
                == .typedObject(className: "C", properties: [AMF0Property("x", .null)]))
        let empty = try decodeOne(AMF0Bytes.object([]))
        #expect(empty == .object([]))
        #expect(empty["missing"] == nil)
    }

    @Test func ecmaArrayWithoutEndMarkerAtEndOfInputIsAccepted() throws {
        let bytes = hexBytes("08 00000001") + AMF0Bytes.utf8("a") + AMF0Bytes.number(2)
        #expect(try decodeOne(bytes) == .ecmaArray([AMF0Property("a", .number(2))]))
    }

    @Test func amf3SimpleValuesAfterSwitchMarker() throws {
        #expect(try decodeOne(hexBytes("11 00")) == .undefined)
        #expect(try decodeOne(hexBytes("11 01")) == .null)
        #expect(try decodeOne(hexBytes("11 02")) == .boolean(false))
        #expect(try decodeOne(hexBytes("11 03")) == .boolean(true))
        #expect(try decodeOne(hexBytes("11 04 7f")) == .number(127))
        #expect(try decodeOne(hexBytes("11 04 8100")) == .number(128))
        #expect(try decodeOne(hexBytes("11 04 ffffffff")) == .number(-1))
        #expect(try decodeOne(hexBytes("11 04 bfffffff")) == .number(0x0FFF_FFFF))
        #expect(try decodeOne(hexBytes("11 05 4008000000000000")) == .number(3))
        #expect(try decodeOne(hexBytes("11 06 07 616263")) == .string("abc"))
    }

    @Test func amf3ComplexValuesAreRejected() {
        #expect(throws: AMF0Error.unsupportedAMF3Marker(0x0A)) { try decodeOne(hexBytes("11 0a 0b 01")) }
        #expect(throws: AMF0Error.unsupportedAMF3Reference) { try decodeOne(hexBytes("11 06 00")) }
    }

    @Test func malformedInputIsRejected() {
        #expect(throws: AMF0Error.truncated) { try decodeOne(hexBytes("02 0005 6162")) }
        #expect(throws: AMF0Error.truncated) { try decodeOne(hexBytes("00 3ff0")) }
        #expect(throws: AMF0Error.unexpectedObjectEnd) { try decodeOne(hexBytes("09")) }
        #expect(throws: AMF0Error.unknownMarker(0x04)) { try decodeOne(hexBytes("04")) }
        #expect(throws: AMF0Error.unknownMarker(0x0E)) { try decodeOne(hexBytes("0e")) }
        #expect(throws: AMF0Error.unknownMarker(0x20)) { try decodeOne(hexBytes("20")) }
        #expect(throws: AMF0Error.truncated) { try decodeOne(hexBytes("03") + AMF0Bytes.utf8("key")) }
    }

    @Test func nestingDepthIsBounded() {
        let nested = Array(repeating: [UInt8(0x03)] + AMF0Bytes.utf8("a"), count: 40).flatMap { $0 } + AMF0Bytes.null
        #expect(throws: AMF0Error.depthLimitExceeded(limit: 32)) { try decodeOne(nested) }
        let arrays = Array(repeating: hexBytes("0a 00000001"), count: 40).flatMap { $0 } + AMF0Bytes.null
        #expect(throws: AMF0Error.depthLimitExceeded(limit: 32)) { try decodeOne(arrays) }
    }

    @Test func hugeDeclaredArrayCountDoesNotAllocate() {
        #expect(throws: AMF0Error.truncated) { try decodeOne(hexBytes("0a ffffffff 05 05")) }
        let decoder = AMF0Decoder(maxValues: 10)
        let elements = Array(repeating: UInt8(0x05), count: 20)
        #expect(throws: AMF0Error.valueLimitExceeded(limit: 10)) {
            try decodeOne(hexBytes("0a 00000014") + elements, decoder: decoder)
        }
    }

    @Test func valueCountIsBounded() {
        let decoder = AMF0Decoder(maxValues: 10)
        let properties = (0..<20).map { ("k\($0)", AMF0Bytes.null) }
        #expect(throws: AMF0Error.valueLimitExceeded(limit: 10)) {
            try decodeOne(AMF0Bytes.object(properties), decoder: decoder)
        }
    }
}
