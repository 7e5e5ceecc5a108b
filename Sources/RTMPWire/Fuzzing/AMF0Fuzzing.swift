import LadderMedia
import NIOCore

/// Decodes an AMF0 payload and checks that what decodes re-encodes to an equal value list
/// (numbers compared bit for bit, so NaN payloads count), that one-value-at-a-time decoding
/// agrees, and that the command and data parsers survive the payload.
package enum AMF0Fuzzing {
    package static func run(_ input: [UInt8], checker: inout FuzzChecker) throws(FuzzPropertyViolation) {
        let decoder = AMF0Decoder()
        let buffer = ByteBuffer(bytes: input)
        exerciseMessageParsers(buffer)
        guard let values = try? decoder.decodeAll(buffer) else { return }

        // decode(from:) counts values per call, decodeAll per payload: it can only accept more.
        var cursor = buffer
        var oneByOne: [AMF0Value] = []
        while cursor.readableBytes > 0 {
            do throws(AMF0Error) {
                oneByOne.append(try decoder.decode(from: &cursor))
            } catch {
                throw checker.fail("decode(from:) fails with \(error) where decodeAll succeeded")
            }
        }
        try checker.check(identical(oneByOne, values), "decode(from:) and decodeAll disagree")

        let encoded = AMF0Encoder.encode(values)
        let decodedAgain: [AMF0Value]
        do throws(AMF0Error) {
            decodedAgain = try decoder.decodeAll(encoded)
        } catch {
            throw checker.fail("re-encoded values fail to decode: \(error)")
        }
        try checker.check(identical(decodedAgain, values), "decode(encode(x)) != x for \(values)")
        try checker.check(AMF0Encoder.encode(decodedAgain) == encoded, "encoding is not stable")
    }

    /// The same bytes as the body of each command and data message type (RTMP spec 7.1.1, 7.1.2).
    private static func exerciseMessageParsers(_ payload: ByteBuffer) {
        for type in [RTMPMessageType.commandAMF0, .commandAMF3] {
            _ = try? RTMPCommand(decoding: RTMPMessage(type: type, chunkStreamID: 3, payload: payload))
        }
        for type in [RTMPMessageType.dataAMF0, .dataAMF3] {
            _ = try? RTMPDataMessage(decoding: RTMPMessage(type: type, chunkStreamID: 5, payload: payload))
        }
    }

    package static func identical(_ lhs: [AMF0Value], _ rhs: [AMF0Value]) -> Bool {
        lhs.count == rhs.count && zip(lhs, rhs).allSatisfy { identical($0, $1) }
    }

    /// `==` except that numbers compare by bit pattern (NaN != NaN under `==`).
    package static func identical(_ lhs: AMF0Value, _ rhs: AMF0Value) -> Bool {
        switch (lhs, rhs) {
        case (.number(let left), .number(let right)):
            return left.bitPattern == right.bitPattern
        case (.date(let left, let leftZone), .date(let right, let rightZone)):
            return left.bitPattern == right.bitPattern && leftZone == rightZone
        case (.object(let left), .object(let right)), (.ecmaArray(let left), .ecmaArray(let right)):
            return identical(left, right)
        case (.typedObject(let leftName, let left), .typedObject(let rightName, let right)):
            return leftName == rightName && identical(left, right)
        case (.strictArray(let left), .strictArray(let right)):
            return identical(left, right)
        default:
            return lhs == rhs
        }
    }

    private static func identical(_ lhs: [AMF0Property], _ rhs: [AMF0Property]) -> Bool {
        lhs.count == rhs.count && zip(lhs, rhs).allSatisfy { $0.key == $1.key && identical($0.value, $1.value) }
    }
}
