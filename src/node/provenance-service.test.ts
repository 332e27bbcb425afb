/**
 * The node's provenance service on both SQL backends (PGlite and PostgreSQL, as sql.test.ts:
 * PostgreSQL at MERIDIAN_TEST_POSTGRES_URL or 127.0.0.1:5432/test, a random schema dropped at the
 * end; these tests fail, never skip, when it is unreachable). The chain is the in-process test
 * chain (real execution, tries and certificates). Tampering is done the way an attacker with
 * database access would: SQL statements on the stored rows.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestChain, type TestChain } from '../../test/support/provenance-chain.ts';
import { type Fixture, MERGE_ACTIVITY, MERGED, smallMerge } from '../../test/support/provenance-fixture.ts';
import { canonicalJson } from '../codec/canonical-json.ts';
import { verifyProvenanceBundle } from '../light/provenance-verify.ts';
import {
  type EntityEntry,
  entryHashHex,
  latestVersions,
  lineage,
  makeEntity,
  nextVersion,
  ProvenanceGraph,
  touchedBy,
} from '../modules/provenance/index.ts';
import { openPgliteSqlStore } from '../store/pglite-sql.ts';
import { openPostgresSqlStore } from '../store/postgres-sql.ts';
import { dropSchemas, freshSchema, TEST_POSTGRES_URL } from '../store/postgres-test-schemas.ts';
import type { SqlStore } from '../store/sql.ts';
import type { ProvenanceService } from './provenance-service.ts';

const dirs: string[] = [];

afterAll(async () => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  await dropSchemas();
});

/** Opens the same database again and again (the service closes what it opened). */
function pgliteDatabase(): () => Promise<SqlStore> {
  const dir = mkdtempSync(join(tmpdir(), 'meridian-prov-'));
  dirs.push(dir);
  return () => openPgliteSqlStore({ dataDir: join(dir, 'db') });
}

function postgresDatabase(): () => Promise<SqlStore> {
  const schema = freshSchema();
  return () => openPostgresSqlStore({ connectionString: TEST_POSTGRES_URL, schema });
}

