/**
 * DICOM transfer syntaxes (PS3.5 §10 and Annex A): how the data set is encoded and how the pixel
 * data is compressed. Only the ones listed with an `encoding` can be decoded.
 */

/** How the frames of the Pixel Data element are stored. */
export type PixelEncoding =
  | 'native' // uncompressed, frames back to back
  | 'encapsulated-native' // uncompressed, one fragment per frame (1.2.840.10008.1.2.1.98)
  | 'rle' // RLE Lossless (PS3.5 Annex G)
  | 'jpeg' // JPEG baseline / extended (ISO 10918-1 DCT processes)
  | 'jpeg-lossless' // JPEG lossless, process 14
  | 'jpeg-ls' // ISO 14495-1
  | 'j2k'; // ISO 15444-1

export interface TransferSyntax {
  readonly uid: string;
  readonly name: string;
  /** Absent when the syntax is known but not supported. */
  readonly encoding?: PixelEncoding;
  /** Byte order of native pixel data (and of the data set). */
  readonly littleEndian: boolean;
}

const LE = true;
const TABLE: readonly (readonly [string, string, PixelEncoding | undefined, boolean?])[] = [
  ['1.2.840.10008.1.2', 'Implicit VR Little Endian', 'native'],
  ['1.2.840.10008.1.2.1', 'Explicit VR Little Endian', 'native'],
  ['1.2.840.10008.1.2.1.98', 'Encapsulated Uncompressed Explicit VR Little Endian', 'encapsulated-native'],
  ['1.2.840.10008.1.2.1.99', 'Deflated Explicit VR Little Endian', 'native'],
  ['1.2.840.10008.1.2.2', 'Explicit VR Big Endian', 'native', !LE],
  ['1.2.840.10008.1.2.5', 'RLE Lossless', 'rle'],
  ['1.2.840.10008.1.2.4.50', 'JPEG Baseline (Process 1)', 'jpeg'],
  ['1.2.840.10008.1.2.4.51', 'JPEG Extended (Process 2 & 4)', 'jpeg'],
  ['1.2.840.10008.1.2.4.57', 'JPEG Lossless, Non-Hierarchical (Process 14)', 'jpeg-lossless'],
  ['1.2.840.10008.1.2.4.70', 'JPEG Lossless, Non-Hierarchical, First-Order Prediction', 'jpeg-lossless'],
  ['1.2.840.10008.1.2.4.80', 'JPEG-LS Lossless', 'jpeg-ls'],
  ['1.2.840.10008.1.2.4.81', 'JPEG-LS Near-Lossless', 'jpeg-ls'],
  ['1.2.840.10008.1.2.4.90', 'JPEG 2000 Lossless Only', 'j2k'],
  ['1.2.840.10008.1.2.4.91', 'JPEG 2000', 'j2k'],
  // Known but not decoded: named so that the error says what the file is.
  ['1.2.840.10008.1.2.4.92', 'JPEG 2000 Part 2 Multi-component Lossless Only', undefined],
  ['1.2.840.10008.1.2.4.93', 'JPEG 2000 Part 2 Multi-component', undefined],
  ['1.2.840.10008.1.2.4.94', 'JPIP Referenced', undefined],
  ['1.2.840.10008.1.2.4.95', 'JPIP Referenced Deflate', undefined],
  ['1.2.840.10008.1.2.4.100', 'MPEG2 Main Profile / Main Level video', undefined],
  ['1.2.840.10008.1.2.4.100.1', 'Fragmentable MPEG2 Main Profile / Main Level video', undefined],
  ['1.2.840.10008.1.2.4.101', 'MPEG2 Main Profile / High Level video', undefined],
  ['1.2.840.10008.1.2.4.101.1', 'Fragmentable MPEG2 Main Profile / High Level video', undefined],
  ['1.2.840.10008.1.2.4.102', 'MPEG-4 AVC/H.264 High Profile video', undefined],
  ['1.2.840.10008.1.2.4.102.1', 'Fragmentable MPEG-4 AVC/H.264 High Profile video', undefined],
  ['1.2.840.10008.1.2.4.103', 'MPEG-4 AVC/H.264 BD-compatible High Profile video', undefined],
  ['1.2.840.10008.1.2.4.103.1', 'Fragmentable MPEG-4 AVC/H.264 BD-compatible High Profile video', undefined],
  ['1.2.840.10008.1.2.4.104', 'MPEG-4 AVC/H.264 High Profile For 2D Video', undefined],
  ['1.2.840.10008.1.2.4.105', 'MPEG-4 AVC/H.264 High Profile For 3D Video', undefined],
  ['1.2.840.10008.1.2.4.106', 'MPEG-4 AVC/H.264 Stereo High Profile video', undefined],
  ['1.2.840.10008.1.2.4.107', 'HEVC/H.265 Main Profile video', undefined],
  ['1.2.840.10008.1.2.4.108', 'HEVC/H.265 Main 10 Profile video', undefined],
  ['1.2.840.10008.1.2.4.201', 'High-Throughput JPEG 2000 Lossless Only', undefined],
  ['1.2.840.10008.1.2.4.202', 'High-Throughput JPEG 2000 RPCL Lossless Only', undefined],
  ['1.2.840.10008.1.2.4.203', 'High-Throughput JPEG 2000', undefined],
  ['1.2.840.10008.1.2.6.1', 'RFC 2557 MIME encapsulation', undefined],
];

const BY_UID = new Map<string, TransferSyntax>(
  TABLE.map(([uid, name, encoding, littleEndian = LE]) => [
    uid,
    encoding === undefined ? { uid, name, littleEndian } : { uid, name, encoding, littleEndian },
  ]),
);

/** The transfer syntax for `uid`; unknown UIDs (including retired JPEG processes) are unsupported. */
export function transferSyntax(uid: string): TransferSyntax {
  return BY_UID.get(uid) ?? { uid, name: 'unknown or retired transfer syntax', littleEndian: true };
}
