import LadderMedia
import NIOCore

/// The one table of status codes the server sends: NetConnection codes in `connect`'s `_result` /
/// `_error` (RTMP spec 7.2.1.1) and NetStream codes in `onStatus` (RTMP spec 7.2.2); codes as
/// Flash Media Server sends them.
package enum NetStreamStatus: String, Sendable, Hashable, CaseIterable {
    case connectSuccess = "NetConnection.Connect.Success"
    /// E.g. an unknown application.
    case connectRejected = "NetConnection.Connect.Rejected"
    case publishStart = "NetStream.Publish.Start"
    /// The stream name is malformed or already being published.
    case publishBadName = "NetStream.Publish.BadName"
    /// The stream key is wrong.
    case publishUnauthorized = "NetStream.Publish.Unauthorized"
    case unpublishSuccess = "NetStream.Unpublish.Success"
    /// The publish cannot go on (e.g. a video codec the server does not ingest).
    case publishFailed = "NetStream.Publish.Failed"
    case playReset = "NetStream.Play.Reset"
    case playStart = "NetStream.Play.Start"
    case playStreamNotFound = "NetStream.Play.StreamNotFound"
    case playUnpublishNotify = "NetStream.Play.UnpublishNotify"
    /// Sent to players as a data message before media.
    case dataStart = "NetStream.Data.Start"

    package var level: String {
        switch self {
        case .connectRejected, .publishBadName, .publishUnauthorized, .publishFailed, .playStreamNotFound:
            return "error"
        default: return "status"
        }
    }
}

