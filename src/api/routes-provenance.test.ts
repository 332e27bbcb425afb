/**
 * The provenance routes end to end over HTTP: the real server (every answer checked against its
 * schema, `validateResponses`), the real provenance service on the in-process test chain, and the
 * SDK's `ProvenanceClient` — upload, read, proof, local verification, lineage, footprint, search,
 * and the errors a client sees.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestChain, type TestChain } from '../../test/support/provenance-chain.ts';
import { type Fixture, MERGE_ACTIVITY, MERGED, smallMerge } from '../../test/support/provenance-fixture.ts';
import { canonicalJson } from '../codec/canonical-json.ts';
import { entryHashHex } from '../modules/provenance/index.ts';
import type { ProvenanceService } from '../node/provenance-service.ts';
import { openPgliteSqlStore } from '../store/pglite-sql.ts';
import { MAX_RECORDS_PER_REQUEST } from './schemas-provenance.ts';
import { ProvenanceClient } from './sdk/provenance.ts';
import { startTestServer, type TestServer } from './testing/harness.ts';

let chain: TestChain;
let service: ProvenanceService;
let server: TestServer;
let provenance: ProvenanceClient;
let fixture: Fixture;

beforeAll(async () => {
  fixture = smallMerge(6);
  chain = await createTestChain();
  service = chain.service(() => openPgliteSqlStore({ dataDir: 'memory://' }));
  server = await startTestServer({ provenance: service });
  provenance = new ProvenanceClient(server.client);
  await chain.anchor(fixture.entries);
}, 60_000);

afterAll(async () => {
  await server?.close();
  await service?.close();
});

describe('/v1/provenance over HTTP with the SDK', () => {
  it('stores anchored records and reports unanchored or invalid ones per record', async () => {
    const results = await provenance.putRecords(fixture.entries);
    expect(results.map((r) => r.status)).toEqual(fixture.entries.map(() => 'stored'));
    const response = await fetch(`${server.url}/v1/provenance/records`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ records: [{ ...fixture.dataset, version: 7 }, { uri: 'x' }] }),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { results: { status: string; error?: { code: string } }[] };
    expect(body.results.map((r) => [r.status, r.error?.code])).toEqual([
      ['rejected', 'BAD_VERSION'],
      ['rejected', 'BAD_ENTRY'],
    ]);
  });

  it('refuses an empty or oversized upload at the schema', async () => {
    const post = (records: unknown[]) =>
      fetch(`${server.url}/v1/provenance/records`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ records }),
      });
    expect((await post([])).status).toBe(400);
    expect((await post(Array(MAX_RECORDS_PER_REQUEST + 1).fill(1))).status).toBe(400);
  });

  it('serves a record, its anchoring history and a proof bundle that verifies locally', async () => {
    const record = await provenance.record(fixture.feature.uri);
    expect(record).toMatchObject({ version: 1, matchesAnchor: true, hash: entryHashHex(fixture.feature) });
    expect((await provenance.anchors(fixture.feature.uri)).versions).toHaveLength(1);
    const bundle = await provenance.proof(MERGED, { comprehensive: true });
    expect(bundle.records.find((r) => r.uri === MERGED)?.record).toBe(canonicalJson(fixture.dataset));
    expect(
      await provenance.verify(MERGED, { comprehensive: true, trustedGenesis: chain.genesis }),
    ).toMatchObject({
      valid: true,
      trust: { source: 'genesis' },
    });
    expect(await provenance.verify(fixture.attribute.uri, { latest: true })).toMatchObject({
      valid: true,
      latest: true,
    });
  });

  it('answers lineage, the merge footprint and searches', async () => {
    const lineage = await provenance.lineage(fixture.attribute.uri);
    expect(lineage.steps.length).toBeGreaterThan(1);
    const footprint = await provenance.footprint(MERGED);
    expect(footprint.activity).toBe(MERGE_ACTIVITY);
    expect((footprint.generated as { dataset: string[] }).dataset).toEqual([MERGED]);
    const features = await provenance.search({ dataset: MERGED, granularity: 'feature', limit: 1000 });
    expect(features.length).toBe(
      fixture.merge.summary.features.merged +
        fixture.merge.summary.features.kept +
        fixture.merge.summary.features.added,
    );
  });

  it('answers 404 with a code for what is not there, 400 for a bad URI or time', async () => {
    await expect(provenance.record(`${MERGED}/nothing`)).rejects.toMatchObject({
      code: 'RECORD_NOT_FOUND',
      status: 404,
    });
    await expect(provenance.proof(`${MERGED}/nothing`)).rejects.toMatchObject({
      code: 'PROVENANCE_NOT_ANCHORED',
      status: 404,
    });
    await expect(provenance.lineage('not a uri')).rejects.toMatchObject({ code: 'BAD_URI', status: 400 });
    await expect(provenance.search({ from: 'yesterday', limit: 1 })).rejects.toMatchObject({
      code: 'BAD_TIME',
    });
  });

  it('lists the routes in the OpenAPI document', async () => {
    const document = (await (await fetch(`${server.url}/openapi.json`)).json()) as {
      paths: Record<string, unknown>;
    };
    expect(
      Object.keys(document.paths)
        .filter((p) => p.startsWith('/v1/provenance'))
        .sort(),
    ).toEqual([
      '/v1/provenance/anchors',
      '/v1/provenance/footprint',
      '/v1/provenance/lineage',
      '/v1/provenance/proof',
      '/v1/provenance/record',
      '/v1/provenance/records',
    ]);
  });
});
