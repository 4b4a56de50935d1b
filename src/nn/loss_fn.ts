import type { Tensor } from '../core/tensor.js';
import type { VarBuilder } from './var_builder.js';

/** Builds the loss (and optional extra scalar/metric outputs) from parameters and a batch. */
export type LossFn = (vb: VarBuilder, batch: Readonly<Record<string, Tensor>>) => { loss: Tensor; extra?: Readonly<Record<string, Tensor>> };
