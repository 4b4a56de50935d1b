import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { boundaryMask } from './edt.js';
import { ellipseCircumference, fillHoles, fitEllipse, largestComponent, ramanujanPerimeter } from './hc.js';

/** Rasterises a filled ellipse by pixel-centre test, in physical coordinates (x·sx, y·sy). */
function ellipse(
  h: number, w: number, cx: number, cy: number, a: number, b: number, theta = 0, sp: [number, number] = [1, 1],
): Uint8Array {
  const m = new Uint8Array(h * w);
  const c = Math.cos(theta);
  const s = Math.sin(theta);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const dx = x * sp[1] - cx;
      const dy = y * sp[0] - cy;
      const u = dx * c + dy * s;
      const v = -dx * s + dy * c;
      if ((u * u) / (a * a) + (v * v) / (b * b) <= 1) m[y * w + x] = 1;
    }
  }
  return m;
}

const rel = (got: number, want: number): number => Math.abs(got - want) / want;

describe('ramanujanPerimeter', () => {
  it('is exact for a circle', () => {
    assert.ok(Math.abs(ramanujanPerimeter(10, 10) - 20 * Math.PI) < 1e-12);
  });
});

describe('ellipseCircumference', () => {
  const H = 160;
  const W = 200;
  for (const [a, b, theta] of [[60, 40, 0], [60, 40, Math.PI / 6], [75, 30, -1.1], [45, 45, 0], [20, 12, 0.4]] as const) {
    it(`filled ellipse a=${a} b=${b} θ=${theta.toFixed(2)} within 1%`, () => {
      const m = ellipse(H, W, 100.3, 80.6, a, b, theta);
      const want = ramanujanPerimeter(a, b);
      const got = ellipseCircumference(m, H, W);
      assert.ok(rel(got, want) < 0.01, `${got} vs ${want}`);
      const fit = fitEllipse(m, H, W)!;
      assert.ok(rel(fit.a, a) < 0.01 && rel(fit.b, b) < 0.01, `${fit.a} ${fit.b}`);
      assert.ok(Math.abs(fit.cx - 100.3) < 0.2 && Math.abs(fit.cy - 80.6) < 0.2);
      if (a !== b) {
        const dAng = Math.abs(Math.atan(Math.tan(fit.angle - theta)));
        assert.ok(dAng < 0.02, `angle ${fit.angle} vs ${theta}`);
      }
    });
  }

  it('outline-only annotation (HC18 style) is filled first, within 1%', () => {
    const outline = boundaryMask(ellipse(H, W, 100, 80, 60, 40, 0.3), H, W);
    const got = ellipseCircumference(outline, H, W);
    assert.ok(rel(got, ramanujanPerimeter(60, 40)) < 0.01, `${got}`);
  });

  it('ignores smaller components', () => {
    const m = ellipse(H, W, 100, 80, 60, 40);
    for (let y = 2; y < 10; y++) for (let x = 2; x < 10; x++) m[y * W + x] = 1;
    assert.ok(rel(ellipseCircumference(m, H, W), ramanujanPerimeter(60, 40)) < 0.01);
  });

  it('isotropic spacing scales the result', () => {
    const m = ellipse(H, W, 100, 80, 60, 40, 0.5);
    const px = ellipseCircumference(m, H, W);
    assert.ok(Math.abs(ellipseCircumference(m, H, W, [0.15, 0.15]) - 0.15 * px) < 1e-9);
  });

  it('anisotropic spacing: ellipse rasterised in mm', () => {
    const sp: [number, number] = [0.2, 0.1]; // mm per pixel along y, x
    const m = ellipse(H, W, 10, 16, 8, 5, 0.7, sp);
    const got = ellipseCircumference(m, H, W, sp);
    assert.ok(rel(got, ramanujanPerimeter(8, 5)) < 0.01, `${got}`);
  });

  it('empty mask gives NaN and null fit; labels ≥ 1 are foreground', () => {
    assert.ok(Number.isNaN(ellipseCircumference(new Uint8Array(100), 10, 10)));
    assert.equal(fitEllipse(new Uint8Array(100), 10, 10), null);
    const m = ellipse(H, W, 100, 80, 60, 40).map((v) => v * 2);
    assert.ok(rel(ellipseCircumference(m, H, W), ramanujanPerimeter(60, 40)) < 0.01);
  });
});

describe('component helpers', () => {
  it('largestComponent uses 8-connectivity; fillHoles fills enclosed zeros', () => {
    // Diagonal chain of 3 (8-connected) vs a 2-pixel horizontal pair.
    const m = Uint8Array.from([1, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 1]);
    assert.deepEqual([...largestComponent(m, 3, 5)], [1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0]);
    const ring = Uint8Array.from([0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 0, 1, 0, 1, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0]);
    const filled = fillHoles(ring, 5, 5);
    assert.equal(filled[12], 1);
    assert.equal(filled.reduce((s, v) => s + v, 0), 9);
  });
});
