import LadderMedia
import NIOCore

/// Decodes a post-handshake byte stream with `ChunkDecoder` and checks that:
/// - splitting the input at input-derived points changes nothing (a cut header is carried);
/// - re-chunking the decoded messages with `ChunkEncoder` decodes back to the same messages;
/// - every message parser (control, command, data, FLV) survives each decoded message.
package enum ChunkFuzzing {
    package struct Outcome: Equatable {
        package var messages: [RTMPMessage] = []
        package var error: ChunkError?
        package var unconsumedBytes = 0
    }

    package static func run(_ input: [UInt8], checker: inout FuzzChecker) throws(FuzzPropertyViolation) {
        var random = FuzzRandom(seed: input)
        let whole = decode(input) { remaining in remaining }
        let pieces = decode(input) { remaining in min(random.pieceLength(), remaining) }
        try checker.check(
            whole == pieces,
            "split decoding differs: \(whole.messages.count) vs \(pieces.messages.count) messages, "
                + "\(String(describing: whole.error)) vs \(String(describing: pieces.error))")

        try checkReencoding(whole.messages, compressesHeaders: random.next() & 1 == 0, checker: checker)
        var messageLayer = MessageLayerFuzzing()
        for message in whole.messages {
            try messageLayer.exercise(message, checker: checker)
        }
    }

    /// Decodes `input` delivered in pieces of `pieceLength(remaining)` bytes, as reads from a socket.
    package static func decode(_ input: [UInt8], pieceLength: (Int) -> Int) -> Outcome {
        var decoder = ChunkDecoder()
        var buffer = ByteBuffer()
        var outcome = Outcome()
        var offset = 0
        repeat {
            let length = max(0, min(pieceLength(input.count - offset), input.count - offset))
            buffer.writeBytes(input[offset..<offset + length])
            offset += length
            do throws(ChunkError) {
                while let message = try decoder.next(from: &buffer) {
                    outcome.messages.append(message)
                }
            } catch {
                outcome.error = error
                return outcome
            }
            buffer.discardReadBytes()
        } while offset < input.count
        outcome.unconsumedBytes = buffer.readableBytes
        return outcome
    }

    /// RTMP spec 5.3: any message sequence a decoder produced must survive encoding and decoding.
    /// Set Chunk Size is mirrored into the encoder, as a sender must (RTMP spec 5.4.1).
    private static func checkReencoding(
        _ messages: [RTMPMessage], compressesHeaders: Bool, checker: FuzzChecker
    ) throws(FuzzPropertyViolation) {
        var encoder = ChunkEncoder(compressesHeaders: compressesHeaders)
        var encoded = ByteBuffer()
        for message in messages {
            do throws(ChunkError) {
                try encoder.encode(message, into: &encoded)
                if message.type == .setChunkSize,
                    let size = message.payload.getInteger(at: message.payload.readerIndex, as: UInt32.self)
                {
                    try encoder.setChunkSize(Int(size))
                }
            } catch {
                throw checker.fail("a decoded message does not encode: \(error)")
            }
        }
        let again = decode(Array(encoded.readableBytesView)) { remaining in remaining }
        try checker.check(again.error == nil, "re-encoded stream fails: \(String(describing: again.error))")
        try checker.check(again.unconsumedBytes == 0, "re-encoded stream leaves \(again.unconsumedBytes) bytes")
        try checker.check(
            again.messages == messages,
            "re-encoded stream decodes to \(again.messages.count) messages, not \(messages.count)"
                + (zip(again.messages, messages).first { $0 != $1 }.map { " (first difference: \($0) vs \($1))" } ?? "")
        )
    }
}

/// Runs one decoded message through the parser for its type, keeping per-connection state
/// (FLV decoder configurations, timestamp unwrapping, acknowledgements) across messages.
package struct MessageLayerFuzzing {
    private var converter = FLVIngestConverter()
    private var audioTimestamps = TimestampUnwrapper()
    private var videoTimestamps = TimestampUnwrapper()
    private var acknowledgements = AcknowledgementTracker(windowSize: 4096)

    package mutating func exercise(_ message: RTMPMessage, checker: FuzzChecker) throws(FuzzPropertyViolation) {
        if let sequence = acknowledgements.bytesReceived(message.payload.readableBytes) {
            try checker.check(
                UInt64(sequence) == acknowledgements.totalBytesReceived & 0xFFFF_FFFF, "acknowledgement sequence")
        }
        switch message.type {
        case let type where type.isControl:
            try checkControlRoundTrip(message, checker: checker)
        case .commandAMF0, .commandAMF3:
            if let command = try? RTMPCommand(decoding: message) {
                try checkCommand(command, message: message, checker: checker)
            }
        case .dataAMF0, .dataAMF3:
            _ = try? RTMPDataMessage(decoding: message)
        case .audio:
            let timestamp = audioTimestamps.unwrap(message.timestamp)
            try FLVFuzzing.ingestAudio(message.payload, timestamp: timestamp, into: &converter, checker: checker)
        case .video:
            let timestamp = videoTimestamps.unwrap(message.timestamp)
            try FLVFuzzing.ingestVideo(message.payload, timestamp: timestamp, into: &converter, checker: checker)
        default:
            break
        }
    }

    /// RTMP spec 5.4, 6.2: what parses must re-serialize to something that parses the same.
    private func checkControlRoundTrip(_ message: RTMPMessage, checker: FuzzChecker) throws(FuzzPropertyViolation) {
        guard let control = try? ProtocolControlMessage(decoding: message) else { return }
        let reparsed = try? ProtocolControlMessage(decoding: control.message())
        try checker.check(reparsed == control, "\(control) re-parses as \(String(describing: reparsed))")
    }

    private func checkCommand(
        _ command: RTMPCommand, message: RTMPMessage, checker: FuzzChecker
    ) throws(FuzzPropertyViolation) {
        switch command {
        case .publish(_, let streamID, let name, _), .play(_, let streamID, let name, _):
            try checker.check(streamID == message.streamID, "command stream ID")
            // Without escapes the name ends at the first "?", and a query needs one.
            let parsed = RTMPStreamName(parsing: name)
            if !name.contains("%") {
                try checker.check(!parsed.name.contains("?"), "stream name \(parsed.name) keeps a \"?\"")
            }
            if !name.contains("?") {
                try checker.check(parsed.queryItems.isEmpty, "query items without a \"?\"")
            }
        case .connect(_, let parameters):
            _ = (parameters.app, parameters.tcUrl, parameters.objectEncoding, parameters.fourCcList)
        default:
            break
        }
    }
}
