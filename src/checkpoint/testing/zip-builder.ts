/** Test-only: build small zip archives in memory (stored or deflated, optional ZIP64 records and torch-style alignment). */
import { deflateSync } from 'fflate';

export interface ZipInput {
  readonly name: string;
  readonly data: Uint8Array;
  readonly deflate?: boolean;
}

export interface ZipBuildOptions {
  /** Write ZIP64 extra fields and end records even though nothing needs them. */
  readonly zip64?: boolean;
  /** Pad each local header's extra field so entry data starts at a multiple of this (torch uses 64). */
  readonly align?: number;
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(data: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of data) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

class Bytes {
  private readonly parts: Uint8Array[] = [];
  length = 0;

  push(b: Uint8Array): void {
    this.parts.push(b);
    this.length += b.length;
  }

  fields(spec: ReadonlyArray<readonly [2 | 4 | 8, number]>): void {
    const size = spec.reduce((s, [n]) => s + n, 0);
    const b = new Uint8Array(size);
    const v = new DataView(b.buffer);
    let p = 0;
    for (const [n, x] of spec) {
      if (n === 2) v.setUint16(p, x, true);
      else if (n === 4) v.setUint32(p, x >>> 0, true);
      else v.setBigUint64(p, BigInt(x), true);
      p += n;
    }
    this.push(b);
  }

  concat(): Uint8Array {
    const out = new Uint8Array(this.length);
    let p = 0;
    for (const b of this.parts) {
      out.set(b, p);
      p += b.length;
    }
    return out;
  }
}

const SAT32 = 0xffffffff;

function zip64Extra(values: number[]): Uint8Array {
  const b = new Uint8Array(4 + 8 * values.length);
  const v = new DataView(b.buffer);
  v.setUint16(0, 0x0001, true);
  v.setUint16(2, 8 * values.length, true);
  values.forEach((x, i) => v.setBigUint64(4 + 8 * i, BigInt(x), true));
  return b;
}

export function buildZip(inputs: readonly ZipInput[], options: ZipBuildOptions = {}): Uint8Array {
  const out = new Bytes();
  const z64 = options.zip64 === true;
  const central: Array<{ name: Uint8Array; method: number; crc: number; comp: number; size: number; offset: number }> = [];
  for (const input of inputs) {
    const name = new TextEncoder().encode(input.name);
    const method = input.deflate ? 8 : 0;
    const body = input.deflate ? deflateSync(input.data) : input.data;
    const crc = crc32(input.data);
    const offset = out.length;
    let extra = z64 ? zip64Extra([input.data.length, body.length]) : new Uint8Array(0);
    if (options.align) {
      const start = offset + 30 + name.length + extra.length;
      const pad = (options.align - ((start + 4) % options.align)) % options.align;
      const fb = new Uint8Array(4 + pad);
      new DataView(fb.buffer).setUint16(0, 0x4246, true);
      new DataView(fb.buffer).setUint16(2, pad, true);
      const joined = new Uint8Array(extra.length + fb.length);
      joined.set(extra);
      joined.set(fb, extra.length);
      extra = joined;
    }
    out.fields([[4, 0x04034b50], [2, z64 ? 45 : 20], [2, 0x800], [2, method], [2, 0], [2, 0x21], [4, crc],
      [4, z64 ? SAT32 : body.length], [4, z64 ? SAT32 : input.data.length], [2, name.length], [2, extra.length]]);
    out.push(name);
    out.push(extra);
    out.push(body);
    central.push({ name, method, crc, comp: body.length, size: input.data.length, offset });
  }
  const cdStart = out.length;
  for (const c of central) {
    const extra = z64 ? zip64Extra([c.size, c.comp, c.offset]) : new Uint8Array(0);
    out.fields([[4, 0x02014b50], [2, 0x031e], [2, z64 ? 45 : 20], [2, 0x800], [2, c.method], [2, 0], [2, 0x21], [4, c.crc],
      [4, z64 ? SAT32 : c.comp], [4, z64 ? SAT32 : c.size], [2, c.name.length], [2, extra.length], [2, 0], [2, 0], [2, 0],
      [4, 0], [4, z64 ? SAT32 : c.offset]]);
    out.push(c.name);
    out.push(extra);
  }
  const cdSize = out.length - cdStart;
  if (z64) {
    const recAt = out.length;
    out.fields([[4, 0x06064b50], [8, 44], [2, 45], [2, 45], [4, 0], [4, 0], [8, central.length], [8, central.length], [8, cdSize], [8, cdStart]]);
    out.fields([[4, 0x07064b50], [4, 0], [8, recAt], [4, 1]]);
  }
  out.fields([[4, 0x06054b50], [2, 0], [2, 0], [2, z64 ? 0xffff : central.length], [2, z64 ? 0xffff : central.length],
    [4, z64 ? SAT32 : cdSize], [4, z64 ? SAT32 : cdStart], [2, 0]]);
  return out.concat();
}
