import LadderMedia
import NIOCore

package enum RTMPCommandError: Error, Hashable, Sendable {
    /// Not a command (20/17) or data (18/15) message, as the parser called requires.
    case unexpectedMessageType(RTMPMessageType)
    case malformedAMF(AMF0Error)
    /// The first value is not a string (RTMP spec 7.1.1: command name comes first).
    case missingCommandName
    /// A command lacks an argument it cannot do without (e.g. the stream name of `publish`).
    case missingArgument(command: String, argument: String)
}

/// The `connect` command object (RTMP spec 7.2.1.1), with the Enhanced RTMP fields.
package struct RTMPConnectParameters: Sendable, Hashable {
    /// The command object as sent (an object, or null from odd clients).
    package var commandObject: AMF0Value
    /// Optional user arguments after the command object.
    package var arguments: [AMF0Value]

    package init(commandObject: AMF0Value, arguments: [AMF0Value]) {
        self.commandObject = commandObject
        self.arguments = arguments
    }

    package var app: String? { commandObject["app"]?.stringValue }
    package var tcUrl: String? { commandObject["tcUrl"]?.stringValue }
    package var flashVer: String? { commandObject["flashVer"]?.stringValue }
    /// 0 = AMF0, 3 = AMF3 (RTMP spec 7.2.1.1); absent means AMF0.
    package var objectEncoding: Double? { commandObject["objectEncoding"]?.numberValue }
    /// Enhanced RTMP: the FourCCs the client supports; nil when the client did not send the list.
    package var fourCcList: [String]? {
        guard let values = commandObject["fourCcList"]?.arrayValues else { return nil }
        return values.compactMap(\.stringValue)
    }
    /// Enhanced RTMP v2: the client sent `videoFourCcInfoMap` or `audioFourCcInfoMap`
    /// (its capabilities per FourCC) and expects the server's in the answer.
    package var sentFourCcInfoMaps: Bool {
        commandObject["videoFourCcInfoMap"] != nil || commandObject["audioFourCcInfoMap"] != nil
    }
}

/// Commands a publisher or player sends on the NetConnection or a NetStream (RTMP spec 7.2).
package enum RTMPCommand: Sendable, Hashable {
    case connect(transactionID: Double, parameters: RTMPConnectParameters)
    case releaseStream(transactionID: Double, name: String)
    case fcPublish(transactionID: Double, name: String)
    case fcUnpublish(transactionID: Double, name: String)
    case createStream(transactionID: Double)
    /// `streamID` is the message stream the command arrived on; `type` is live/record/append.
    case publish(transactionID: Double, streamID: UInt32, name: String, type: String)
    /// `streamID` is the stream to delete, from the argument (RTMP spec 7.2.2.3), else the message
    /// stream it arrived on; 0 when neither names one (GStreamer rtmp2sink sends the stream name).
    case deleteStream(transactionID: Double, streamID: UInt32)
    /// `streamID` is the message stream the command arrived on.
    case closeStream(transactionID: Double, streamID: UInt32)
    /// `_checkbw`, sent by FMLE-style encoders.
    case checkBandwidth(transactionID: Double)
    /// `start` is -2 (live, else recorded), -1 (live only) or a position in seconds (RTMP spec 7.2.2.1).
    case play(transactionID: Double, streamID: UInt32, name: String, start: Double)
    case getStreamLength(transactionID: Double, name: String)
    case unknown(name: String, transactionID: Double, arguments: [AMF0Value])

    /// Decodes a command message (type 20, or 17 with its leading format byte).
    package init(decoding message: RTMPMessage, decoder: AMF0Decoder = AMF0Decoder()) throws(RTMPCommandError) {
        guard message.type == .commandAMF0 || message.type == .commandAMF3 else {
            throw .unexpectedMessageType(message.type)
        }
        let values = try decodeMessageValues(message, decoder: decoder)
        guard let name = values.first?.stringValue else { throw .missingCommandName }
        let transactionID = values.count > 1 ? values[1].numberValue ?? 0 : 0
        let arguments = Array(values.dropFirst(3))

        func stringArgument(_ argument: String) throws(RTMPCommandError) -> String {
            guard let value = arguments.first?.stringValue else {
                throw .missingArgument(command: name, argument: argument)
            }
            return value
        }

        switch name {
        case "connect":
            let object = values.count > 2 ? values[2] : .null
            self = .connect(
                transactionID: transactionID,
                parameters: RTMPConnectParameters(commandObject: object, arguments: arguments))
        case "releaseStream":
            self = .releaseStream(transactionID: transactionID, name: try stringArgument("name"))
        case "FCPublish":
            self = .fcPublish(transactionID: transactionID, name: try stringArgument("name"))
        case "FCUnpublish":
            self = .fcUnpublish(transactionID: transactionID, name: try stringArgument("name"))
        case "createStream":
            self = .createStream(transactionID: transactionID)
        case "publish":
            let type = arguments.count > 1 ? arguments[1].stringValue ?? "live" : "live"
            self = .publish(
                transactionID: transactionID, streamID: message.streamID, name: try stringArgument("name"), type: type)
        case "deleteStream":
            // GStreamer rtmp2sink sends the stream name here instead of the number.
            let number = arguments.first?.numberValue.flatMap { UInt32(exactly: $0) }
            self = .deleteStream(transactionID: transactionID, streamID: number ?? message.streamID)
        case "closeStream":
            self = .closeStream(transactionID: transactionID, streamID: message.streamID)
        case "_checkbw":
            self = .checkBandwidth(transactionID: transactionID)
        case "play":
            let start = arguments.count > 1 ? arguments[1].numberValue ?? -2 : -2
            self = .play(
                transactionID: transactionID, streamID: message.streamID, name: try stringArgument("name"), start: start
            )
        case "getStreamLength":
            self = .getStreamLength(transactionID: transactionID, name: try stringArgument("name"))
        default:
            self = .unknown(name: name, transactionID: transactionID, arguments: Array(values.dropFirst(2)))
        }
    }
}

/// AMF values of a command or data message. Types 17 and 15 start with a format byte that is 0
/// when AMF0 follows (RTMP spec 7.1.1, 7.1.2); it is skipped when present.
package func decodeMessageValues(_ message: RTMPMessage, decoder: AMF0Decoder) throws(RTMPCommandError) -> [AMF0Value] {
    var payload = message.payload
    if message.type == .commandAMF3 || message.type == .dataAMF3,
        payload.getInteger(at: payload.readerIndex, as: UInt8.self) == 0
    {
        payload.moveReaderIndex(forwardBy: 1)
    }
    do throws(AMF0Error) {
        return try decoder.decodeAll(payload)
    } catch {
        throw .malformedAMF(error)
    }
}