function serviceSuite(backend: string, database: () => () => Promise<SqlStore>): void {
  describe(`provenance service on ${backend}`, () => {
    let chain: TestChain;
    let fixture: Fixture;
    let open: () => Promise<SqlStore>;
    let service: ProvenanceService;
    const sql = async () => (await service.store()).sql;
    const comprehensive = async () =>
      verifyProvenanceBundle(await service.bundle(MERGED, { comprehensive: true }));
    const single = async (uri: string) =>
      verifyProvenanceBundle(await service.bundle(uri, { comprehensive: false }));
    const restore = async (...entries: EntityEntry[]) => {
      const put = await service.putRecords(entries);
      expect(put.results.map((r) => r.status)).toEqual(entries.map(() => 'repaired'));
    };

    beforeAll(async () => {
      fixture = smallMerge(8);
      chain = await createTestChain();
      open = database();
      service = chain.service(open);
    }, 60_000);

    afterAll(async () => {
      await service?.close();
    });

    it('refuses records before their hashes are anchored, stores them after, and knows them the second time', async () => {
      const before = await service.putRecords(fixture.entries.slice(0, 3));
      expect(before.results.map((r) => [r.status, r.error?.code])).toEqual(
        fixture.entries.slice(0, 3).map(() => ['rejected', 'PROVENANCE_NOT_ANCHORED']),
      );
      const block = await chain.anchor(fixture.entries);
      const put = await service.putRecords(fixture.entries);
      expect(put.indexedHeight).toBe(block.block.header.height);
      expect(put.results.every((r) => r.status === 'stored')).toBe(true);
      expect((await service.putRecords(fixture.entries.slice(0, 5))).results.map((r) => r.status)).toEqual(
        Array(5).fill('known'),
      );
    });

    it('validates every record, and refuses one whose version is not the anchored version', async () => {
      const orphan = makeEntity({ uri: 'https://data.example.org/test/orphan', granularity: 'dataset' });
      const claimsV2 = nextVersion(
        makeEntity({ uri: orphan.uri, granularity: 'dataset', attributes: { 'prov:label': 'b' } }),
        orphan,
      );
      // Anchored without a version: the chain calls it version 1, the record says 2.
      await chain.commit([
        {
          kind: 'provenance.anchor',
          payload: { entries: [{ uri: claimsV2.uri, hash: entryHashHex(claimsV2) }] },
        },
      ]);
      const put = await service.putRecords([claimsV2, { ...fixture.dataset, version: 0 }, 'not a record']);
      expect(put.results.map((r) => r.error?.code)).toEqual([
        'RECORD_VERSION_MISMATCH',
        'BAD_VERSION',
        'BAD_ENTRY',
      ]);
    });

    it('serves a record with its anchoring and the history of a URI', async () => {
      const record = await service.record(fixture.attribute.uri);
      expect(record).toMatchObject({
        version: 1,
        matchesAnchor: true,
        hash: entryHashHex(fixture.attribute),
      });
      expect(record.record).toEqual(fixture.attribute);
      const history = await service.anchors(fixture.attribute.uri);
      expect(history.versions).toEqual([
        { version: 1, hash: entryHashHex(fixture.attribute), height: history.latest!.height },
      ]);
      await expect(service.record(`${MERGED}/none`)).rejects.toMatchObject({ code: 'RECORD_NOT_FOUND' });
      await expect(service.bundle(`${MERGED}/none`, { comprehensive: false })).rejects.toMatchObject({
        code: 'PROVENANCE_NOT_ANCHORED',
      });
    });

    it('verifies true at every granularity when nothing was touched', async () => {
      expect(await comprehensive()).toMatchObject({ valid: true, altered: [], missing: [], extra: [] });
      for (const entry of [fixture.dataset, fixture.feature, fixture.attribute])
        expect(await single(entry.uri)).toMatchObject({ valid: true });
    });

    it.each([
      ['dataset', 'dataset'],
      ['feature', 'feature'],
      ['attribute', 'attribute'],
    ] as const)(
      'a %s record altered in the database is named, by single and comprehensive verification',
      async (_, which) => {
        const entry = fixture[which];
        const tampered = canonicalJson({
          ...entry,
          attributes: { ...entry.attributes, 'prov:label': 'forged' },
        });
        await (await sql()).query('UPDATE prov_records SET record = $1 WHERE uri = $2', [
          tampered,
          entry.uri,
        ]);
        expect(await comprehensive()).toMatchObject({
          valid: false,
          altered: [entry.uri],
          missing: [],
          extra: [],
        });
        expect(await single(entry.uri)).toMatchObject({ valid: false, altered: [entry.uri] });
        expect((await service.record(entry.uri)).matchesAnchor).toBe(false);
        await restore(entry);
        expect((await comprehensive()).valid).toBe(true);
      },
    );

    it.each([['feature'], ['attribute']] as const)(
      'a %s record deleted from the database is missing',
      async (which) => {
        const entry = fixture[which];
        await (await sql()).query('DELETE FROM prov_records WHERE uri = $1', [entry.uri]);
        expect(await comprehensive()).toMatchObject({
          valid: false,
          altered: [],
          missing: [entry.uri],
          extra: [],
        });
        expect(await single(entry.uri)).toMatchObject({ valid: false, missing: [entry.uri] });
        const put = await service.putRecords([entry]);
        expect(put.results[0]!.status).toBe('stored');
      },
    );

    it('a record inserted into the database under the dataset (never anchored) is extra', async () => {
      const forged = makeEntity({
        uri: `${fixture.feature.uri}/properties.forged`,
        granularity: 'attribute',
        partOf: fixture.feature.uri,
        attribute: { kind: 'property', name: 'forged' },
      });
      await (await sql()).query(
        `INSERT INTO prov_records (uri, version, hash, kind, granularity, dataset_uri, record)
         VALUES ($1, 1, $2, 'entity', 'attribute', $3, $4)`,
        [forged.uri, entryHashHex(forged), MERGED, canonicalJson(forged)],
      );
      expect(await comprehensive()).toMatchObject({
        valid: false,
        altered: [],
        missing: [],
        extra: [forged.uri],
      });
      await (await sql()).query('DELETE FROM prov_records WHERE uri = $1', [forged.uri]);
    });

    it('two records whose texts were swapped in the database are both altered', async () => {
      const [a, b] = [fixture.feature, fixture.attribute];
      const db = await sql();
      await db.query(
        `UPDATE prov_records SET record = CASE uri WHEN $1 THEN $4 ELSE $3 END WHERE uri IN ($1, $2)`,
        [a.uri, b.uri, canonicalJson(a), canonicalJson(b)],
      );
      expect(await comprehensive()).toMatchObject({ valid: false, altered: [a.uri, b.uri].sort() });
      await restore(a, b);
    });

    it('answers lineage and footprint from the store exactly as the model answers them in memory', async () => {
      const graph = ProvenanceGraph.of(latestVersions(fixture.entries));
      for (const entry of [fixture.attribute, fixture.feature, fixture.dataset]) {
        const stored = await service.lineage(entry.uri, {});
        expect(JSON.parse(JSON.stringify(stored.steps))).toEqual(
          JSON.parse(JSON.stringify(lineage(graph, entry.uri).steps)),
        );
      }
      const expected = JSON.parse(JSON.stringify(touchedBy(graph, MERGE_ACTIVITY)));
      expect(JSON.parse(JSON.stringify(await service.footprint(MERGED)))).toEqual(expected);
      expect(JSON.parse(JSON.stringify(await service.footprint(MERGE_ACTIVITY)))).toEqual(expected);
    });

    it('finds records by dataset, activity, agent, granularity and time, page by page', async () => {
      const underMerged = fixture.merge.entries.filter((e) => e.uri.startsWith(MERGED));
      const byDataset = await service.search({ dataset: MERGED, limit: 1000 });
      expect(byDataset.map((r) => r.uri)).toEqual(underMerged.map((e) => e.uri).sort());
      const features = await service.search({ dataset: MERGED, granularity: 'feature', limit: 1000 });
      expect(features.every((r) => r.granularity === 'feature')).toBe(true);
      const byActivity = await service.search({ activity: MERGE_ACTIVITY, limit: 1000 });
      expect(byActivity.length).toBeGreaterThan(features.length);
      const byAgent = await service.search({
        agent: 'https://prov.example.net/agent/test-office',
        limit: 1000,
      });
      expect(byAgent.map((r) => r.uri)).toEqual(expect.arrayContaining([MERGED, MERGE_ACTIVITY]));
      const inMarch = await service.search({
        from: '2024-03-05T00:00:00Z',
        to: '2024-03-06T00:00:00Z',
        limit: 1000,
      });
      expect(inMarch.map((r) => r.uri).sort()).toEqual([MERGE_ACTIVITY, MERGED].sort());
      const first = await service.search({ dataset: MERGED, limit: 10 });
      const next = await service.search({
        dataset: MERGED,
        limit: 10,
        after: { uri: first[9]!.uri, version: first[9]!.version },
      });
      expect([...first, ...next].map((r) => r.uri)).toEqual(byDataset.slice(0, 20).map((r) => r.uri));
    });

    it('after a restart, indexes the blocks it missed before accepting their records', async () => {
      await service.close();
      const v2 = nextVersion(
        { ...fixture.attribute, attributes: { ...fixture.attribute.attributes, 'prov:label': 'second' } },
        fixture.attribute,
      );
      const missed = await chain.anchor([v2]);
      service = chain.service(open);
      const put = await service.putRecords([v2]);
      expect(put).toMatchObject({
        indexedHeight: missed.block.header.height,
        results: [{ status: 'stored', version: 2 }],
      });
      expect((await service.anchors(v2.uri)).versions.map((v) => v.version)).toEqual([1, 2]);
      expect(await single(v2.uri)).toMatchObject({ valid: true, version: 2, latest: true });
      expect(await comprehensive()).toMatchObject({ valid: true });
      expect((await comprehensive()).blocks.length).toBe(2);
    });
  });
}

