import type { HostTensor } from '../core/host.js';
import type { DecodedImage } from '../data/decode.js';
import { imageToTensor, stackBatch } from '../data/preprocess.js';
import type { EllipseFit } from '../metrics/hc.js';
import { fitEllipse, ramanujanPerimeter } from '../metrics/hc.js';
import type { CompiledFn } from '../runtime/compiled.js';
import type { Tta } from '../train/evaluate.js';
import { evalFunction } from '../train/evaluate.js';
import type { TaskCheckpoint } from '../train/task_checkpoint.js';
import { argmaxLabels, resizeProbs } from './render.js';

/** A segmentation result at the input image's own size. */
export interface SegPrediction {
  readonly task: 'seg';
  readonly width: number;
  readonly height: number;
  /** Class index per pixel, row-major. */
  readonly labels: Uint8Array;
  /** Pixel count per class. */
  readonly classPixels: readonly number[];
  /** Binary models: moment ellipse of the largest filled component (pixels), with its perimeter; null if empty. */
  readonly ellipse?: (EllipseFit & { readonly perimeter: number }) | null;
}

export interface ClsPrediction {
  readonly task: 'cls';
  readonly probabilities: readonly number[];
  readonly label: number;
}

export type Prediction = SegPrediction | ClsPrediction;

/**
 * Runs a fine-tuned model on decoded images of any size: each is resized to the model's input
 * (bicubic, ImageNet normalisation, as in training); segmentation probabilities are resized back to the
 * image's size (bilinear) before the per-pixel argmax, so masks align with the original pixels.
 */
export class Predictor {
  private readonly fn: CompiledFn;
  private readonly feeds: Record<string, HostTensor>;

  constructor(readonly ck: TaskCheckpoint, private readonly batchSize = 8, tta: Tta = 'none') {
    this.fn = evalFunction(ck.task, ck.cfg, { tta });
    this.feeds = Object.fromEntries(ck.tensors);
  }

  async predict(images: readonly DecodedImage[]): Promise<Prediction[]> {
    const out: Prediction[] = [];
    const s = this.ck.task.imgSize;
    for (let i = 0; i < images.length; i += this.batchSize) {
      const chunk = images.slice(i, i + this.batchSize);
      const x = stackBatch(chunk.map((img) => imageToTensor(img, s)));
      const probs = (await this.fn.run({ ...this.feeds, pixel_values: x })).probs!.data as Float32Array;
      const c = this.ck.task.classes;
      chunk.forEach((img, j) => {
        if (this.ck.task.task === 'cls') {
          const p = Array.from(probs.subarray(j * c, (j + 1) * c));
          out.push({ task: 'cls', probabilities: p, label: p.indexOf(Math.max(...p)) });
          return;
        }
        out.push(segResult(probs.subarray(j * c * s * s, (j + 1) * c * s * s), c, s, img));
      });
    }
    return out;
  }

  async release(): Promise<void> {
    await this.fn.release();
  }
}

function segResult(probs: Float32Array, c: number, s: number, img: DecodedImage): SegPrediction {
  const { width: w, height: h } = img;
  const labels = argmaxLabels(resizeProbs(probs, c, s, s, h, w), c, h * w);
  const classPixels = new Array<number>(c).fill(0);
  for (const l of labels) classPixels[l]!++;
  if (c !== 2) return { task: 'seg', width: w, height: h, labels, classPixels };
  const fit = fitEllipse(labels, h, w);
  return { task: 'seg', width: w, height: h, labels, classPixels, ellipse: fit && { ...fit, perimeter: ramanujanPerimeter(fit.a, fit.b) } };
}
