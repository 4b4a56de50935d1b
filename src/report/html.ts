/**
 * The label-efficiency study as one self-contained HTML page: what was run, the claim check, the
 * plot (its SVG inline), mean ± std per arm × ratio and every run. No scripts, fonts or images are
 * fetched; all interpolated text is escaped.
 */
import { basename } from 'node:path';
import type { ArmRatioSummary, StudyResults } from '../train/label_efficiency.js';
import { layerDecayOf } from '../train/label_efficiency.js';
import { showDenormals, studyDenormals } from '../train/denormals.js';
import { claimCheck, demonstrates } from './claim.js';
import { pairedGains, showGain } from './paired.js';
import { escapeXml as e, fixed, meanStd, metricDigits, metricLabel, missingRunsHint, percent } from './format.js';

const STYLE = `body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;max-width:1000px;margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.5em;margin-bottom:.2em}h2{font-size:1.15em;margin-top:1.8em}
.claim{font-size:1.05em;padding:.8em 1em;border-left:4px solid #1f77b4;background:#f3f7fb}
.claim.short{border-color:#d62728;background:#fbf3f3}.warn{color:#a15c00;font-weight:600}
table{border-collapse:collapse;font-size:.9em;margin:.5em 0}th,td{padding:.3em .7em;border-bottom:1px solid #ddd;text-align:right;white-space:nowrap}
th:first-child,td:first-child,th.l,td.l{text-align:left}thead th{border-bottom:2px solid #999}
dl{display:grid;grid-template-columns:max-content auto;gap:.2em 1em}dt{font-weight:600}dd{margin:0}
figure{margin:1em 0}svg{max-width:100%;height:auto}footer{margin-top:2em;color:#777;font-size:.85em}`;

const metricNames = (rows: readonly { metrics: Readonly<Record<string, unknown>> }[]): string[] => [...new Set(rows.flatMap((r) => Object.keys(r.metrics)))];

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

const duration = (s: number): string => (s < 90 ? `${Math.round(s)} s` : s < 5400 ? `${(s / 60).toFixed(1)} min` : `${(s / 3600).toFixed(1)} h`);

function what(r: StudyResults): string {
  const o = r.options;
  const plan = r.budget.ratios.map((p) => `${percent(p.ratio)}: ${p.images} images × ${plural(p.epochs, 'epoch')} = ${p.steps} steps`).join('; ');
  const arm = (a: 'pretrained' | 'scratch'): string => (a === 'pretrained'
    ? `backbone from ${o.weights ?? '(none)'}, base lr ${o.lrPretrained} (at batch 512), layer decay ${layerDecayOf(o, a)}`
    : `random initialisation, base lr ${o.lrScratch} (at batch 512), layer decay ${layerDecayOf(o, a)}`);
  const floats = studyDenormals(r.runs);
  const rows: [string, string][] = [
    ['data', o.data], ['task', o.task === 'seg' ? `segmentation (${o.head ?? 'upernet'} head${o.segChannels ? `, ${o.segChannels} channels` : ''})`
      : `classification${o.classWeights === 'balanced' ? ' (cross-entropy weighted by inverse class frequency)' : ''}`],
    ['model', `${o.model} at ${o.imgSize}×${o.imgSize}, batch ${o.batchSize}${floats === undefined ? '' : `, float32 with ${showDenormals(floats)}`}`],
    ['budget', `${r.budget.steps} optimizer steps per run (${o.budget.unit === 'epochs' ? `${plural(o.budget.value, 'epoch')} at ${percent(1)} labels` : '--steps'}); ${plan}`],
    ...o.arms.map((a): [string, string] => [a, arm(a)]),
    ['seeds', `${o.seeds.join(', ')} (each sets the label subset, initialisation and data order)`],
    ['runs', `${r.runs.length} finished, ${duration(r.seconds)} of training and evaluation`],
    ...(r.mergedFrom ? [['merged from', r.mergedFrom.join(', ')] as [string, string]] : []),
  ];
  return `<dl>${rows.map(([k, v]) => `<dt>${e(k)}</dt><dd>${e(v)}</dd>`).join('')}</dl>`;
}

