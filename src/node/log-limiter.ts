/**
 * Rate-limited warnings for events a remote party controls (refused
 * transactions, malformed frames, bad signatures): at most `perSecond` lines
 * per second per kind, then one line saying how many were suppressed, so a
 * flood of bad input cannot flood the log.
 */
import type { Logger } from './logger.ts';

export class LogLimiter {
  readonly #windows = new Map<string, { startMs: number; count: number; suppressed: number }>();

  constructor(
    private readonly logger: Logger,
    private readonly perSecond = 10,
    private readonly now: () => number = Date.now,
  ) {}

  warn(kind: string, fields: Record<string, unknown>, message: string): void {
    const now = this.now();
    let window = this.#windows.get(kind);
    if (!window || now - window.startMs >= 1_000) {
      if (window && window.suppressed > 0) {
        this.logger.warn(
          { kind, suppressed: window.suppressed },
          `${window.suppressed} more "${kind}" warnings suppressed`,
        );
      }
      window = { startMs: now, count: 0, suppressed: 0 };
      this.#windows.set(kind, window);
    }
    if (window.count < this.perSecond) {
      window.count++;
      this.logger.warn({ kind, ...fields }, message);
    } else {
      window.suppressed++;
    }
  }
}