describe('provenance service start-up', () => {
  it('opens the SQL store only at the first provenance request, then indexes everything anchored before it', async () => {
    const chain = await createTestChain();
    const open = pgliteDatabase();
    let opened = 0;
    const service = chain.service(() => {
      opened++;
      return open();
    });
    try {
      const quiet = await chain.commit([]);
      service.onCommitted(quiet.block.header.height);
      expect(opened).toBe(0);
      const fixture = smallMerge(2);
      const anchored = await chain.anchor(fixture.entries);
      service.onCommitted(anchored.block.header.height, anchored.executed.anchors);
      expect(opened).toBe(0);
      const put = await service.putRecords(fixture.entries);
      expect(opened).toBe(1);
      expect(put.indexedHeight).toBe(anchored.block.header.height);
      expect(put.results.every((r) => r.status === 'stored')).toBe(true);
      // Once open, each commit is indexed as it happens.
      const later = await chain.anchor([
        makeEntity({ uri: 'https://data.example.org/test/later', granularity: 'dataset' }),
      ]);
      service.onCommitted(later.block.header.height, later.executed.anchors);
      const store = await service.store();
      await expect.poll(() => store.indexedHeight()).toBe(later.block.header.height);
      expect(opened).toBe(1);
    } finally {
      await service.close();
    }
  }, 60_000);

  it('takes records while a block is mid-commit (stored, not yet the head) and indexes it once committed', async () => {
    const chain = await createTestChain();
    const service = chain.service(pgliteDatabase());
    try {
      const first = smallMerge(2);
      await chain.anchor(first.entries);
      // An upload that arrives between the block store's append and the head's update: the
      // block store is then one height ahead of the states the chain holds.
      const append = chain.blocks.append.bind(chain.blocks);
      let during: Awaited<ReturnType<ProvenanceService['putRecords']>> | undefined;
      chain.blocks.append = async (...args) => {
        await append(...args);
        during = await service.putRecords(first.entries);
      };
      const second = await chain.anchor([
        makeEntity({ uri: 'https://data.example.org/test/second', granularity: 'dataset' }),
      ]);
      chain.blocks.append = append;
      expect(during?.indexedHeight).toBe(second.block.header.height - 1);
      expect(during?.results.every((r) => r.status === 'stored')).toBe(true);
      expect(await (await service.caughtUp()).indexedHeight()).toBe(second.block.header.height);
    } finally {
      await service.close();
    }
  }, 60_000);
});

serviceSuite('PGlite', pgliteDatabase);
serviceSuite('PostgreSQL', postgresDatabase);
