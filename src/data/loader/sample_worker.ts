/**
 * Worker-thread side of `SamplePool`: runs `segSample` / `clsSample` and posts the sample
 * back with its buffers transferred.
 */
import { parentPort } from 'node:worker_threads';
import { Rng } from '../../core/random.js';
import type { ClsItem } from '../datasets/cls.js';
import type { SegItem } from '../datasets/seg.js';
import type { SampleOptions } from './samples.js';
import { clsSample, segSample } from './samples.js';

export type WorkerSampleOptions = Omit<SampleOptions, 'rng' | 'onWarning'>;

export type WorkerRequest =
  | { readonly id: number; readonly kind: 'seg'; readonly item: SegItem; readonly seed: number; readonly opts: WorkerSampleOptions }
  | { readonly id: number; readonly kind: 'cls'; readonly item: ClsItem; readonly seed: number; readonly opts: WorkerSampleOptions };

export type WorkerResponse =
  | {
    readonly id: number;
    readonly ok: true;
    readonly shape: readonly number[];
    readonly image: Float32Array;
    readonly mask?: Uint8Array;
    readonly label?: number;
    readonly warnings: readonly string[];
  }
  | { readonly id: number; readonly ok: false; readonly error: string };

const port = parentPort;
if (port === null) throw new Error('sample_worker: must run in a worker thread');

port.on('message', (req: WorkerRequest) => {
  const warnings: string[] = [];
  const opts: SampleOptions = { ...req.opts, rng: new Rng(req.seed), onWarning: (w) => warnings.push(w) };
  const p = req.kind === 'seg' ? segSample(req.item, opts) : clsSample(req.item, opts);
  p.then(
    (s) => {
      const mask = s.mask && (s.mask.byteOffset !== 0 || s.mask.byteLength !== s.mask.buffer.byteLength) ? s.mask.slice() : s.mask;
      const res: WorkerResponse = {
        id: req.id, ok: true, shape: s.image.shape, image: s.image.data, warnings,
        ...(mask ? { mask } : {}),
        ...(s.label !== undefined ? { label: s.label } : {}),
      };
      const transfer: ArrayBuffer[] = [s.image.data.buffer as ArrayBuffer];
      if (mask && mask.buffer !== s.image.data.buffer) transfer.push(mask.buffer as ArrayBuffer);
      port.postMessage(res, transfer);
    },
    (e: unknown) => {
      const res: WorkerResponse = { id: req.id, ok: false, error: e instanceof Error ? e.message : String(e) };
      port.postMessage(res);
    },
  );
});
