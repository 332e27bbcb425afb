/**
 * Offline verification of provenance bundles built by a real (in-process) chain: valid bundles
 * verify at every granularity, and every kind of tampering a node or a man in the middle could
 * try is caught by the right step, naming the entries when the records are at fault.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestChain, type TestChain } from '../../test/support/provenance-chain.ts';
import { type Fixture, MERGED, smallMerge } from '../../test/support/provenance-fixture.ts';
import type { ProvenanceBundleJson } from '../api/schemas-provenance.ts';
import { hashHeader } from '../chain/header.ts';
import { toHex, utf8 } from '../codec/bytes.ts';
import { canonicalJson } from '../codec/canonical-json.ts';
import { sha256 } from '../crypto/sha256.ts';
import { type EntityEntry, entryHashHex, nextVersion } from '../modules/provenance/index.ts';
import type { ProvenanceService } from '../node/provenance-service.ts';
import { openPgliteSqlStore } from '../store/pglite-sql.ts';
import { headerFromJson } from './from-json.ts';
import { parseProvenanceBundle } from './provenance-bundle.ts';
import { verifyProvenanceBundle } from './provenance-verify.ts';

let chain: TestChain;
let service: ProvenanceService;
let fixture: Fixture;
let comprehensive: ProvenanceBundleJson;
/** The same dataset anchored in one block (the fast path: records rebuild the one subtree). */
let oneBlock: ProvenanceBundleJson;
let oneBlockService: ProvenanceService;
let v2: EntityEntry;
const clone = <T>(value: T): T => structuredClone(value);

beforeAll(async () => {
  fixture = smallMerge();
  chain = await createTestChain();
  // The merged dataset lands over two blocks (as a big dataset would), then one attribute gets a
  // second version in a third block.
  const sorted = [...fixture.entries].sort((a, b) => (a.uri < b.uri ? -1 : 1));
  const mergedAt = sorted.filter((e) => e.uri.startsWith(MERGED)).map((e) => sorted.indexOf(e));
  const half = mergedAt[Math.floor(mergedAt.length / 2)]!;
  await chain.anchor(sorted.slice(0, half));
  await chain.anchor(sorted.slice(half));
  v2 = nextVersion(
    { ...fixture.attribute, attributes: { ...fixture.attribute.attributes, 'prov:label': 'checked' } },
    fixture.attribute,
  );
  await chain.anchor([v2]);
  service = chain.service(() => openPgliteSqlStore({ dataDir: 'memory://' }));
  const put = await service.putRecords([...fixture.entries, v2]);
  expect(put.results.every((r) => r.status === 'stored')).toBe(true);
  comprehensive = await service.bundle(MERGED, { comprehensive: true });
  const single = await createTestChain();
  await single.anchor(fixture.entries);
  oneBlockService = single.service(() => openPgliteSqlStore({ dataDir: 'memory://' }));
  await oneBlockService.putRecords(fixture.entries);
  oneBlock = await oneBlockService.bundle(MERGED, { comprehensive: true });
}, 60_000);

afterAll(async () => {
  await service?.close();
  await oneBlockService?.close();
});

