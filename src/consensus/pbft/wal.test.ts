import { describe, expect, it } from 'vitest';
import type { BlockHeader } from '../../chain/header.ts';
import { compactWal, decodeWalRecord, encodeWalRecord, type WalRecord } from './wal.ts';

const hash = (n: number) => new Uint8Array(32).fill(n);
const sig = (n: number) => new Uint8Array(64).fill(n);
function header(height: number): BlockHeader {
  return {
    chainId: 'meridian-test',
    height,
    parentHash: hash(1),
    timestampMs: height,
    proposer: hash(2),
    view: 0,
    transactionsRoot: hash(3),
    stateRoot: hash(4),
    receiptsRoot: hash(5),
    provenanceRoot: hash(6),
    validatorSetHash: hash(7),
  };
}
const proof = (height: number) => ({
  height,
  headerHash: hash(height),
  stateRoot: hash(9),
  votes: [{ validator: 0, signature: sig(1) }],
});

const records: WalRecord[] = [
  { type: 'viewChange', view: 1 },
  {
    type: 'newView',
    view: 1,
    primary: 1,
    base: proof(0),
    reproposals: [{ header: header(1), primaryVote: sig(2) }],
  },
  {
    type: 'vote',
    view: 1,
    height: 1,
    header: header(1),
    block: { header: header(1), txs: [Uint8Array.of(1)] },
    primaryVote: sig(3),
  },
  { type: 'vote', view: 1, height: 2, header: header(2), block: undefined, primaryVote: sig(3) },
  {
    type: 'prepared',
    certificate: { view: 1, header: header(1), votes: [{ validator: 2, signature: sig(4) }] },
  },
  { type: 'commitVote', view: 1, height: 1, headerHash: hash(8) },
  { type: 'checkpoint', proof: proof(4) },
  {
    type: 'reputation',
    snapshot: {
      epochs: [{ fromView: 0, checkpointHeight: 0, penalties: [0, 2, 0, 0] }],
      lastView: 1,
      height: 4,
      pending: [0, 0, 0, 0],
    },
  },
];

describe('WAL records', () => {
  it('every record kind survives encode/decode unchanged', () => {
    for (const record of records) expect(decodeWalRecord(encodeWalRecord(record))).toEqual(record);
  });

  it('compaction drops what a stable checkpoint covers and what newer view records replace', () => {
    const wal: WalRecord[] = [
      { type: 'viewChange', view: 1 },
      { type: 'newView', view: 1, primary: 1, base: proof(0), reproposals: [] },
      { type: 'commitVote', view: 1, height: 5, headerHash: hash(1) },
      { type: 'vote', view: 1, height: 3, header: header(3), block: undefined, primaryVote: sig(1) },
      { type: 'vote', view: 1, height: 5, header: header(5), block: undefined, primaryVote: sig(1) },
      { type: 'checkpoint', proof: proof(2) },
      { type: 'checkpoint', proof: proof(4) },
      { type: 'viewChange', view: 2 },
      { type: 'newView', view: 2, primary: 2, base: proof(4), reproposals: [] },
      { type: 'commitVote', view: 2, height: 5, headerHash: hash(1) },
      { type: 'checkpoint', proof: proof(6) },
    ];
    const compacted = compactWal(wal);
    expect(
      compacted.map((r) => `${r.type}${'view' in r ? r.view : ''}${'height' in r ? `@${r.height}` : ''}`),
    ).toEqual(['checkpoint', 'viewChange2', 'newView2', 'checkpoint']);
    expect(compactWal(compacted)).toEqual(compacted);
    // Votes above the stable checkpoint are kept.
    const kept = compactWal([
      ...wal.slice(0, 10),
      { type: 'vote', view: 2, height: 7, header: header(7), block: undefined, primaryVote: sig(1) },
    ]);
    expect(kept.some((r) => r.type === 'vote' && r.height === 7)).toBe(true);
    expect(kept.some((r) => r.type === 'commitVote' && r.view === 2)).toBe(true);
    expect(kept.some((r) => r.type === 'commitVote' && r.view === 1)).toBe(false);
  });
});
