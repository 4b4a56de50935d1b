/**
 * Input-pipeline throughput: HC18 training split at 224, default seg augmentations
 * (rot90/hflip/vflip p=.5), batch 8; prints per-epoch images/s and the median over the epochs after
 * the first (which also pays for worker start-up and JIT warm-up, so it is reported on its own).
 *
 *     node --import tsx bench/loader.ts [ROOT] [--workers N] [--concurrency N] [--prefetch N] [--epochs 4]
 *
 * Default: loads on the main thread (--workers 0); --workers N uses a SamplePool of N threads.
 */
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { scanSegDataset } from '../src/data/datasets/seg.js';
import { BatchLoader } from '../src/data/loader/loader.js';
import { SamplePool } from '../src/data/loader/pool.js';
import { segLoad } from '../src/data/loader/samples.js';

function flag(name: string): number | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : undefined;
}

async function main(): Promise<void> {
  const positional = process.argv.slice(2).filter((a, i, all) => !a.startsWith('--') && !(all[i - 1] ?? '').startsWith('--'));
  const root = positional[0] ?? fileURLToPath(new URL('../../shared/data/Seg/hc18', import.meta.url));
  const ds = await scanSegDataset(root, 'train');
  const concurrency = flag('--concurrency') ?? availableParallelism() * 2;
  const prefetch = flag('--prefetch') ?? 2;
  const workers = flag('--workers') ?? 0;
  const epochs = flag('--epochs') ?? 4;
  if (!Number.isInteger(epochs) || epochs < 2) throw new Error(`--epochs must be an integer ≥ 2, got ${epochs}`);
  const pool = workers > 0 ? new SamplePool({ size: 224, workers }) : undefined;
  const load = pool ? pool.seg : segLoad({ size: 224 });
  const loader = new BatchLoader(ds.items, load, { batchSize: 8, shuffle: true, seed: 0, concurrency, prefetch });
  console.log(`${ds.items.length} images, ${loader.length} batches/epoch, ${workers} workers, concurrency ${concurrency}, prefetch ${prefetch}, ${availableParallelism()} CPUs`);
  try {
    const rates: number[] = [];
    for (let e = 0; e < epochs; e++) {
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      let n = 0;
      for await (const b of loader.epoch(e)) n += b.items.length;
      const s = (performance.now() - t0) / 1000;
      const cpu = process.cpuUsage(c0);
      const cores = (cpu.user + cpu.system) / 1e6 / s;
      if (e > 0) rates.push(n / s);
      console.log(`epoch ${e}: ${n} images in ${s.toFixed(2)} s, ${(n / s).toFixed(1)} images/s, ${cores.toFixed(2)} CPU cores busy`);
    }
    rates.sort((a, b) => a - b);
    const mid = rates.length / 2;
    const median = rates.length % 2 ? rates[Math.floor(mid)]! : (rates[mid - 1]! + rates[mid]!) / 2;
    console.log(`median of epochs 1–${epochs - 1}: ${median.toFixed(1)} images/s`);
  } finally {
    await pool?.close();
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exitCode = 1;
});
