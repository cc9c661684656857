// Plain SVG charts: a time series as a polyline, and status codes as bars. No library.

const NS = 'http://www.w3.org/2000/svg';

function el(name, attrs, text) {
  const e = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

export function format(v) {
  if (!Number.isFinite(v)) return '–';
  if (v >= 1000) return v.toFixed(0);
  if (v >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

/**
 * A line chart of `series` ([{name, values: [number...]}]) over the last samples, scaled to the
 * largest value, with the latest value of each in the legend.
 */
export function lineChart(title, series, unit) {
  const w = 320;
  const h = 120;
  const pad = 24;
  const svg = el('svg', { viewBox: `0 0 ${w} ${h + 18 * series.length}`, class: 'chart', role: 'img' });
  const max = Math.max(1e-9, ...series.flatMap((s) => s.values));
  svg.append(el('text', { x: 4, y: 12, class: 'title' }, title));
  svg.append(el('text', { x: w - 4, y: 12, class: 'axis', 'text-anchor': 'end' }, `${format(max)} ${unit}`));
  svg.append(el('line', { x1: pad, y1: h - 4, x2: w - 4, y2: h - 4, class: 'axis-line' }));
  series.forEach((s, n) => {
    const count = Math.max(2, s.values.length);
    const points = s.values.map((v, i) => {
      const x = pad + ((w - pad - 4) * i) / (count - 1);
      const y = h - 4 - ((h - 24) * v) / max;
      return `${x.toFixed(1)},${y.toFixed(1)}`;
    });
    svg.append(el('polyline', { points: points.join(' '), class: `series s${n}` }));
    const latest = s.values.length ? s.values[s.values.length - 1] : NaN;
    svg.append(el('text', { x: pad, y: h + 14 + 18 * n, class: `legend s${n}`, 'data-series': s.name }, `${s.name}: ${format(latest)} ${unit}`));
  });
  return svg;
}

/** Bars of `counts` ({"200": n, ...}), with each count written on its bar. */
export function barChart(title, counts) {
  const entries = Object.entries(counts).sort();
  const w = 320;
  const h = 120;
  const svg = el('svg', { viewBox: `0 0 ${w} ${h + 16}`, class: 'chart', role: 'img' });
  svg.append(el('text', { x: 4, y: 12, class: 'title' }, title));
  const max = Math.max(1, ...entries.map(([, v]) => v));
  const bw = Math.min(48, (w - 8) / Math.max(1, entries.length) - 6);
  entries.forEach(([code, v], i) => {
    const bh = ((h - 36) * v) / max;
    const x = 8 + i * (bw + 6);
    svg.append(el('rect', { x, y: h - bh, width: bw, height: bh, class: `bar c${code[0]}` }));
    svg.append(el('text', { x: x + bw / 2, y: h - bh - 3, 'text-anchor': 'middle', class: 'axis' }, String(v)));
    svg.append(el('text', { x: x + bw / 2, y: h + 13, 'text-anchor': 'middle', class: 'axis', 'data-code': code }, code));
  });
  return svg;
}
