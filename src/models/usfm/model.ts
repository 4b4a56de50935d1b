import type { HostTensor } from '../../core/host.js';
import { Rng } from '../../core/random.js';
import type { AnyCheckpoint } from '../../checkpoint/open.js';
import { readCheckpoint } from '../../checkpoint/open.js';
import { writeSafetensors } from '../../checkpoint/safetensors.js';
import { initialise } from '../../nn/init.js';
import type { ParamSpec } from '../../nn/var_builder.js';
import { VarBuilder } from '../../nn/var_builder.js';
import { CompiledFn } from '../../runtime/compiled.js';
import { nodeBackend } from '../../runtime/node.js';
import type { Backend, SessionOptions } from '../../runtime/types.js';
import { input } from '../../core/tensor.js';
import { usfmCheckpointFilter } from './checkpoint_filter.js';
import type { ModelName, UsfmConfig } from './config.js';
import { makeConfig, presetName, validateConfig, windowOf } from './config.js';
import { usfmEncoder } from './encoder.js';
import { tableRows } from './rel_pos.js';

export const CONFIG_KEY = 'usfm.config';

/** Run `fn`; an error it throws is re-thrown as one line prefixed with the file's name. */
function aboutFile<T>(file: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    const msg = (e as Error).message;
    throw new Error(msg.startsWith(`${file}:`) ? msg : `${file}: ${msg}`);
  }
}

export interface LoadOptions {
  /** Input size (square side or [h, w]); tables are resized to it. Default: the checkpoint's, else 224. */
  readonly imgSize?: number | readonly [number, number];
  /** Expected preset; an error if the checkpoint disagrees. Default: detected. */
  readonly model?: ModelName;
  readonly backend?: Backend;
  readonly session?: SessionOptions;
  /**
   * Bake the weights into the ONNX model as initializers: ORT then pre-packs them (≈8% faster per
   * call) but session creation takes seconds for ViT-B. Worth it for long-running servers.
   */
  readonly bake?: boolean;
}

export interface Embeddings {
  /** [B, C] mean of patch tokens. */
  readonly pooled: HostTensor<'float32'>;
  /** [B, N, C] final-norm tokens, cls first. */
  readonly tokens: HostTensor<'float32'>;
}

/** Parameter specs of an encoder (declared by tracing it once; nothing runs). */
export function encoderSpecs(cfg: UsfmConfig): ParamSpec[] {
  const vb = VarBuilder.declare();
  usfmEncoder(vb, input('pixel_values', 'float32', ['B', cfg.inChans, cfg.imgSize[0], cfg.imgSize[1]]), cfg);
  return vb.specs();
}

/** Infer an encoder config from checkpoint tensors (after unwrapping) and metadata. */
export function detectConfig(
  tensors: ReadonlyMap<string, HostTensor>,
  metadata: Record<string, string>,
  file: string,
  hint?: readonly [number, number],
): UsfmConfig & { sourceWindow: [number, number] } {
  const saved = metadata[CONFIG_KEY];
  if (saved) {
    const cfg = aboutFile(file, () => {
      const c = JSON.parse(saved) as UsfmConfig;
      validateConfig(c);
      return c;
    });
    return { ...cfg, sourceWindow: windowOf(cfg) };
  }
  const find = (suffix: string): HostTensor | undefined => [...tensors].find(([k]) => k === suffix || k.endsWith(`.${suffix}`))?.[1];
  const pe = find('patch_embed.proj.weight');
  if (!pe || pe.shape.length !== 4) throw new Error(`${file}: no patch_embed.proj.weight; not a USFM/BEiT encoder checkpoint`);
  const [embedDim, inChans, patchSize] = [pe.shape[0]!, pe.shape[1]!, pe.shape[2]!];
  let depth = 0;
  for (const k of tensors.keys()) {
    const m = /(?:^|\.)blocks\.(\d+)\./.exec(k);
    if (m) depth = Math.max(depth, Number(m[1]) + 1);
  }
  const shared = find('rel_pos_bias.relative_position_bias_table');
  const table = shared ?? find('blocks.0.attn.relative_position_bias_table');
  if (!table) throw new Error(`${file}: no relative position bias table found`);
  const heads = table.shape[1]!;
  const rows = table.shape[0]!;
  const side = Math.round(Math.sqrt(rows - 3));
  let win: [number, number];
  if (side * side === rows - 3 && side % 2 === 1) win = [(side + 1) / 2, (side + 1) / 2];
  else if (hint && tableRows(hint[0] / patchSize, hint[1] / patchSize) === rows) win = [hint[0] / patchSize, hint[1] / patchSize];
  else throw new Error(`${file}: relative position tables have ${rows} rows, which is not a square window; pass the image size the checkpoint was trained at`);
  const cfg = { ...makeConfig('vit-b'), embedDim, depth, heads, inChans, patchSize, sharedRelPos: !!shared, imgSize: [win[0] * patchSize, win[1] * patchSize] as [number, number] };
  aboutFile(file, () => validateConfig(cfg));
  return { ...cfg, sourceWindow: win };
}