describe('valid bundles verify', () => {
  it('comprehensive: the dataset and every entry below it, over the three blocks that anchored them', () => {
    const verdict = verifyProvenanceBundle(comprehensive);
    const below = fixture.merge.entries.filter((e) => e.uri.startsWith(`${MERGED}/`)).length;
    expect(verdict).toMatchObject({ valid: true, altered: [], missing: [], extra: [], entries: below + 1 });
    expect(verdict.blocks.length).toBe(3);
    expect(comprehensive.subtrees.map((s) => s.height)).toEqual(verdict.blocks);
    expect(verdict.linked).toBeGreaterThanOrEqual(3); // the merge activity, the agent, both inputs
    expect(verdict.trust.source).toBe('bundle');
  });

  it('single at each granularity, and an older version as not the latest', async () => {
    for (const entry of [fixture.dataset, fixture.feature]) {
      const verdict = verifyProvenanceBundle(await service.bundle(entry.uri, { comprehensive: false }));
      expect(verdict).toMatchObject({ valid: true, entries: 1, version: 1, latest: true });
    }
    expect(verifyProvenanceBundle(await service.bundle(v2.uri, { comprehensive: false }))).toMatchObject({
      valid: true,
      version: 2,
      latest: true,
    });
    // Version 1, proven in its own block: one certified header, and it was the latest there.
    const v1 = await service.bundle(v2.uri, { comprehensive: false, version: 1 });
    expect(v1.headers).toHaveLength(1);
    expect(verifyProvenanceBundle(v1)).toMatchObject({ valid: true, version: 1, latest: true });
    // Asked against the head, the same record is proven authentic but no longer the latest.
    const v1AtHead = await service.bundle(v2.uri, { comprehensive: false, version: 1, latest: true });
    expect(v1AtHead.headers).toHaveLength(2);
    expect(verifyProvenanceBundle(v1AtHead)).toMatchObject({ valid: true, version: 2, latest: false });
  });

  it('trusts a genesis the caller gives, and refuses a bundle from another chain', async () => {
    expect(verifyProvenanceBundle(comprehensive, { trustedGenesis: chain.genesis })).toMatchObject({
      valid: true,
      trust: { source: 'genesis' },
    });
    const other = await createTestChain();
    expect(verifyProvenanceBundle(comprehensive, { trustedGenesis: other.genesis }).failure?.code).toBe(
      'GENESIS_NOT_TRUSTED',
    );
  });

  it('survives a JSON round trip through the bundle parser', () => {
    expect(verifyProvenanceBundle(parseProvenanceBundle(JSON.stringify(comprehensive))).valid).toBe(true);
  });
});

describe('altered, deleted and inserted records are named exactly', () => {
  it.each([
    ['three blocks', () => comprehensive],
    ['one block', () => oneBlock],
  ])(
    'model check (%s): any mix of altered, dropped and added records is reported as exactly that',
    (_, bundleOf) => {
      const uris = bundleOf().records.map((r) => r.uri);
      fc.assert(
        fc.property(
          fc.uniqueArray(fc.nat(uris.length - 1), { maxLength: 6 }),
          fc.uniqueArray(fc.nat(uris.length - 1), { maxLength: 6 }),
          fc.uniqueArray(fc.stringMatching(/^[A-Za-z0-9]{1,8}$/), { maxLength: 4 }),
          (alterIdx, dropIdx, added) => {
            const bundle = clone(bundleOf());
            const drop = new Set(dropIdx.map((i) => uris[i]!));
            const alter = new Set(alterIdx.map((i) => uris[i]!).filter((u) => !drop.has(u)));
            bundle.records = bundle.records
              .filter((r) => !drop.has(r.uri))
              .map((r) =>
                alter.has(r.uri) ? { uri: r.uri, record: r.record.replace('"version":', '"version": ') } : r,
              );
            const extra = added.map((id) => `${MERGED}/extra-${id}`);
            for (const uri of extra) bundle.records.push({ uri, record: canonicalJson({ uri }) });
            const verdict = verifyProvenanceBundle(bundle);
            expect(verdict.failure).toBeUndefined();
            expect(verdict.altered).toEqual([...alter].sort());
            expect(verdict.missing).toEqual([...drop].sort());
            expect(verdict.extra).toEqual([...extra].sort());
            expect(verdict.valid).toBe(alter.size + drop.size + extra.length === 0);
          },
        ),
        { numRuns: 100 },
      );
    },
  );

  it('two records swapped between their URIs are both altered', () => {
    const bundle = clone(comprehensive);
    const [a, b] = [bundle.records[3]!, bundle.records[7]!];
    [a.record, b.record] = [b.record, a.record];
    expect(verifyProvenanceBundle(bundle)).toMatchObject({ valid: false, altered: [a.uri, b.uri].sort() });
  });

  it('a stale version of a record is altered (the chain anchored a newer one)', () => {
    const bundle = clone(comprehensive);
    const row = bundle.records.find((r) => r.uri === v2.uri)!;
    row.record = canonicalJson(fixture.attribute);
    expect(verifyProvenanceBundle(bundle)).toMatchObject({ valid: false, altered: [v2.uri] });
  });

  it('single: an altered record is named, a missing one too', async () => {
    const single = await service.bundle(fixture.feature.uri, { comprehensive: false });
    const altered = clone(single);
    altered.records[0]!.record = altered.records[0]!.record.replace('WC-BLD', 'WC-BLX');
    expect(verifyProvenanceBundle(altered)).toMatchObject({ valid: false, altered: [fixture.feature.uri] });
    const missing = clone(single);
    missing.records = [];
    expect(verifyProvenanceBundle(missing)).toMatchObject({ valid: false, missing: [fixture.feature.uri] });
  });

  it('a linked record (the merge activity, pinned by the dataset) that was altered is named', () => {
    const bundle = clone(comprehensive);
    const activity = bundle.linked.find((r) => r.uri.includes('/activity/'))!;
    activity.record = activity.record.replace('2024-03-05', '2024-03-06');
    expect(verifyProvenanceBundle(bundle)).toMatchObject({ valid: false, altered: [activity.uri] });
  });
});

