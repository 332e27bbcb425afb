/**
 * One line for CPU-heavy work that arrives in bursts from many sources at once
 * (transaction admission from every API request and every gossip frame): items
 * run in arrival order, for at most `sliceMs` per turn of the event loop (at
 * least one item per turn) however many requests and frames are waiting, so
 * consensus messages, timers and disk completions always get a turn between two
 * slices.
 *
 * An item offered while nothing waits and this turn's budget lasts runs at once
 * (a quiet node adds no latency); otherwise it waits for a later turn. When
 * nothing else is pending, turns follow each other at once and the line runs
 * at full speed.
 *
 * Per-source loops that yield every few items do not give this: each waiting
 * source resumes in the same turn, so a turn's work grows with the number of
 * sources (under overload, dozens of batches made turns of hundreds of
 * milliseconds and backups timed out on a primary that was only waiting for its
 * turn). The queue holds what it is given; bounding it is the caller's job
 * (`length` and `bytes` say how much waits).
 */
export class TurnSlicedQueue<T, R> {
  #items: { item: T; size: number; resolve: (result: R) => void; reject: (error: unknown) => void }[] = [];
  #head = 0;
  #bytes = 0;
  /** Milliseconds of work done in the current turn (reset by `#nextTurn`). */
  #spentMs = 0;
  #turnScheduled = false;
  readonly #now: () => number;

  constructor(
    /** Runs one item; its result or throw settles that item's promise. */
    private readonly work: (item: T) => R,
    private readonly options: {
      /** Milliseconds of work per turn of the event loop: no item starts after that. */
      readonly sliceMs: number;
      /** Size of an item, for `bytes` (default 0). */
      readonly sizeOf?: (item: T) => number;
      /** Milliseconds clock (default `performance.now`). */
      readonly now?: () => number;
    },
  ) {
    this.#now = options.now ?? (() => performance.now());
  }

  /** Items waiting (not yet run). */
  get length(): number {
    return this.#items.length - this.#head;
  }

  /** Sum of `sizeOf` over the waiting items. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Runs `item` now if nothing waits and this turn's budget lasts, else queues it for a later turn. */
  enqueue(item: T): Promise<R> {
    if (this.length === 0 && this.#spentMs < this.options.sliceMs) {
      this.#scheduleTurn();
      return new Promise<R>((resolve, reject) => this.#run(item, resolve, reject));
    }
    return new Promise<R>((resolve, reject) => {
      const size = this.options.sizeOf?.(item) ?? 0;
      this.#items.push({ item, size, resolve, reject });
      this.#bytes += size;
      this.#scheduleTurn();
    });
  }

  #run(item: T, resolve: (result: R) => void, reject: (error: unknown) => void): void {
    const started = this.#now();
    try {
      resolve(this.work(item));
    } catch (error) {
      reject(error);
    }
    this.#spentMs += this.#now() - started;
  }

  #scheduleTurn(): void {
    if (this.#turnScheduled) return;
    this.#turnScheduled = true;
    setImmediate(() => this.#nextTurn());
  }

  /** A new turn: a fresh budget, spent on the waiting items in order. */
  #nextTurn(): void {
    this.#turnScheduled = false;
    this.#spentMs = 0;
    // The first waiting item always runs: a budget smaller than one item still moves the line.
    for (
      let first = true;
      this.#head < this.#items.length && (first || this.#spentMs < this.options.sliceMs);
      first = false
    ) {
      const entry = this.#items[this.#head]!;
      this.#items[this.#head++] = undefined as never; // let the item go now, not at compaction
      this.#bytes -= entry.size;
      this.#run(entry.item, entry.resolve, entry.reject);
    }
    if (this.#head === this.#items.length) {
      this.#items = [];
      this.#head = 0;
      return;
    }
    if (this.#head > 4_096 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    this.#scheduleTurn();
  }
}