function summaryTable(r: StudyResults): string {
  const names = metricNames(r.summary);
  const scratchAt = (ratio: number): ArmRatioSummary | undefined => r.summary.find((s) => s.arm === 'scratch' && s.ratio === ratio);
  const both = r.options.arms.length === 2;
  const head = ['label ratio', 'arm', 'images', 'runs', ...names.map(metricLabel), ...(both ? [`Δ ${metricLabel(r.metric)} vs scratch`] : [])];
  const rows = r.summary.map((s) => {
    const delta = s.arm === 'pretrained' && both ? (s.metrics[r.metric]?.mean ?? NaN) - (scratchAt(s.ratio)?.metrics[r.metric]?.mean ?? NaN) : NaN;
    const cells = [percent(s.ratio), s.arm, String(s.images), String(s.runs), ...names.map((k) => (s.metrics[k] ? meanStd(s.metrics[k], metricDigits(k)) : 'n/a')),
      ...(both ? [Number.isFinite(delta) ? `${delta >= 0 ? '+' : ''}${delta.toFixed(metricDigits(r.metric))}` : ''] : [])];
    return `<tr>${cells.map((c, i) => `<td${i === 1 ? ' class="l"' : ''}>${e(c)}</td>`).join('')}</tr>`;
  });
  return `<table><thead><tr>${head.map((h, i) => `<th${i === 1 ? ' class="l"' : ''}>${e(h)}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

/** Pretrained − scratch per seed at each ratio (the same label subset): the comparison the seeds' spread hurts least. */
function pairedSection(r: StudyResults): string {
  const gains = pairedGains(r.runs, r.metric);
  if (!gains.length) return '';
  const rows = gains.map((g) => `<tr><td>${e(percent(g.ratio))}</td><td class="l">${e(showGain(g, r.metric))}</td></tr>`);
  return `<h2>${e(`Pretrained − scratch at the same labels, paired by seed (${metricLabel(r.metric)})`)}</h2>
<p>Both arms of a seed train on the same label subset, so their difference per seed leaves out the subset's share of the spread. Mean difference ± its standard error over seeds, and in how many seeds the pretrained run scored higher.</p>
<table><thead><tr><th>label ratio</th><th class="l">pretrained − scratch</th></tr></thead><tbody>${rows.join('')}</tbody></table>
`;
}

/** Whether any run recorded the validation score its scored checkpoint was chosen by (studies since it was recorded). */
const recordsVal = (r: StudyResults): boolean => r.runs.some((x) => x.val !== undefined);

function runTable(r: StudyResults): string {
  const names = metricNames(r.runs);
  const val = recordsVal(r) ? [`val ${metricLabel(r.metric)} (epoch)`] : [];
  const head = ['run', 'arm', 'label ratio', 'seed', 'images', 'epochs', 'steps', 'wall time', ...val, ...names.map(metricLabel)];
  const rows = r.runs.map((x) => {
    const cells = [x.name, x.arm, percent(x.ratio), String(x.seed), String(x.images), String(x.epochs), String(x.steps), duration(x.seconds),
      ...(val.length ? [x.val ? `${fixed(x.val.metrics[r.metric], metricDigits(r.metric) + 1)} (${x.val.epoch})` : 'n/a'] : []),
      ...names.map((k) => fixed(x.metrics[k], metricDigits(k) + 1))];
    return `<tr>${cells.map((c, i) => `<td${i < 2 ? ' class="l"' : ''}>${e(c)}</td>`).join('')}</tr>`;
  });
  return `<table><thead><tr>${head.map((h, i) => `<th${i < 2 ? ' class="l"' : ''}>${e(h)}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

/** The report page; `svg` is the plot (lineChartSvg output), inlined as is. */
export function reportHtml(r: StudyResults, svg: string, generated = new Date().toISOString()): string {
  const task = r.options.task === 'seg' ? 'segmentation' : 'classification';
  const title = `Label efficiency: ${task} on ${basename(r.options.data)}`;
  const claim = claimCheck(r.summary, r.metric);
  const inline = svg.replace(/^<\?xml[^>]*>\s*/, '').replace(/\bid="plot-area"/g, 'id="le-plot-area"').replace(/url\(#plot-area\)/g, 'url(#le-plot-area)');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${e(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${e(title)}</h1>
<p>Does pretraining buy label efficiency? Each arm is fine-tuned on nested label subsets (class-stratified for classification; both arms share each seed's subset) with the same number of optimizer steps, and its best checkpoint (by validation ${e(metricLabel(r.metric))}) is scored on the test split.</p>
${r.complete ? '' : `<p class="warn">${e(`Incomplete: ${r.runs.length} runs finished so far; ${missingRunsHint(r)}.`)}</p>\n`}<p class="claim${demonstrates(claim.verdict) ? '' : ' short'}">${e(claim.sentence)}</p>
<h2>What was run</h2>
${what(r)}
<h2>${e(`Test ${metricLabel(r.metric)} vs label ratio`)}</h2>
<figure>
${inline.trim()}
</figure>
<h2>Test metrics: mean ± std over seeds (sample std)</h2>
${summaryTable(r)}
${pairedSection(r)}<h2>${e(`Every run (test metrics${recordsVal(r) ? '; the validation score that chose its checkpoint' : ''})`)}</h2>
${runTable(r)}
<footer>${e(`Generated by usfm label-efficiency on ${generated}.`)}</footer>
</body>
</html>
`;
}
