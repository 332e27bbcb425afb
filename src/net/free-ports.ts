/**
 * Free TCP ports: the check a devnet makes before it starts, and blocks of them for throwaway
 * devnets (tests, benchmarks). Blocks are taken from
 * 20000–32000: below Linux's ephemeral range (32768–60999), so an outgoing connection cannot take a
 * port between the check and the bind, and away from a developer's devnet (8600, 26600).
 */
import { createServer } from 'node:net';

const LOWEST = 20_000;
const BLOCKS = 600;
const BLOCK_SIZE = 20;

/** Whether `port` on `host` can be listened on right now (a check, not a reservation). */
export function portFree(host: string, port: number): Promise<boolean> {
  return new Promise((done) => {
    const server = createServer();
    server.once('error', () => done(false));
    server.listen(port, host, () => server.close(() => done(true)));
  });
}

/** The first port of `count` (≤ 20) consecutive ports that were all free when checked. */
export async function freePortBlock(count: number): Promise<number> {
  if (count > BLOCK_SIZE) throw new Error(`at most ${BLOCK_SIZE} ports per block, asked for ${count}`);
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = LOWEST + Math.floor(Math.random() * BLOCKS) * BLOCK_SIZE;
    let free = true;
    for (let port = base; port < base + count && free; port++) free = await portFree('127.0.0.1', port);
    if (free) return base;
  }
  throw new Error(
    'no block of free ports found between 20000 and 32000: are stray nodes running? (pgrep -af "node start")',
  );
}
