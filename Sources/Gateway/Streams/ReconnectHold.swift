import Dispatch
import Ladder
import Logging
import NIOConcurrencyHelpers

/// Keeps a stream live for `grace` after its publisher vanished: the old transcoder runs a
/// slate (the last picture, with silence) so segments keep coming, and the stream ends when the
/// grace is over unless the publisher came back (a new publish attached to the same packager).
struct ReconnectHold: Sendable {
    let stream: String
    let packager: StreamPackager
    let publish: PackagerPublish
    let grace: Duration
    let slates: SlateRegistry
    let slateEnabled: Bool
    let logger: Logger

    func begin(_ transcoder: StreamTranscoder) {
        guard slates.add(transcoder, stream: stream) else {
            transcoder.finish(completion: {})  // shutting down: the stream ends now
            return
        }
        publish.markVanished()
        logger.info(
            "publisher vanished; stream stays live for a reconnect\(slateEnabled ? ", on a slate" : "")",
            metadata: ["reconnect_grace_seconds": "\(grace.components.seconds)"])
        let started = ContinuousClock.now
        transcoder.finish(slate: slateEnabled ? grace : .zero) { [self] in
            slates.remove(transcoder, stream: stream)
            let slateSeconds = transcoder.stats.slateSeconds
            GatewayMetrics.slate(stream: stream, seconds: slateSeconds)
            // Without a picture there was no slate: the rest of the grace is waited out.
            let remaining = grace - started.duration(to: .now)
            if remaining > .milliseconds(200) {
                DispatchQueue.global().asyncAfter(deadline: .now() + remaining / .seconds(1)) { expire() }
            } else {
                expire()
            }
        }
    }

    /// Ends the stream unless the publisher came back.
    private func expire() {
        guard packager.isAwaitingReconnect else { return }
        packager.expire(publish: publish.id)
        if !packager.isAwaitingReconnect {
            logger.info("reconnect grace over; stream ended")
        }
    }
}

/// The transcoders running a slate, by stream: a new publish of the stream stops its slate.
final class SlateRegistry: Sendable {
    private struct State {
        var running: [String: [ObjectIdentifier: StreamTranscoder]] = [:]
        var closed = false
    }

    private let state = NIOLockedValueBox(State())

    /// False once `stopAll()` ran: no new slate during a shutdown.
    func add(_ transcoder: StreamTranscoder, stream: String) -> Bool {
        state.withLockedValue { state in
            guard !state.closed else { return false }
            state.running[stream, default: [:]][ObjectIdentifier(transcoder)] = transcoder
            return true
        }
    }

    func remove(_ transcoder: StreamTranscoder, stream: String) {
        state.withLockedValue { state in
            state.running[stream]?[ObjectIdentifier(transcoder)] = nil
            if state.running[stream]?.isEmpty == true { state.running[stream] = nil }
        }
    }

    /// A slate runs for `stream` (its publisher vanished and may come back).
    func isRunning(stream: String) -> Bool {
        state.withLockedValue { $0.running[stream] != nil }
    }

    func stop(stream: String) {
        for transcoder in state.withLockedValue({ $0.running[stream].map { Array($0.values) } ?? [] }) {
            transcoder.stopSlate()
        }
    }

    /// Stops every slate and refuses new ones (graceful shutdown).
    func stopAll() {
        let all = state.withLockedValue { state in
            state.closed = true
            return state.running.values.flatMap(\.values)
        }
        for transcoder in all { transcoder.stopSlate() }
    }
}
