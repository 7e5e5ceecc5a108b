import Testing

@testable import RTMPWire

/// `PercentDecoding`, shared by `RTMPStreamName` (lenient) and the HTTP origin's paths (strict).
@Suite struct PercentDecodingTests {
    private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test(arguments: [
        ("a%20b", "a b"), ("%41%62c", "Abc"), ("caf%C3%A9", "café"), ("a+b", "a+b"), ("", ""), ("%2f%2F", "//"),
    ])
    func bothModesDecodeWellFormedEscapes(encoded: String, decoded: String) {
        #expect(PercentDecoding.decode(bytes(encoded), mode: .strict) == bytes(decoded))
        #expect(PercentDecoding.decode(bytes(encoded), mode: .lenient) == bytes(decoded))
        #expect(PercentDecoding.strict(encoded) == decoded)
        #expect(PercentDecoding.lenient(encoded) == decoded)
    }

    @Test(arguments: ["%", "%4", "%zz", "%4g", "a%", "%%41", "100%"])
    func strictRefusesMalformedEscapes(encoded: String) {
        #expect(PercentDecoding.decode(bytes(encoded), mode: .strict) == nil)
        #expect(PercentDecoding.strict(encoded) == nil)
    }

    @Test(arguments: [("%", "%"), ("%4", "%4"), ("%zz%4", "%zz%4"), ("%%41", "%A"), ("100%", "100%"), ("%4g", "%4g")])
    func lenientKeepsMalformedEscapesLiteral(encoded: String, decoded: String) {
        #expect(PercentDecoding.lenient(encoded) == decoded)
    }

    @Test func invalidUTF8IsRefusedStrictlyAndRepairedLeniently() {
        #expect(PercentDecoding.decode(bytes("%ff%fe"), mode: .strict) == [0xFF, 0xFE])
        #expect(PercentDecoding.strict("%ff%fe") == nil)
        #expect(PercentDecoding.lenient("a%ffb") == "a\u{FFFD}b")
    }

    @Test func decodesSlicesOfLargerBuffers() {
        let path = "/live/a%20b/x"
        let segment = path.utf8.split(separator: UInt8(ascii: "/"))[1]
        #expect(PercentDecoding.decode(segment, mode: .strict) == bytes("a b"))
    }
}
