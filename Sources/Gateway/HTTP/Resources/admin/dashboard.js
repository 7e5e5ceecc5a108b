// Live Ladder operator dashboard (and the login page's messages). No dependencies but charts.js.
(function () {
  'use strict';

  // --- Login page: show why we are here (?failed=1, ?expired=1). ---
  if (document.body.dataset.page === 'login') {
    const query = new URLSearchParams(location.search);
    const box = document.getElementById('login-error');
    const text = query.has('failed') ? 'Wrong user name or password.'
      : query.has('expired') ? 'Your session ended; sign in again.' : '';
    if (box && text) {
      box.textContent = text;
      box.hidden = false;
    }
    const form = document.getElementById('login-form');
    if (form) form.addEventListener('submit', () => {
      const button = form.querySelector('button[type="submit"]');
      if (button) setTimeout(() => { button.disabled = true; button.textContent = 'Signing in…'; }, 0);
    });
    return;
  }

  const fmt = window.LadderFmt;
  const charts = window.LadderCharts;
  const {table, links, message} = window.LadderDom;
  const {DASH, isNum} = fmt;
  const STREAMS_MS = 2000;
  const HISTORY_MS = 5000;
  const THUMB_MS = 4000;
  const TOKEN_TTL = 3600;
  const STATE_ORDER = {live: 0, reconnecting: 1, ended: 2};

  const state = window.dashboardState = {
    updates: 0, lastUpdate: 0, streams: [], historyUpdates: 0, errors: 0, authError: false,
  };
  const cards = new Map();       // name → card
  let history = {windowMs: 600000, streams: {}};
  let thumbCounter = 0;
  let cardCounter = 0;
  const $ = (root, field) => root.querySelector(`[data-field="${field}"]`);

  // --- HTTP: same-origin cookie auth; writes carry the CSRF header. ---
  async function api(url, {method = 'GET', body, timeout = 10000} = {}) {
    const headers = {Accept: 'application/json'};
    if (method !== 'GET') headers['X-Ladder-Admin'] = '1';
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), timeout);
    try {
      const res = await fetch(url, {
        method, headers, credentials: 'same-origin', cache: 'no-store', signal: abort.signal,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const redirectedToLogin = res.redirected && new URL(res.url).pathname.startsWith('/admin/login');
      let data = null;
      let text = '';
      if ((res.headers.get('content-type') || '').includes('json')) {
        try { data = await res.json(); } catch (_) { data = null; }
      } else {
        text = (await res.text()).trim().slice(0, 200);
      }
      const auth = res.status === 401 || res.status === 403 || redirectedToLogin;
      const ok = res.ok && !redirectedToLogin;
      const error = ok ? null
        : (data && typeof data.error === 'string' ? data.error : (!redirectedToLogin && text) || `HTTP ${res.status}`);
      return {ok, status: res.status, data, error, auth};
    } catch (e) {
      return {ok: false, status: 0, data: null, auth: false,
        error: e.name === 'AbortError' ? 'request timed out' : 'gateway unreachable'};
    } finally {
      clearTimeout(timer);
    }
  }

  function setAuthError(on) {
    state.authError = on;
    document.getElementById('auth-banner').hidden = !on;
  }

  let statusText = null;
  function setStatus(text, bad) {
    if (text === statusText) return;  // polite region: announce changes only
    statusText = text;
    const line = document.getElementById('status');
    line.textContent = text;
    line.classList.toggle('bad', !!bad);
  }

  // Sets text and (when given) data-value; touches the DOM only on change.
  function put(el, text, value) {
    if (!el) return;
    const t = text === undefined || text === null || text === '' ? DASH : String(text);
    if (el.textContent !== t) el.textContent = t;
    if (value !== undefined) {
      const v = value === null || value === undefined ? '' : String(value);
      if (el.dataset.value !== v) el.dataset.value = v;
    }
  }

  // --- Poll loops: each schedules its next run when done, so requests never overlap. ---
  let streamsTimer = 0;
  let streamsBusy = false;
  async function pollStreams() {
    clearTimeout(streamsTimer);
    if (streamsBusy) return;
    streamsBusy = true;
    try {
      const r = await api('/api/streams');
      if (r.ok && r.data) {
        setAuthError(false);
        state.updates += 1;
        state.lastUpdate = Date.now();
        render(Array.isArray(r.data.streams) ? r.data.streams : []);
        const stamp = document.getElementById('last-update');
        stamp.textContent = fmt.clock(state.lastUpdate);
        stamp.dateTime = new Date(state.lastUpdate).toISOString();
        setStatus('');
      } else {
        state.errors += 1;
        if (r.auth) setAuthError(true);  // the banner says it all
        setStatus(r.auth ? '' : `⚠ Could not update streams (${r.error}); retrying…`, true);
      }
    } finally {
      // Always poll again, even if rendering threw.
      streamsBusy = false;
      streamsTimer = setTimeout(pollStreams, STREAMS_MS);
    }
  }

  async function pollHistory() {
    try {
      const r = await api('/api/history');
      if (r.ok && r.data) {
        state.historyUpdates += 1;
        const seconds = isNum(r.data.window_seconds) ? r.data.window_seconds : 600;
        history = {windowMs: seconds * 1000, streams: r.data.streams || {}};
        for (const card of cards.values()) drawCharts(card);
      } else {
        state.errors += 1;
        if (r.auth) setAuthError(true);
      }
    } finally {
      setTimeout(pollHistory, HISTORY_MS);
    }
  }

  // --- Cards ---
  function render(streams) {
    const sorted = streams.filter((s) => s && typeof s.name === 'string').sort((a, b) =>
      (STATE_ORDER[a.state] ?? 3) - (STATE_ORDER[b.state] ?? 3) || a.name.localeCompare(b.name));
    const names = new Set(sorted.map((s) => s.name));
    for (const [name, card] of cards) {
      if (!names.has(name)) { clearTimeout(card.thumbTimer); card.ro.disconnect(); card.root.remove(); cards.delete(name); }
    }
    const grid = document.getElementById('streams');
    sorted.forEach((s, index) => {
      const card = cards.get(s.name) || createCard(s.name);
      updateCard(card, s);
      if (grid.children[index] !== card.root) grid.insertBefore(card.root, grid.children[index] || null);
    });
    state.streams = sorted.map((s) => s.name);
    const live = sorted.filter((s) => s.state === 'live').length;
    const viewers = sorted.reduce((sum, s) => sum + (isNum(s.viewers) ? s.viewers : 0), 0);
    put(document.getElementById('sum-live'), fmt.int(live), live);
    put(document.getElementById('sum-viewers'), fmt.int(viewers), viewers);
    document.getElementById('empty').hidden = sorted.length > 0;
  }

  function createCard(name) {
    const root = document.getElementById('card-template').content.firstElementChild.cloneNode(true);
    const id = `card-${++cardCounter}`;
    root.dataset.stream = name;
    root.setAttribute('aria-labelledby', `${id}-name`);
    const h2 = root.querySelector('h2');
    h2.id = `${id}-name`;
    h2.textContent = name;
    const panel = $(root, 'history-panel');
    panel.id = `${id}-history`;
    const historyButton = root.querySelector('[data-action="history"]');
    historyButton.setAttribute('aria-controls', panel.id);
    root.querySelector('[data-action="csv"]').href =
      `/api/usage?stream=${encodeURIComponent(name)}&group=hour&format=csv`;
    root.querySelector('[data-field="thumbnail"]').alt = `Latest picture of ${name}`;

    const card = {name, root, data: null, trend: [], token: null, tokenRetryAt: 0, thumbTimer: 0};
    root.querySelector('[data-action="disconnect"]').addEventListener('click', () => streamAction(card, 'disconnect'));
    root.querySelector('[data-action="end"]').addEventListener('click', () => streamAction(card, 'end'));
    root.querySelector('[data-action="copy-link"]').addEventListener('click', () => copyLink(card));
    historyButton.addEventListener('click', () => toggleHistory(card));
    root.querySelector('[data-action="history-refresh"]').addEventListener('click', () => loadHistoryPanel(card));
    // Redraw charts at their new pixel width.
    let pending = false;
    card.ro = new ResizeObserver(() => {
      if (pending) return;
      pending = true;
      requestAnimationFrame(() => { pending = false; drawCharts(card); });
    });
    card.ro.observe(root.querySelector('.charts'));
    cards.set(name, card);
    setTimeout(() => refreshThumbnail(card), 0);
    return card;
  }

  function updateCard(card, s) {
    const {root} = card;
    card.data = s;
    const st = typeof s.state === 'string' ? s.state : 'unknown';
    root.classList.toggle('is-ended', st === 'ended');
    root.classList.toggle('is-reconnecting', st === 'reconnecting');
    const badge = $(root, 'state');
    put(badge, st, st);
    badge.className = `badge badge-${st}`;
    $(root, 'protected').hidden = s.protected !== true;
    put($(root, 'viewers'), fmt.int(s.viewers), s.viewers);
    put($(root, 'uptime'), fmt.duration(s.uptime_seconds), s.uptime_seconds);
    put($(root, 'publisher'), s.publisher_address);
    put($(root, 'profile'), s.profile);

    const input = s.input || {};
    put($(root, 'input-codec'), input.video_codec, input.video_codec);
    const size = isNum(input.width) && isNum(input.height) ? `${input.width}x${input.height}` : null;
    put($(root, 'input-size'), size, size);
    put($(root, 'input-fps'), fmt.fps(input.fps), input.fps);
    put($(root, 'input-bitrate'), fmt.bitrate(input.bitrate), input.bitrate);
    put($(root, 'keyframe-interval'), fmt.seconds(input.keyframe_interval), input.keyframe_interval);
    put($(root, 'input-audio'), audioText(input.audio_codec, input.audio_sample_rate, input.audio_channels));
    put($(root, 'latency'), fmt.seconds(s.latency_seconds), s.latency_seconds);
    const late = isNum(s.ingest_drops_late) && s.ingest_drops_late > 0 ? ` (${fmt.int(s.ingest_drops_late)} late)` : '';
    put($(root, 'ingest-drops'), fmt.int(s.ingest_drops) + (isNum(s.ingest_drops) ? late : ''), s.ingest_drops);
    put($(root, 'timestamp-jumps'), fmt.int(s.timestamp_jumps), s.timestamp_jumps);
    put($(root, 'decode-errors'), fmt.int(s.decode_errors), s.decode_errors);
    put($(root, 'discontinuities'), fmt.int(s.discontinuities), s.discontinuities);
    put($(root, 'ingest-errors'), fmt.int(s.ingest_errors), s.ingest_errors);

    const renditions = Array.isArray(s.renditions) ? s.renditions : [];
    updateRenditions(card, renditions);
    const a = s.audio;
    put($(root, 'audio'), a ? [audioText(a.codec, a.sample_rate, a.channels), fmt.bitrate(a.bitrate),
      a.passthrough ? 'passthrough' : (a.passthrough === false ? 're-encoded' : null)].filter((x) => x && x !== DASH).join(' · ') : null);
    updateWarnings(card, s, input, renditions);

    const live = st === 'live';
    root.querySelector('[data-action="disconnect"]').disabled = !live;
    root.querySelector('[data-action="end"]').disabled = st === 'ended';
    updatePlayerLink(card);
  }

  function audioText(codec, rate, channels) {
    if (!codec && !isNum(rate) && !isNum(channels)) return null;
    const ch = channels === 1 ? 'mono' : channels === 2 ? 'stereo' : isNum(channels) ? `${channels} ch` : null;
    return [codec, isNum(rate) ? `${fmt.fixed(rate / 1000, 1)} kHz` : null, ch].filter(Boolean).join(' · ');
  }

  function updateRenditions(card, renditions) {
    const body = card.root.querySelector('tbody');
    const seen = new Set();
    renditions.forEach((r, index) => {
      if (!r || typeof r.name !== 'string') return;
      seen.add(r.name);
      let row = [...body.rows].find((tr) => tr.dataset.rendition === r.name);
      if (!row) {
        row = document.createElement('tr');
        row.dataset.rendition = r.name;
        const cells = [['th', 'name'], ['td', 'codec'], ['td', 'width'], ['td', 'height'], ['td', 'target'],
          ['td', 'bitrate'], ['td', 'fps'], ['td', 'speed'], ['td', 'viewers']];
        for (const [tag, field] of cells) {
          const cell = document.createElement(tag);
          cell.dataset.field = field;
          if (tag === 'th') cell.scope = 'row';
          if (!['name', 'codec', 'height'].includes(field)) cell.className = 'num';
          if (['codec', 'target', 'fps'].includes(field)) cell.classList.add('opt');
          row.appendChild(cell);
        }
        row.cells[2].classList.add('w');
        row.cells[3].classList.add('h');
      }
      if (body.rows[index] !== row) body.insertBefore(row, body.rows[index] || null);
      put($(row, 'name'), r.name);
      put($(row, 'codec'), r.codec);
      put($(row, 'width'), r.width, r.width);
      put($(row, 'height'), r.height, r.height);
      put($(row, 'target'), fmt.bitrate(r.target_bitrate), r.target_bitrate);
      put($(row, 'bitrate'), fmt.bitrate(r.measured_bitrate), r.measured_bitrate);
      put($(row, 'fps'), fmt.fixed(r.fps, 1), r.fps);
      const slow = isNum(r.encoder_speed) && r.encoder_speed < 1;
      put($(row, 'speed'), (slow ? '⚠ ' : '') + fmt.speed(r.encoder_speed), r.encoder_speed);
      $(row, 'speed').classList.toggle('warn', slow);
      put($(row, 'viewers'), fmt.int(r.viewers), r.viewers);
      row.title = `Encoder delay ${fmt.fixed(r.encoder_delay_ms, 0)} ms · dropped frames ${fmt.int(r.dropped_frames)} · late frames ${fmt.int(r.late_frames)}`;
    });
    for (const row of [...body.rows]) if (!seen.has(row.dataset.rendition)) row.remove();
    card.root.querySelector('.renditions').parentNode.hidden = body.rows.length === 0;
    $(card.root, 'no-renditions').hidden = body.rows.length > 0;
  }

  // Warnings: counters that rose in the last minute, slow encoders, long GOPs. Icon + text, not colour alone.
  function updateWarnings(card, s, input, renditions) {
    const now = Date.now();
    card.trend.push({t: now, drops: s.ingest_drops, jumps: s.timestamp_jumps});
    while (card.trend.length > 1 && card.trend[1].t <= now - 60000) card.trend.shift();
    const base = card.trend[0];
    const rose = (key) => isNum(s[key === 'drops' ? 'ingest_drops' : 'timestamp_jumps']) && isNum(base[key])
      ? (key === 'drops' ? s.ingest_drops : s.timestamp_jumps) - base[key] : 0;
    const warnings = [];
    const mark = {};
    if (s.state !== 'ended') {
      const drops = Math.max(rose('drops'), card.historyDropsRise || 0);
      if (drops > 0) { mark['ingest-drops'] = true; warnings.push(`Ingest drops rose by ${fmt.int(drops)} in the last minute`); }
      const jumps = rose('jumps');
      if (jumps > 0) { mark['timestamp-jumps'] = true; warnings.push(`Timestamp jumps rose by ${fmt.int(jumps)} in the last minute`); }
      for (const r of renditions) {
        if (r && isNum(r.encoder_speed) && r.encoder_speed < 1) warnings.push(`${r.name} encodes slower than real time (${fmt.speed(r.encoder_speed)})`);
      }
      if (isNum(input.keyframe_interval) && input.keyframe_interval > 4) {
        mark['keyframe-interval'] = true;
        warnings.push(`Keyframe interval ${fmt.seconds(input.keyframe_interval)} is over 4 s`);
      }
    }
    for (const metric of card.root.querySelectorAll('.metric')) metric.classList.toggle('warn', !!mark[metric.dataset.metric]);
    const list = $(card.root, 'warnings');
    const key = warnings.join('\n');
    if (list.dataset.key !== key) {
      list.dataset.key = key;
      list.replaceChildren(...warnings.map((w) => {
        const li = document.createElement('li');
        li.textContent = `⚠ ${w}`;
        return li;
      }));
    }
    list.hidden = warnings.length === 0;
    const count = $(card.root, 'warning-count');
    put(count, `⚠ ${warnings.length} warning${warnings.length === 1 ? '' : 's'}`, warnings.length);
    count.hidden = warnings.length === 0;
    card.root.classList.toggle('has-warnings', warnings.length > 0);
  }

  // --- Charts from /api/history ---
  function drawCharts(card) {
    const samples = Array.isArray(history.streams[card.name]) ? history.streams[card.name] : [];
    const pick = (f) => samples.map((p) => [p.t, f(p)]);
    const latest = (field, text) => put(card.root.querySelector(`[data-latest="${field}"]`), text);
    const series = (name, f) => ({name, points: pick(f)});
    const last = samples[samples.length - 1] || {};
    const base = {windowMs: history.windowMs};
    const chart = (key) => card.root.querySelector(`svg[data-chart="${key}"]`);
    $(card.root, 'no-history').hidden = samples.length > 0;
    card.root.querySelector('.charts').hidden = samples.length === 0;
    charts.render(chart('input-bitrate'), {...base, title: 'Input bitrate', format: fmt.bitrate,
      series: [series('input', (p) => p.input_bitrate)]});
    latest('input-bitrate', fmt.bitrate(last.input_bitrate));
    charts.render(chart('viewers'), {...base, title: 'Viewers', format: fmt.int,
      series: [series('viewers', (p) => p.viewers)]});
    latest('viewers', fmt.int(last.viewers));
    charts.render(chart('latency'), {...base, title: 'Latency', format: fmt.seconds,
      series: [series('latency', (p) => p.latency_seconds)]});
    latest('latency', fmt.seconds(last.latency_seconds));
    // One line per rendition, in the ladder's order.
    const names = (card.data && Array.isArray(card.data.renditions) ? card.data.renditions.map((r) => r && r.name) : []).filter(Boolean);
    for (const p of samples) for (const n of Object.keys(p.renditions || {})) if (!names.includes(n)) names.push(n);
    charts.render(chart('encoder-speed'), {...base, title: 'Encoder speed', format: fmt.speed, reference: 1,
      legend: card.root.querySelector('.legend'),
      series: names.map((n) => series(n, (p) => p.renditions && p.renditions[n] ? p.renditions[n].encoder_speed : null))});
    // Ingest drops in the last minute of history (covers the time before this page was opened).
    const tEnd = last.t;
    const first = samples.find((p) => isNum(p.t) && p.t >= tEnd - 60000 && isNum(p.ingest_drops));
    card.historyDropsRise = first && isNum(last.ingest_drops) ? last.ingest_drops - first.ingest_drops : 0;
  }

  // --- Thumbnails: preload off-screen, swap the element only once it decoded; keep the old one on error. ---
  async function tokenPath(card) {
    if (card.token && card.token.expires * 1000 - 300000 > Date.now()) return card.token.path;
    if (Date.now() < card.tokenRetryAt) return null;
    const r = await api('/api/tokens', {method: 'POST', body: {stream: card.name, ttl_seconds: TOKEN_TTL}});
    if (r.ok && r.data && typeof r.data.path === 'string') {
      card.token = {path: r.data.path, expires: isNum(r.data.expires) ? r.data.expires : Date.now() / 1000 + TOKEN_TTL};
      updatePlayerLink(card);
      return card.token.path;
    }
    card.tokenRetryAt = Date.now() + 30000;
    if (r.auth) setAuthError(true);
    return null;
  }

  function updatePlayerLink(card) {
    const plain = `/live/${encodeURIComponent(card.name)}/`;
    const href = card.data && card.data.protected && card.token ? card.token.path : plain;
    const link = card.root.querySelector('[data-action="player"]');
    if (link.getAttribute('href') !== href) link.setAttribute('href', href);
  }

  function loadImage(url) {
    return new Promise((resolve) => {
      const img = new Image();
      const timer = setTimeout(() => { img.src = ''; resolve(null); }, 10000);
      img.onload = () => { clearTimeout(timer); resolve(img); };
      img.onerror = () => { clearTimeout(timer); resolve(null); };
      img.src = url;
    });
  }

  async function refreshThumbnail(card) {
    if (cards.get(card.name) !== card) return;  // removed (or replaced by a new card of that name)
    // An ended stream keeps the last picture seen; it has no new one to fetch.
    const ended = card.data && card.data.state === 'ended';
    const placeholder = card.root.querySelector('.thumb-placeholder');
    if (ended) put(placeholder, 'Stream ended');
    else if (card.data && card.data.protected && card.tokenRetryAt > Date.now()) put(placeholder, 'No picture (no playback token)');
    else put(placeholder, 'No picture yet');
    if (card.data && !document.hidden && !ended) {
      const base = card.data.protected ? await tokenPath(card) : `/live/${encodeURIComponent(card.name)}/`;
      if (base) {
        const fresh = await loadImage(`${base}thumbnail.jpg?width=320&_=${++thumbCounter}`);
        const old = card.root.querySelector('img[data-field="thumbnail"]');
        if (fresh && old) {
          fresh.dataset.field = 'thumbnail';
          fresh.dataset.loaded = '1';
          fresh.alt = old.alt;
          fresh.decoding = 'async';
          old.replaceWith(fresh);
          placeholder.hidden = true;
        }
      }
    }
    card.thumbTimer = setTimeout(() => refreshThumbnail(card), THUMB_MS);
  }

  // --- Actions ---
  function say(card, text, bad) {
    const box = $(card.root, 'message');
    box.textContent = text;
    box.classList.toggle('bad', !!bad);
  }

  async function streamAction(card, action) {
    const question = action === 'disconnect'
      ? `Disconnect the publisher of “${card.name}”? The stream waits for it to reconnect.`
      : `End “${card.name}” now? The publisher is closed and the playlists end.`;
    if (!window.confirm(question)) return;
    const button = card.root.querySelector(`[data-action="${action}"]`);
    button.disabled = true;
    say(card, action === 'disconnect' ? 'Disconnecting the publisher…' : 'Ending the stream…');
    const r = await api(`/api/streams/${encodeURIComponent(card.name)}/${action}`, {method: 'POST'});
    if (r.ok) {
      say(card, (r.data && typeof r.data.message === 'string' && r.data.message) ||
        (action === 'disconnect' ? 'Publisher disconnected.' : 'Stream ended.'));
    } else {
      if (r.auth) setAuthError(true);
      say(card, `⚠ ${r.error}`, true);
    }
    button.disabled = false;
    pollStreams();
  }

  async function copyLink(card) {
    const ttlInput = $(card.root, 'ttl');
    const minutes = Math.min(10080, Math.max(1, Math.round(Number(ttlInput.value) || 60)));
    ttlInput.value = String(minutes);
    const button = card.root.querySelector('[data-action="copy-link"]');
    button.disabled = true;
    say(card, 'Signing a link…');
    const r = await api('/api/tokens', {method: 'POST', body: {stream: card.name, ttl_seconds: minutes * 60}});
    button.disabled = false;
    if (!r.ok || !r.data || typeof r.data.path !== 'string') {
      if (r.auth) setAuthError(true);
      say(card, `⚠ ${r.error || 'unexpected answer'}`, true);
      return;
    }
    const url = location.origin + r.data.path;
    card.token = {path: r.data.path, expires: isNum(r.data.expires) ? r.data.expires : Date.now() / 1000 + minutes * 60};
    updatePlayerLink(card);
    const box = card.root.querySelector('.signed');
    const out = $(card.root, 'signed-link');
    const field = box.querySelector('.signed-input');
    box.hidden = false;
    put(out, url, url);
    const until = isNum(r.data.expires) ? ` (valid until ${fmt.clock(r.data.expires)})` : '';
    let copied = false;
    if (navigator.clipboard && window.isSecureContext) {
      try { await navigator.clipboard.writeText(url); copied = true; } catch (_) { copied = false; }
    }
    field.hidden = copied;
    if (copied) {
      say(card, `Signed link copied to the clipboard${until}.`);
    } else {
      field.value = url;
      field.focus();
      field.select();
      say(card, `Clipboard unavailable: the signed link is selected, copy it with Ctrl+C / ⌘C${until}.`);
    }
  }

  // --- History & usage panel ---
  function toggleHistory(card) {
    const button = card.root.querySelector('[data-action="history"]');
    const panel = $(card.root, 'history-panel');
    const open = button.getAttribute('aria-expanded') !== 'true';
    button.setAttribute('aria-expanded', String(open));
    panel.hidden = !open;
    if (open) loadHistoryPanel(card);
  }

  async function loadHistoryPanel(card) {
    const {root, name} = card;
    const q = encodeURIComponent(name);
    for (const f of ['usage', 'publishes', 'recordings']) $(root, f).replaceChildren(message('Loading…'));
    const [usage, recordings] = await Promise.all([
      api(`/api/usage?stream=${q}&group=hour`), api(`/api/recordings?stream=${q}`)]);
    if (usage.ok && usage.data) {
      const buckets = (usage.data.buckets || []).slice().sort((a, b) => (fmt.date(b.start) || 0) - (fmt.date(a.start) || 0));
      $(root, 'usage').replaceChildren(table(['Hour', 'Viewer-minutes', 'Unique viewers', 'Peak', 'Bytes'],
        buckets.map((b) => [fmt.dateTime(b.start), fmt.fixed(b.viewer_minutes, 1), fmt.int(b.unique_viewers),
          fmt.int(b.peak_concurrency), fmt.bytes(b.bytes)]), [1, 2, 3, 4]));
      const publishes = (usage.data.publishes || []).slice().sort((a, b) => (fmt.date(b.start) || 0) - (fmt.date(a.start) || 0));
      $(root, 'publishes').replaceChildren(table(['Start', 'Duration', 'Drops'],
        publishes.map((p) => [fmt.dateTime(p.start), p.end ? fmt.duration(p.duration_seconds) : `${fmt.duration(p.duration_seconds)} (live)`,
          fmt.int(p.drops)]), [1, 2]));
    } else {
      const why = `Usage reports unavailable: ${usage.error}`;
      $(root, 'usage').replaceChildren(message(why));
      $(root, 'publishes').replaceChildren(message(why));
    }
    if (recordings.ok && recordings.data) {
      const list = (recordings.data.recordings || []).slice().sort((a, b) => (fmt.date(b.start) || 0) - (fmt.date(a.start) || 0));
      $(root, 'recordings').replaceChildren(table(['Start', 'Duration', 'State', 'Size', 'Open'],
        list.map((r) => [fmt.dateTime(r.start), fmt.duration(r.duration_seconds), r.state || DASH, fmt.bytes(r.bytes),
          links([['HLS', r.hls], ['DASH', r.dash], ['Download', r.download]])]), [1, 3]));
    } else {
      $(root, 'recordings').replaceChildren(message(`Recordings unavailable: ${recordings.error}`));
    }
  }

  // --- Start ---
  document.getElementById('empty-url').textContent = `rtmp://${location.hostname || 'HOST'}:1935/live/NAME`;
  const logout = document.getElementById('logout-form');
  logout.addEventListener('submit', async (event) => {
    // Send the CSRF header too; fall back to the plain form post if fetch fails.
    event.preventDefault();
    try {
      await fetch('/admin/logout', {method: 'POST', credentials: 'same-origin', headers: {'X-Ladder-Admin': '1'}});
      location.assign('/admin/login');
    } catch (_) {
      logout.submit();
    }
  });
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden) pollStreams();
  });
  pollStreams();
  pollHistory();
})();
