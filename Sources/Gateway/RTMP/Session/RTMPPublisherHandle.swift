import NIOConcurrencyHelpers
import NIOCore

/// How other sessions and the registry reach a publishing session (from any thread).
final class RTMPPublisherHandle: Publisher {
    let channel: any Channel
    let remoteAddress: String
    private let malformed = NIOLockedValueBox(0)
    private let refusedAudio = NIOLockedValueBox<String?>(nil)

    var ingestErrors: Int { malformed.withLockedValue { $0 } }

    var unsupportedAudio: String? { refusedAudio.withLockedValue { $0 } }

    /// Notes the publisher's audio codec as not ingested; true the first time (to log it once).
    func refuseAudio(_ codec: String) -> Bool {
        refusedAudio.withLockedValue { current in
            defer { current = codec }
            return current != codec
        }
    }

    /// Counts a media message dropped as malformed; returns the new count.
    func countIngestError() -> Int {
        malformed.withLockedValue { count in
            count += 1
            return count
        }
    }

    init(channel: any Channel, remoteAddress: String) {
        self.channel = channel
        self.remoteAddress = remoteAddress
    }

    /// Asks the session to close, on its own event loop (a takeover or shutdown).
    func disconnect(reason: String) {
        channel.pipeline.fireUserInboundEventTriggered(RTMPSessionCloseRequest(reason: reason))
    }
}
