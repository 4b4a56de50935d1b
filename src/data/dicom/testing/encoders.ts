// Test helpers: minimal encoders for RLE Lossless (PS3.5 Annex G) and JPEG lossless (ISO 10918-1
// process 14, first-order prediction), written independently of the decoders they check.

/** PackBits: replicate runs of 3+ equal bytes, literal runs otherwise (at most 128 per run). */
export function packBits(src: Uint8Array): Uint8Array {
  const out: number[] = [];
  let i = 0;
  while (i < src.length) {
    let run = 1;
    while (i + run < src.length && src[i + run] === src[i] && run < 128) run++;
    if (run >= 3) {
      out.push(257 - run, src[i]!);
      i += run;
      continue;
    }
    const start = i;
    while (i < src.length && i - start < 128) {
      if (i + 2 < src.length && src[i] === src[i + 1] && src[i] === src[i + 2]) break;
      i++;
    }
    out.push(i - start - 1, ...src.subarray(start, i));
  }
  return Uint8Array.from(out);
}

/**
 * RLE-encode a frame given as native little-endian, pixel-interleaved bytes
 * (`samples` samples of `bytes` bytes per pixel).
 */
export function encodeRleFrame(native: Uint8Array, samples: number, bytes: number): Uint8Array {
  const stride = samples * bytes;
  const pixels = native.length / stride;
  const segments: Uint8Array[] = [];
  for (let s = 0; s < samples; s++) {
    for (let k = bytes - 1; k >= 0; k--) {
      const plane = new Uint8Array(pixels);
      for (let p = 0; p < pixels; p++) plane[p] = native[p * stride + s * bytes + k]!;
      const seg = packBits(plane);
      segments.push(seg.length % 2 ? Uint8Array.from([...seg, 0x80]) : seg); // pad with a no-op
    }
  }
  const header = new DataView(new ArrayBuffer(64));
  header.setUint32(0, segments.length, true);
  let at = 64;
  segments.forEach((seg, i) => {
    header.setUint32(4 + 4 * i, at, true);
    at += seg.length;
  });
  const out = new Uint8Array(at);
  out.set(new Uint8Array(header.buffer));
  at = 64;
  for (const seg of segments) {
    out.set(seg, at);
    at += seg.length;
  }
  return out;
}

/**
 * JPEG lossless (SOF3), selection value 1, one Huffman table in which all 17 difference
 * categories have 5-bit codes. `samples` holds `comps` interleaved components of `precision` bits.
 */
export function encodeJpegLossless(
  samples: ArrayLike<number>,
  width: number,
  height: number,
  comps: number,
  precision: number,
): Uint8Array {
  const out: number[] = [0xff, 0xd8];
  const seg = (marker: number, body: number[]): void => {
    out.push(0xff, marker, (body.length + 2) >> 8, (body.length + 2) & 0xff, ...body);
  };
  const compSpecs = Array.from({ length: comps }, (_, c) => [c + 1, 0x11, 0]).flat();
  seg(0xc3, [precision, height >> 8, height & 0xff, width >> 8, width & 0xff, comps, ...compSpecs]);
  const counts = new Array<number>(16).fill(0);
  counts[4] = 17; // 17 codes of length 5: category k gets code k
  seg(0xc4, [0x00, ...counts, ...Array.from({ length: 17 }, (_, k) => k)]);
  const scanSpecs = Array.from({ length: comps }, (_, c) => [c + 1, 0x00]).flat();
  seg(0xda, [comps, ...scanSpecs, 1, 0, 0]);

  let acc = 0;
  let nbits = 0;
  const put = (value: number, n: number): void => {
    for (let b = n - 1; b >= 0; b--) {
      acc = (acc << 1) | ((value >> b) & 1);
      if (++nbits === 8) {
        out.push(acc);
        if (acc === 0xff) out.push(0);
        acc = 0;
        nbits = 0;
      }
    }
  };
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < comps; c++) {
        const at = (i: number, j: number): number => samples[(j * width + i) * comps + c]!;
        const pred = x > 0 ? at(x - 1, y) : y > 0 ? at(x, y - 1) : 1 << (precision - 1);
        let d = at(x, y) - pred;
        if (d > 32768) d -= 65536;
        if (d < -32767) d += 65536;
        const ssss = d === 0 ? 0 : d === 32768 ? 16 : Math.floor(Math.log2(Math.abs(d))) + 1;
        put(ssss, 5);
        if (ssss > 0 && ssss < 16) put(d > 0 ? d : d + (1 << ssss) - 1, ssss);
      }
    }
  }
  if (nbits > 0) put(0xff, 8 - nbits); // pad with 1 bits
  out.push(0xff, 0xd9);
  return Uint8Array.from(out);
}
