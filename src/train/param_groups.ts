import type { ParamSet } from './param_set.js';

/**
 * Parameter groups of the official USFM / BEiT fine-tuning recipe: layer-wise learning-rate decay,
 * an optional head learning-rate multiplier, and the no-weight-decay set. Each function writes the
 * per-slot `lrScale` / `decay` fields of a {@link ParamSet}, which {@link AdamW} reads every step.
 */

/**
 * Layer id of a parameter of a BEiT-style ViT with `depth` blocks, following BEiT's
 * `get_num_layer_for_vit(name, num_max_layer)` with `num_max_layer = depth + 2`:
 *
 * | name                                         | id          |
 * | -------------------------------------------- | ----------- |
 * | `cls_token`, `mask_token`, `pos_embed`       | 0           |
 * | `patch_embed`, `patch_embed.*`               | 0           |
 * | `rel_pos_bias`, `rel_pos_bias.*` (shared)    | depth + 1   |
 * | `blocks.<i>.*`                               | i + 1       |
 * | anything else (norm, fc_norm, head, decoder) | depth + 1   |
 *
 * (The shared relative position bias gets `num_max_layer − 1 = depth + 1`, the same id as the head:
 * it is not decayed.) Throws when a `blocks.<i>` index is not an integer in [0, depth).
 */
export function layerId(name: string, depth: number): number {
  checkDepth(depth);
  const top = depth + 1;
  if (name === 'cls_token' || name === 'mask_token' || name === 'pos_embed') return 0;
  if (name === 'patch_embed' || name.startsWith('patch_embed.')) return 0;
  if (name === 'rel_pos_bias' || name.startsWith('rel_pos_bias.')) return top;
  if (name === 'blocks' || name.startsWith('blocks.')) {
    const part = name.split('.')[1] ?? '';
    if (!/^\d+$/.test(part)) throw new Error(`layerId: cannot read a block index from ${name}`);
    const i = Number(part);
    if (i >= depth) throw new Error(`layerId: ${name} is block ${i}, but depth is ${depth}`);
    return i + 1;
  }
  return top;
}

function checkDepth(depth: number): void {
  if (!Number.isInteger(depth) || depth < 1) throw new Error(`depth must be a positive integer, got ${depth}`);
}

/** Parameters of task heads by default: `head.*` (classification) and `decode_head.*` (segmentation). */
export const DEFAULT_HEAD_PREFIXES: readonly string[] = ['head.', 'decode_head.'];

export interface LayerDecayOptions {
  /**
   * Removed from the front of a name before {@link layerId} (e.g. `'backbone.'` for an encoder inside
   * a segmentation model). Names without it are classified as they are.
   */
  readonly stripPrefix?: string;
  /** Extra lr multiplier for head parameters (default 1: none). */
  readonly headLrScale?: number;
  /** Prefixes of the full (unstripped) names of head parameters (default {@link DEFAULT_HEAD_PREFIXES}). */
  readonly headPrefixes?: readonly string[];
}

/** What {@link applyLayerDecay} assigned to one parameter. */
export interface LayerDecayEntry {
  readonly name: string;
  readonly layerId: number;
  readonly lrScale: number;
  readonly head: boolean;
}

/**
 * Layer-wise lr decay (BEiT's `LayerDecayValueAssigner`): sets every slot's
 * `lrScale = decay^(depth + 1 − layerId)` — so the patch embedding and tokens get `decay^(depth+1)`,
 * block i gets `decay^(depth − i)`, and the final norm / head get 1 — then multiplies head
 * parameters (by name prefix) by `headLrScale`. Any previous `lrScale` is overwritten. Returns the
 * assignment per slot, in slot order, for logging.
 */
export function applyLayerDecay(params: ParamSet, depth: number, decay: number, opts: LayerDecayOptions = {}): LayerDecayEntry[] {
  checkDepth(depth);
  if (!Number.isFinite(decay) || decay <= 0) throw new Error(`applyLayerDecay: decay must be a positive number, got ${decay}`);
  const headLrScale = opts.headLrScale ?? 1;
  if (!Number.isFinite(headLrScale) || headLrScale < 0) throw new Error(`applyLayerDecay: headLrScale must be a number ≥ 0, got ${headLrScale}`);
  const prefixes = opts.headPrefixes ?? DEFAULT_HEAD_PREFIXES;
  const strip = opts.stripPrefix ?? '';
  return params.slots.map((slot) => {
    const name = slot.spec.name;
    const local = strip && name.startsWith(strip) ? name.slice(strip.length) : name;
    const id = layerId(local, depth);
    const head = prefixes.some((p) => name.startsWith(p));
    slot.lrScale = decay ** (depth + 1 - id) * (head ? headLrScale : 1);
    return { name, layerId: id, lrScale: slot.lrScale, head };
  });
}

export interface NoDecayOptions {
  /**
   * Also exclude relative position bias tables (`*relative_position_bias_table`) from weight decay.
   * Off by default: the official recipe decays these 2-D tables.
   */
  readonly excludeRelPos?: boolean;
  /** Also exclude the absolute position embedding (`pos_embed`, BEiT's skip list). Default true. */
  readonly excludePosEmbed?: boolean;
}

/** Names BEiT/USFM keep out of weight decay regardless of shape (`no_weight_decay()` ∪ mask token). */
const TOKEN_NAMES = ['cls_token', 'mask_token'];

/** Whether `name` is `entry` or ends in `.entry` (so `cls_token` matches `backbone.cls_token`). */
function matches(name: string, entry: string): boolean {
  return name === entry || name.endsWith(`.${entry}`);
}

/**
 * The no-weight-decay rule of the official recipe (timm/BEiT `param_groups_weight_decay`): a
 * parameter is excluded when it is 1-D (norm weights, layer-scale gammas, biases), its name ends in
 * `.bias`/is `bias`, or it is in the skip list — `cls_token`, `mask_token`, `pos_embed` (unless
 * `excludePosEmbed: false`), `*relative_position_bias_table` (only with `excludeRelPos: true`) and
 * `extraNames`. A skip-list entry matches a name equal to it or ending in `.entry`.
 */
export function isNoDecay(name: string, shape: readonly number[], extraNames: readonly string[] = [], opts: NoDecayOptions = {}): boolean {
  if (shape.length <= 1) return true;
  if (name === 'bias' || name.endsWith('.bias')) return true;
  const skip = [...TOKEN_NAMES, ...((opts.excludePosEmbed ?? true) ? ['pos_embed'] : []), ...extraNames];
  if (skip.some((e) => matches(name, e))) return true;
  if (opts.excludeRelPos && name.endsWith('relative_position_bias_table')) return true;
  return false;
}

/**
 * Sets `decay = false` on every slot {@link isNoDecay} selects. It only ever clears the flag: a slot
 * the model already declared without decay stays so. Returns the names of the slots left without
 * decay (declared or cleared), in slot order.
 */
export function applyNoDecay(params: ParamSet, extraNames: readonly string[] = [], opts: NoDecayOptions = {}): string[] {
  const off: string[] = [];
  for (const slot of params.slots) {
    if (isNoDecay(slot.spec.name, slot.spec.shape, extraNames, opts)) slot.decay = false;
    if (!slot.decay) off.push(slot.spec.name);
  }
  return off;
}
