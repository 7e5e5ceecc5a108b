import LadderMedia
import NIOCore

/// Data messages (type 18, or 15 with a format byte; RTMP spec 7.1.2) a publisher sends.
package enum RTMPDataMessage: Sendable, Hashable {
    /// `onMetaData`, whether sent bare or wrapped as `@setDataFrame("onMetaData", ...)` as
    /// FMLE/OBS/ffmpeg do. Object or ECMA array are both accepted; anything else gives no properties.
    /// Informational only: codecs come from the sequence headers.
    case metadata([AMF0Property])
    /// `@clearDataFrame`.
    case clearMetadata
    case other(name: String, arguments: [AMF0Value])

    package init(decoding message: RTMPMessage, decoder: AMF0Decoder = AMF0Decoder()) throws(RTMPCommandError) {
        guard message.type == .dataAMF0 || message.type == .dataAMF3 else {
            throw .unexpectedMessageType(message.type)
        }
        var values = try decodeMessageValues(message, decoder: decoder)
        guard var name = values.first?.stringValue else { throw .missingCommandName }
        values.removeFirst()
        if name == "@setDataFrame", let inner = values.first?.stringValue {
            name = inner
            values.removeFirst()
        }
        switch name {
        case "onMetaData":
            self = .metadata(values.first?.properties ?? [])
        case "@clearDataFrame":
            self = .clearMetadata
        default:
            self = .other(name: name, arguments: values)
        }
    }

    /// `onMetaData` for players (as an ECMA array, like FLV files), on chunk stream 5.
    package static func metadataMessage(
        _ properties: [AMF0Property], streamID: UInt32, timestamp: UInt32 = 0
    ) -> RTMPMessage {
        RTMPMessage(
            type: .dataAMF0, streamID: streamID, timestamp: timestamp, chunkStreamID: RTMPChunkStreamID.streamCommand,
            payload: AMF0Encoder.encode([.string("onMetaData"), .ecmaArray(properties)]))
    }
}
