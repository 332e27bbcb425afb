import { describe, expect, it } from 'vitest';
import { SharedExclusiveGate } from './sql-gate.ts';

/** A task that records when it starts and ends and finishes only when told to. */
function task(log: string[], name: string) {
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => {
    finish = resolve;
  });
  return {
    run: async () => {
      log.push(`${name}+`);
      await finished;
      log.push(`${name}-`);
      return name;
    },
    finish,
  };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('SharedExclusiveGate', () => {
  it('lets shared holders overlap, and holds an exclusive one until they are all done', async () => {
    const gate = new SharedExclusiveGate();
    const log: string[] = [];
    const [a, b, x] = [task(log, 'a'), task(log, 'b'), task(log, 'x')];
    const running = [gate.shared(a.run), gate.shared(b.run), gate.exclusive(x.run)];
    await turn();
    expect(log).toEqual(['a+', 'b+']);
    a.finish();
    await turn();
    expect(log).toEqual(['a+', 'b+', 'a-']);
    b.finish();
    await turn();
    expect(log).toEqual(['a+', 'b+', 'a-', 'b-', 'x+']);
    x.finish();
    expect(await Promise.all(running)).toEqual(['a', 'b', 'x']);
  });

  it('serves in arrival order: a shared holder arriving after an exclusive one waits for it', async () => {
    const gate = new SharedExclusiveGate();
    const log: string[] = [];
    const [x, s, y] = [task(log, 'x'), task(log, 's'), task(log, 'y')];
    const running = [gate.exclusive(x.run), gate.shared(s.run), gate.exclusive(y.run)];
    await turn();
    expect(log).toEqual(['x+']);
    x.finish();
    await turn();
    expect(log).toEqual(['x+', 'x-', 's+']);
    s.finish();
    await turn();
    expect(log).toEqual(['x+', 'x-', 's+', 's-', 'y+']);
    y.finish();
    await Promise.all(running);
  });

  it('releases the gate when a holder throws', async () => {
    const gate = new SharedExclusiveGate();
    await expect(gate.exclusive(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await gate.exclusive(async () => 'next')).toBe('next');
  });
});
