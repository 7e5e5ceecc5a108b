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
    /// `?player=hlsjs|native|videojs|dash` forces an engine. Exposes `window.playerState`.
    static func render(stream: String, configuration: PlayerConfiguration) -> String {
        let settings = jsonObject([
            ("stream", jsonString(stream)),
            ("hls", jsonString("master.m3u8")),
            ("dash", jsonString("manifest.mpd")),
            ("hlsJsURL", jsonString(configuration.hlsJsURL)),
            ("hlsJsModule", configuration.loadsHlsJsAsModule ? "true" : "false"),
            ("videoJsURL", jsonString(configuration.videoJsURL)),
            ("videoJsCSSURL", configuration.effectiveVideoJsCSSURL.map(jsonString) ?? "null"),
            ("dashJsURL", jsonString(configuration.dashJsURL)),
        ])
        let name = htmlEscape(stream)
        return """
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(name) · live</title>
            <style>
            body { font: 15px/1.4 system-ui, sans-serif; margin: 1.5rem auto; max-width: 60rem; padding: 0 1rem; }
            #video { width: 100%; max-width: 960px; aspect-ratio: 16 / 9; background: #000; }
            #panel { display: flex; flex-wrap: wrap; gap: .4rem 1.2rem; margin: .6rem 0; }
            #panel b { font-weight: 600; }
            #error { color: #b00020; }
            code { background: #f2f2f2; padding: 0 .25rem; }
            </style>
            </head>
            <body>
            <h1>\(name)</h1>
            <video id="video" controls autoplay muted playsinline></video>
            <div id="panel">
            <span><b>Engine</b> <span id="engine">-</span></span>
            <span><b>Rendition</b> <span id="rendition">-</span></span>
            <span><b>Resolution</b> <span id="resolution">-</span></span>
            <span><b>Bitrate</b> <span id="bitrate">-</span></span>
            <label><b>Quality</b> <select id="quality"><option value="-1">auto</option></select></label>
            <span id="error"></span>
            </div>
            <p>Player: <a href="?player=native">native</a> · <a href="?player=hlsjs">hls.js</a> ·
            <a href="?player=videojs">Video.js</a> · <a href="?player=dash">dash.js (DASH)</a> · <a href="./">auto</a></p>
            <p>HLS: <a href="master.m3u8"><code>/live/\(name)/master.m3u8</code></a><br>
            DASH: <a href="manifest.mpd"><code>/live/\(name)/manifest.mpd</code></a><br>
            Status: <a href="../../api/streams/\(name)"><code>/api/streams/\(name)</code></a></p>
            <script id="player-config" type="application/json">\(settings)</script>
            <script>
            \(script)
            </script>
            </body>
            </html>

            """
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

    // MARK: Script

    /// The page's player logic. Engines: "native" (<video src>), "hlsjs", "videojs" (VHS with
    /// overrideNative, since Chromium reports native HLS support) and "dash" (dash.js on the MPD).
    static let script = #"""
        (function () {
          'use strict';
          const config = JSON.parse(document.getElementById('player-config').textContent);
          const video = document.getElementById('video');
          const state = {engine: null, currentTime: 0, level: -1, width: 0, height: 0, bitrate: null,
                         rendition: null, levels: [], autoLevel: true, paused: true, error: null};
          window.playerState = state;
          const hlsURL = new URL(config.hls, location.href).href;
          const dashURL = new URL(config.dash, location.href).href;
          const engines = ['native', 'hlsjs', 'videojs', 'dash'];
          const forced = new URLSearchParams(location.search).get('player');
          const engine = engines.includes(forced) ? forced
            : (video.canPlayType('application/vnd.apple.mpegurl') ? 'native' : 'hlsjs');
          state.engine = engine;

          // Engine hooks, replaced by each start function.
          let levels = [];                    // [{index, name, width, height, bitrate}]
          let mediaElement = () => video;
          let currentLevel = () => -1;
          let setLevel = null;                // null: the engine cannot switch manually

          function fail(message) {
            if (!state.error) state.error = String(message);
            document.getElementById('error').textContent = state.error;
          }
          function loadScript(url) {
            return new Promise((resolve, reject) => {
              const script = document.createElement('script');
              script.src = url;
              script.onload = () => resolve();
              script.onerror = () => reject(new Error('could not load ' + url));
              document.head.appendChild(script);
            });
          }
          function loadStyle(url) {
            const link = document.createElement('link');
            link.rel = 'stylesheet';
            link.href = url;
            document.head.appendChild(link);
          }
          function play(element) {
            element.muted = true;
            const promise = element.play();
            if (promise && promise.catch) promise.catch((e) => console.log('play() rejected: ' + e));
          }
          function rungName(uri, height, index) {
            const match = /(?:^|\/)([^\/]+)\/[^\/]*$/.exec(uri || '');
            return match ? match[1] : (height ? height + 'p' : 'level ' + index);
          }

          // RFC 8216 4.3.4.2: variants of a master playlist, for engines that do not expose them.
          function parseMaster(text) {
            const variants = [];
            const lines = text.split(/\r?\n/);
            for (let i = 0; i < lines.length; i++) {
              if (!lines[i].startsWith('#EXT-X-STREAM-INF:')) continue;
              const attributes = {};
              const pattern = /([A-Z0-9-]+)=("[^"]*"|[^,]*)/g;
              let m;
              while ((m = pattern.exec(lines[i].slice(18))) !== null) attributes[m[1]] = m[2].replace(/^"|"$/g, '');
              let uri = '';
              for (let j = i + 1; j < lines.length; j++) {
                if (lines[j] && !lines[j].startsWith('#')) { uri = lines[j].trim(); break; }
              }
              const size = (attributes.RESOLUTION || '').split('x').map(Number);
              variants.push({name: rungName(uri, size[1], variants.length), width: size[0] || 0, height: size[1] || 0,
                             bitrate: Number(attributes.BANDWIDTH) || null});
            }
            // Audio-only variants are not video qualities (hls.js drops them the same way).
            const video = variants.some((v) => v.height) ? variants.filter((v) => v.height) : variants;
            return video.map((v, index) => Object.assign(v, {index: index}));
          }

          async function loadHlsClass() {
            const url = new URL(config.hlsJsURL, location.href).href;
            if (!config.hlsJsModule) {
              await loadScript(url);
              if (!window.Hls) throw new Error('window.Hls missing after loading ' + url);
              return window.Hls;
            }
            const module = await import(url);
            const exported = Object.values(module);
            for (const candidate of [module.default].concat(exported)) {
              if (typeof candidate === 'function' && candidate.Events && typeof candidate.isSupported === 'function') {
                return candidate;
              }
            }
            // Bundler chunks with minified exports: a helper attach(video, url, callback)
            // returns an Hls instance, whose constructor is the class.
            for (const helper of exported) {
              if (typeof helper !== 'function' || helper.length !== 3) continue;
              try {
                const instance = helper(document.createElement('video'), 'data:,', null);
                if (instance && typeof instance.loadSource === 'function') {
                  const Hls = instance.constructor;
                  if (typeof instance.destroy === 'function') instance.destroy();
                  return Hls;
                }
              } catch (e) { /* not the helper */ }
            }
            throw new Error('no Hls class exported by ' + url);
          }

          async function startNative() {
            video.src = hlsURL;
            play(video);
            // The variant in use is not exposed: match the decoded size against the master playlist.
            currentLevel = () => {
              const match = levels.find((l) => l.height === video.videoHeight && (!l.width || l.width === video.videoWidth));
              return match ? match.index : -1;
            };
            const response = await fetch(hlsURL, {cache: 'no-store'});
            if (response.ok) levels = parseMaster(await response.text());
          }

          async function startHlsJs() {
            const Hls = await loadHlsClass();
            if (typeof Hls.isSupported === 'function' && !Hls.isSupported()) throw new Error('hls.js: no MediaSource');
            state.engineVersion = Hls.version || null;
            const hls = new Hls({});
            window.hls = hls;
            hls.on(Hls.Events.ERROR, (event, data) => {
              if (data && data.fatal) fail('hls.js ' + data.type + '/' + data.details);
            });
            hls.on(Hls.Events.MANIFEST_PARSED, () => {
              levels = (hls.levels || []).map((level, index) => ({
                index: index, name: level.name || rungName(level.uri || (level.url || [])[0], level.height, index),
                width: level.width || 0, height: level.height || 0, bitrate: level.bitrate || null}));
              play(video);
            });
            currentLevel = () => hls.currentLevel;
            setLevel = (index) => { hls.currentLevel = index; };
            hls.loadSource(hlsURL);
            hls.attachMedia(video);
          }

          async function startVideoJs() {
            if (config.videoJsCSSURL) loadStyle(new URL(config.videoJsCSSURL, location.href).href);
            await loadScript(new URL(config.videoJsURL, location.href).href);
            video.classList.add('video-js');
            // overrideNative: browsers that report native HLS (Chromium, Safari) would otherwise
            // get the native player instead of VHS. "vhs" is Video.js 7.6+, "hls" older releases.
            const player = window.videojs(video, {
              autoplay: 'muted', muted: true, controls: true, preload: 'auto',
              html5: {vhs: {overrideNative: true}, hls: {overrideNative: true},
                      nativeAudioTracks: false, nativeVideoTracks: false}});
            window.vjsPlayer = player;
            state.engineVersion = window.videojs.VERSION || null;
            player.on('error', () => {
              const e = player.error();
              fail('videojs ' + (e && e.code) + ' ' + (e && e.message));
            });
            const tech = () => player.tech({IWillNotUseThisInPlugins: true});
            const vhs = () => { const t = tech(); return t && (t.vhs || t.hls); };
            const representations = () => { const h = vhs(); return h && h.representations ? h.representations() : []; };
            mediaElement = () => { const t = tech(); return (t && t.el()) || video; };
            currentLevel = () => {
              const h = vhs();
              const media = h && h.playlists && h.playlists.media();
              if (!media) return -1;
              levels = representations().map((r, index) => ({index: index, name: rungName(r.id, r.height, index),
                width: r.width || 0, height: r.height || 0, bitrate: r.bandwidth || null}));
              const bandwidth = media.attributes && media.attributes.BANDWIDTH;
              const match = levels.find((l) => l.bitrate === bandwidth);
              return match ? match.index : -1;
            };
            setLevel = (index) => representations().forEach((r, i) => r.enabled(index < 0 || i === index));
            player.src({src: hlsURL, type: 'application/x-mpegURL'});
            player.muted(true);
            const promise = player.play();
            if (promise && promise.catch) promise.catch((e) => console.log('play() rejected: ' + e));
          }

          async function startDash() {
            await loadScript(new URL(config.dashJsURL, location.href).href);
            const dashjs = window.dashjs;
            const player = dashjs.MediaPlayer().create();
            window.dashPlayer = player;
            state.engineVersion = player.getVersion ? player.getVersion() : null;
            player.on(dashjs.MediaPlayer.events.ERROR, (e) => fail('dash.js ' + JSON.stringify((e && e.error) || e)));
            // dash.js 4 exposes bitrate lists and qualities; dash.js 5 exposes representations.
            const list = () => player.getBitrateInfoListFor ? player.getBitrateInfoListFor('video')
              : (player.getRepresentationsByType ? player.getRepresentationsByType('video') : []);
            currentLevel = () => {
              levels = (list() || []).map((r, index) => ({index: index, name: r.id || rungName('', r.height, index),
                width: r.width || 0, height: r.height || 0, bitrate: r.bitrate || r.bandwidth || null}));
              if (player.getQualityFor) return player.getQualityFor('video');
              const current = player.getCurrentRepresentationForType && player.getCurrentRepresentationForType('video');
              return current ? levels.findIndex((l) => l.name === current.id) : -1;
            };
            setLevel = (index) => {
              player.updateSettings({streaming: {abr: {autoSwitchBitrate: {video: index < 0}}}});
              if (index < 0) return;
              if (player.setQualityFor) player.setQualityFor('video', index);
              else if (player.setRepresentationForTypeByIndex) player.setRepresentationForTypeByIndex('video', index);
            };
            player.initialize(video, dashURL, true);
            video.muted = true;
          }

          function formatBitrate(bits) {
            if (!bits) return '-';
            return bits >= 1e6 ? (bits / 1e6).toFixed(2) + ' Mb/s' : Math.round(bits / 1e3) + ' kb/s';
          }

          const select = document.getElementById('quality');
          let shownLevels = '';
          select.addEventListener('change', () => {
            const index = Number(select.value);
            state.autoLevel = index < 0;
            if (setLevel) setLevel(index);
          });

          function refresh() {
            try {
              const media = mediaElement();
              state.currentTime = media.currentTime;
              state.width = media.videoWidth;
              state.height = media.videoHeight;
              state.paused = media.paused;
              state.level = currentLevel();
              const level = levels[state.level] || null;
              state.rendition = level ? level.name : null;
              state.bitrate = level ? level.bitrate : null;
              state.levels = levels;
              if (media.error) fail('MediaError ' + media.error.code + ' ' + (media.error.message || ''));
            } catch (e) {
              console.log('refresh: ' + e);
            }
            document.getElementById('engine').textContent = state.engine + (state.engineVersion ? ' ' + state.engineVersion : '');
            document.getElementById('rendition').textContent = state.rendition || '-';
            document.getElementById('resolution').textContent = state.height ? state.width + 'x' + state.height : '-';
            document.getElementById('bitrate').textContent = formatBitrate(state.bitrate);
            const signature = JSON.stringify(levels.map((l) => [l.name, l.bitrate]));
            if (signature !== shownLevels) {
              shownLevels = signature;
              select.length = 1;
              for (const level of levels) {
                const option = document.createElement('option');
                option.value = String(level.index);
                option.textContent = level.name + ' · ' + (level.height ? level.width + 'x' + level.height + ' · ' : '')
                  + formatBitrate(level.bitrate);
                select.appendChild(option);
              }
              select.value = state.autoLevel ? '-1' : select.value;
            }
            select.disabled = setLevel === null;
          }

          const starters = {native: startNative, hlsjs: startHlsJs, videojs: startVideoJs, dash: startDash};
          starters[engine]().catch((e) => fail(engine + ': ' + (e && e.message ? e.message : e)));
          setInterval(refresh, 500);
          refresh();
        })();
        """#
}