/// Server messages in the shape OBS, ffmpeg, GStreamer rtmp2 and librtmp expect (RTMP spec 7.2.1.1
/// `_result` layout, Flash Media Server property values).
package enum RTMPCommandReplies {
    package static let fmsVersion = "FMS/3,5,7,7009"
    package static let capabilities: Double = 31
    /// Enhanced RTMP FourCCs this server ingests.
    package static let supportedFourCCs = ["av01", "vp09", "hvc1", "avc1"]
    /// Enhanced RTMP v2 audio FourCCs this server ingests.
    package static let supportedAudioFourCCs = ["mp4a", "Opus"]
    /// Enhanced RTMP v2 FourCcInfoMask: CanDecode (1) | CanForward (4): the gateway decodes these
    /// and forwards them to RTMP players; it does not encode them for a client (CanEncode, 2).
    package static let fourCcInfoMask = Double(1 | 4)

    /// `_result` to `connect`. `fourCcList` is added to the properties object only when the client
    /// sent one, and `videoFourCcInfoMap`/`audioFourCcInfoMap` only when it sent either (Enhanced
    /// RTMP, "Enhancing NetConnection connect Command").
    package static func connectResult(
        transactionID: Double, objectEncoding: Double?, clientSentFourCcList: Bool,
        clientSentFourCcInfoMaps: Bool = false, supportedFourCCs: [String] = RTMPCommandReplies.supportedFourCCs
    ) -> RTMPMessage {
        var properties = [
            AMF0Property("fmsVer", .string(fmsVersion)),
            AMF0Property("capabilities", .number(capabilities)),
            AMF0Property("mode", .number(1)),
        ]
        if clientSentFourCcList {
            properties.append(AMF0Property("fourCcList", .strictArray(supportedFourCCs.map { .string($0) })))
        }
        if clientSentFourCcInfoMaps {
            let map = { (codes: [String]) in AMF0Value.object(codes.map { AMF0Property($0, .number(fourCcInfoMask)) }) }
            properties.append(AMF0Property("videoFourCcInfoMap", map(supportedFourCCs)))
            properties.append(AMF0Property("audioFourCcInfoMap", map(supportedAudioFourCCs)))
        }
        let information: [AMF0Property] = [
            AMF0Property("level", .string(NetStreamStatus.connectSuccess.level)),
            AMF0Property("code", .string(NetStreamStatus.connectSuccess.rawValue)),
            AMF0Property("description", .string("Connection succeeded.")),
            AMF0Property("objectEncoding", .number(objectEncoding ?? 0)),
        ]
        return command([.string("_result"), .number(transactionID), .object(properties), .object(information)])
    }

    /// `_error` to `connect` (e.g. unknown application).
    package static func connectRejected(transactionID: Double, description: String) -> RTMPMessage {
        error(transactionID: transactionID, status: .connectRejected, description: description)
    }

    /// `_error` with an information object.
    package static func error(transactionID: Double, status: NetStreamStatus, description: String) -> RTMPMessage {
        command([
            .string("_error"), .number(transactionID), .null,
            .object([
                AMF0Property("level", .string(status.level)),
                AMF0Property("code", .string(status.rawValue)),
                AMF0Property("description", .string(description)),
            ]),
        ])
    }

    /// `_result` to `createStream` carrying the new message stream ID (RTMP spec 7.2.1.3).
    package static func createStreamResult(transactionID: Double, streamID: UInt32) -> RTMPMessage {
        command([.string("_result"), .number(transactionID), .null, .number(Double(streamID))])
    }

    /// Plain `_result` for releaseStream, FCPublish, FCUnpublish and `_checkbw`.
    package static func result(transactionID: Double) -> RTMPMessage {
        command([.string("_result"), .number(transactionID), .null, .undefined])
    }

    /// `_result` to `getStreamLength`: the length in seconds, 0 for live streams.
    package static func streamLengthResult(transactionID: Double, seconds: Double = 0) -> RTMPMessage {
        command([.string("_result"), .number(transactionID), .null, .number(seconds)])
    }

    /// `onBWDone`, which some servers send after `connect`; librtmp players answer with `_checkbw`.
    package static func onBandwidthDone() -> RTMPMessage {
        command([.string("onBWDone"), .number(0), .null])
    }

    /// `onFCPublish` answering FCPublish.
    package static func onFCPublish(name: String) -> RTMPMessage {
        command([
            .string("onFCPublish"), .number(0), .null,
            statusObject(.publishStart, description: "FCPublish to stream \(name).", details: name),
        ])
    }

    /// `onFCUnpublish` answering FCUnpublish.
    package static func onFCUnpublish(name: String) -> RTMPMessage {
        command([
            .string("onFCUnpublish"), .number(0), .null,
            statusObject(.unpublishSuccess, description: "Stop publishing \(name).", details: name),
        ])
    }

    /// `onStatus` on a NetStream (RTMP spec 7.2.2), on chunk stream 5.
    package static func onStatus(
        _ status: NetStreamStatus, streamID: UInt32, description: String, details: String? = nil
    ) -> RTMPMessage {
        var message = command([
            .string("onStatus"), .number(0), .null, statusObject(status, description: description, details: details),
        ])
        message.streamID = streamID
        message.chunkStreamID = RTMPChunkStreamID.streamCommand
        return message
    }

    /// `|RtmpSampleAccess(true, true)` data message sent to players before media.
    package static func sampleAccess(streamID: UInt32) -> RTMPMessage {
        data([.string("|RtmpSampleAccess"), .boolean(true), .boolean(true)], streamID: streamID)
    }

    /// `onStatus` data message with NetStream.Data.Start, sent to players before media.
    package static func dataStart(streamID: UInt32) -> RTMPMessage {
        data(
            [.string("onStatus"), .object([AMF0Property("code", .string(NetStreamStatus.dataStart.rawValue))])],
            streamID: streamID)
    }

    private static func statusObject(_ status: NetStreamStatus, description: String, details: String?) -> AMF0Value {
        var properties = [
            AMF0Property("level", .string(status.level)),
            AMF0Property("code", .string(status.rawValue)),
            AMF0Property("description", .string(description)),
        ]
        if let details {
            properties.append(AMF0Property("details", .string(details)))
        }
        return .object(properties)
    }

    private static func command(_ values: [AMF0Value]) -> RTMPMessage {
        RTMPMessage(
            type: .commandAMF0, streamID: 0, timestamp: 0, chunkStreamID: RTMPChunkStreamID.command,
            payload: AMF0Encoder.encode(values))
    }

    private static func data(_ values: [AMF0Value], streamID: UInt32) -> RTMPMessage {
        RTMPMessage(
            type: .dataAMF0, streamID: streamID, timestamp: 0, chunkStreamID: RTMPChunkStreamID.streamCommand,
            payload: AMF0Encoder.encode(values))
    }
}
