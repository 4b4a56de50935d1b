/**
 * A hand-written SVG line chart of a metric against label ratio: one line per series through the
 * means, a translucent ± std band and error bars with caps, a legend right of the plot area. The x
 * axis is logarithmic with a tick at every ratio that has data, so 0.1, 0.2, 0.5, 1 fall at honest
 * distances (each doubling is the same step) and small ratios like 0.01 still fit. Text uses the
 * generic `sans-serif` family so any renderer (browsers, librsvg via fontconfig) finds a font.
 */
import { escapeXml, percent } from './format.js';

export interface PlotPoint {
  readonly x: number;
  readonly mean: number;
  /** NaN when undefined (one seed): no band or error bar. */
  readonly std: number;
}

export interface PlotSeries {
  readonly label: string;
  readonly color: string;
  readonly dashed?: boolean;
  readonly points: readonly PlotPoint[];
}

export interface ChartSpec {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly PlotSeries[];
  /** Keep the y range inside these bounds (e.g. [0, 1] for Dice). */
  readonly yBounds?: readonly [number, number];
  readonly xTickLabel?: (x: number) => string;
}

/** Canvas size and plot-area margins (px). */
export const CHART = { width: 720, height: 440, left: 72, right: 168, top: 52, bottom: 60 } as const;

export interface ChartLayout {
  /** The plot area. */
  readonly x0: number;
  readonly x1: number;
  readonly y0: number;
  readonly y1: number;
  readonly xTicks: readonly number[];
  readonly yTicks: readonly number[];
  /** Data → pixel (log10 in x, linear in y; y grows downwards). */
  readonly x: (v: number) => number;
  readonly y: (v: number) => number;
}

