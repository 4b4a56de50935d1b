// The hand-written SVG chart: tick choice, point geometry on the log-x / linear-y axes, escaping, and its PNG rendering.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import type { ChartSpec } from './plot.js';
import { CHART, chartLayout, lineChartSvg, niceTicks } from './plot.js';
import { svgToPng } from './png.js';

const spec: ChartSpec = {
  title: 'Dice <b> & "q"', xLabel: 'share of labels', yLabel: 'test Dice', yBounds: [0, 1],
  series: [
    { label: 'pretrained', color: '#1f77b4', points: [{ x: 1, mean: 0.9, std: 0 }, { x: 0.1, mean: 0.5, std: 0.1 }, { x: Math.sqrt(0.1), mean: 0.7, std: NaN }] },
    { label: 'scratch <x>', color: '#d62728', dashed: true, points: [{ x: 0.1, mean: 0.45, std: 0.05 }, { x: 1, mean: 0.8, std: NaN }] },
  ],
};

/** Marker centres by series and x, from the SVG text. */
function markers(svg: string): Map<string, [number, number]> {
  const out = new Map<string, [number, number]>();
  let series = '';
  for (const line of svg.split('\n')) {
    const g = /<g class="series" data-series="([^"]*)"/.exec(line);
    if (g) series = g[1]!;
    const c = /<circle class="point" data-x="([^"]+)".* cx="([^"]+)" cy="([^"]+)"/.exec(line);
    const r = /<rect class="point" data-x="([^"]+)".* x="([^"]+)" y="([^"]+)" width="9"/.exec(line);
    if (c) out.set(`${series}@${c[1]}`, [Number(c[2]), Number(c[3])]);
    if (r) out.set(`${series}@${r[1]}`, [Number(r[2]) + 4.5, Number(r[3]) + 4.5]);
  }
  return out;
}

describe('niceTicks', () => {
  it('covers the range with 1/2/5 steps', () => {
    assert.deepEqual(niceTicks(0.4, 0.9), [0.4, 0.5, 0.6, 0.7, 0.8, 0.9]);
    assert.deepEqual(niceTicks(0.43, 0.951), [0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1]);
    assert.deepEqual(niceTicks(0, 100), [0, 20, 40, 60, 80, 100]);
    const flat = niceTicks(3, 3);
    assert.ok(flat.length >= 2 && flat[0]! < 3 && flat[flat.length - 1]! > 3, String(flat));
  });
});

describe('lineChartSvg', () => {
  it('puts each mean at its log-x / linear-y position', () => {
    const L = chartLayout(spec);
    assert.deepEqual(L.yTicks, [0.4, 0.5, 0.6, 0.7, 0.8, 0.9]); // 0.4 = 0.45 − 0.05, 0.9 the top mean
    assert.deepEqual([L.x0, L.x1, L.y0, L.y1], [CHART.left, CHART.width - CHART.right, CHART.top, CHART.height - CHART.bottom]);
    const m = markers(lineChartSvg(spec));
    assert.equal(m.size, 5);
    // x: log10 over [−1, 0] padded by 6 % each side, i.e. [−1.06, 0.06] over the 480 px plot width.
    const x = (v: number): number => 72 + ((Math.log10(v) + 1.06) / 1.12) * 480;
    // y: [0.4, 0.9] over 328 px, upwards from 380.
    const y = (v: number): number => 380 - ((v - 0.4) / 0.5) * 328;
    const near = (got: [number, number] | undefined, want: [number, number], what: string): void => {
      assert.ok(got && Math.abs(got[0] - want[0]) < 0.01 && Math.abs(got[1] - want[1]) < 0.01, `${what}: ${String(got)} vs ${want}`);
    };
    near(m.get('pretrained@0.1'), [x(0.1), y(0.5)], 'pretrained 10 %');
    near(m.get('pretrained@1'), [x(1), 52], 'pretrained 100 %');
    near(m.get(`pretrained@${Math.sqrt(0.1)}`), [(x(0.1) + x(1)) / 2, y(0.7)], 'the geometric mean of the ratios is midway');
    near(m.get('scratch &lt;x&gt;@0.1'), [x(0.1), y(0.45)], 'scratch 10 % (square marker)');
    assert.equal(Math.round(x(0.1) * 100) / 100, 97.71);
  });

  it('draws error bars and bands only where the std is defined, and escapes all text', () => {
    const svg = lineChartSvg(spec);
    assert.equal((svg.match(/class="errorbar"/g) ?? []).length, 3); // pretrained 10 % and 100 %, scratch 10 %
    // Pretrained's two points with a std have one without between them, scratch has one: no band.
    assert.equal((svg.match(/class="band"/g) ?? []).length, 0);
    // A band spans only neighbouring points with a std: here 10 % and 20 %, not on across 50 % to 100 %.
    const gap = lineChartSvg({ ...spec, series: [{ label: 'p', color: '#000', points: [
      { x: 0.1, mean: 0.5, std: 0.1 }, { x: 0.2, mean: 0.6, std: 0.1 }, { x: 0.5, mean: 0.7, std: NaN }, { x: 1, mean: 0.8, std: 0.1 },
    ] }] });
    const bands = [...gap.matchAll(/class="band" points="([^"]+)"/g)].map((b) => b[1]!.split(' ').map((xy) => Number(xy.split(',')[0])));
    const L = chartLayout(spec);
    assert.equal(bands.length, 1);
    assert.deepEqual([...new Set(bands[0])].sort((a, b) => a - b), [L.x(0.1), L.x(0.2)].map((v) => Number(v.toFixed(2))));
    assert.match(svg, /Dice &lt;b&gt; &amp; &quot;q&quot;/);
    assert.ok(!svg.includes('<b>') && !svg.includes('<x>'));
    assert.match(svg, />10\u00a0%</);
    assert.match(svg, />100\u00a0%</);
    assert.match(svg, /stroke-dasharray="7 4"/);
    assert.match(svg, /font-family="sans-serif"/);
  });

  it('copes with one ratio and with no data', () => {
    const one = lineChartSvg({ ...spec, series: [{ label: 'a', color: '#000', points: [{ x: 0.5, mean: 0.8, std: NaN }] }] });
    assert.ok(!one.includes('NaN'));
    const none = lineChartSvg({ ...spec, series: [] });
    assert.ok(!none.includes('NaN') && none.includes('</svg>'));
  });
});

describe('svgToPng', () => {
  it('renders at twice the SVG size, with the text drawn (a sans-serif font was found)', async () => {
    const png = await svgToPng(lineChartSvg(spec));
    const { data, info } = await sharp(png).greyscale().raw().toBuffer({ resolveWithObject: true });
    assert.deepEqual([info.width, info.height], [2 * CHART.width, 2 * CHART.height]);
    // The title band (above the plot area) is white apart from the title's glyphs.
    let dark = 0;
    for (let r = 0; r < 2 * (CHART.top - 8); r++) for (let c = 0; c < info.width; c++) if (data[r * info.width + c]! < 128) dark++;
    assert.ok(dark > 300, `only ${dark} dark pixels in the title band: no font?`);
    // The y-axis tick labels left of the plot area are drawn too.
    let labels = 0;
    for (let r = 2 * CHART.top; r < 2 * (CHART.height - CHART.bottom); r++) for (let c = 60; c < 2 * CHART.left - 20; c++) if (data[r * info.width + c]! < 128) labels++;
    assert.ok(labels > 100, `only ${labels} dark pixels where the tick labels go`);
  });
});
