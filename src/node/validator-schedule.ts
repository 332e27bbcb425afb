/**
 * Which validator set certifies which heights. The genesis set certifies from
 * height 1; a governance change committed at height c takes effect after the
 * first checkpoint E >= c + watermarkWindow (docs/protocol.md §11): heights up
 * to E stay with the old set, heights above E belong to the new one. The
 * schedule is persisted (one small JSON record in the chain store) so a
 * restarted node rebuilds its consensus configuration and re-announces a
 * change that has not taken effect yet.
 */

import type { ConsensusParameters, GenesisValidator } from '../chain/genesis.ts';
import { ValidatorSet } from '../chain/validator-set.ts';
import { fromHexFixed, utf8 } from '../codec/bytes.ts';
import type { KvStore } from '../store/kv.ts';

export interface ScheduledSet {
  /** First height this set certifies. */
  readonly fromHeight: number;
  /** The committed height whose block changed the set (0 for genesis). */
  readonly committedAt: number;
  readonly validators: readonly GenesisValidator[];
}

const KEY = utf8('schedule');

export class ValidatorSchedule {
  #entries: ScheduledSet[];
  readonly #sets = new Map<number, ValidatorSet>();

  private constructor(
    private readonly kv: KvStore,
    entries: ScheduledSet[],
  ) {
    this.#entries = entries;
  }

  static open(kv: KvStore, genesisValidators: readonly GenesisValidator[]): ValidatorSchedule {
    const raw = kv.get(KEY);
    const entries = raw
      ? (JSON.parse(new TextDecoder().decode(raw)) as ScheduledSet[])
      : [{ fromHeight: 1, committedAt: 0, validators: genesisValidators }];
    return new ValidatorSchedule(kv, entries);
  }

  #set(index: number): ValidatorSet {
    let set = this.#sets.get(index);
    if (!set) {
      set = new ValidatorSet(this.#entries[index]!.validators.map((v) => fromHexFixed(v.publicKey, 32)));
      this.#sets.set(index, set);
    }
    return set;
  }

  #indexFor(height: number): number {
    let index = 0;
    for (let i = 0; i < this.#entries.length; i++) if (this.#entries[i]!.fromHeight <= height) index = i;
    return index;
  }

  /** The set that certifies `height`. */
  setFor(height: number): ValidatorSet {
    return this.#set(this.#indexFor(height));
  }

  /** Names and addresses of the validators certifying `height`. */
  infoFor(height: number): readonly GenesisValidator[] {
    return this.#entries[this.#indexFor(height)]!.validators;
  }

  /** The validators of a change that takes over at `height`, if one does (never genesis's set). */
  changeTakingOverAt(height: number): readonly GenesisValidator[] | undefined {
    return this.#entries.find((e, i) => i > 0 && e.fromHeight === height)?.validators;
  }

  /** Every set ever scheduled (for the transport: a joining validator is a peer before it signs). */
  latest(): ScheduledSet {
    return this.#entries.at(-1)!;
  }

  /**
   * The consensus view of a node whose head is `headHeight`: the set in force
   * for the next height, the one before it if the latest change took effect
   * (certificates at or below the boundary use it), and a change still pending.
   */
  consensusView(headHeight: number): {
    validators: ValidatorSet;
    previous?: { set: ValidatorSet; throughHeight: number };
    pending?: { committedAt: number; validators: ValidatorSet };
  } {
    const current = this.#indexFor(headHeight + 1);
    const entry = this.#entries[current]!;
    const view: ReturnType<ValidatorSchedule['consensusView']> = { validators: this.#set(current) };
    if (current > 0) view.previous = { set: this.#set(current - 1), throughHeight: entry.fromHeight - 1 };
    const last = this.#entries.length - 1;
    if (last > current)
      view.pending = { committedAt: this.#entries[last]!.committedAt, validators: this.#set(last) };
    return view;
  }

  /**
   * Records a change committed at `committedAt`, effective above the boundary
   * checkpoint. A change not yet in effect at `committedAt` is replaced, as the
   * consensus core replaces its pending change. Durable when it resolves.
   */
  async schedule(
    committedAt: number,
    validators: readonly GenesisValidator[],
    parameters: ConsensusParameters,
  ): Promise<ValidatorSet> {
    const { watermarkWindow, checkpointInterval } = parameters;
    const boundary = Math.ceil((committedAt + watermarkWindow) / checkpointInterval) * checkpointInterval;
    const inEffect = this.#entries.filter((e) => e.fromHeight <= committedAt);
    this.#entries = [...inEffect, { fromHeight: boundary + 1, committedAt, validators }];
    this.#sets.clear();
    await this.kv.put(KEY, utf8(JSON.stringify(this.#entries)));
    return this.#set(this.#entries.length - 1);
  }
}
