// HC18 head circumference from a segmentation mask.
//
// Steps: take the largest 8-connected foreground component (any value ≥ 1), fill its holes
// (pixels not reachable from the image edge through 4-connected non-component pixels), so a
// drawn ellipse outline (HC18 annotation style) and a filled ellipse give the same region;
// then fit an ellipse by image moments. For a uniformly filled ellipse with semi-axes a ≥ b the
// second central moments along its axes are a²/4 and b²/4, so a = 2·sqrt(λ1), b = 2·sqrt(λ2)
// where λ1 ≥ λ2 are the eigenvalues of the covariance matrix. The circumference uses
// Ramanujan's first approximation π(3(a+b) − sqrt((3a+b)(a+3b))).
// With spacing [sy, sx] the moments are taken in physical coordinates (x·sx, y·sy), so the
// result is in that unit (mm for HC18's per-image pixel size).

export interface EllipseFit {
  /** Centre in physical units (pixels when no spacing): x along width, y along height. */
  cx: number;
  cy: number;
  /** Semi-major and semi-minor axes (a ≥ b). */
  a: number;
  b: number;
  /** Angle of the major axis from the +x axis, radians in (−π/2, π/2]. */
  angle: number;
  /** Pixel count of the filled component that was fitted. */
  pixels: number;
}

/** Ramanujan's approximation of the perimeter of an ellipse with semi-axes a, b. */
export function ramanujanPerimeter(a: number, b: number): number {
  return Math.PI * (3 * (a + b) - Math.sqrt((3 * a + b) * (a + 3 * b)));
}

/** Labels of the largest 8-connected foreground component, as a 0/1 mask (all 0 if none). */
export function largestComponent(mask: Uint8Array, height: number, width: number): Uint8Array {
  const n = height * width;
  const label = new Int32Array(n);
  const stack = new Int32Array(n);
  let best = 0;
  let bestSize = 0;
  let next = 0;
  for (let s = 0; s < n; s++) {
    if (mask[s] === 0 || label[s] !== 0) continue;
    next++;
    let size = 0;
    let top = 0;
    stack[top++] = s;
    label[s] = next;
    while (top > 0) {
      const i = stack[--top]!;
      size++;
      const y = (i / width) | 0;
      const x = i - y * width;
      for (let dy = -1; dy <= 1; dy++) {
        const yy = y + dy;
        if (yy < 0 || yy >= height) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx;
          if (xx < 0 || xx >= width) continue;
          const j = yy * width + xx;
          if (mask[j] !== 0 && label[j] === 0) {
            label[j] = next;
            stack[top++] = j;
          }
        }
      }
    }
    if (size > bestSize) {
      bestSize = size;
      best = next;
    }
  }
  const out = new Uint8Array(n);
  if (best > 0) for (let i = 0; i < n; i++) if (label[i] === best) out[i] = 1;
  return out;
}

/** Fills holes of a 0/1 mask: every pixel not 4-connected to the image edge through zeros. */
export function fillHoles(mask: Uint8Array, height: number, width: number): Uint8Array {
  const n = height * width;
  const outside = new Uint8Array(n);
  const stack = new Int32Array(n);
  let top = 0;
  const seed = (i: number): void => {
    if (mask[i] === 0 && outside[i] === 0) {
      outside[i] = 1;
      stack[top++] = i;
    }
  };
  for (let x = 0; x < width; x++) {
    seed(x);
    seed((height - 1) * width + x);
  }
  for (let y = 0; y < height; y++) {
    seed(y * width);
    seed(y * width + width - 1);
  }
  while (top > 0) {
    const i = stack[--top]!;
    const y = (i / width) | 0;
    const x = i - y * width;
    if (y > 0) seed(i - width);
    if (y < height - 1) seed(i + width);
    if (x > 0) seed(i - 1);
    if (x < width - 1) seed(i + 1);
  }
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = outside[i] === 0 ? 1 : 0;
  return out;
}

/** Moment ellipse of the hole-filled largest component; null for an empty mask. */
export function fitEllipse(
  mask: Uint8Array,
  height: number,
  width: number,
  spacing: readonly [sy: number, sx: number] = [1, 1],
): EllipseFit | null {
  if (mask.length !== height * width) throw new Error(`fitEllipse: ${mask.length} values for ${height}×${width}`);
  const [sy, sx] = spacing;
  if (!(sy > 0 && sx > 0)) throw new Error(`fitEllipse: bad spacing [${sy}, ${sx}]`);
  const region = fillHoles(largestComponent(mask, height, width), height, width);
  let m0 = 0;
  let mx = 0;
  let my = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (region[y * width + x] === 0) continue;
      m0++;
      mx += x;
      my += y;
    }
  }
  if (m0 === 0) return null;
  const cxp = mx / m0;
  const cyp = my / m0;
  let sxx = 0;
  let syy = 0;
  let sxy = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (region[y * width + x] === 0) continue;
      const dx = (x - cxp) * sx;
      const dy = (y - cyp) * sy;
      sxx += dx * dx;
      syy += dy * dy;
      sxy += dx * dy;
    }
  }
  sxx /= m0;
  syy /= m0;
  sxy /= m0;
  const half = (sxx + syy) / 2;
  const r = Math.hypot((sxx - syy) / 2, sxy);
  const l1 = half + r;
  const l2 = Math.max(half - r, 0);
  return {
    cx: cxp * sx,
    cy: cyp * sy,
    a: 2 * Math.sqrt(l1),
    b: 2 * Math.sqrt(l2),
    angle: 0.5 * Math.atan2(2 * sxy, sxx - syy),
    pixels: m0,
  };
}

/**
 * Head circumference: Ramanujan perimeter of the moment ellipse of the largest component,
 * in pixels, or in the unit of `spacing` ([sy, sx]). NaN for an empty mask.
 */
export function ellipseCircumference(
  mask: Uint8Array,
  height: number,
  width: number,
  spacing: readonly [sy: number, sx: number] = [1, 1],
): number {
  const fit = fitEllipse(mask, height, width, spacing);
  return fit === null ? NaN : ramanujanPerimeter(fit.a, fit.b);
}