describe('forged proofs and uncertified headers fail at the step they break', () => {
  const failure = (bundle: ProvenanceBundleJson) => verifyProvenanceBundle(bundle).failure?.code;

  it('two hashes swapped inside a subtree proof', () => {
    const bundle = clone(comprehensive);
    const entries = bundle.subtrees.find((s) => s.entries.length > 2)!.entries;
    [entries[0]![1], entries[1]![1]] = [entries[1]![1], entries[0]![1]];
    expect(failure(bundle)).toBe('PROOF_INVALID');
  });

  it('a record rewritten together with its hash in the proof (the rebuilt subtree no longer matches)', () => {
    const bundle = clone(comprehensive);
    const subtree = bundle.subtrees.find((s) => s.entries.length > 0)!;
    const [keyHex] = subtree.entries[0]!;
    const uri = Buffer.from(keyHex.slice(2), 'hex').toString('utf8');
    const row = bundle.records.find((r) => r.uri === uri)!;
    row.record = row.record.replace('"version":', '"version": ');
    subtree.entries[0]![1] = toHex(sha256(utf8(row.record)));
    expect(failure(bundle)).toBe('PROOF_INVALID');
  });

  it('an entry dropped from a subtree proof, or one added', () => {
    const dropped = clone(comprehensive);
    dropped.subtrees.find((s) => s.entries.length > 1)!.entries.pop();
    expect(failure(dropped)).toBe('PROOF_INVALID');
    const added = clone(comprehensive);
    const subtree = added.subtrees.find((s) => s.entries.length > 1)!;
    const [key, value] = subtree.entries[subtree.entries.length - 1]!;
    subtree.entries.push([`${key}7a`, value]);
    expect(failure(added)).toBe('PROOF_INVALID');
  });

  it('a forged node in the key, subtree or state proof', () => {
    const flip = (hex: string) => `${hex.slice(0, -2)}${hex.endsWith('00') ? '01' : '00'}`;
    const key = clone(comprehensive);
    key.keyProof.nodes[key.keyProof.nodes.length - 1] = flip(key.keyProof.nodes.at(-1)!);
    expect(failure(key)).toBe('PROOF_INVALID');
    const subtree = clone(comprehensive);
    subtree.subtrees[0]!.nodes[0] = flip(subtree.subtrees[0]!.nodes[0]!);
    expect(failure(subtree)).toBe('PROOF_INVALID');
    const state = clone(comprehensive);
    state.state.nodes[state.state.nodes.length - 1] = flip(state.state.nodes.at(-1)!);
    expect(failure(state)).toBe('PROOF_INVALID');
  });

  it('one block: a forged path node fails even though the records are intact; a garbled entry list alone does not matter', () => {
    const forged = clone(oneBlock);
    const node = forged.subtrees[0]!.nodes[0]!;
    forged.subtrees[0]!.nodes[0] = `${node.slice(0, -2)}${node.endsWith('00') ? '01' : '00'}`;
    expect(failure(forged)).toBe('PROOF_INVALID');
    // The records themselves rebuild the proven subtree: they are verified, whatever list the node sent along.
    const garbled = clone(oneBlock);
    const entries = garbled.subtrees[0]!.entries;
    [entries[0]![1], entries[1]![1]] = [entries[1]![1], entries[0]![1]];
    expect(verifyProvenanceBundle(garbled)).toMatchObject({ valid: true });
    // ... but with an altered record it is needed to name the culprit, and then it must hold.
    garbled.records[5]!.record = garbled.records[5]!.record.replace('"version":', '"version": ');
    expect(failure(garbled)).toBe('PROOF_INVALID');
  });

  it('a block left out of a dataset anchored over several blocks', () => {
    const bundle = clone(comprehensive);
    bundle.subtrees.splice(1, 1);
    expect(failure(bundle)).toBe('PROOF_INCOMPLETE');
  });

  it('a key proof pointed at a block that did not anchor the URI', async () => {
    const single = clone(await service.bundle(fixture.dataset.uri, { comprehensive: false, latest: true }));
    const otherHeight = single.headers.map((h) => h.header.height).find((h) => h !== single.keyProof.height)!;
    single.keyProof.height = otherHeight;
    expect(failure(single)).toBe('PROOF_INVALID');
  });

  it('a header without a valid certificate: too few signatures, a bad signature, a certificate of another block', () => {
    const few = clone(comprehensive);
    few.headers[0]!.certificate.signatures = few.headers[0]!.certificate.signatures.slice(0, 2);
    expect(failure(few)).toBe('CERT_NO_QUORUM');
    const badSignature = clone(comprehensive);
    const signature = badSignature.headers[0]!.certificate.signatures[0]!;
    signature.signature = `${signature.signature.slice(0, -4)}${signature.signature.endsWith('0000') ? 'ffff' : '0000'}`;
    expect(failure(badSignature)).toBe('CERT_BAD_SIGNATURE');
    const swapped = clone(comprehensive);
    [swapped.headers[0]!.certificate, swapped.headers[1]!.certificate] = [
      swapped.headers[1]!.certificate,
      swapped.headers[0]!.certificate,
    ];
    expect(failure(swapped)).toMatch(/^CERT_(HEIGHT|HASH)_MISMATCH$/);
  });

  it('a header whose provenance root was replaced: its hash or its certificate no longer fits', () => {
    const altered = clone(comprehensive);
    altered.headers[0]!.header.provenanceRoot = toHex(new Uint8Array(32).fill(7));
    expect(failure(altered)).toBe('HEADER_HASH_MISMATCH');
    // The same header with its stated hash recomputed: the certificate signed another header.
    altered.headers[0]!.header.hash = toHex(hashHeader(headerFromJson(altered.headers[0]!.header)));
    expect(failure(altered)).toBe('CERT_HASH_MISMATCH');
  });

  it('a missing header, a genesis that does not hash to its stated hash, malformed bundles', () => {
    const noHeader = clone(comprehensive);
    noHeader.headers.pop();
    expect(failure(noHeader)).toBe('HEADER_MISSING');
    const genesis = clone(comprehensive);
    (genesis.chain.genesis as { chainId: string }).chainId = 'other-chain';
    expect(failure(genesis)).toBe('GENESIS_MISMATCH');
    expect(failure({ ...clone(comprehensive), extra: 1 } as unknown as ProvenanceBundleJson)).toBe(
      'BUNDLE_INVALID',
    );
    expect(() => parseProvenanceBundle('{')).toThrow(expect.objectContaining({ code: 'BUNDLE_INVALID' }));
  });
});

describe('the state proof is the one for this URI', () => {
  it('a state proof of another URI does not prove this one', async () => {
    const other = await service.bundle(fixture.feature.uri, { comprehensive: false });
    const bundle = clone(await service.bundle(fixture.dataset.uri, { comprehensive: false }));
    bundle.state = clone(other.state);
    expect(verifyProvenanceBundle(bundle).failure?.code).toMatch(
      /^(PROOF_INVALID|VALUE_MISMATCH|NOT_ANCHORED)$/,
    );
  });

  it('the entry hash anchored for the dataset is the hash of its record', () => {
    const record = comprehensive.records.find((r) => r.uri === MERGED)!;
    expect(record.record).toBe(canonicalJson(fixture.dataset));
    expect(entryHashHex(fixture.dataset)).toMatch(/^0x/);
  });
});
