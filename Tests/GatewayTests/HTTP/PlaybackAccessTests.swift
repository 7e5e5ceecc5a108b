import Foundation
import GatewayAccess
import Logging
import Testing

@testable import Gateway

@Suite struct PlaybackAccessTests {
    let keys = PlaybackKeys([(id: "k1", secret: "secret-0123456789abcdef")])

    @Test(
        arguments: [
            ("/live/cam1/t/TOK/master.m3u8", "/live/cam1/master.m3u8", "TOK"),
            ("/live/cam1/t/TOK/720p/seg-4.m4s", "/live/cam1/720p/seg-4.m4s", "TOK"),
            ("/live/cam1/t/TOK/", "/live/cam1/", "TOK"),
            ("/live/cam1/t/TOK", "/live/cam1", "TOK"),
            ("/live/cam1/master.m3u8", "/live/cam1/master.m3u8", nil),
            ("/live/cam1/t//master.m3u8", "/live/cam1/t//master.m3u8", nil),
            ("/live/cam1/tt/x/master.m3u8", "/live/cam1/tt/x/master.m3u8", nil),
            ("/vod/cam1/t/TOK/master.m3u8", "/vod/cam1/t/TOK/master.m3u8", nil),
            ("/vod/cam1/rec1/t/TOK/360p/seg-1.m4s", "/vod/cam1/rec1/360p/seg-1.m4s", "TOK"),
            ("/vod/cam1/rec1/t/TOK/master.m3u8", "/vod/cam1/rec1/master.m3u8", "TOK"),
            ("/vod/cam1/rec1/master.m3u8", "/vod/cam1/rec1/master.m3u8", nil),
            ("/vod/cam1", "/vod/cam1", nil),
            ("/live/cam1", "/live/cam1", nil),
        ] as [(String, String, String?)])
    func theTokenSegmentIsSplitOff(raw: String, path: String, token: String?) {
        let split = PlaybackTokenPath.split(raw)
        #expect(split.path == path && split.token.map(String.init) == token)
    }

    @Test func aReloadDropsTokensOfARemovedKeyEvenWhenCached() throws {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let access = PlaybackAccess(keys: keys, requiresToken: { _ in true }, trustForwardedFor: false, logger: logger)
        let old = Substring(try PlaybackSigner(keys: keys).sign(.init(stream: "cam1")).get().token)
        #expect(access.refusal(stream: "cam1", token: old, peer: nil, forwardedFor: nil) == nil)  // now cached
        let rotated = PlaybackKeys([(id: "k2", secret: "secret-fedcba9876543210")])
        access.reload(rotated)
        #expect(access.refusal(stream: "cam1", token: old, peer: nil, forwardedFor: nil) == .unknownKey)
        let new = Substring(try PlaybackSigner(keys: access.keys).sign(.init(stream: "cam1")).get().token)
        #expect(access.refusal(stream: "cam1", token: new, peer: nil, forwardedFor: nil) == nil)
    }

    @Test func checksOnlyProtectedStreamsAndTheClientAddress() throws {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let access = PlaybackAccess(
            keys: keys, requiresToken: { $0 != "open" }, trustForwardedFor: true, logger: logger)
        let signer = PlaybackSigner(keys: keys)
        let answer = try signer.sign(.init(stream: "cam1", ttlSeconds: 60, ip: "203.0.113.0/24")).get()
        #expect(answer.master == "/live/cam1/t/\(answer.token)/master.m3u8")
        let token = Substring(answer.token)
        #expect(access.refusal(stream: "open", token: nil, peer: nil, forwardedFor: nil) == nil)
        #expect(access.refusal(stream: "cam1", token: nil, peer: nil, forwardedFor: nil) == .missing)
        #expect(access.refusal(stream: "cam1", token: token, peer: "203.0.113.9", forwardedFor: nil) == nil)
        #expect(
            access.refusal(stream: "cam1", token: token, peer: "10.0.0.1", forwardedFor: "203.0.113.9, 10.0.0.1") == nil
        )
        #expect(access.refusal(stream: "cam1", token: token, peer: "203.0.113.9", forwardedFor: "198.51.100.1") == .ip)
        #expect(access.refusal(stream: "cam2", token: token, peer: "203.0.113.9", forwardedFor: nil) == .wrongStream)
        #expect(
            access.refusal(stream: "cam1", token: token, peer: "203.0.113.9", forwardedFor: nil, now: Date() + 61)
                == .expired)
    }

    @Test func theSignerRefusesWhatItCannotGrant() {
        let signer = PlaybackSigner(keys: keys)
        for request in [
            PlaybackSigner.Request(stream: "bad name"), .init(stream: "a", ttlSeconds: 0),
            .init(stream: "a", ttlSeconds: 400 * 86400), .init(stream: "a", ip: "10.0.0.0/40"),
            .init(stream: "a", viewer: String(repeating: "v", count: 200)),
        ] {
            #expect((try? signer.sign(request).get()) == nil, "\(request)")
        }
        #expect((try? PlaybackSigner(keys: PlaybackKeys([])).sign(.init(stream: "a")).get()) == nil)
    }

    @Test func theLogLimiterLetsOneLinePerIntervalThrough() {
        var limiter = LogRateLimiter(interval: .seconds(10))
        let start = ContinuousClock.now
        #expect(limiter.record(at: start) == (true, 0))
        for second in 1...9 { #expect(limiter.record(at: start + .seconds(second)).log == false) }
        #expect(limiter.record(at: start + .seconds(10)) == (true, 9))
        #expect(limiter.record(at: start + .seconds(11)).log == false)
    }
}
