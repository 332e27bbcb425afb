/**
 * The writes of a call, buffered in layers: one per contract activation, each
 * on top of its caller's. Reads see the newest layer first, so a contract reads
 * its own writes and a callee reads its caller's. When an activation succeeds
 * its layer is merged into the caller's; when it fails, the layer is dropped.
 * The host's committed state is never touched: the top layer's writes go into
 * the receipt and the executor applies them.
 */
import { assert } from '../errors.ts';
import { compareKeys } from './boundary.ts';
import type { JsonValue, StateEntry, StateWrite } from './types.ts';

/** A buffered value: canonical JSON text, its UTF-8 size and its parsed form; `null` = deleted. */
export type Buffered = { readonly text: string; readonly bytes: number; readonly value: JsonValue } | null;

export class WriteLayer {
  private readonly byContract = new Map<string, Map<string, Buffered>>();
  /** Keys first written in this layer (not buffered by any ancestor). */
  private ownDistinctKeys = 0;

  constructor(private readonly parent?: WriteLayer) {}

  /** The buffered value of a key in this layer or an ancestor; `undefined` = not buffered. */
  lookup(contract: string, key: string): Buffered | undefined {
    const local = this.byContract.get(contract)?.get(key);
    if (local !== undefined) return local;
    return this.parent?.lookup(contract, key);
  }

  /** Distinct keys written by this layer and its ancestors together. */
  distinctKeys(): number {
    return this.ownDistinctKeys + (this.parent?.distinctKeys() ?? 0);
  }

  set(contract: string, key: string, value: Buffered): void {
    if (this.lookup(contract, key) === undefined) this.ownDistinctKeys++;
    let keys = this.byContract.get(contract);
    if (!keys) {
      keys = new Map();
      this.byContract.set(contract, keys);
    }
    keys.set(key, value);
  }

  /** Moves this layer's writes into its parent (the activation succeeded). */
  mergeIntoParent(): void {
    const parent = this.parent;
    assert(parent, 'the top write layer has no parent to merge into');
    for (const [contract, keys] of this.byContract) {
      for (const [key, value] of keys) parent.set(contract, key, value);
    }
    this.byContract.clear();
    this.ownDistinctKeys = 0;
  }

  /** Buffered entries of `contract` whose key starts with `prefix` (newest layer wins). */
  bufferedWithPrefix(contract: string, prefix: string): Map<string, Buffered> {
    const merged = this.parent
      ? this.parent.bufferedWithPrefix(contract, prefix)
      : new Map<string, Buffered>();
    for (const [key, value] of this.byContract.get(contract) ?? []) {
      if (key.startsWith(prefix)) merged.set(key, value);
    }
    return merged;
  }

  /** This layer's writes (the top layer's are the call's), ordered by contract then key. */
  writes(): StateWrite[] {
    const out: StateWrite[] = [];
    for (const contract of [...this.byContract.keys()].sort(compareKeys)) {
      const keys = this.byContract.get(contract)!;
      for (const key of [...keys.keys()].sort(compareKeys)) {
        const buffered = keys.get(key)!;
        out.push({ contract, key, value: buffered === null ? null : buffered.value });
      }
    }
    return out;
  }
}

/**
 * Merges a layer's buffered entries with committed entries for one scan page.
 * `fetchCommitted(n)` must return the first `n` committed entries of the page
 * (prefix, after `after`, ascending). Asking for `limit` plus the number of
 * buffered deletions is enough: each deletion can hide at most one committed
 * entry, so the first `limit` survivors are all among them.
 */
export function mergeScan(
  buffered: Map<string, Buffered>,
  after: string | undefined,
  limit: number,
  fetchCommitted: (count: number) => readonly StateEntry[],
): StateEntry[] {
  const inPage = (key: string) => after === undefined || compareKeys(key, after) > 0;
  let deletions = 0;
  for (const [key, value] of buffered) if (value === null && inPage(key)) deletions++;
  const merged = new Map<string, JsonValue>();
  for (const entry of fetchCommitted(limit + deletions)) {
    if (!buffered.has(entry.key)) merged.set(entry.key, entry.value);
  }
  for (const [key, value] of buffered) if (value !== null && inPage(key)) merged.set(key, value.value);
  return [...merged.keys()]
    .sort(compareKeys)
    .slice(0, limit)
    .map((key) => ({ key, value: merged.get(key)! }));
}
