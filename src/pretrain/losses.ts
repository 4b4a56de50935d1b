/**
 * The two reconstruction losses, as graph (dtype-generic: float64 for gradient checks).
 *
 * Both are computed in the normalised pixel space the encoder sees, as SimMIM (its decoder regresses
 * the normalised image). For L_freq the space hardly matters: un-normalising is a per-channel affine map,
 * which changes only the DC bin and scales a channel's amplitudes by 1/std, i.e. shifts its log spectrum
 * by a constant that cancels in the log-difference wherever |F| ≫ 1.
 */
import type { Tensor } from '../core/tensor.js';
import { abs, add, complexAbs, dft2, div, log, mul, reduceSum, sub } from '../ops/index.js';

/**
 * SimMIM's L1 on the masked pixels: Σ|rec − target|·mask / (Σmask + 1e-5) / C, with mask [B, 1, H, W]
 * (zero for images without a spatial branch; an all-zero mask gives 0).
 */
export function spatialLoss(rec: Tensor, target: Tensor, mask: Tensor): Tensor {
  const c = rec.shape[1] as number;
  return div(div(reduceSum(mul(abs(sub(rec, target)), mask)), add(reduceSum(mask), 1e-5)), c);
}

/**
 * Amplitude spectrum of x [..., H, W] over the last two axes: |F| = sqrt(re² + im² + 1e-8) of the
 * unscaled 2-D DFT (torch.fft.fft2's default norm), or log(1 + |F|). In the log form the loss is, where
 * |F| ≫ 1 (all but the weakest bins at 224², where |F| ~ √(HW)·σ), the mean absolute log-ratio of the
 * amplitudes: a relative error that weighs the weak high frequencies like the strong low ones, instead
 * of being dominated by the DC and lowest bins.
 */
export function amplitudeSpectrum(x: Tensor, logScale: boolean): Tensor {
  const a = complexAbs(dft2(x));
  return logScale ? log(add(a, 1)) : a;
}

/**
 * L_freq: mean |A(rec) − A(target)| over the frequency-branch images (weight [B, 1, 1, 1] in {0,1}), all
 * channels and all H·W bins: Σ w·|ΔA| / (Σw·C·H·W + 1e-5). The target's spectrum needs no gradient.
 */
export function frequencyLoss(rec: Tensor, target: Tensor, weight: Tensor, logScale = true): Tensor {
  const [c, h, w] = rec.shape.slice(1) as number[];
  const d = abs(sub(amplitudeSpectrum(rec, logScale), amplitudeSpectrum(target, logScale)));
  return div(reduceSum(mul(d, weight)), add(mul(reduceSum(weight), c! * h! * w!), 1e-5));
}
