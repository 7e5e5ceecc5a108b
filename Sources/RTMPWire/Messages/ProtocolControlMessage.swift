import LadderMedia
import NIOCore

package enum ProtocolControlError: Error, Hashable, Sendable {
    /// The message type is not a protocol or user control message (types 1-6).
    case notAControlMessage(RTMPMessageType)
    /// The payload is shorter than the message type requires.
    case truncated(RTMPMessageType)
}

/// Limit type of Set Peer Bandwidth (RTMP spec 5.4.5).
package enum PeerBandwidthLimitType: UInt8, Sendable, Hashable {
    case hard = 0
    case soft = 1
    case dynamic = 2
}

/// User control events (RTMP spec 7.1.7).
package enum UserControlEvent: Sendable, Hashable {
    case streamBegin(streamID: UInt32)
    case streamEOF(streamID: UInt32)
    case streamDry(streamID: UInt32)
    case setBufferLength(streamID: UInt32, milliseconds: UInt32)
    case streamIsRecorded(streamID: UInt32)
    case pingRequest(timestamp: UInt32)
    case pingResponse(timestamp: UInt32)
    /// An event type this layer does not interpret (e.g. SWF verification, 26/27).
    case unknown(eventType: UInt16, data: [UInt8])

    package var eventType: UInt16 {
        switch self {
        case .streamBegin: return 0
        case .streamEOF: return 1
        case .streamDry: return 2
        case .setBufferLength: return 3
        case .streamIsRecorded: return 4
        case .pingRequest: return 6
        case .pingResponse: return 7
        case .unknown(let eventType, _): return eventType
        }
    }
}

/// Protocol control messages (RTMP spec 5.4) and user control messages (RTMP spec 6.2, 7.1.7).
package enum ProtocolControlMessage: Sendable, Hashable {
    case setChunkSize(UInt32)
    case abort(chunkStreamID: UInt32)
    case acknowledgement(sequenceNumber: UInt32)
    case userControl(UserControlEvent)
    case windowAcknowledgementSize(UInt32)
    case setPeerBandwidth(windowSize: UInt32, limitType: PeerBandwidthLimitType)

    package var messageType: RTMPMessageType {
        switch self {
        case .setChunkSize: return .setChunkSize
        case .abort: return .abort
        case .acknowledgement: return .acknowledgement
        case .userControl: return .userControl
        case .windowAcknowledgementSize: return .windowAcknowledgementSize
        case .setPeerBandwidth: return .setPeerBandwidth
        }
    }

    /// Parses a control message. An unknown Set Peer Bandwidth limit type is read as dynamic.
    package init(decoding message: RTMPMessage) throws(ProtocolControlError) {
        var payload = message.payload
        let type = message.type
        switch type {
        case .setChunkSize:
            // RTMP spec 5.4.1: bit 31 must be zero.
            guard let size = payload.readInteger(as: UInt32.self) else { throw .truncated(type) }
            self = .setChunkSize(size & 0x7FFF_FFFF)
        case .abort:
            guard let id = payload.readInteger(as: UInt32.self) else { throw .truncated(type) }
            self = .abort(chunkStreamID: id)
        case .acknowledgement:
            guard let sequence = payload.readInteger(as: UInt32.self) else { throw .truncated(type) }
            self = .acknowledgement(sequenceNumber: sequence)
        case .windowAcknowledgementSize:
            guard let size = payload.readInteger(as: UInt32.self) else { throw .truncated(type) }
            self = .windowAcknowledgementSize(size)
        case .setPeerBandwidth:
            guard let size = payload.readInteger(as: UInt32.self), let limit = payload.readInteger(as: UInt8.self)
            else { throw .truncated(type) }
            self = .setPeerBandwidth(windowSize: size, limitType: PeerBandwidthLimitType(rawValue: limit) ?? .dynamic)
        case .userControl:
            self = .userControl(try Self.decodeUserControl(&payload))
        default:
            throw .notAControlMessage(type)
        }
    }

    private static func decodeUserControl(_ payload: inout ByteBuffer) throws(ProtocolControlError) -> UserControlEvent
    {
        guard let eventType = payload.readInteger(as: UInt16.self) else { throw .truncated(.userControl) }
        func value() throws(ProtocolControlError) -> UInt32 {
            guard let value = payload.readInteger(as: UInt32.self) else { throw .truncated(.userControl) }
            return value
        }
        switch eventType {
        case 0: return .streamBegin(streamID: try value())
        case 1: return .streamEOF(streamID: try value())
        case 2: return .streamDry(streamID: try value())
        case 3:
            let streamID = try value()
            return .setBufferLength(streamID: streamID, milliseconds: try value())
        case 4: return .streamIsRecorded(streamID: try value())
        case 6: return .pingRequest(timestamp: try value())
        case 7: return .pingResponse(timestamp: try value())
        default:
            return .unknown(eventType: eventType, data: payload.readBytes(length: payload.readableBytes) ?? [])
        }
    }

    /// The message to send: stream 0, chunk stream 2 (RTMP spec 5.4, 6.2).
    package func message(timestamp: UInt32 = 0) -> RTMPMessage {
        var payload = ByteBuffer()
        switch self {
        case .setChunkSize(let size):
            payload.writeInteger(size & 0x7FFF_FFFF)
        case .abort(let chunkStreamID):
            payload.writeInteger(chunkStreamID)
        case .acknowledgement(let sequenceNumber):
            payload.writeInteger(sequenceNumber)
        case .windowAcknowledgementSize(let size):
            payload.writeInteger(size)
        case .setPeerBandwidth(let windowSize, let limitType):
            payload.writeInteger(windowSize)
            payload.writeInteger(limitType.rawValue)
        case .userControl(let event):
            payload.writeInteger(event.eventType)
            switch event {
            case .streamBegin(let id), .streamEOF(let id), .streamDry(let id), .streamIsRecorded(let id):
                payload.writeInteger(id)
            case .setBufferLength(let id, let milliseconds):
                payload.writeInteger(id)
                payload.writeInteger(milliseconds)
            case .pingRequest(let value), .pingResponse(let value):
                payload.writeInteger(value)
            case .unknown(_, let data):
                payload.writeBytes(data)
            }
        }
        return RTMPMessage(
            type: messageType, streamID: 0, timestamp: timestamp, chunkStreamID: RTMPChunkStreamID.protocolControl,
            payload: payload)
    }
}
