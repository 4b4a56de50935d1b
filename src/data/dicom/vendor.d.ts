// Type declarations for the codec packages, which ship JavaScript/WASM without typings.
// The Emscripten factories are declared loosely here (ambient modules cannot import local types);
// ./codec_types.ts describes what they resolve to, and ./codecs.ts asserts it.

declare module '@cornerstonejs/codec-openjpeg/decodewasmjs' {
  const factory: (module?: { print?: (line: string) => void; printErr?: (line: string) => void }) => Promise<unknown>;
  export default factory;
}

declare module '@cornerstonejs/codec-openjpeg/wasmjs' {
  const factory: (module?: { print?: (line: string) => void; printErr?: (line: string) => void }) => Promise<unknown>;
  export default factory;
}

declare module '@cornerstonejs/codec-charls/decodewasmjs' {
  const factory: (module?: { print?: (line: string) => void; printErr?: (line: string) => void }) => Promise<unknown>;
  export default factory;
}

declare module '@cornerstonejs/codec-charls/wasmjs' {
  const factory: (module?: { print?: (line: string) => void; printErr?: (line: string) => void }) => Promise<unknown>;
  export default factory;
}

declare module 'jpeg-lossless-decoder-js' {
  export class Decoder {
    constructor();
    /** Samples interleaved; Uint16Array when the precision is above 8 bits. */
    decode(buffer: ArrayBuffer, offset?: number, length?: number): Uint8Array | Uint16Array;
    numComp: number;
    xDim: number;
    yDim: number;
    precision: number | undefined;
  }
}
