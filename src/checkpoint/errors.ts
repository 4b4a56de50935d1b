/** What went wrong, coarsely, so callers can rephrase or branch without parsing messages. */
export type CheckpointErrorCode =
  | 'io'
  | 'not-zip'
  | 'truncated'
  | 'corrupt'
  | 'unsupported'
  | 'refused'
  | 'legacy';

/**
 * A one-line error about one checkpoint file: `"<file>: <problem>"`.
 * `file` is the path as the caller gave it.
 */
export class CheckpointError extends Error {
  override readonly name = 'CheckpointError';

  constructor(
    readonly file: string,
    readonly problem: string,
    readonly code: CheckpointErrorCode = 'corrupt',
  ) {
    super(`${file}: ${problem}`);
  }
}
