/**
 * A small host-side mixed-radix FFT for data preparation (sizes such as 224 = 4·4·2·7 are not powers of
 * two): radix-4 and radix-2 butterflies plus a direct p-point DFT for the other prime factors, so a
 * transform costs about n·(Σ radices) complex multiply-adds (224: 17 per point instead of 224 for a
 * direct DFT; a prime n degrades to the direct O(n²)). float64 throughout. One 224×224 fft2 takes
 * about 5 ms on one core.
 */

/** Radices of n: 4s, 2, 3s, 5s, then the remaining primes. */
function radices(n: number): number[] {
  const out: number[] = [];
  let m = n;
  for (const p of [4, 2, 3, 5]) while (m % p === 0) { out.push(p); m /= p; }
  for (let p = 7; p * p <= m; p += 2) while (m % p === 0) { out.push(p); m /= p; }
  if (m > 1) out.push(m);
  return out;
}

/** One combine level: blocks of m = p·q points built from p sub-DFTs of q points. */
interface Stage {
  readonly p: number;
  readonly q: number;
  /** W_m^{r·k} = exp(−2πi·rk/m) for r in 1..p−1, k < q, at [(r − 1)·q + k] (the sign is applied at use). */
  readonly cos: Float64Array;
  readonly sin: Float64Array;
  /** Generic radix only: cos/sin(2π·j/p), and scratch for the p twiddled inputs. */
  readonly wr: Float64Array;
  readonly wi: Float64Array;
  readonly tr: Float64Array;
  readonly ti: Float64Array;
}

/**
 * A reusable plan for complex FFTs of one length: the input is gathered in mixed-radix digit-reversed
 * order, then combined in place level by level (decimation in time), with radix-2 and radix-4 butterflies
 * and a direct p-point DFT for other factors.
 */
export class FftPlan {
  private readonly perm: Int32Array;
  private readonly stages: Stage[] = [];
  private readonly sr: Float64Array;
  private readonly si: Float64Array;

  constructor(readonly n: number) {
    if (!Number.isInteger(n) || n < 1) throw new Error(`FFT length must be a positive integer, got ${n}`);
    const factors = radices(n);
    this.perm = new Int32Array(n);
    const digitReverse = (inOff: number, stride: number, m: number, outOff: number, fi: number): void => {
      if (m === 1) { this.perm[outOff] = inOff; return; }
      const p = factors[fi]!;
      for (let r = 0; r < p; r++) digitReverse(inOff + r * stride, stride * p, m / p, outOff + (r * m) / p, fi + 1);
    };
    digitReverse(0, 1, n, 0, 0);
    // Levels bottom-up: the last factor combines first.
    let q = 1;
    for (let fi = factors.length - 1; fi >= 0; fi--) {
      const p = factors[fi]!;
      const m = p * q;
      const cos = new Float64Array((p - 1) * q);
      const sin = new Float64Array((p - 1) * q);
      for (let r = 1; r < p; r++) {
        for (let k = 0; k < q; k++) {
          const a = (-2 * Math.PI * r * k) / m;
          cos[(r - 1) * q + k] = Math.cos(a);
          sin[(r - 1) * q + k] = Math.sin(a);
        }
      }
      const wr = Float64Array.from({ length: p }, (_, j) => Math.cos((2 * Math.PI * j) / p));
      const wi = Float64Array.from({ length: p }, (_, j) => Math.sin((2 * Math.PI * j) / p));
      this.stages.push({ p, q, cos, sin, wr, wi, tr: new Float64Array(p), ti: new Float64Array(p) });
      q = m;
    }
    this.sr = new Float64Array(n);
    this.si = new Float64Array(n);
  }

  /**
   * In place: x[k] ← Σ_j x[j]·exp(sign·2πi·jk/n) over the n elements re/im[off + j·stride]
   * (unscaled in both directions; sign −1 is the forward transform).
   */
  transform(re: Float64Array, im: Float64Array, off: number, stride: number, sign: 1 | -1): void {
    const { n, perm, sr, si } = this;
    for (let i = 0; i < n; i++) {
      const j = off + perm[i]! * stride;
      sr[i] = re[j]!;
      si[i] = im[j]!;
    }
    for (const st of this.stages) {
      if (st.p === 2) this.radix2(st, sign);
      else if (st.p === 4) this.radix4(st, sign);
      else this.generic(st, sign);
    }
    for (let i = 0; i < n; i++) {
      re[off + i * stride] = sr[i]!;
      im[off + i * stride] = si[i]!;
    }
  }

