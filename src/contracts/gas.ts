/**
 * Gas: the deterministic price of a contract call. Nothing here reads a clock.
 *
 * Three sources, all functions of the call's inputs and the state alone:
 *
 * 1. **Interpreter ticks.** QuickJS decrements a per-context counter at every
 *    function call and every jump (so at least once per loop iteration) and,
 *    when it reaches zero, resets it to 10 000 and invokes the runtime's
 *    interrupt handler (`js_poll_interrupts` in quickjs.c; the regular-expression
 *    engine polls the same way per backtracking step). The handler therefore
 *    runs after a fixed number of executed calls/jumps, never after a fixed time:
 *    the same code on the same inputs produces the same number of handler
 *    invocations on every machine. Each invocation is one tick, charged
 *    `TICK_GAS` (1 gas is about one call or jump). Every context starts with a
 *    full counter, and the sandbox makes a fresh context for every contract
 *    activation, so no count carries over from an earlier call.
 * 2. **Host operations**, charged explicitly before they run: state reads,
 *    writes, deletes and scans, events, nested calls, loading code, result bytes.
 * 3. **Bulk built-ins.** Native string and array methods (`repeat`, `indexOf`,
 *    `join`, `sort`, ...) do work proportional to their operands without
 *    polling; the sandbox wraps them and charges `BUILTIN_UNITS_PER_GAS`
 *    elements/characters per gas (see prelude.ts).
 */
import { ValidationError } from '../errors.ts';

/** One interrupt-handler invocation = 10 000 interpreter polls. */
export const TICK_GAS = 10_000;
/** Starting one contract activation (context, prelude, dispatch). */
export const CALL_GAS = 5_000;
/** Per byte of contract code loaded for an activation. */
export const CODE_GAS_PER_BYTE = 1;
/** Per byte of arguments passed in or results passed out. */
export const IO_GAS_PER_BYTE = 2;
export const READ_GAS = 500;
export const READ_GAS_PER_BYTE = 2;
export const WRITE_GAS = 2_000;
export const WRITE_GAS_PER_BYTE = 20;
export const DELETE_GAS = 1_000;
export const SCAN_GAS = 500;
export const SCAN_GAS_PER_ENTRY = 200;
export const EMIT_GAS = 1_000;
export const EMIT_GAS_PER_BYTE = 10;
/** Characters or array elements a wrapped built-in may touch per gas. */
export const BUILTIN_UNITS_PER_GAS = 16;

/** Thrown when a charge does not fit; the sandbox turns it into the OUT_OF_GAS failure. */
export class OutOfGas extends ValidationError {
  constructor(limit: number) {
    super('OUT_OF_GAS', `the call used all of its ${limit} gas`, {
      hint: 'raise the gas limit of the transaction, or make the method do less work',
    });
  }
}

/** Counts gas for one top-level call. Once exhausted it stays exhausted. */
export class GasMeter {
  private used = 0;
  private ticks = 0;
  private exhausted = false;

  constructor(readonly limit: number) {}

  get gasUsed(): number {
    return this.used;
  }

  get tickCount(): number {
    return this.ticks;
  }

  get isExhausted(): boolean {
    return this.exhausted;
  }

  /** Charges `amount`; throws `OutOfGas` (and uses the whole budget) if it does not fit. */
  charge(amount: number): void {
    if (this.exhausted || this.used + amount > this.limit) {
      this.exhausted = true;
      this.used = this.limit;
      throw new OutOfGas(this.limit);
    }
    this.used += amount;
  }

  /** Records one interpreter tick; returns false when the budget is gone (the interrupt must fire). */
  tick(): boolean {
    this.ticks++;
    if (this.exhausted || this.used + TICK_GAS > this.limit) {
      this.exhausted = true;
      this.used = this.limit;
      return false;
    }
    this.used += TICK_GAS;
    return true;
  }
}
