/**
 * The SQL schema of the off-chain provenance records (PostgreSQL dialect; PGlite and PostgreSQL
 * alike). Append-only migration list: never edit a released entry, add a new one.
 *
 * - `prov_anchors`: what the chain anchored, one row per (uri, version), filled from committed
 *   blocks by the node's indexer (`indexed_height` in `prov_index` says how far it got);
 * - `prov_records`: the full records, one row per (uri, version), accepted only when their hash
 *   matches an anchored one; `record` is the exact canonical JSON that was hashed;
 * - `prov_relations`: one row per relation of a stored record, for lookups by activity and agent.
 *
 * URIs use the "C" collation so that range scans (`uri >= 'x/' AND uri < 'x0'`) follow byte order,
 * the trie's key order.
 */
import type { Migration } from '../../store/migrate.ts';

export const PROVENANCE_MIGRATIONS: readonly Migration[] = [
  {
    id: '0001-provenance-records',
    sql: `
CREATE TABLE prov_index (
  id integer PRIMARY KEY CHECK (id = 1),
  indexed_height bigint NOT NULL
);
INSERT INTO prov_index (id, indexed_height) VALUES (1, 0);

CREATE TABLE prov_anchors (
  uri text COLLATE "C" NOT NULL,
  version integer NOT NULL,
  hash text NOT NULL,
  height bigint NOT NULL,
  PRIMARY KEY (uri, version)
);
CREATE INDEX prov_anchors_height ON prov_anchors (height);

CREATE TABLE prov_records (
  uri text COLLATE "C" NOT NULL,
  version integer NOT NULL,
  hash text NOT NULL,
  kind text NOT NULL,
  granularity text,
  dataset_uri text COLLATE "C",
  time timestamptz,
  record text NOT NULL,
  PRIMARY KEY (uri, version)
);
CREATE INDEX prov_records_dataset ON prov_records (dataset_uri, uri);
CREATE INDEX prov_records_time ON prov_records (time);
CREATE INDEX prov_records_hash ON prov_records (hash);

CREATE TABLE prov_relations (
  subject_uri text COLLATE "C" NOT NULL,
  subject_version integer NOT NULL,
  kind text NOT NULL,
  object text COLLATE "C" NOT NULL,
  secondary text COLLATE "C"
);
CREATE INDEX prov_relations_subject ON prov_relations (subject_uri, subject_version);
CREATE INDEX prov_relations_object ON prov_relations (object);
CREATE INDEX prov_relations_secondary ON prov_relations (secondary);
`,
  },
  {
    // Lookups by hash always name the URI too (the primary key serves them); a narrower dataset
    // index is cheaper to maintain on bulk uploads, and search sorts its (small) result itself.
    id: '0002-provenance-leaner-indexes',
    sql: `
DROP INDEX prov_records_hash;
DROP INDEX prov_records_dataset;
CREATE INDEX prov_records_dataset ON prov_records (dataset_uri);
`,
  },
  {
    // Bulk uploads maintain only the indexes some query needs: no query selects anchors by
    // height; a search by dataset scans the primary key's range of the dataset URI (every row of
    // a dataset lies in it, record-store.ts `search`); rows without a time or without a
    // secondary argument are never looked up by it (`time >= x` and `secondary = x` imply NOT NULL).
    id: '0003-provenance-bulk-upload-indexes',
    sql: `
DROP INDEX prov_anchors_height;
DROP INDEX prov_records_dataset;
DROP INDEX prov_records_time;
CREATE INDEX prov_records_time ON prov_records (time) WHERE time IS NOT NULL;
DROP INDEX prov_relations_secondary;
CREATE INDEX prov_relations_secondary ON prov_relations (secondary) WHERE secondary IS NOT NULL;
`,
  },
];
