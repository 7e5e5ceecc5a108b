import Foundation
import GatewayAccess
import Ladder

/// Makes signed playback URLs: `gateway sign` and `POST /api/tokens` (one code path).
struct PlaybackSigner: Sendable {
    struct Request: Codable, Sendable {
        var stream: String
        var ttlSeconds: Int?
        var ip: String?
        var viewer: String?
        /// Seconds from now before which the token is not valid yet.
        var notBeforeSeconds: Int?
        /// A recording of the stream (its ID): the URL is its VOD, `/vod/NAME/ID/t/TOKEN/`.
        var recording: String?
    }

    struct Answer: Codable, Sendable, Equatable {
        var token: String
        var expires: Int64
        /// Relative to the origin (or an edge): `/live/NAME/t/TOKEN/` (`/vod/NAME/ID/t/TOKEN/`).
        var path: String
        var master: String
        var manifest: String
    }

    static let maxTTLSeconds = 366 * 86400
    static let defaultTTLSeconds = 3600

    let keys: PlaybackKeys

    func sign(_ request: Request, now: Date = Date()) -> Result<Answer, SignError> {
        guard StreamName.isValid(request.stream) else { return .failure(.init("invalid stream name")) }
        let ttl = request.ttlSeconds ?? Self.defaultTTLSeconds
        guard (1...Self.maxTTLSeconds).contains(ttl) else {
            return .failure(.init("ttl must be 1 to \(Self.maxTTLSeconds) seconds"))
        }
        if let notBefore = request.notBeforeSeconds, notBefore < 0 || notBefore >= ttl {
            return .failure(.init("not_before_seconds must be at least 0 and below ttl_seconds"))
        }
        if let ip = request.ip, IPPrefix(ip) == nil {
            return .failure(.init("ip must be an address or a prefix such as 203.0.113.0/24"))
        }
        if let recording = request.recording, !StreamName.isValid(recording) {
            return .failure(.init("recording must be a recording ID"))
        }
        if let viewer = request.viewer, viewer.isEmpty || viewer.utf8.count > 128 {
            return .failure(.init("viewer must be 1 to 128 characters"))
        }
        guard let keyID = keys.signingKeyID else { return .failure(.init("no playback secret")) }
        let nowSeconds = Int64(now.timeIntervalSince1970)
        let claims = PlaybackClaims(
            keyID: keyID, stream: request.stream, expires: nowSeconds + Int64(ttl),
            notBefore: request.notBeforeSeconds.map { nowSeconds + Int64($0) }, clientPrefix: request.ip,
            viewer: request.viewer)
        guard let token = PlaybackToken.sign(claims, keys: keys) else { return .failure(.init("cannot sign")) }
        let base = request.recording.map { "/vod/\(request.stream)/\($0)" } ?? "/live/\(request.stream)"
        let path = "\(base)/\(PlaybackTokenPath.marker)/\(token)/"
        return .success(
            Answer(
                token: token, expires: claims.expires, path: path, master: path + "master.m3u8",
                manifest: path + "manifest.mpd"))
    }

    struct SignError: Error, Sendable, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }
}
