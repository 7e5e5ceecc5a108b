import Foundation
import Hummingbird
import HummingbirdTesting
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

    @Test func playerPageCarriesConfiguredURLsAndEngines() throws {
        let configuration = PlayerConfiguration(
            hlsJsURL: "http://127.0.0.1:9000/hlsjs/hls-gradio.mjs",
            videoJsURL: "http://127.0.0.1:9000/videojs/video.js",
            videoJsCSSURL: "http://127.0.0.1:9000/videojs/video-js.css",
            dashJsURL: "http://127.0.0.1:9000/dash.all.min.js")
        let page = try PlayerPage.render(stream: "cam1", configuration: configuration)
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

    @Test func configuredURLsCannotBreakOutOfTheScript() throws {
        let hostile = PlayerConfiguration(hlsJsURL: "x</script><script>alert(1)</script>\"")
        let page = try PlayerPage.render(stream: "cam1", configuration: hostile)
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

    // MARK: Resources

    @Test func resourcesLoadFromTheBundleNextToTheBinary() throws {
        let template = try PlayerPageResources.template.get()
        #expect(template.parts.filter { $0 == .configuration }.count == 1)
        #expect(template.parts.filter { $0 == .streamName }.count == 6)
        let page = try PlayerPage.render(stream: "cam1", configuration: PlayerConfiguration())
        #expect(page.hasPrefix("<!doctype html>\n"))
        #expect(page.hasSuffix("})();\n</script>\n</body>\n</html>\n"))
        #expect(!page.contains("{{"))
    }

    @Test func insertedTextIsNeverScannedForPlaceholders() throws {
        let template = try PlayerPageTemplate(
            html: "<h1>{{name}}</h1><script>{{config}}</script><script>\n{{script}}\n</script>", script: "go({});\n\n")
        #expect(
            template.render(streamName: "{{config}}", configuration: "{\"a\": \"{{name}}\"}")
                == "<h1>{{config}}</h1><script>{\"a\": \"{{name}}\"}</script><script>\ngo({});\n</script>")
        #expect(
            try PlayerPage.render(stream: "a{{name}}", configuration: PlayerConfiguration()).contains(
                "<h1>a{{name}}</h1>"))
    }

    @Test(arguments: [
        ("{{config}}{{script}}{{other}}", "x", "unknown placeholder {{other}}"),
        ("{{config}}{{script}}{{name", "x", "unclosed \"{{\""),
        ("{{script}}", "x", "needs exactly one {{config}} and one {{script}}"),
        ("{{config}}{{config}}{{script}}", "x", "needs exactly one {{config}} and one {{script}}"),
        ("{{config}}{{script}}", "a('</SCRIPT>')", "player.js contains \"</script\" or \"<!--\""),
        ("{{config}}{{script}}", "a('<!--')", "player.js contains \"</script\" or \"<!--\""),
    ])
    func invalidTemplatesAreRefused(html: String, script: String, reason: String) {
        #expect(throws: PlayerPageResourceError.invalidTemplate(reason)) {
            try PlayerPageTemplate(html: html, script: script)
        }
    }

    @Test func aBundleWithoutTheFilesIsAnError() throws {
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("player-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: empty) }
        let bundle = try #require(Bundle(url: empty))
        #expect(PlayerPageResources.load(from: bundle) == .failure(.fileNotFound("player.html")))
    }

    @Test func missingResourcesGive500WithTheReason() async throws {
        let missing = PlayerPageResourceError.bundleNotFound(path: "/opt/gateway/swift-live-ladder_Gateway.resources")
        let responder = OriginResponder.fixture(settings: OriginSettings(playerTemplate: .failure(missing)))
        try await Application(responder: responder).test(.router) { client in
            let page = try await client.execute(uri: "/live/cam1/", method: .get)
            #expect(page.status == .internalServerError)
            #expect(page.headers[.contentType] == "text/plain; charset=utf-8")
            #expect(String(buffer: page.body) == "\(missing)\n")
            #expect(String(buffer: page.body).contains("/opt/gateway/swift-live-ladder_Gateway.resources"))
            let index = try await client.execute(uri: "/", method: .get)
            #expect(index.status == .ok, "the index page needs no resources")
        }
    }

    @Test func escapesHTML() {
        #expect(PlayerPage.htmlEscape("<a href=\"x\">&'") == "&lt;a href=&quot;x&quot;&gt;&amp;&#39;")
        #expect(PlayerPage.jsonString("a\"b\\c\n\u{1}") == "\"a\\\"b\\\\c\\n\\u0001\"")
    }
}
