/**
 * Gradient accumulation: the mean of the gradients of several micro-batches, so an optimizer step sees
 * the gradient of the mean loss over all their samples (for equally sized micro-batches of a mean loss).
 * The first micro-batch's arrays become the accumulators (the step's outputs are fresh per run).
 */
export class GradAccumulator {
  private acc: Map<string, Float32Array> | null = null;
  private n = 0;

  /** Micro-batches added since the last `take`. */
  get count(): number {
    return this.n;
  }

  add(grads: ReadonlyMap<string, Float32Array>): void {
    this.n++;
    if (!this.acc) {
      this.acc = new Map(grads);
      return;
    }
    for (const [k, g] of grads) {
      const a = this.acc.get(k);
      if (!a || a.length !== g.length) throw new Error(`gradient accumulation: '${k}' missing or resized between micro-batches`);
      for (let i = 0; i < g.length; i++) a[i]! += g[i]!;
    }
  }

  /**
   * Add one micro-batch of a group of `every` and, when the group is complete or `last` (the epoch's last
   * batch closes a smaller group), take the group's mean gradient with its norm when it is known without
   * recomputing (a single micro-batch: the graph's own `gradNorm`); otherwise null.
   */
  push(grads: ReadonlyMap<string, Float32Array>, gradNorm: number, every: number, last: boolean): { grads: Map<string, Float32Array>; gradNorm?: number } | null {
    this.add(grads);
    if (this.n !== every && !last) return null;
    const single = this.n === 1;
    return single ? { grads: this.take(), gradNorm } : { grads: this.take() };
  }

  /** The mean gradient of the accumulated micro-batches; resets. */
  take(): Map<string, Float32Array> {
    if (!this.acc) throw new Error('gradient accumulation: nothing accumulated');
    const out = this.acc;
    if (this.n > 1) {
      const s = 1 / this.n;
      for (const a of out.values()) for (let i = 0; i < a.length; i++) a[i]! *= s;
    }
    this.acc = null;
    this.n = 0;
    return out;
  }
}
