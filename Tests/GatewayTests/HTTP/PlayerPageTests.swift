import Foundation
import Ladder
import RTMPTestSupport
import RTMPWire
import Testing

@testable import Gateway

@Suite struct PlayerPageTests {
    @Test func defaultsUseCDNsAndDetectModules() {
        let defaults = PlayerConfiguration()
        #expect(defaults.hlsJsURL.hasPrefix("https://"))
        #expect(!defaults.loadsHlsJsAsModule)
        #expect(defaults.effectiveVideoJsCSSURL == PlayerConfiguration.defaultVideoJsCSSURL)
        #expect(PlayerConfiguration(hlsJsURL: "/assets/hls-gradio.mjs?v=1").loadsHlsJsAsModule)
        #expect(!PlayerConfiguration(hlsJsURL: "/assets/hls.mjs", hlsJsModule: false).loadsHlsJsAsModule)
        #expect(PlayerConfiguration(hlsJsURL: "/assets/hls.js", hlsJsModule: true).loadsHlsJsAsModule)
        #expect(PlayerConfiguration(videoJsURL: "/assets/video.js").effectiveVideoJsCSSURL == nil)
    }

    @Test func playerPageCarriesConfiguredURLsAndEngines() {
        let configuration = PlayerConfiguration(
            hlsJsURL: "http://127.0.0.1:9000/hlsjs/hls-gradio.mjs",
            videoJsURL: "http://127.0.0.1:9000/videojs/video.js",
            videoJsCSSURL: "http://127.0.0.1:9000/videojs/video-js.css",
            dashJsURL: "http://127.0.0.1:9000/dash.all.min.js")
        let page = PlayerPage.render(stream: "cam1", configuration: configuration)
        #expect(page.contains("\"hlsJsURL\": \"http://127.0.0.1:9000/hlsjs/hls-gradio.mjs\""))
        #expect(page.contains("\"hlsJsModule\": true"))
        #expect(page.contains("\"videoJsURL\": \"http://127.0.0.1:9000/videojs/video.js\""))
        #expect(page.contains("\"videoJsCSSURL\": \"http://127.0.0.1:9000/videojs/video-js.css\""))
        #expect(page.contains("\"dashJsURL\": \"http://127.0.0.1:9000/dash.all.min.js\""))
        #expect(page.contains("\"hls\": \"master.m3u8\""))
        #expect(page.contains("/live/cam1/master.m3u8"))
        #expect(page.contains("/live/cam1/manifest.mpd"))
        #expect(page.contains("<video id=\"video\""))
        #expect(page.contains("canPlayType('application/vnd.apple.mpegurl')"))
        #expect(page.contains("window.playerState = state"))
        #expect(page.contains("overrideNative: true"))
        #expect(page.contains("nativeAudioTracks: false, nativeVideoTracks: false"))
        for engine in ["native", "hlsjs", "videojs", "dash"] {
            #expect(page.contains("?player=\(engine)"))
        }
    }

    @Test func configuredURLsCannotBreakOutOfTheScript() {
        let hostile = PlayerConfiguration(hlsJsURL: "x</script><script>alert(1)</script>\"")
        let page = PlayerPage.render(stream: "cam1", configuration: hostile)
        #expect(!page.contains("</script><script>alert"))
        #expect(page.contains("x\\u003c/script\\u003e\\u003cscript\\u003ealert(1)\\u003c/script\\u003e\\\""))
    }

    @Test func indexListsStreamsSorted() throws {
        let page = PlayerPage.renderIndex(streams: ["zeta", "alpha"])
        let alpha = try #require(page.range(of: "href=\"live/alpha/\""))
        let zeta = try #require(page.range(of: "href=\"live/zeta/\""))
        #expect(alpha.lowerBound < zeta.lowerBound)
        #expect(page.contains("live/alpha/master.m3u8"))
        #expect(page.contains("live/zeta/manifest.mpd"))
        #expect(PlayerPage.renderIndex(streams: []).contains("No live streams."))
    }

    @Test func escapesHTML() {
        #expect(PlayerPage.htmlEscape("<a href=\"x\">&'") == "&lt;a href=&quot;x&quot;&gt;&amp;&#39;")
        #expect(PlayerPage.jsonString("a\"b\\c\n\u{1}") == "\"a\\\"b\\\\c\\n\\u0001\"")
    }
}
