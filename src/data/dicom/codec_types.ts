// The parts of the Emscripten codec modules (@cornerstonejs/codec-*) that are used here.

export interface CodecFrameInfo {
  width: number;
  height: number;
  bitsPerSample: number;
  componentCount: number;
  isSigned?: boolean;
  isUsingColorTransform?: boolean;
}

/** Emscripten module overrides: where the codec's stdout/stderr lines go. */
export interface EmscriptenOptions {
  print?: (line: string) => void;
  printErr?: (line: string) => void;
}

interface EmscriptenObject {
  delete(): void;
}

export interface WasmDecoder extends EmscriptenObject {
  /** A view into WASM memory of `length` bytes, to be filled with the encoded stream. */
  getEncodedBuffer(length: number): Uint8Array;
  getDecodedBuffer(): Uint8Array;
  decode(): void;
  getFrameInfo(): CodecFrameInfo;
}

export interface WasmEncoder extends EmscriptenObject {
  getDecodedBuffer(info: CodecFrameInfo): Uint8Array;
  getEncodedBuffer(): Uint8Array;
  encode(): void;
}

export interface OpenJpegModule {
  J2KDecoder: new () => WasmDecoder & { getColorSpace(): number };
  J2KEncoder?: new () => WasmEncoder & {
    setQuality(lossless: boolean, quality: number): void;
    setDecompositions(levels: number): void;
  };
}

export interface CharlsModule {
  JpegLSDecoder: new () => WasmDecoder & { getInterleaveMode(): number };
  JpegLSEncoder?: new () => WasmEncoder & {
    setNearLossless(nearLossless: number): void;
    setInterleaveMode(mode: number): void;
  };
}
