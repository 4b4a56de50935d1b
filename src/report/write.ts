/** Write a label-efficiency study's plot (SVG + PNG) and HTML report next to its results.json. */
import { join } from 'node:path';
import { writeFileAtomic } from '../checkpoint/atomic.js';
import type { StudyResults } from '../train/label_efficiency.js';
import { reportHtml } from './html.js';
import { lineChartSvg } from './plot.js';
import { svgToPng } from './png.js';
import { studyChart } from './study_chart.js';

export interface ReportFiles {
  readonly svg: string;
  readonly png: string;
  readonly html: string;
}

export async function writeStudyReport(out: string, r: StudyResults): Promise<ReportFiles> {
  const files = { svg: join(out, 'plot.svg'), png: join(out, 'plot.png'), html: join(out, 'report.html') };
  const svg = lineChartSvg(studyChart(r));
  await writeFileAtomic(files.svg, [Buffer.from(svg)]);
  await writeFileAtomic(files.png, [await svgToPng(svg)]);
  await writeFileAtomic(files.html, [Buffer.from(reportHtml(r, svg))]);
  return files;
}
