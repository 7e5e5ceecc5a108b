// Live Ladder dashboard: a card's buttons (disconnect, end, copy signed link) and its
// history & usage panel. Loaded after dashboard.js; cards.js wires the buttons to these.
(function () {
  'use strict';
  const app = window.LadderDashboard;
  if (!app) return;

  const fmt = window.LadderFmt;
  const {table, links, message} = window.LadderDom;
  const {DASH, isNum} = fmt;
  const {$, api, put, setAuthError, pollStreams} = app;

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
    app.updatePlayerLink(card);
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

  Object.assign(app, {streamAction, copyLink, toggleHistory, loadHistoryPanel});
})();
