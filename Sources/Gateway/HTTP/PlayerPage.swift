import Ladder

/// Where the player page loads its JavaScript players from (CLI `--hls-js-url`,
/// `--videojs-url`, `--dash-js-url`). Defaults are public CDNs.
struct PlayerConfiguration: Sendable, Equatable {
    static let defaultHlsJsURL = "https://cdn.jsdelivr.net/npm/hls.js@1/dist/hls.min.js"
    static let defaultVideoJsURL = "https://cdn.jsdelivr.net/npm/video.js@8/dist/video.min.js"
    static let defaultVideoJsCSSURL = "https://cdn.jsdelivr.net/npm/video.js@8/dist/video-js.min.css"
    static let defaultDashJsURL = "https://cdn.jsdelivr.net/npm/dashjs@4/dist/dash.all.min.js"

    var hlsJsURL: String
    /// True: `hlsJsURL` is an ES module (e.g. a bundler chunk); false: a classic script that
    /// defines `window.Hls`; nil: a module exactly when the URL's path ends in ".mjs".
    var hlsJsModule: Bool?
    var videoJsURL: String
    /// Video.js' stylesheet; nil uses the CDN one only when `videoJsURL` is the CDN default.
    var videoJsCSSURL: String?
    var dashJsURL: String

    init(
        hlsJsURL: String = defaultHlsJsURL, hlsJsModule: Bool? = nil, videoJsURL: String = defaultVideoJsURL,
        videoJsCSSURL: String? = nil, dashJsURL: String = defaultDashJsURL
    ) {
        self.hlsJsURL = hlsJsURL
        self.hlsJsModule = hlsJsModule
        self.videoJsURL = videoJsURL
        self.videoJsCSSURL = videoJsCSSURL
        self.dashJsURL = dashJsURL
    }

    var loadsHlsJsAsModule: Bool {
        if let hlsJsModule { return hlsJsModule }
        let path = hlsJsURL.prefix { $0 != "?" && $0 != "#" }
        return path.lowercased().hasSuffix(".mjs")
    }

    var effectiveVideoJsCSSURL: String? {
        videoJsCSSURL ?? (videoJsURL == Self.defaultVideoJsURL ? Self.defaultVideoJsCSSURL : nil)
    }
}

/// The HTML pages of the origin: the per-stream player and the index of live streams.
enum PlayerPage {
    /// `/live/NAME/`: plays `master.m3u8` natively where the browser can, otherwise with hls.js;
    /// `?player=hlsjs|native|videojs|dash` forces an engine. Exposes `window.playerState`. The
    /// page and its script are resources (`PlayerPageTemplate`); throws when those are missing.
    static func render(
        stream: String, configuration: PlayerConfiguration,
        template: Result<PlayerPageTemplate, PlayerPageResourceError> = PlayerPageResources.template
    ) throws(PlayerPageResourceError) -> String {
        let settings = jsonObject([
            ("stream", jsonString(stream)),
            ("hls", jsonString(PackagerConfig.Naming.standard.masterPlaylist)),
            ("dash", jsonString(PackagerConfig.Naming.standard.manifest)),
            ("hlsJsURL", jsonString(configuration.hlsJsURL)),
            ("hlsJsModule", configuration.loadsHlsJsAsModule ? "true" : "false"),
            ("videoJsURL", jsonString(configuration.videoJsURL)),
            ("videoJsCSSURL", configuration.effectiveVideoJsCSSURL.map(jsonString) ?? "null"),
            ("dashJsURL", jsonString(configuration.dashJsURL)),
        ])
        return try template.get().render(streamName: htmlEscape(stream), configuration: settings)
    }

    /// `/`: the streams being published, with links to their player, HLS and DASH URLs.
    static func renderIndex(streams: [String]) -> String {
        let items = streams.sorted().map { stream -> String in
            let name = htmlEscape(stream)
            return "<li><a href=\"live/\(name)/\">\(name)</a> · <a href=\"live/\(name)/master.m3u8\">HLS</a>"
                + " · <a href=\"live/\(name)/manifest.mpd\">DASH</a></li>"
        }
        let list = items.isEmpty ? "<p>No live streams.</p>" : "<ul>\n\(items.joined(separator: "\n"))\n</ul>"
        return """
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>Live streams</title>
            <style>body { font: 15px/1.4 system-ui, sans-serif; margin: 1.5rem auto; max-width: 60rem; padding: 0 1rem; }</style>
            </head>
            <body>
            <h1>Live streams</h1>
            \(list)
            <p><a href="api/streams">/api/streams</a> · <a href="metrics">/metrics</a> · <a href="healthz">/healthz</a></p>
            </body>
            </html>

            """
    }

    // MARK: Escaping

    static func htmlEscape(_ text: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count)
        for character in text.unicodeScalars {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            default: escaped.unicodeScalars.append(character)
            }
        }
        return escaped
    }

    /// A JSON string literal (RFC 8259 7) that is also safe inside an HTML <script> element:
    /// "<", ">" and "&" are written as \u escapes so "</script>" cannot appear.
    static func jsonString(_ text: String) -> String {
        var escaped = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": escaped += "\\\""
            case "\\": escaped += "\\\\"
            case "\n": escaped += "\\n"
            case "\r": escaped += "\\r"
            case "\t": escaped += "\\t"
            case "<", ">", "&", "\u{2028}", "\u{2029}":
                escaped += unicodeEscape(scalar)
            default:
                if scalar.value < 0x20 {
                    escaped += unicodeEscape(scalar)
                } else {
                    escaped.unicodeScalars.append(scalar)
                }
            }
        }
        return escaped + "\""
    }

    private static func unicodeEscape(_ scalar: Unicode.Scalar) -> String {
        let hex = String(scalar.value, radix: 16)
        return "\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
    }

    private static func jsonObject(_ members: [(String, String)]) -> String {
        "{" + members.map { "\(jsonString($0.0)): \($0.1)" }.joined(separator: ", ") + "}"
    }
}