  private radix2(st: Stage, sign: number): void {
    const { sr, si, n } = this;
    const { q, cos, sin } = st;
    for (let b = 0; b < n; b += 2 * q) {
      for (let k = 0; k < q; k++) {
        const [i0, i1] = [b + k, b + q + k];
        const c = cos[k]!;
        const s = -sign * sin[k]!;
        const tr = sr[i1]! * c - si[i1]! * s;
        const ti = sr[i1]! * s + si[i1]! * c;
        sr[i1] = sr[i0]! - tr;
        si[i1] = si[i0]! - ti;
        sr[i0]! += tr;
        si[i0]! += ti;
      }
    }
  }

  private radix4(st: Stage, sign: number): void {
    const { sr, si, n } = this;
    const { q, cos, sin } = st;
    for (let b = 0; b < n; b += 4 * q) {
      for (let k = 0; k < q; k++) {
        const i0 = b + k;
        const [i1, i2, i3] = [i0 + q, i0 + 2 * q, i0 + 3 * q];
        // t_r = Y_r[k]·W_m^{rk}; the table holds the forward (−) angle, so sin flips with the sign.
        const c1 = cos[k]!, s1 = -sign * sin[k]!;
        const c2 = cos[q + k]!, s2 = -sign * sin[q + k]!;
        const c3 = cos[2 * q + k]!, s3 = -sign * sin[2 * q + k]!;
        const t0r = sr[i0]!, t0i = si[i0]!;
        const t1r = sr[i1]! * c1 - si[i1]! * s1, t1i = sr[i1]! * s1 + si[i1]! * c1;
        const t2r = sr[i2]! * c2 - si[i2]! * s2, t2i = sr[i2]! * s2 + si[i2]! * c2;
        const t3r = sr[i3]! * c3 - si[i3]! * s3, t3i = sr[i3]! * s3 + si[i3]! * c3;
        const a0r = t0r + t2r, a0i = t0i + t2i, a1r = t0r - t2r, a1i = t0i - t2i;
        const a2r = t1r + t3r, a2i = t1i + t3i;
        // (t1 − t3)·(sign·i)
        const dr = -sign * (t1i - t3i), di = sign * (t1r - t3r);
        sr[i0] = a0r + a2r; si[i0] = a0i + a2i;
        sr[i2] = a0r - a2r; si[i2] = a0i - a2i;
        sr[i1] = a1r + dr; si[i1] = a1i + di;
        sr[i3] = a1r - dr; si[i3] = a1i - di;
      }
    }
  }

  private generic(st: Stage, sign: number): void {
    const { sr, si, n } = this;
    const { p, q, cos, sin, wr, wi, tr, ti } = st;
    for (let b = 0; b < n; b += p * q) {
      for (let k = 0; k < q; k++) {
        tr[0] = sr[b + k]!;
        ti[0] = si[b + k]!;
        for (let r = 1; r < p; r++) {
          const c = cos[(r - 1) * q + k]!, s = -sign * sin[(r - 1) * q + k]!;
          const yr = sr[b + r * q + k]!, yi = si[b + r * q + k]!;
          tr[r] = yr * c - yi * s;
          ti[r] = yr * s + yi * c;
        }
        for (let s = 0; s < p; s++) {
          let ar = 0, ai = 0;
          for (let r = 0; r < p; r++) {
            const j = (r * s) % p;
            const c = wr[j]!, sn = sign * wi[j]!;
            ar += tr[r]! * c - ti[r]! * sn;
            ai += tr[r]! * sn + ti[r]! * c;
          }
          sr[b + s * q + k] = ar;
          si[b + s * q + k] = ai;
        }
      }
    }
  }
}

/** In-place 2-D FFT of an [h, w] complex plane (row-major); the inverse (sign +1) is scaled by 1/(h·w). */
export function fft2(re: Float64Array, im: Float64Array, h: number, w: number, sign: 1 | -1, plans?: { rows: FftPlan; cols: FftPlan }): void {
  if (re.length !== h * w || im.length !== h * w) throw new Error(`fft2: planes must hold ${h}×${w} values`);
  const rows = plans?.rows ?? new FftPlan(w);
  const cols = plans?.cols ?? (h === w ? rows : new FftPlan(h));
  if (rows.n !== w || cols.n !== h) throw new Error(`fft2: plans are for ${cols.n}×${rows.n}, the plane is ${h}×${w}`);
  for (let y = 0; y < h; y++) rows.transform(re, im, y * w, 1, sign);
  for (let x = 0; x < w; x++) cols.transform(re, im, x, w, sign);
  if (sign === 1) {
    const s = 1 / (h * w);
    for (let i = 0; i < h * w; i++) {
      re[i]! *= s;
      im[i]! *= s;
    }
  }
}
