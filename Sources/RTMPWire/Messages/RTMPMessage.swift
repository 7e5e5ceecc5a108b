import LadderMedia
import NIOCore

/// One RTMP message as reassembled from chunks (RTMP spec 6.1).
package struct RTMPMessage: Sendable, Hashable {
    package var type: RTMPMessageType
    /// Message stream ID (RTMP spec 6.1.1); 0 is the NetConnection / control stream.
    package var streamID: UInt32
    /// The 32-bit RTMP timestamp in milliseconds; unwrap with `TimestampUnwrapper`.
    package var timestamp: UInt32
    /// Chunk stream the message travelled on (RTMP spec 5.3.1.1).
    package var chunkStreamID: UInt32
    package var payload: ByteBuffer

    package init(
        type: RTMPMessageType, streamID: UInt32 = 0, timestamp: UInt32 = 0, chunkStreamID: UInt32,
        payload: ByteBuffer
    ) {
        self.type = type
        self.streamID = streamID
        self.timestamp = timestamp
        self.chunkStreamID = chunkStreamID
        self.payload = payload
    }
}

/// Message type IDs (RTMP spec 5.4 and 7.1).
package struct RTMPMessageType: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    package var rawValue: UInt8

    package init(rawValue: UInt8) {
        self.rawValue = rawValue
    }

    package static let setChunkSize = RTMPMessageType(rawValue: 1)
    package static let abort = RTMPMessageType(rawValue: 2)
    package static let acknowledgement = RTMPMessageType(rawValue: 3)
    package static let userControl = RTMPMessageType(rawValue: 4)
    package static let windowAcknowledgementSize = RTMPMessageType(rawValue: 5)
    package static let setPeerBandwidth = RTMPMessageType(rawValue: 6)
    package static let audio = RTMPMessageType(rawValue: 8)
    package static let video = RTMPMessageType(rawValue: 9)
    package static let dataAMF3 = RTMPMessageType(rawValue: 15)
    package static let sharedObjectAMF3 = RTMPMessageType(rawValue: 16)
    package static let commandAMF3 = RTMPMessageType(rawValue: 17)
    package static let dataAMF0 = RTMPMessageType(rawValue: 18)
    package static let sharedObjectAMF0 = RTMPMessageType(rawValue: 19)
    package static let commandAMF0 = RTMPMessageType(rawValue: 20)
    package static let aggregate = RTMPMessageType(rawValue: 22)

    /// Types 1-6 are protocol control / user control messages (RTMP spec 5.4, 6.2).
    package var isControl: Bool { (1...6).contains(rawValue) }

    package var description: String {
        switch self {
        case .setChunkSize: return "SetChunkSize"
        case .abort: return "Abort"
        case .acknowledgement: return "Acknowledgement"
        case .userControl: return "UserControl"
        case .windowAcknowledgementSize: return "WindowAcknowledgementSize"
        case .setPeerBandwidth: return "SetPeerBandwidth"
        case .audio: return "Audio"
        case .video: return "Video"
        case .dataAMF3: return "DataAMF3"
        case .sharedObjectAMF3: return "SharedObjectAMF3"
        case .commandAMF3: return "CommandAMF3"
        case .dataAMF0: return "DataAMF0"
        case .sharedObjectAMF0: return "SharedObjectAMF0"
        case .commandAMF0: return "CommandAMF0"
        case .aggregate: return "Aggregate"
        default: return "Type(\(rawValue))"
        }
    }
}

/// Conventional chunk stream IDs for outgoing messages. Only 2 is fixed by the spec
/// (RTMP spec 5.4: protocol control messages use chunk stream 2); the rest follow common servers.
package enum RTMPChunkStreamID {
    package static let protocolControl: UInt32 = 2
    package static let command: UInt32 = 3
    package static let streamCommand: UInt32 = 5
    package static let audio: UInt32 = 6
    package static let video: UInt32 = 7
}
