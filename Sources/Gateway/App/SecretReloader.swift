import GatewayAccess
import Logging
import ServiceLifecycle
import UnixSignals

/// SIGHUP reads `playback.secret_file` again: a key is rotated without a restart (add the new
/// key first, sign with it, remove the old one once its tokens have expired). A file that does
/// not check keeps the secrets in use, and says why.
struct SecretReloader: Service {
    let config: GatewayConfig
    let access: PlaybackAccess
    let logger: Logger

    func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        for await _ in signals.cancelOnGracefulShutdown() {
            reload()
        }
    }

    func reload() {
        var fresh = config
        let issues = GatewayConfigLoader.loadPlaybackSecrets(&fresh)
        guard issues.isEmpty, let secrets = fresh.playback?.secrets, !secrets.isEmpty else {
            let why = issues.map(\.description).joined(separator: "; ")
            logger.error("SIGHUP: playback secrets not reloaded, the ones in use stay: \(why)")
            return
        }
        access.reload(PlaybackKeys(secrets.map { (id: $0.id, secret: $0.secret) }))
        logger.notice(
            "SIGHUP: playback secrets reloaded",
            metadata: [
                "keys": "\(secrets.map(\.id).joined(separator: ","))", "signing_key": "\(secrets[0].id)",
            ])
    }
}
