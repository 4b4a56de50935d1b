/** Paths and readers for the committed image fixtures (fixtures/images), for tests only. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { HostTensor } from '../../core/host.js';
import { parseNpy } from '../npy.js';

const ROOT = fileURLToPath(new URL('../../../fixtures/images/', import.meta.url));

/** Absolute path of a file under fixtures/images. */
export function fixturePath(rel: string): string {
  return ROOT + rel;
}

/** Synchronously read a fixture `.npy`. */
export function fixtureNpy(rel: string): HostTensor {
  const path = fixturePath(rel);
  return parseNpy(readFileSync(path), path);
}

export interface ResizeCase {
  readonly source: string;
  readonly filter: 'bicubic' | 'bilinear' | 'nearest';
  readonly width: number;
  readonly height: number;
  readonly golden: string;
  readonly box?: readonly [number, number, number, number];
}

export interface Manifest {
  readonly pillow: string;
  readonly cases: readonly ResizeCase[];
  readonly tensor: { readonly source: string; readonly height: number; readonly width: number; readonly golden: string };
}

export function fixtureManifest(): Manifest {
  return JSON.parse(readFileSync(fixturePath('manifest.json'), 'utf8')) as Manifest;
}
