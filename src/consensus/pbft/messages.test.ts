import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BlockHeader } from '../../chain/header.ts';
import { equalBytes } from '../../codec/bytes.ts';
import { encodeRlpItem } from '../../codec/rlp.ts';
import { DecodeError } from '../../errors.ts';
import {
  type ConsensusMessage,
  commitVoteBytes,
  decodeMessage,
  encodeMessage,
  MAX_CONSENSUS_MESSAGE_BYTES,
  type MessageBody,
  prepareVoteBytes,
  signingBytes,
} from './messages.ts';

const hash = (n: number) => new Uint8Array(32).fill(n);
const sig = (n: number) => new Uint8Array(64).fill(n);

function header(height: number): BlockHeader {
  return {
    chainId: 'meridian-test',
    height,
    parentHash: hash(1),
    timestampMs: 1_700_000_000_000 + height,
    proposer: hash(2),
    view: 3,
    transactionsRoot: hash(3),
    stateRoot: hash(4),
    receiptsRoot: hash(5),
    provenanceRoot: hash(6),
    validatorSetHash: hash(7),
  };
}

const bodies: MessageBody[] = [
  {
    type: 'prePrepare',
    view: 2,
    height: 5,
    block: { header: header(5), txs: [Uint8Array.of(1, 2), new Uint8Array(0)] },
  },
  { type: 'prepare', view: 2, height: 5, headerHash: hash(9) },
  { type: 'commit', view: 2, height: 5, headerHash: hash(9) },
  { type: 'checkpoint', height: 8, headerHash: hash(9), stateRoot: hash(10) },
  {
    type: 'viewChange',
    newView: 3,
    checkpoint: {
      height: 4,
      headerHash: hash(9),
      stateRoot: hash(10),
      votes: [{ validator: 1, signature: sig(1) }],
    },
    prepared: [{ view: 2, header: header(5), votes: [{ validator: 0, signature: sig(2) }] }],
  },
  { type: 'heartbeat', view: 7, height: 12 },
  { type: 'status', view: 7, changingView: true, committedHeight: 11, stableHeight: 8 },
  { type: 'fetchBlock', height: 5, headerHash: hash(9) },
  { type: 'block', block: { header: header(5), txs: [] } },
];

describe('consensus messages', () => {
  it('every message kind survives encode/decode unchanged', () => {
    for (const body of bodies) {
      const message: ConsensusMessage = { body, signer: 3, signature: sig(7) };
      expect(decodeMessage(encodeMessage(message))).toEqual(message);
    }
  });

  it('a NEW-VIEW carries whole signed VIEW-CHANGEs and survives encode/decode', () => {
    const vc = bodies[4] as Extract<MessageBody, { type: 'viewChange' }>;
    const { type: _t, ...vcBody } = vc;
    const message: ConsensusMessage = {
      body: {
        type: 'newView',
        view: 3,
        viewChanges: [{ body: vcBody, signer: 1, signature: sig(3) }],
        votes: [{ height: 5, signature: sig(4) }],
      },
      signer: 3,
      signature: sig(5),
    };
    expect(decodeMessage(encodeMessage(message))).toEqual(message);
  });

  it('prepare, commit and other kinds sign different bytes (domain separation), and the chain id is signed', () => {
    const prepare = prepareVoteBytes('a', 1, 2, hash(3));
    const commit = commitVoteBytes('a', 1, 2, hash(3));
    expect(equalBytes(prepare, commit)).toBe(false);
    expect(equalBytes(prepare, prepareVoteBytes('b', 1, 2, hash(3)))).toBe(false);
    // A PRE-PREPARE's signature is the primary's prepare vote on the block's header hash.
    const pp = bodies[0] as Extract<MessageBody, { type: 'prePrepare' }>;
    expect(signingBytes('a', { type: 'prepare', view: 2, height: 5, headerHash: hash(9) })).toEqual(
      prepareVoteBytes('a', 2, 5, hash(9)),
    );
    expect(signingBytes('a', pp)).not.toEqual(signingBytes('a', bodies[1]!));
    const heartbeat = signingBytes('a', { type: 'heartbeat', view: 2, height: 5 });
    const fetch = signingBytes('a', { type: 'fetchBlock', height: 5, headerHash: hash(9) });
    expect(equalBytes(heartbeat, fetch)).toBe(false);
  });

  it('rejects input over the size limit before parsing it', () => {
    const big = new Uint8Array(MAX_CONSENSUS_MESSAGE_BYTES + 1);
    expect(() => decodeMessage(big)).toThrow(DecodeError);
    try {
      decodeMessage(big);
    } catch (error) {
      expect((error as DecodeError).code).toBe('RLP_TOO_LARGE');
    }
  });

  it('rejects malformed messages with DecodeError (property: random bytes and truncations never crash)', () => {
    const valid = encodeMessage({ body: bodies[4]!, signer: 1, signature: sig(1) });
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        try {
          decodeMessage(bytes);
        } catch (error) {
          expect(error).toBeInstanceOf(DecodeError);
        }
      }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: valid.length - 1 }), (cut) => {
        expect(() => decodeMessage(valid.slice(0, cut))).toThrow(DecodeError);
      }),
    );
  });

  it('rejects unknown message kinds and wrong field shapes', () => {
    const unknown = encodeRlpItem([[new TextEncoder().encode('gossip'), []], Uint8Array.of(1), sig(1)]);
    expect(() => decodeMessage(unknown)).toThrow(DecodeError);
    const shortSig = encodeMessage({ body: bodies[1]!, signer: 1, signature: sig(1) }).slice();
    expect(() => decodeMessage(shortSig.slice(0, shortSig.length - 1))).toThrow(DecodeError);
  });
});
