import NIOConcurrencyHelpers
import NIOCore
import RTMPWire

/// A player attached to a live stream (an RTMP `play` session).
protocol RelaySubscriber: AnyObject, Sendable {
    /// Called on the publisher's event loop; must not block (hop to the player's own loop).
    func relay(_ message: RTMPMessage)
    /// The publisher left; the subscriber stays attached and gets the next publish.
    func relayPublisherEnded()
    /// A publisher started (again); sequence headers follow.
    func relayPublisherStarted()
}

/// What an FLV audio/video tag body is, from its first bytes only (FLV spec E.4.2, E.4.3;
/// Enhanced RTMP: bit 7 of the video byte marks the extended header).
enum RelayTagKind: Equatable {
    case videoSequenceHeader
    case videoKeyframe
    case videoInterframe
    case audioSequenceHeader
    case audioFrame
    case metadata
    case other

    init(_ message: RTMPMessage) {
        let body = message.payload
        switch message.type {
        case .video:
            guard let first = body.getInteger(at: body.readerIndex, as: UInt8.self) else {
                self = .other
                return
            }
            let frameType = (first >> 4) & 0x07
            if first & 0x80 != 0 {
                // E-RTMP: low 4 bits are the packet type; 0 = SequenceStart.
                let packetType = first & 0x0F
                if packetType == 0 {
                    self = .videoSequenceHeader
                } else if packetType == 1 || packetType == 3 {
                    self = frameType == 1 ? .videoKeyframe : .videoInterframe
                } else {
                    self = .other
                }
            } else {
                let isSequenceHeader =
                    (first & 0x0F) == 7 && body.getInteger(at: body.readerIndex + 1, as: UInt8.self) == 0
                if isSequenceHeader {
                    self = .videoSequenceHeader
                } else {
                    self = frameType == 1 ? .videoKeyframe : .videoInterframe
                }
            }
        case .audio:
            guard let first = body.getInteger(at: body.readerIndex, as: UInt8.self) else {
                self = .other
                return
            }
            let isAAC = first >> 4 == 10
            if isAAC && body.getInteger(at: body.readerIndex + 1, as: UInt8.self) == 0 {
                self = .audioSequenceHeader
            } else {
                self = .audioFrame
            }
        case .dataAMF0, .dataAMF3:
            self = .metadata
        default:
            self = .other
        }
    }
}

/// Fans the publisher's messages out to RTMP players. Keeps the sequence headers, metadata and a
/// GOP cache (everything since the last video keyframe) so that a new player starts decodable.
final class MediaRelay: Sendable {
    /// The GOP cache is bounded; past this it is dropped until the next keyframe.
    static let maxGOPCacheBytes = 16 << 20

    private struct State {
        var subscribers: [ObjectIdentifier: any RelaySubscriber] = [:]
        var metadata: RTMPMessage?
        var videoHeader: RTMPMessage?
        var audioHeader: RTMPMessage?
        var gop: [RTMPMessage] = []
        var gopBytes = 0
        var gopOverflowed = false
    }

    private let state = NIOLockedValueBox(State())

    var subscriberCount: Int { state.withLockedValue { $0.subscribers.count } }

    /// Attaches a player and replays the headers and the GOP cache to it.
    func subscribe(_ subscriber: any RelaySubscriber) {
        let replay: [RTMPMessage] = state.withLockedValue { state in
            state.subscribers[ObjectIdentifier(subscriber)] = subscriber
            return [state.metadata, state.videoHeader, state.audioHeader].compactMap { $0 } + state.gop
        }
        for message in replay { subscriber.relay(message) }
    }

    func unsubscribe(_ subscriber: any RelaySubscriber) {
        _ = state.withLockedValue { $0.subscribers.removeValue(forKey: ObjectIdentifier(subscriber)) }
    }

    func publisherStarted() {
        let subscribers = state.withLockedValue { state in
            state.metadata = nil
            state.videoHeader = nil
            state.audioHeader = nil
            state.gop = []
            state.gopBytes = 0
            return Array(state.subscribers.values)
        }
        for subscriber in subscribers { subscriber.relayPublisherStarted() }
    }

    func publisherEnded() {
        let subscribers = state.withLockedValue { state in
            state.gop = []
            state.gopBytes = 0
            return Array(state.subscribers.values)
        }
        for subscriber in subscribers { subscriber.relayPublisherEnded() }
    }

    /// A message from the publisher (audio, video or data).
    func publish(_ message: RTMPMessage) {
        let kind = RelayTagKind(message)
        let subscribers: [any RelaySubscriber] = state.withLockedValue { state in
            switch kind {
            case .videoSequenceHeader:
                state.videoHeader = message
                state.gop = []
                state.gopBytes = 0
            case .audioSequenceHeader:
                state.audioHeader = message
            case .metadata:
                state.metadata = message
            case .videoKeyframe:
                state.gop = [message]
                state.gopBytes = message.payload.readableBytes
                state.gopOverflowed = false
            case .videoInterframe, .audioFrame:
                if !state.gop.isEmpty && !state.gopOverflowed {
                    state.gopBytes += message.payload.readableBytes
                    if state.gopBytes > Self.maxGOPCacheBytes {
                        state.gop = []
                        state.gopBytes = 0
                        state.gopOverflowed = true
                    } else {
                        state.gop.append(message)
                    }
                }
            case .other:
                break
            }
            return state.subscribers.isEmpty ? [] : Array(state.subscribers.values)
        }
        for subscriber in subscribers { subscriber.relay(message) }
    }
}
