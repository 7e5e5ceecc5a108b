// Live Ladder dashboard: number formatting, small table builders and inline-SVG line charts.
(function () {
  'use strict';
  const DASH = '–';
  const isNum = (v) => typeof v === 'number' && Number.isFinite(v);

  // --- Formatting (null/missing → "–") ---
  function trimZero(text) { return text.replace(/\.0$/, ''); }
  function scaled(value, base, units, space) {
    if (!isNum(value)) return DASH;
    let i = 0;
    let v = Math.abs(value);
    while (v >= base && i < units.length - 1) { v /= base; i += 1; }
    const digits = i === 0 || v >= 100 ? 0 : 1;
    return (value < 0 ? '-' : '') + trimZero(v.toFixed(digits)) + space + units[i];
  }
  const fmt = {
    DASH,
    isNum,
    bitrate: (bps) => scaled(bps, 1000, ['b/s', 'kb/s', 'Mb/s', 'Gb/s'], ' '),
    bytes: (n) => scaled(n, 1000, ['B', 'kB', 'MB', 'GB', 'TB', 'PB'], ' '),
    int: (n) => (isNum(n) ? Math.round(n).toLocaleString('en-US') : DASH),
    fixed: (n, digits) => (isNum(n) ? trimZero(n.toFixed(digits)) : DASH),
    fps: (n) => (isNum(n) ? trimZero(n.toFixed(n >= 10 ? 0 : 1)) + ' fps' : DASH),
    seconds: (n) => (isNum(n) ? trimZero(n.toFixed(n >= 10 ? 0 : 1)) + ' s' : DASH),
    speed: (n) => (isNum(n) ? n.toFixed(n >= 10 ? 0 : 1) + '×' : DASH),
    // "1 h 02 min", "3 min 12 s", "42 s", "2 d 03 h"
    duration(total) {
      if (!isNum(total) || total < 0) return DASH;
      const s = Math.floor(total);
      const pad = (n) => String(n).padStart(2, '0');
      if (s >= 86400) return `${Math.floor(s / 86400)} d ${pad(Math.floor((s % 86400) / 3600))} h`;
      if (s >= 3600) return `${Math.floor(s / 3600)} h ${pad(Math.floor((s % 3600) / 60))} min`;
      if (s >= 60) return `${Math.floor(s / 60)} min ${pad(s % 60)} s`;
      return `${s} s`;
    },
    // Accepts unix seconds, ms, or an ISO string; returns a Date or null.
    date(value) {
      if (isNum(value)) return new Date(value > 1e11 ? value : value * 1000);
      if (typeof value === 'string' && value) {
        const d = new Date(value);
        return Number.isNaN(d.getTime()) ? null : d;
      }
      return null;
    },
    clock(value) {
      const d = fmt.date(value);
      return d ? d.toLocaleTimeString([], {hour: '2-digit', minute: '2-digit', second: '2-digit'}) : DASH;
    },
    dateTime(value) {
      const d = fmt.date(value);
      return d ? d.toLocaleString([], {month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit'}) : DASH;
    },
  };

  // --- Charts ---
  const NS = 'http://www.w3.org/2000/svg';
  const HEIGHT = 92;
  const TOP = 16;         // room for the max label
  const BOTTOM = 16;      // room for the min label and "now"

  function el(name, attrs, text) {
    const node = document.createElementNS(NS, name);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // spec: {title, series: [{name, points: [[t ms, value|null]...]}], windowMs, format(v),
  //        reference (a value drawn as a dashed line), legend (an element to fill)}
  function render(svg, spec) {
    const width = Math.max(120, Math.round(svg.clientWidth || svg.parentNode.clientWidth || 300));
    const plotTop = TOP;
    const plotBottom = HEIGHT - BOTTOM;
    svg.setAttribute('viewBox', `0 0 ${width} ${HEIGHT}`);
    svg.setAttribute('height', HEIGHT);
    svg.setAttribute('role', 'img');

    let tMax = -Infinity;
    let vMin = Infinity;
    let vMax = -Infinity;
    const stamps = new Set();
    for (const s of spec.series) {
      for (const [t, v] of s.points) {
        if (t > tMax) tMax = t;
        if (!isNum(v)) continue;
        stamps.add(t);
        if (v < vMin) vMin = v;
        if (v > vMax) vMax = v;
      }
    }
    const drawn = stamps.size;
    svg.dataset.points = String(drawn);
    svg.replaceChildren();

    const latest = spec.series.map((s) => {
      for (let i = s.points.length - 1; i >= 0; i -= 1) if (isNum(s.points[i][1])) return s.points[i][1];
      return null;
    });
    const summary = drawn
      ? `${spec.title}, last ${Math.round(spec.windowMs / 60000)} minutes: ` +
        spec.series.map((s, i) => (spec.series.length > 1 ? s.name + ' ' : '') + 'latest ' + spec.format(latest[i])).join(', ') +
        `; min ${spec.format(vMin)}, max ${spec.format(vMax)}`
      : `${spec.title}: no data yet`;
    svg.appendChild(el('title', {}, summary));

    // Scale: zero-based, headroom above the max (and above the reference line).
    const top = Math.max(drawn ? vMax : 1, isNum(spec.reference) ? spec.reference : 0) * 1.15 || 1;
    const tEnd = isNum(tMax) && tMax > 0 ? tMax : Date.now();
    const tStart = tEnd - spec.windowMs;
    const x = (t) => ((t - tStart) / spec.windowMs) * (width - 2) + 1;
    const y = (v) => plotBottom - (v / top) * (plotBottom - plotTop);

    // Grid: three horizontal lines, a vertical line every 2 minutes.
    const grid = el('g', {class: 'chart-grid'});
    for (const v of [0, top / 2, top]) grid.appendChild(el('line', {x1: 0, x2: width, y1: y(v), y2: y(v)}));
    for (let m = 2; m * 60000 < spec.windowMs; m += 2) {
      const gx = x(tEnd - m * 60000);
      grid.appendChild(el('line', {x1: gx, x2: gx, y1: plotTop, y2: plotBottom}));
    }
    svg.appendChild(grid);
    if (isNum(spec.reference)) {
      svg.appendChild(el('line', {class: 'chart-ref', x1: 0, x2: width, y1: y(spec.reference), y2: y(spec.reference)}));
    }

    // One polyline per unbroken run of values; a dot at each series' newest value.
    spec.series.forEach((s, index) => {
      const g = el('g', {class: `chart-series s${index % 6}`});
      let run = [];
      const flush = () => {
        if (run.length > 1) g.appendChild(el('polyline', {points: run.join(' ')}));
        run = [];
      };
      let last = null;
      for (const [t, v] of s.points) {
        if (t < tStart) continue;
        if (!isNum(v)) { flush(); continue; }
        const p = [x(t), y(v)];
        run.push(p[0].toFixed(1) + ',' + p[1].toFixed(1));
        last = p;
      }
      flush();
      if (last) g.appendChild(el('circle', {cx: last[0].toFixed(1), cy: last[1].toFixed(1), r: 2.5}));
      svg.appendChild(g);
    });

    // Labels: max top-left, min bottom-left, "now" bottom-right.
    svg.appendChild(el('text', {class: 'chart-label', x: 2, y: 11}, drawn ? 'max ' + spec.format(vMax) : 'no data yet'));
    if (drawn) svg.appendChild(el('text', {class: 'chart-label', x: 2, y: HEIGHT - 3}, 'min ' + spec.format(vMin)));
    svg.appendChild(el('text', {class: 'chart-label', x: width - 2, y: HEIGHT - 3, 'text-anchor': 'end'}, 'now'));

    if (spec.legend) {
      const items = spec.series.map((s, index) => {
        const li = document.createElement('li');
        const swatch = document.createElement('span');
        swatch.className = `swatch s${index % 6}`;
        swatch.setAttribute('aria-hidden', 'true');
        li.append(swatch, `${s.name} ${spec.format(latest[index])}`);
        return li;
      });
      spec.legend.replaceChildren(...items);
    }
    return drawn;
  }

  // --- Tables for the history panel: text cells, or nodes; `numeric`: right-aligned column indexes ---
  function table(headers, rows, numeric) {
    if (!rows.length) {
      const p = document.createElement('p');
      p.className = 'muted';
      p.textContent = 'None in this period.';
      return p;
    }
    const t = document.createElement('table');
    const head = t.createTHead().insertRow();
    headers.forEach((h, i) => {
      const th = document.createElement('th');
      th.scope = 'col';
      th.textContent = h;
      if (numeric.includes(i)) th.className = 'num';
      head.appendChild(th);
    });
    const body = t.createTBody();
    for (const row of rows) {
      const tr = body.insertRow();
      row.forEach((value, i) => {
        const td = tr.insertCell();
        if (numeric.includes(i)) td.className = 'num';
        if (value instanceof Node) td.appendChild(value); else td.textContent = value ?? DASH;
      });
    }
    return t;
  }

  function links(entries) {
    const span = document.createElement('span');
    span.className = 'links';
    for (const [label, href] of entries) {
      if (typeof href !== 'string' || !href) continue;
      const a = document.createElement('a');
      a.href = href;
      a.textContent = label;
      if (label === 'Download') a.setAttribute('download', ''); else a.target = '_blank';
      span.appendChild(a);
    }
    if (!span.childNodes.length) span.textContent = DASH;
    return span;
  }

  function message(text) {
    const p = document.createElement('p');
    p.className = 'muted';
    p.textContent = text;
    return p;
  }

  window.LadderFmt = fmt;
  window.LadderDom = {table, links, message};
  window.LadderCharts = {render};
})();
