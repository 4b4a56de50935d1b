// The self-contained HTML report: sections, inline SVG, tables, claim, no external assets, escaping.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { reportHtml } from './html.js';
import { lineChartSvg } from './plot.js';
import { studyChart } from './study_chart.js';
import { fakeStudy } from './testing/study.js';
import { writeStudyReport } from './write.js';
import { tempDir } from '../testing/temp_dir.js';

const study = fakeStudy({
  pretrained: { 0.2: [0.947, 0.951, 0.955], 1: [0.96, 0.96, 0.97] },
  scratch: { 0.2: [0.8, 0.8, 0.8], 1: [0.942, 0.948, 0.954] },
});

describe('reportHtml', () => {
  it('is one self-contained page: plot inline, both tables, the claim sentence', () => {
    const html = reportHtml(study, lineChartSvg(studyChart(study)), 'T');
    assert.match(html, /^<!doctype html>/);
    assert.equal((html.match(/<svg /g) ?? []).length, 1);
    assert.ok(!/<script|<link|<img|src=|@import|url\((?!#le-plot-area\))/i.test(html), 'no external assets or scripts');
    assert.match(html, /Pretrained at 20\u00a0% labels: Dice 0\.951 ± 0\.004 vs scratch at 100\u00a0%: 0\.948 ± 0\.006 → matches/);
    const tables = html.match(/<table>.*?<\/table>/gs) ?? [];
    assert.equal(tables.length, 3);
    assert.equal((tables[0]!.match(/<tr>/g) ?? []).length, 1 + 4); // header + 2 ratios × 2 arms
    // Paired by seed: at 20 % the differences are +0.147, +0.151, +0.155.
    assert.match(tables[1]!, /<tr><td>20\u00a0%<\/td><td class="l">\+0\.151 ± 0\.002 \(SE\), ahead in 3 of 3 seeds<\/td><\/tr>/);
    assert.equal((tables[2]!.match(/<tr>/g) ?? []).length, 1 + 12); // header + every run
    assert.match(tables[0]!, /<td>20\u00a0%<\/td><td class="l">pretrained<\/td><td>8<\/td><td>3<\/td><td>0\.951 ± 0\.004<\/td>/);
    assert.match(tables[0]!, /<td>\+0\.151<\/td>/); // Δ Dice vs scratch at 20 %
    assert.match(html, /5 optimizer steps per run \(1 epoch at 100\u00a0% labels\)/);
    assert.match(html, /vit-t at 32×32, batch 8, float32 with IEEE denormals</); // runs without a record kept IEEE denormals
    const flushedRun = { ...study, runs: study.runs.map((x, i) => (i ? x : { ...x, denormals: 'flush' as const })) };
    assert.match(reportHtml(flushedRun, '', 'T'), /float32 with denormals flushed in some runs or epochs and IEEE in others</);
    assert.match(html, /HD95 \(mm\)/);
    assert.ok(!html.includes('NaN'));
    assert.ok(!html.includes('val Dice'), 'no validation column where no run recorded one');
  });

  it('shows the validation score that chose each run\'s checkpoint, where the study recorded it', () => {
    const runs = study.runs.map((x, i) => (i === 0 ? { ...x, val: { epoch: 7, metrics: { dice: 0.93125 } } } : x));
    const html = reportHtml({ ...study, runs }, lineChartSvg(studyChart(study)), 'T');
    const table = (html.match(/<table>.*?<\/table>/gs) ?? [])[2]!;
    assert.match(table, /<th>val Dice \(epoch\)<\/th>/);
    assert.match(table, /<td>13 s<\/td><td>0\.9313 \(7\)<\/td><td>0\.9600<\/td>/);
    assert.equal((table.match(/<td>13 s<\/td><td>n\/a<\/td>/g) ?? []).length, 11); // the other runs recorded none
  });

  it('escapes interpolated text and flags an incomplete study', () => {
    const evil = fakeStudy({ pretrained: { 1: [0.9] }, scratch: { 1: [0.8] } }, { data: '/d/<script>alert(1)</script>', weights: 'a&b"c' }, false);
    const html = reportHtml(evil, lineChartSvg(studyChart(evil)), '<now>');
    assert.ok(!html.includes('<script>') && !html.includes('a&b"c') && !html.includes('<now>'));
    assert.match(html, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
    assert.match(html, /a&amp;b&quot;c/);
    assert.match(html, /Incomplete: 2 runs finished so far/);
  });
});

describe('writeStudyReport', () => {
  it('writes plot.svg, plot.png (2× the SVG) and report.html', async () => {
    const dir = tempDir('usfm-report-');
    const files = await writeStudyReport(dir, study);
    assert.match(readFileSync(files.svg, 'utf8'), /^<svg /);
    const meta = await sharp(files.png).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height], ['png', 1440, 880]);
    assert.ok(readFileSync(files.html, 'utf8').includes(readFileSync(files.svg, 'utf8').split('\n')[1]!));
  });
});
