import NIOConcurrencyHelpers
import NIOCore
import RTMPWire

/// An RTMP player fed by a stream's `MediaRelay`. Writes hop to the player's channel; when the
/// player reads too slowly (too many bytes queued), media is skipped up to the next video
/// keyframe instead of being buffered without bound.
final class RTMPRelayPlayer: RelaySubscriber {
    /// Bytes queued towards one player before it is considered too slow.
    static let maxQueuedBytes = 4 << 20

    private struct State {
        var queuedBytes = 0
        var skippingToKeyframe = false
        var dropped = 0
    }

    private let channel: any Channel
    private let streamID: UInt32
    private let state = NIOLockedValueBox(State())

    init(channel: any Channel, streamID: UInt32) {
        self.channel = channel
        self.streamID = streamID
    }

    var droppedMessages: Int { state.withLockedValue { $0.dropped } }

    func relay(_ message: RTMPMessage) {
        let kind = RelayTagKind(message)
        let size = message.payload.readableBytes
        let accept = state.withLockedValue { state -> Bool in
            switch kind {
            case .videoSequenceHeader, .audioSequenceHeader, .metadata:
                break  // always delivered: tiny, and a player cannot decode without them
            case .videoKeyframe where state.skippingToKeyframe && state.queuedBytes < Self.maxQueuedBytes / 2:
                state.skippingToKeyframe = false
            default:
                if state.skippingToKeyframe || state.queuedBytes + size > Self.maxQueuedBytes {
                    state.skippingToKeyframe = true
                    state.dropped += 1
                    return false
                }
            }
            state.queuedBytes += size
            return true
        }
        guard accept else { return }
        var outgoing = message
        outgoing.streamID = streamID
        switch message.type {
        case .audio: outgoing.chunkStreamID = RTMPChunkStreamID.audio
        case .video: outgoing.chunkStreamID = RTMPChunkStreamID.video
        default: outgoing.chunkStreamID = RTMPChunkStreamID.streamCommand
        }
        let promise = channel.eventLoop.makePromise(of: Void.self)
        promise.futureResult.whenComplete { [state] _ in
            state.withLockedValue { $0.queuedBytes -= size }
        }
        channel.writeAndFlush(outgoing, promise: promise)
    }

    func relayPublisherEnded() {
        channel.writeAndFlush(
            RTMPCommandReplies.onStatus(.playUnpublishNotify, streamID: streamID, description: "The publisher left."),
            promise: nil)
        channel.writeAndFlush(
            ProtocolControlMessage.userControl(.streamEOF(streamID: streamID)).message(), promise: nil)
    }

    func relayPublisherStarted() {
        channel.writeAndFlush(
            ProtocolControlMessage.userControl(.streamBegin(streamID: streamID)).message(), promise: nil)
    }
}
