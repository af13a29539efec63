/** The outcome of an operation that can fail in an expected way. */
export type Result<T, E> = { ok: true; value: T } | { ok: false; error: E };

/** Wraps a value as a successful Result. */
export function ok<T>(value: T): { ok: true; value: T } {
  return { ok: true, value };
}

/** Wraps an error as a failed Result. */
export function err<E>(error: E): { ok: false; error: E } {
  return { ok: false, error };
}

/** The command line was used wrongly (unknown flag value, missing argument). Exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** An input could not be used (unreadable file, invalid configuration). Exit code 2. */
export class InputError extends Error {
  override readonly name = 'InputError';
}

/** A request to a server was wrong; carries the HTTP status to answer with. */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}
