/**
 * The outputs of one `Replica.step`, in the order they must be performed, and
 * the set of timers the driver currently has armed.
 *
 * Contract: `take` hands over everything emitted since the previous `take`.
 * `cancelTimer` emits a cancel only for an armed timer; a timer that fired is
 * no longer armed (`fired`), so the core never cancels one the driver no
 * longer runs and never sees a stale timer as running.
 */

import type { ConsensusMessage } from './messages.ts';
import type { Output, TimerName } from './types.ts';
import type { WalRecord } from './wal.ts';

export class Outbox {
  private out: Output[] = [];
  private readonly armed = new Set<TimerName>();

  emit(output: Output): void {
    this.out.push(output);
  }

  persist(record: WalRecord): void {
    this.emit({ type: 'persist', record });
  }

  broadcast(message: ConsensusMessage): void {
    this.emit({ type: 'broadcast', message });
  }

  send(to: Uint8Array, message: ConsensusMessage): void {
    this.emit({ type: 'send', to, message });
  }

  setTimer(name: TimerName, ms: number): void {
    this.armed.add(name);
    this.emit({ type: 'setTimer', name, ms });
  }

  cancelTimer(name: TimerName): void {
    if (!this.armed.has(name)) return;
    this.armed.delete(name);
    this.emit({ type: 'cancelTimer', name });
  }

  isArmed(name: TimerName): boolean {
    return this.armed.has(name);
  }

  /** The driver fed this timer: it is no longer armed. */
  fired(name: TimerName): void {
    this.armed.delete(name);
  }

  /** The outputs emitted since the last call, in order; the box is empty afterwards. */
  take(): Output[] {
    const out = this.out;
    this.out = [];
    return out;
  }
}
