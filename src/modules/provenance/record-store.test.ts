/**
 * The SQL record store on both backends (PGlite in memory, and PostgreSQL at
 * MERIDIAN_TEST_POSTGRES_URL or 127.0.0.1:5432/test in a random schema dropped at the end; these
 * tests fail, never skip, when it is unreachable): bulk upload statuses, the relations that follow
 * a repaired row, anchor matching, and search by dataset through the primary key's range.
 */
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openPgliteSqlStore } from '../../store/pglite-sql.ts';
import { openPostgresSqlStore } from '../../store/postgres-sql.ts';
import { dropSchemas, freshSchema, TEST_POSTGRES_URL } from '../../store/postgres-test-schemas.ts';
import type { SqlStore } from '../../store/sql.ts';
import { makeActivity, makeEntity, validateRecord } from './entry.ts';
import type { EntityEntry } from './model.ts';
import { ProvenanceRecordStore, type RecordToStore } from './record-store.ts';
import { attributeUri, featureUri } from './uri.ts';

afterAll(dropSchemas);

const BASE = 'https://data.example.org/store-test';
const DS = `${BASE}/ds`;
/** Sorts between `DS` and `DS + "/"` in byte order: inside the range scanned for DS, not part of it. */
const SIBLING = `${BASE}/ds-2`;
const MERGE = 'https://prov.example.net/activity/store-merge';
const OTHER = 'https://prov.example.net/activity/store-other';

function dataset(uri: string): EntityEntry {
  return makeEntity({ uri, granularity: 'dataset', relations: [{ kind: 'wasGeneratedBy', object: MERGE }] });
}

function feature(of: string, id: string, activity: string): EntityEntry {
  return makeEntity({
    uri: featureUri(of, id),
    granularity: 'feature',
    partOf: of,
    relations: [{ kind: 'wasDerivedFrom', object: `${BASE}/source/${id}`, secondary: activity }],
  });
}

function attribute(of: EntityEntry): EntityEntry {
  return makeEntity({
    uri: attributeUri(of.uri, { kind: 'property', name: 'height' }),
    granularity: 'attribute',
    partOf: of.uri,
    attribute: { kind: 'property', name: 'height' },
    attributes: { 'prov:value': 12 },
  });
}

const records = (entries: readonly unknown[]): RecordToStore[] => entries.map((e) => validateRecord(e));

function storeSuite(backend: string, open: () => Promise<SqlStore>): void {
  describe(`provenance record store on ${backend}`, () => {
    let sql: SqlStore;
    let store: ProvenanceRecordStore;

    beforeEach(async () => {
      sql = await open();
      store = await ProvenanceRecordStore.open(sql);
    });
    afterEach(async () => {
      await sql.close();
    });

    it('stores, knows, and repairs rows, replacing exactly the relations of the rows it changed', async () => {
      const f = feature(DS, 'f1', MERGE);
      const kept = feature(DS, 'f2', MERGE);
      const entries = [dataset(DS), f, kept, attribute(f)];
      expect((await store.putRecords(records(entries))).map((r) => r.status)).toEqual(
        Array(4).fill('stored'),
      );
      expect((await store.putRecords(records(entries))).map((r) => r.status)).toEqual(Array(4).fill('known'));
      expect(await store.subjectsReferencing(MERGE, 10)).toEqual([DS, f.uri, kept.uri].sort());

      // The same (uri, version) with another text: the row and its relations are replaced.
      const changed = feature(DS, 'f1', OTHER);
      expect((await store.putRecords(records([changed, kept]))).map((r) => r.status)).toEqual([
        'repaired',
        'known',
      ]);
      expect((await store.record(f.uri))?.text).toBe(validateRecord(changed).text);
      expect(await store.subjectsReferencing(OTHER, 10)).toEqual([f.uri]);
      expect(await store.subjectsReferencing(MERGE, 10)).toEqual([DS, kept.uri].sort());

      // A row deleted behind the store's back is stored again, its relations not doubled.
      await sql.query('DELETE FROM prov_records WHERE uri = $1', [kept.uri]);
      expect((await store.putRecords(records([kept])))[0]!.status).toBe('stored');
      const [count] = await sql.query<{ n: number }>(
        'SELECT count(*)::integer AS n FROM prov_relations WHERE subject_uri = $1',
        [kept.uri],
      );
      expect(count!.n).toBe(1);
    });

    it('matches (uri, hash) pairs to their anchors, and only exact pairs', async () => {
      const entries = [dataset(DS), feature(DS, 'f1', MERGE), makeActivity({ uri: MERGE })];
      const prepared = records(entries);
      await store.indexAnchors(
        5,
        prepared.map((p) => ({ uri: p.entry.uri, hash: p.hash })),
      );
      const other = validateRecord(feature(DS, 'f1', OTHER)).hash;
      const pairs = [
        ...prepared.map((p) => ({ uri: p.entry.uri, hash: p.hash })),
        { uri: entries[1]!.uri, hash: other },
        { uri: `${DS}/none`, hash: prepared[0]!.hash },
      ];
      const anchors = await store.anchorsOf(pairs);
      expect([...anchors.keys()].sort()).toEqual(prepared.map((p) => `${p.entry.uri} ${p.hash}`).sort());
      for (const p of prepared)
        expect(anchors.get(`${p.entry.uri} ${p.hash}`)).toEqual({
          uri: p.entry.uri,
          version: 1,
          hash: p.hash,
          height: 5,
        });
    });

    it('numbers the versions of re-anchored URIs in height order, and indexes each height once', async () => {
      const uri = `${DS}/versioned`;
      const hashes = ['0x' + '1'.repeat(64), '0x' + '2'.repeat(64), '0x' + '3'.repeat(64)];
      await store.indexAnchors(10, [{ uri, hash: hashes[0]! }]);
      await store.indexAnchors(11, [{ uri: `${uri}/other`, hash: hashes[0]! }]);
      await store.indexAnchors(12, [{ uri, hash: hashes[1]! }]);
      await store.indexAnchors(12, [{ uri, hash: hashes[2]! }]); // already indexed: ignored
      expect(await store.anchorHistory(uri)).toEqual([
        { uri, version: 1, hash: hashes[0], height: 10 },
        { uri, version: 2, hash: hashes[1], height: 12 },
      ]);
      expect(await store.indexedHeight()).toBe(12);
    });

    it('finds a dataset’s rows and no row of a dataset whose URI merely starts the same', async () => {
      const f = feature(DS, 'f1', MERGE);
      const g = feature(SIBLING, 'g1', MERGE);
      const mine = [dataset(DS), f, attribute(f)];
      await store.putRecords(records([...mine, dataset(SIBLING), g, attribute(g)]));
      const found = await store.search({ dataset: DS, limit: 100 });
      expect(found.map((r) => r.uri)).toEqual(mine.map((e) => e.uri).sort());
      expect(found.every((r) => r.datasetUri === DS)).toBe(true);
      const page = await store.search({ dataset: DS, limit: 1, after: { uri: DS, version: 1 } });
      expect(page.map((r) => r.uri)).toEqual([f.uri]);
    });
  });
}

storeSuite('PGlite', () => openPgliteSqlStore({ dataDir: 'memory://' }));
storeSuite('PostgreSQL', () => {
  const schema = freshSchema();
  return openPostgresSqlStore({ connectionString: TEST_POSTGRES_URL, schema });
});
