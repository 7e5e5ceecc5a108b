// Live Ladder operator dashboard (and the login page's messages). No dependencies but charts.js.
// The dashboard page loads, in order (classic deferred scripts, no bundler):
//   charts.js     formatting, table builders, SVG charts (window.LadderFmt / LadderDom / LadderCharts)
//   dashboard.js  this file: state (window.dashboardState), HTTP, polling, the page header, start-up
//   cards.js      one stream card: building, updating, renditions, warnings, charts, thumbnail
//   actions.js    the card's buttons: disconnect/end, signed link, history & usage panel
// They share window.LadderDashboard (internal; not a test hook). The login page loads only this file.
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
  const {DASH, isNum} = fmt;
  const STREAMS_MS = 2000;
  const HISTORY_MS = 5000;
  const STATE_ORDER = {live: 0, reconnecting: 1, ended: 2};

  const state = window.dashboardState = {
    updates: 0, lastUpdate: 0, streams: [], historyUpdates: 0, errors: 0, authError: false,
  };
  const cards = new Map();       // name → card
  const $ = (root, field) => root.querySelector(`[data-field="${field}"]`);

  // Shared with cards.js and actions.js; they add their own functions to it when they load.
  const app = window.LadderDashboard = {
    state, cards, $, api, put, setAuthError, pollStreams,
    history: {windowMs: 600000, streams: {}},   // the last /api/history answer
  };

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
        app.history = {windowMs: seconds * 1000, streams: r.data.streams || {}};
        for (const card of cards.values()) app.drawCharts(card);
      } else {
        state.errors += 1;
        if (r.auth) setAuthError(true);
      }
    } finally {
      setTimeout(pollHistory, HISTORY_MS);
    }
  }

  // --- The grid of cards (cards.js builds and fills each one) and the header's totals ---
  function render(streams) {
    const sorted = streams.filter((s) => s && typeof s.name === 'string').sort((a, b) =>
      (STATE_ORDER[a.state] ?? 3) - (STATE_ORDER[b.state] ?? 3) || a.name.localeCompare(b.name));
    const names = new Set(sorted.map((s) => s.name));
    for (const [name, card] of cards) {
      if (!names.has(name)) { clearTimeout(card.thumbTimer); card.ro.disconnect(); card.root.remove(); cards.delete(name); }
    }
    const grid = document.getElementById('streams');
    sorted.forEach((s, index) => {
      const card = cards.get(s.name) || app.createCard(s.name);
      app.updateCard(card, s);
      if (grid.children[index] !== card.root) grid.insertBefore(card.root, grid.children[index] || null);
    });
    state.streams = sorted.map((s) => s.name);
    const live = sorted.filter((s) => s.state === 'live').length;
    const viewers = sorted.reduce((sum, s) => sum + (isNum(s.viewers) ? s.viewers : 0), 0);
    put(document.getElementById('sum-live'), fmt.int(live), live);
    put(document.getElementById('sum-viewers'), fmt.int(viewers), viewers);
    document.getElementById('empty').hidden = sorted.length > 0;
  }

  // --- Start, once cards.js and actions.js (deferred after this file) have run ---
  function start() {
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
  }
  document.addEventListener('DOMContentLoaded', start, {once: true});
})();
