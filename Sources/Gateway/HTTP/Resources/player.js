(function () {
  'use strict';
  const config = JSON.parse(document.getElementById('player-config').textContent);
  const video = document.getElementById('video');
  const state = {engine: null, currentTime: 0, level: -1, width: 0, height: 0, bitrate: null,
                 rendition: null, levels: [], autoLevel: true, paused: true, error: null, latency: null};
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
  // Seconds behind the live edge as the engine measures it (from EXT-X-PROGRAM-DATE-TIME, i.e.
  // since the gateway received the frame), or null.
  let latency = () => {
    const start = video.getStartDate ? video.getStartDate().getTime() : NaN;
    return Number.isFinite(start) ? (Date.now() - start) / 1000 - video.currentTime : null;
  };

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
    // LL-HLS when the playlists have parts (lowLatencyMode). hls.js's own catch-up is off
    // (maxLiveSyncPlaybackRate 1): it only acts with more than 1 s buffered, so it never brings
    // an LL player closer than about 1 s; catchUp() below does.
    const hls = new Hls({lowLatencyMode: true, maxLiveSyncPlaybackRate: 1, backBufferLength: 30});
    window.hls = hls;
    catchUp(hls);
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
    latency = () => (Number.isFinite(hls.latency) && hls.latency > 0 ? hls.latency : null);
    hls.loadSource(hlsURL);
    hls.attachMedia(video);
  }

  // Live catch-up for LL-HLS: while hls.js's latency exceeds its target (PART-HOLD-BACK, more
  // after stalls) by more than a part and at least two parts are buffered ahead, play up to
  // 1.15x (proportional to the excess); back to 1x within half a part of the target or when
  // less than a part is buffered. A joining player thus settles near PART-HOLD-BACK instead of
  // keeping the up to one segment it joined behind.
  function catchUp(hls) {
    const setRate = (rate) => { if (video.playbackRate !== rate) video.playbackRate = rate; };
    setInterval(() => {
      const details = hls.latestLevelDetails;
      const part = details && details.live ? details.partTarget || 0 : 0;
      const latency = hls.latency, target = hls.targetLatency;
      if (!part || video.paused || !Number.isFinite(latency) || !Number.isFinite(target)) return setRate(1);
      const buffered = video.buffered;
      const ahead = buffered.length ? buffered.end(buffered.length - 1) - video.currentTime : 0;
      const excess = latency - target;
      if (excess > part && ahead > 2 * part) setRate(Math.min(1.15, 1 + excess / 4));
      else if (excess < part / 2 || ahead < part) setRate(1);
    }, 250);
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
    // LL-DASH (availabilityTimeComplete=false, ServiceDescription) is detected from the MPD;
    // catch-up keeps the player at the described latency.
    player.updateSettings({streaming: {liveCatchup: {enabled: true}}});
    latency = () => {
      const value = player.getCurrentLiveLatency ? player.getCurrentLiveLatency() : NaN;
      return Number.isFinite(value) && value > 0 ? value : null;
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
      state.latency = latency();
      if (media.error) fail('MediaError ' + media.error.code + ' ' + (media.error.message || ''));
    } catch (e) {
      console.log('refresh: ' + e);
    }
    document.getElementById('engine').textContent = state.engine + (state.engineVersion ? ' ' + state.engineVersion : '');
    document.getElementById('rendition').textContent = state.rendition || '-';
    document.getElementById('resolution').textContent = state.height ? state.width + 'x' + state.height : '-';
    document.getElementById('bitrate').textContent = formatBitrate(state.bitrate);
    document.getElementById('latency').textContent = state.latency === null ? '-' : state.latency.toFixed(2) + ' s';
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
