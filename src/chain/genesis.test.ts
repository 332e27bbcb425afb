import { describe, expect, it } from 'vitest';
import { toHex } from '../codec/bytes.ts';
import { generateSigningKeyPair } from '../crypto/ed25519.ts';
import { DEFAULT_CONSENSUS_PARAMETERS, genesisHash, genesisValidatorSet, parseGenesis } from './genesis.ts';

const validators = Array.from({ length: 4 }, (_, i) => ({
  name: `v${i}`,
  publicKey: toHex(generateSigningKeyPair().publicKey),
  host: '127.0.0.1',
  port: 26_000 + i,
}));
const base = { chainId: 'meridian-test', genesisTimeMs: 0, validators };

describe('genesis', () => {
  it('parses a minimal genesis, fills default parameters, and builds the validator set', () => {
    const g = parseGenesis(JSON.stringify(base));
    expect(g.parameters).toEqual(DEFAULT_CONSENSUS_PARAMETERS);
    expect(genesisValidatorSet(g).size).toBe(4);
  });

  it('its hash ignores key order but not content', () => {
    const a = parseGenesis(JSON.stringify(base));
    const b = parseGenesis(JSON.stringify({ validators, genesisTimeMs: 0, chainId: 'meridian-test' }));
    expect(toHex(genesisHash(a))).toBe(toHex(genesisHash(b)));
    expect(toHex(genesisHash(parseGenesis(JSON.stringify({ ...base, genesisTimeMs: 1 }))))).not.toBe(
      toHex(genesisHash(a)),
    );
  });

  it('refuses unknown fields, bad chain ids, duplicate validators and out-of-range parameters with a reason', () => {
    expect(() => parseGenesis(JSON.stringify({ ...base, chainid: 'x' }))).toThrow(/unknown field "chainid"/);
    expect(() => parseGenesis(JSON.stringify({ ...base, chainId: 'Bad Id' }))).toThrow(/chainId/);
    expect(() =>
      parseGenesis(JSON.stringify({ ...base, validators: [validators[0], validators[0]] })),
    ).toThrow(/twice/);
    expect(() => parseGenesis(JSON.stringify({ ...base, parameters: { checkpointInterval: 0 } }))).toThrow(
      /checkpointInterval must be an integer in 1/,
    );
    expect(() =>
      parseGenesis(
        JSON.stringify({ ...base, parameters: { checkpointInterval: 100, watermarkWindow: 150 } }),
      ),
    ).toThrow(/twice checkpointInterval/);
    expect(() => parseGenesis('{')).toThrow(/not JSON/);
  });
});