/** Ticks at a 1/2/5 × 10ᵏ step covering [lo, hi]; the first and last are the axis ends. */
export function niceTicks(lo: number, hi: number, target = 5): number[] {
  if (!(hi > lo)) {
    const d = Math.abs(lo) > 0 ? Math.abs(lo) * 0.05 : 0.05;
    [lo, hi] = [lo - d, hi + d];
  }
  const raw = (hi - lo) / target;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / mag;
  const step = (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * mag;
  const start = Math.floor(lo / step + 1e-9);
  const end = Math.ceil(hi / step - 1e-9);
  return Array.from({ length: end - start + 1 }, (_, i) => Number(((start + i) * step).toPrecision(12)));
}

const finite = (v: number): boolean => Number.isFinite(v);

/** Where everything goes for this data (exported for tests and for callers adding marks). */
export function chartLayout(spec: ChartSpec): ChartLayout {
  const points = spec.series.flatMap((s) => s.points).filter((p) => finite(p.mean) && p.x > 0);
  const xs = [...new Set(points.map((p) => p.x))].sort((a, b) => a - b);
  const lx = xs.length ? [Math.log10(xs[0]!), Math.log10(xs[xs.length - 1]!)] : [-1, 0];
  const pad = lx[1]! > lx[0]! ? 0.06 * (lx[1]! - lx[0]!) : 0.5;
  const [xa, xb] = [lx[0]! - pad, lx[1]! + pad];
  const [blo, bhi] = spec.yBounds ?? [-Infinity, Infinity];
  const ys = points.flatMap((p) => (finite(p.std) ? [p.mean - p.std, p.mean + p.std] : [p.mean])).map((v) => Math.min(bhi, Math.max(blo, v)));
  const yTicks = niceTicks(ys.length ? Math.min(...ys) : 0, ys.length ? Math.max(...ys) : 1);
  const [ya, yb] = [yTicks[0]!, yTicks[yTicks.length - 1]!];
  const x0 = CHART.left;
  const x1 = CHART.width - CHART.right;
  const y0 = CHART.top;
  const y1 = CHART.height - CHART.bottom;
  return {
    x0, x1, y0, y1, xTicks: xs, yTicks,
    x: (v) => x0 + ((Math.log10(v) - xa) / (xb - xa)) * (x1 - x0),
    y: (v) => y1 - ((v - ya) / (yb - ya)) * (y1 - y0),
  };
}

const n = (v: number): string => String(Number(v.toFixed(2)));

/** The tick label: as few decimals as the ticks need. */
function tickText(ticks: readonly number[]): (v: number) => string {
  const step = ticks.length > 1 ? Math.abs(ticks[1]! - ticks[0]!) : 1;
  const digits = Math.max(0, Math.min(6, -Math.floor(Math.log10(step) + 1e-9)));
  return (v) => v.toFixed(digits);
}

function seriesMarks(s: PlotSeries, L: ChartLayout, index: number): string[] {
  const pts = s.points.filter((p) => finite(p.mean) && p.x > 0).slice().sort((a, b) => a.x - b.x);
  const c = escapeXml(s.color);
  const label = escapeXml(s.label);
  const out: string[] = [`<g class="series" data-series="${label}">`];
  const withStd = pts.filter((p) => finite(p.std));
  // A band per stretch of neighbouring points that have a spread: never across a point without one.
  const stretches: PlotPoint[][] = [[]];
  for (const p of pts) {
    if (finite(p.std)) stretches[stretches.length - 1]!.push(p);
    else if (stretches[stretches.length - 1]!.length) stretches.push([]);
  }
  for (const band of stretches.filter((b) => b.length > 1)) {
    const upper = band.map((p) => `${n(L.x(p.x))},${n(L.y(p.mean + p.std))}`);
    const lower = band.slice().reverse().map((p) => `${n(L.x(p.x))},${n(L.y(p.mean - p.std))}`);
    out.push(`<polygon class="band" points="${[...upper, ...lower].join(' ')}" fill="${c}" fill-opacity="0.14" stroke="none" clip-path="url(#plot-area)"/>`);
  }
  if (pts.length > 1) {
    out.push(`<polyline class="line" points="${pts.map((p) => `${n(L.x(p.x))},${n(L.y(p.mean))}`).join(' ')}" fill="none" stroke="${c}" stroke-width="2.2"${s.dashed ? ' stroke-dasharray="7 4"' : ''}/>`);
  }
  for (const p of withStd) {
    const [cx, ya, yb] = [n(L.x(p.x)), n(L.y(p.mean - p.std)), n(L.y(p.mean + p.std))];
    const cap = (y: string): string => `<line x1="${n(L.x(p.x) - 5)}" y1="${y}" x2="${n(L.x(p.x) + 5)}" y2="${y}"/>`;
    out.push(`<g class="errorbar" stroke="${c}" stroke-width="1.5" clip-path="url(#plot-area)"><line x1="${cx}" y1="${ya}" x2="${cx}" y2="${yb}"/>${cap(ya)}${cap(yb)}</g>`);
  }
  const shape = index % 2 === 0
    ? (x: number, y: number, attrs: string): string => `<circle ${attrs} cx="${n(x)}" cy="${n(y)}" r="4.5"/>`
    : (x: number, y: number, attrs: string): string => `<rect ${attrs} x="${n(x - 4.5)}" y="${n(y - 4.5)}" width="9" height="9"/>`;
  for (const p of pts) out.push(shape(L.x(p.x), L.y(p.mean), `class="point" data-x="${p.x}" data-mean="${p.mean}" fill="${c}" stroke="#fff" stroke-width="1.2"`));
  out.push('</g>');
  return out;
}

/** The chart as a standalone SVG document (no XML declaration, so it also inlines into HTML). */
export function lineChartSvg(spec: ChartSpec): string {
  const L = chartLayout(spec);
  const { width: W, height: H } = CHART;
  const xText = spec.xTickLabel ?? percent;
  const yText = tickText(L.yTicks);
  const e = escapeXml;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="13" role="img" aria-label="${e(spec.title)}">`,
    `<title>${e(spec.title)}</title>`,
    `<defs><clipPath id="plot-area"><rect x="${L.x0}" y="${L.y0}" width="${L.x1 - L.x0}" height="${L.y1 - L.y0}"/></clipPath></defs>`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text class="title" x="${n((L.x0 + L.x1) / 2)}" y="${n(L.y0 - 22)}" text-anchor="middle" font-size="16" font-weight="bold" fill="#222">${e(spec.title)}</text>`,
  ];
  for (const t of L.yTicks) {
    const y = n(L.y(t));
    parts.push(`<line x1="${L.x0}" y1="${y}" x2="${L.x1}" y2="${y}" stroke="#e3e3e3"/>`);
    parts.push(`<text x="${L.x0 - 8}" y="${y}" dy="0.35em" text-anchor="end" fill="#444">${e(yText(t))}</text>`);
  }
  for (const t of L.xTicks) {
    const x = n(L.x(t));
    parts.push(`<line x1="${x}" y1="${L.y0}" x2="${x}" y2="${L.y1}" stroke="#f0f0f0"/>`);
    parts.push(`<line x1="${x}" y1="${L.y1}" x2="${x}" y2="${L.y1 + 5}" stroke="#444"/>`);
    parts.push(`<text x="${x}" y="${L.y1 + 20}" text-anchor="middle" fill="#444">${e(xText(t))}</text>`);
  }
  parts.push(`<path d="M${L.x0},${L.y0} V${L.y1} H${L.x1}" fill="none" stroke="#444"/>`);
  parts.push(`<text class="x-label" x="${n((L.x0 + L.x1) / 2)}" y="${H - 14}" text-anchor="middle" fill="#222">${e(spec.xLabel)}</text>`);
  const ym = n((L.y0 + L.y1) / 2);
  parts.push(`<text class="y-label" x="18" y="${ym}" transform="rotate(-90 18 ${ym})" text-anchor="middle" fill="#222">${e(spec.yLabel)}</text>`);
  spec.series.forEach((s, i) => parts.push(...seriesMarks(s, L, i)));
  spec.series.forEach((s, i) => {
    const y = L.y0 + 10 + i * 24;
    const x = L.x1 + 18;
    const c = e(s.color);
    parts.push(`<g class="legend"><line x1="${x}" y1="${y}" x2="${x + 28}" y2="${y}" stroke="${c}" stroke-width="2.2"${s.dashed ? ' stroke-dasharray="7 4"' : ''}/>`,
      i % 2 === 0 ? `<circle cx="${x + 14}" cy="${y}" r="4.5" fill="${c}"/>` : `<rect x="${x + 9.5}" y="${y - 4.5}" width="9" height="9" fill="${c}"/>`,
      `<text x="${x + 36}" y="${y}" dy="0.35em" fill="#222">${e(s.label)}</text></g>`);
  });
  const hasStd = spec.series.some((s) => s.points.some((p) => finite(p.std)));
  if (hasStd) parts.push(`<text x="${L.x1 + 18}" y="${L.y0 + 10 + spec.series.length * 24 + 4}" font-size="11" fill="#666">mean ± std</text>`);
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
