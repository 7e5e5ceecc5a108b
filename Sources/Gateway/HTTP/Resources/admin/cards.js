// Live Ladder dashboard: one stream card (cloned from #card-template): its facts, health,
// renditions table, warnings, charts, thumbnail and player link. Loaded after dashboard.js.
(function () {
  'use strict';
  const app = window.LadderDashboard;
  if (!app) return;

  const fmt = window.LadderFmt;
  const charts = window.LadderCharts;
  const {DASH, isNum} = fmt;
  const {cards, $, api, put, setAuthError} = app;
  const THUMB_MS = 4000;
  const TOKEN_TTL = 3600;
  let thumbCounter = 0;
  let cardCounter = 0;

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
    root.querySelector('[data-action="disconnect"]').addEventListener('click', () => app.streamAction(card, 'disconnect'));
    root.querySelector('[data-action="end"]').addEventListener('click', () => app.streamAction(card, 'end'));
    root.querySelector('[data-action="copy-link"]').addEventListener('click', () => app.copyLink(card));
    historyButton.addEventListener('click', () => app.toggleHistory(card));
    root.querySelector('[data-action="history-refresh"]').addEventListener('click', () => app.loadHistoryPanel(card));
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
      $(row, 'codec').title = r.codec_string || '';  // the CODECS string players are given
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
    const {history} = app;
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

  Object.assign(app, {createCard, updateCard, drawCharts, updatePlayerLink});
})();