/** A USFM encoder with its weights, ready to embed images. */
export class UsfmEncoder {
  private fn: CompiledFn | null = null;
  constructor(
    readonly config: UsfmConfig,
    readonly params: Map<string, HostTensor<'float32'>>,
    readonly notes: readonly string[] = [],
    private readonly runtime: { backend: Backend; session?: SessionOptions; bake?: boolean } = { backend: nodeBackend },
  ) {}

  static random(cfg: UsfmConfig, seed = 0): UsfmEncoder {
    const rng = new Rng(seed);
    const params = new Map(encoderSpecs(cfg).map((s) => [s.name, initialise(s.shape, s.init, rng)]));
    return new UsfmEncoder(cfg, params, [`random init (seed ${seed})`]);
  }

  static async load(path: string, opts: LoadOptions = {}): Promise<UsfmEncoder> {
    return UsfmEncoder.fromCheckpoint(await readCheckpoint(path), path, opts);
  }

  /** Build from an already-read checkpoint (`path` names it in messages). */
  static fromCheckpoint(ck: AnyCheckpoint, path: string, opts: LoadOptions = {}): UsfmEncoder {
    const want = opts.imgSize === undefined ? undefined : typeof opts.imgSize === 'number' ? [opts.imgSize, opts.imgSize] as const : opts.imgSize;
    const detected = detectConfig(ck.tensors, ck.metadata, path, want);
    const { sourceWindow, ...base } = detected;
    const name = presetName(base);
    if (opts.model && name !== opts.model) {
      throw new Error(`${path}: checkpoint is ${name ?? `a custom ${base.embedDim}/${base.depth}/${base.heads} model`}, not ${opts.model}`);
    }
    const size = opts.imgSize ?? base.imgSize;
    const imgSize: [number, number] = typeof size === 'number' ? [size, size] : [size[0], size[1]];
    const cfg: UsfmConfig = { ...base, imgSize };
    aboutFile(path, () => validateConfig(cfg));
    const { tensors, notes } = usfmCheckpointFilter(ck.tensors, encoderSpecs(cfg), {
      file: path,
      sourceWindow,
      targetWindow: windowOf(cfg),
      ignore: (k) => k.startsWith('decoder.') || k.startsWith('head.') || k.startsWith('fc_norm.'),
    });
    return new UsfmEncoder(cfg, tensors, [`${ck.format} ${path}`, ...notes], { backend: opts.backend ?? nodeBackend, session: opts.session, bake: opts.bake });
  }

  private compiled(): CompiledFn {
    if (!this.fn) {
      const cfg = this.config;
      this.fn = new CompiledFn(this.runtime.backend, (ins) => {
        const out = usfmEncoder(VarBuilder.bind(ins), ins.pixel_values!, cfg);
        return { pooled: out.pooled, tokens: out.tokens };
      }, { dynamic: { pixel_values: { 0: 'B' } }, bake: this.runtime.bake ? this.params : undefined, session: this.runtime.session, name: 'usfm_encoder' });
    }
    return this.fn;
  }

  /** Embed a normalised [B, 3, H, W] float32 batch (H, W = the configured size). */
  async embed(pixels: HostTensor<'float32'>): Promise<Embeddings> {
    const [, c, h, w] = pixels.shape;
    if (pixels.shape.length !== 4 || c !== this.config.inChans || h !== this.config.imgSize[0] || w !== this.config.imgSize[1]) {
      throw new Error(`expected pixel_values [B,${this.config.inChans},${this.config.imgSize.join(',')}], got [${pixels.shape.join(',')}]`);
    }
    const feeds: Record<string, HostTensor> = { pixel_values: pixels, ...Object.fromEntries(this.params) };
    const r = await this.compiled().run(feeds);
    return { pooled: r.pooled as HostTensor<'float32'>, tokens: r.tokens as HostTensor<'float32'> };
  }

  /** ONNX model of the encoder with weights baked in and a symbolic batch axis (for export). */
  exportOnnx(): Uint8Array {
    const cfg = this.config;
    const shape = [1, cfg.inChans, cfg.imgSize[0], cfg.imgSize[1]];
    const fn = new CompiledFn(this.runtime.backend, (ins) => {
      const out = usfmEncoder(VarBuilder.bind(ins), ins.pixel_values!, cfg);
      return { pooled: out.pooled, tokens: out.tokens };
    }, { dynamic: { pixel_values: { 0: 'batch' } }, bake: this.params, name: 'usfm_encoder' });
    const feeds: Record<string, HostTensor> = { pixel_values: { dtype: 'float32', shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)) }, ...Object.fromEntries(this.params) };
    return fn.trace(feeds).bytes;
  }

  /** Save as safetensors, with the config and provenance in the metadata. */
  async save(path: string, provenance: Record<string, string> = {}): Promise<void> {
    await writeSafetensors(path, this.params, { format: 'pt', [CONFIG_KEY]: JSON.stringify(this.config), ...provenance });
  }

  async release(): Promise<void> {
    await this.fn?.release();
    this.fn = null;
  }
}

/** Load a USFM encoder from an official `.pth` or one of our `.safetensors`. */
export function loadUsfm(path: string, opts: LoadOptions = {}): Promise<UsfmEncoder> {
  return UsfmEncoder.load(path, opts);
}
