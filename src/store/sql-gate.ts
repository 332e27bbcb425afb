/**
 * The gate in front of a `SqlStore`: plain statements pass together (shared),
 * a transaction or `close` passes alone (exclusive). Waiters are served in
 * arrival order, so a transaction is not starved by a stream of statements and a
 * statement issued after a transaction began runs after it ends, which is what
 * the `SqlStore` contract promises ("statements through the outer store wait").
 *
 * Re-entrancy is not detected: awaiting the outer store from inside a
 * transaction's callback waits for that very transaction, i.e. forever.
 */
export class SharedExclusiveGate {
  #shared = 0;
  #exclusive = false;
  readonly #waiting: { readonly exclusive: boolean; readonly enter: () => void }[] = [];

  /** Runs `fn` alongside other shared holders, after every exclusive holder that arrived earlier. */
  shared<T>(fn: () => Promise<T>): Promise<T> {
    return this.#run(false, fn);
  }

  /** Runs `fn` alone, after every holder that arrived earlier. */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    return this.#run(true, fn);
  }

  async #run<T>(exclusive: boolean, fn: () => Promise<T>): Promise<T> {
    await new Promise<void>((enter) => {
      this.#waiting.push({ exclusive, enter });
      this.#admit();
    });
    try {
      return await fn();
    } finally {
      if (exclusive) this.#exclusive = false;
      else this.#shared--;
      this.#admit();
    }
  }

  #admit(): void {
    for (;;) {
      const next = this.#waiting[0];
      if (next === undefined || this.#exclusive) return;
      if (next.exclusive) {
        if (this.#shared > 0) return;
        this.#exclusive = true;
      } else {
        this.#shared++;
      }
      this.#waiting.shift();
      next.enter();
    }
  }
}
