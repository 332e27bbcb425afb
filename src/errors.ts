/**
 * Every expected failure in Meridian is a `MeridianError` with a stable `code`
 * (SCREAMING_SNAKE, never renamed once shipped) and a `hint` telling the user
 * what to do next. Callers branch on `code`, never on `message`.
 *
 * A broken invariant is not a MeridianError: it is a bug, raised with `assert`
 * below, and it should stop the process.
 */
export class MeridianError extends Error {
  readonly code: string;
  readonly hint: string | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(
    code: string,
    message: string,
    options: { hint?: string; details?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.hint = options.hint;
    this.details = options.details;
  }

  /** A one-line, user-facing rendering: what went wrong and what to do. */
  toUserString(): string {
    return this.hint
      ? `${this.code}: ${this.message}\n  hint: ${this.hint}`
      : `${this.code}: ${this.message}`;
  }

  toJSON(): { code: string; message: string; hint?: string; details?: Record<string, unknown> } {
    return {
      code: this.code,
      message: this.message,
      ...(this.hint === undefined ? {} : { hint: this.hint }),
      ...(this.details === undefined ? {} : { details: this.details }),
    };
  }
}

/** Input bytes or text that do not have the expected shape (bad RLP, bad hex, wrong length, ...). */
export class DecodeError extends MeridianError {}

/** A value that decoded fine but breaks a rule (size limit, signature, nonce, permission, ...). */
export class ValidationError extends MeridianError {}

/** Something asked for by key, hash or height that is not there. */
export class NotFoundError extends MeridianError {}

/** A proof or certificate that does not verify. */
export class VerificationError extends MeridianError {}

/** A key file that cannot be opened (wrong passphrase, corrupt file, unknown format). */
export class KeyFileError extends MeridianError {}

/** A storage backend failure (cannot open, connection refused, schema mismatch). */
export class StoreError extends MeridianError {}

/** Thrown by `assert`: a broken invariant, i.e. a bug in Meridian itself. */
export class InvariantViolation extends Error {
  constructor(message: string) {
    super(`invariant violated: ${message}`);
    this.name = 'InvariantViolation';
  }
}

/** Asserts an internal invariant. Use for bugs, never for bad input (throw a MeridianError instead). */
export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new InvariantViolation(message);
}
