/**
 * `npm run example:provenance` — seed 001's worked example, end to end on a real network:
 *
 *  1. start a fresh 4-validator devnet in a temporary directory (separate processes, TLS, PBFT);
 *  2. capture the provenance of two sources of the same buildings (an authoritative register and
 *     an OpenStreetMap-style extract, examples/provenance/data) and of their merge, at the three
 *     granularities (dataset, feature, attribute);
 *  3. anchor every entry's hash on chain, then upload the full records to validator-0, which keeps
 *     them in its database (PGlite under its node directory);
 *  4. verify, here and trusting only the devnet's genesis: the merged dataset with everything under
 *     it (comprehensive), one entry at each granularity (single), and an exported bundle offline;
 *  5. alter one attribute record directly in validator-0's database (stop it, open its PGlite data
 *     directory, rewrite the row, restart it: an insider with disk access), verify again: false,
 *     naming that attribute;
 *  6. print the lineage of one merged feature and everything the merge touched; stop the devnet.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { MeridianClient } from '../../src/api/sdk/client.ts';
import { ProvenanceClient } from '../../src/api/sdk/provenance.ts';
import { parseGenesis } from '../../src/chain/genesis.ts';
import { printFootprint, printLineage, printVerdict } from '../../src/cli/commands/prov.ts';
import { generateSigningKeyPair, type SigningKeyPair } from '../../src/crypto/ed25519.ts';
import { decryptKeyFile, parseKeyFile } from '../../src/crypto/keyfile.ts';
import { parseFeatureCollection } from '../../src/geo/geojson.ts';
import { parseProvenanceBundle } from '../../src/light/provenance-bundle.ts';
import { verifyProvenanceBundle } from '../../src/light/provenance-verify.ts';
import {
  ATTR,
  captureSource,
  type EntityEntry,
  makeAgent,
  mergeDatasets,
  type ProvenanceEntry,
} from '../../src/modules/provenance/index.ts';
import { type DevnetLayout, DevnetProcesses, prepareDevnet, waitForApi } from '../../src/node/devnet.ts';
import { openPgliteSqlStore } from '../../src/store/pglite-sql.ts';

const DATA = join(import.meta.dirname, 'data');
const REGISTER = 'https://data.example.org/wuchang/register-2023';
const OSM = 'https://data.example.org/osm/wuchang-2024-03-01';
const MERGED = 'https://data.example.org/wuchang/buildings-merged';
const MERGE_ACTIVITY = 'https://prov.example.net/activity/merge-2024-03-05';

const started = performance.now();
/** Validators this script stops on purpose (their exit is not news). */
const stopping = new Set<number>();
const elapsed = () => `${((performance.now() - started) / 1000).toFixed(1)} s`;
const section = (title: string) => console.log(`\n━━ ${title} ${'━'.repeat(Math.max(0, 86 - title.length))}`);

/** A base port with `count` free ports from it (API) and from base + 20 (p2p). */
async function freePorts(count: number): Promise<number> {
  const free = (port: number) =>
    new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 40_000 + Math.floor(Math.random() * 2_000) * 10;
    const ports = [...Array(count).keys()].flatMap((i) => [base + i, base + 20 + i]);
    if ((await Promise.all(ports.map(free))).every(Boolean)) return base;
  }
  throw new Error('no free ports found');
}

/** The account that anchors: the devnet's first member organisation admin when it has one, else a fresh key. */
async function anchoringKey(
  dir: string,
  layout: DevnetLayout,
): Promise<{ signer: SigningKeyPair; who: string }> {
  const admin = layout.admins?.find((a) => a.organization !== 'regulator');
  if (admin === undefined) return { signer: generateSigningKeyPair(), who: 'a fresh key (open devnet)' };
  const passphrase = readFileSync(join(dir, 'passphrase'), 'utf8');
  const identity = await decryptKeyFile(parseKeyFile(readFileSync(admin.keyFile, 'utf8')), passphrase);
  return { signer: identity.signing, who: `the ${admin.organization} admin key` };
}

function capture() {
  const office = makeAgent({
    uri: 'https://prov.example.net/agent/wuchang-survey-office',
    attributes: { 'prov:label': 'Wuchang District Survey Office' },
  });
  const community = makeAgent({
    uri: 'https://prov.example.net/agent/openstreetmap-contributors',
    attributes: { 'prov:label': 'OpenStreetMap contributors' },
  });
  const register = captureSource(
    parseFeatureCollection(readFileSync(join(DATA, 'authoritative.geojson'), 'utf8')),
    {
      datasetUri: REGISTER,
      activityUri: 'https://prov.example.net/activity/import-register-2023',
      time: '2023-07-01T09:00:00+08:00',
      asOf: '2023-06-30T00:00:00+08:00',
      publisher: office,
      label: 'Wuchang building register 2023',
    },
  );
  const osm = captureSource(parseFeatureCollection(readFileSync(join(DATA, 'osm.geojson'), 'utf8')), {
    datasetUri: OSM,
    activityUri: 'https://prov.example.net/activity/extract-osm-2024-03-01',
    time: '2024-03-01T00:00:00Z',
    publisher: community,
    label: 'OpenStreetMap extract, Wuchang, 2024-03-01',
  });
  const merge = mergeDatasets(register, osm, {
    outputUri: MERGED,
    activityUri: MERGE_ACTIVITY,
    time: '2024-03-05T10:00:00+08:00',
    agent: office,
    label: 'Wuchang buildings, register + OSM',
  });
  return {
    office,
    community,
    register,
    osm,
    merge,
    all: [office, community, ...register.entries, ...osm.entries, ...merge.entries],
  };
}

function countByLevel(entries: readonly ProvenanceEntry[], prefix: string): string {
  const under = entries.filter(
    (e): e is EntityEntry => e.kind === 'entity' && (e.uri === prefix || e.uri.startsWith(`${prefix}/`)),
  );
  const n = (g: string) => under.filter((e) => e.granularity === g).length;
  return `${n('dataset')} dataset + ${n('feature')} features + ${n('attribute')} attributes = ${under.length} entries`;
}

async function main(): Promise<void> {
  section('1. A fresh 4-validator devnet');
  const dir = mkdtempSync(join(tmpdir(), 'meridian-provenance-example-'));
  const base = await freePorts(4);
  const layout = await prepareDevnet({
    dir,
    validators: 4,
    apiBasePort: base,
    p2pBasePort: base + 20,
    keyFileLogN: 10,
  });
  const processes = new DevnetProcesses(layout, (node, code, signal) => {
    if (!stopping.has(node.index))
      console.error(`  ! ${node.name} exited (${signal ?? `code ${code}`}); log: ${node.logFile}`);
  });
  await processes.start();
  let failed = true;
  try {
    await Promise.all(layout.nodes.map((n) => waitForApi(n.apiUrl, 90_000)));
    const node0 = layout.nodes[0]!;
    const genesisFile = join(node0.dir, 'genesis.json');
    const genesis = parseGenesis(readFileSync(genesisFile, 'utf8'));
    console.log(`  ${layout.nodes.length} validator processes in ${dir}`);
    console.log(
      `  talking to ${node0.name} at ${node0.apiUrl}; trusting only the validator set of ${genesisFile}`,
    );
    const client = new MeridianClient(node0.apiUrl, { WebSocket: WebSocket as never });
    const provenance = new ProvenanceClient(client);
    try {
      await run(client, provenance, processes, layout, dir, genesis, genesisFile);
      failed = false;
    } finally {
      client.close();
    }
  } finally {
    section('7. Stopping the devnet');
    await processes.stop();
    if (failed) {
      console.log(`  stopped; ${dir} is kept for its node logs (validator-*/node.log). Total ${elapsed()}.`);
    } else {
      rmSync(dir, { recursive: true, force: true });
      console.log(`  stopped, ${dir} removed. Total ${elapsed()}.`);
    }
  }
}

async function run(
  client: MeridianClient,
  provenance: ProvenanceClient,
  processes: DevnetProcesses,
  layout: DevnetLayout,
  dir: string,
  genesis: ReturnType<typeof parseGenesis>,
  genesisFile: string,
): Promise<void> {
  section('2. Capture: two sources and their merge, at three granularities');
  const { office, community, register, osm, merge, all } = capture();
  console.log(
    `  register  ${register.collection.features.length} buildings → ${countByLevel(all, REGISTER)}`,
  );
  console.log(`  OSM       ${osm.collection.features.length} buildings → ${countByLevel(all, OSM)}`);
  const { features, attributes, conflicts } = merge.summary;
  console.log(
    `  merge     ${features.merged} matched (IoU ≥ 0.5), ${features.kept} register-only kept, ${features.added} OSM-only added → ${countByLevel(all, MERGED)}`,
  );
  console.log(
    `            attribute operations: ${attributes.kept} kept, ${attributes.added} added, ${attributes.updated} updated; ${conflicts} conflicting OSM values rejected`,
  );
  console.log(`  ${all.length} provenance entries in total (with 3 activities and 2 agents)`);

  section('3. Anchor the hashes on chain, then upload the full records to validator-0');
  const { signer, who } = await anchoringKey(dir, layout);
  console.log(
    `  signing with ${who}; one dataset per call, its transactions submitted together so it lands in one block`,
  );
  let t = performance.now();
  for (const [label, entries] of [
    ['agents + register import', [office, community, ...register.entries]],
    ['OSM import', osm.entries],
    ['merge', merge.entries],
  ] as const) {
    const started = performance.now();
    const anchored = await provenance.anchor(entries, signer);
    console.log(
      `  ${label.padEnd(24)} ${String(anchored.anchored).padStart(5)} entry hashes, ${String(anchored.txs.length).padStart(2)} provenance.anchor transactions → block ${anchored.heights.join(', ')} (${(performance.now() - started).toFixed(0)} ms)`,
    );
  }
  console.log(`  ${all.length} entries anchored in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  t = performance.now();
  const stored = await provenance.putRecords(all);
  const rejected = stored.filter((r) => r.status === 'rejected');
  console.log(
    `  ${stored.length - rejected.length} records stored by ${layout.nodes[0]!.name}, ${rejected.length} rejected (${(performance.now() - t).toFixed(0)} ms): each validated, re-hashed and matched to its anchored hash`,
  );
  if (rejected.length > 0) throw new Error(`records rejected: ${JSON.stringify(rejected.slice(0, 3))}`);

  section('4. Verify (here, not on the node): comprehensive, single at each granularity, offline');
  const trustedGenesis = genesis;
  const before = await provenance.verify(MERGED, { comprehensive: true, trustedGenesis });
  printVerdict(before, genesisFile, false);
  const mergedFeature = merge.entries.find(
    (e): e is EntityEntry =>
      e.kind === 'entity' &&
      e.granularity === 'feature' &&
      e.relations.some((r) => r.attributes[ATTR.operation] === 'merged'),
  )!;
  const updated = merge.entries.find(
    (e): e is EntityEntry =>
      e.kind === 'entity' &&
      e.granularity === 'attribute' &&
      e.relations.some((r) => r.attributes[ATTR.operation] === 'updated'),
  )!;
  for (const uri of [MERGED, mergedFeature.uri, updated.uri]) {
    const single = await provenance.verify(uri, { trustedGenesis });
    console.log(
      `  single ${single.valid ? 'VALID  ' : 'INVALID'} ${uri} (version ${single.version}, block ${single.anchoredAt})`,
    );
  }
  const bundle = await provenance.proof(MERGED, { comprehensive: true });
  const bundleText = JSON.stringify(bundle);
  const offline = verifyProvenanceBundle(parseProvenanceBundle(bundleText), { trustedGenesis });
  console.log(
    `  offline: a ${(bundleText.length / 1e6).toFixed(1)} MB bundle (${bundle.records.length} records, ${bundle.subtrees.length} subtree proof${bundle.subtrees.length === 1 ? '' : 's'}, ${bundle.headers.length} certified headers) checked with no node: ${offline.valid ? 'VALID' : 'INVALID'}`,
  );

  section('5. An insider alters one attribute record in validator-0’s database');
  const target = updated.uri;
  const recordBefore = await provenance.record(target);
  console.log(`  target: ${target}`);
  console.log(
    `  on chain: version ${recordBefore.anchored?.version}, hash ${recordBefore.anchored?.hash.slice(0, 18)}… in block ${recordBefore.anchored?.height}`,
  );
  console.log('  stopping validator-0 (the other three keep the chain going) …');
  stopping.add(0);
  await processes.kill(0, 'SIGTERM');
  const db = await openPgliteSqlStore({ dataDir: join(layout.nodes[0]!.dir, 'records-db') });
  const [row] = await db.query<{ record: string }>('SELECT record FROM prov_records WHERE uri = $1', [
    target,
  ]);
  const forged = row!.record
    .replace('"meridian:operation":"updated"', '"meridian:operation":"kept"')
    .replace('"meridian:sourceRole":"osm"', '"meridian:sourceRole":"authoritative"');
  await db.query('UPDATE prov_records SET record = $1 WHERE uri = $2', [forged, target]);
  await db.close();
  console.log(
    '  UPDATE prov_records: the height now claims to be "kept" from the "authoritative" register, not "updated" from OSM',
  );
  processes.startNode(0);
  stopping.delete(0);
  await waitForApi(layout.nodes[0]!.apiUrl, 90_000);
  const recordAfter = await provenance.record(target);
  console.log(
    `  validator-0 restarted; it serves the altered record (matchesAnchor: ${recordAfter.matchesAnchor})`,
  );

  section('6. Verify again');
  const after = await provenance.verify(MERGED, { comprehensive: true, trustedGenesis });
  printVerdict(after, genesisFile, false);
  const singleAfter = await provenance.verify(target, { trustedGenesis });
  console.log(
    `  single ${singleAfter.valid ? 'VALID' : 'INVALID'} ${target}: altered ${JSON.stringify(singleAfter.altered)}`,
  );
  const named = !after.valid && after.altered.length === 1 && after.altered[0] === target;
  console.log(
    `  → ${named ? 'the alteration is detected and named exactly' : 'UNEXPECTED: the verdict does not name exactly the altered attribute'}`,
  );

  section(`Lineage of a merged feature (${mergedFeature.uri.slice(MERGED.length + 1)})`);
  printLineage(await provenance.lineage(mergedFeature.uri));
  section('Everything the merge touched');
  printFootprint(await provenance.footprint(MERGED));
  console.log(
    `  (queries read the stored records as they are: the altered row now counts as kept, so attributes show ${attributes.kept + 1} kept / ${attributes.updated - 1} updated where the merge recorded ${attributes.kept} / ${attributes.updated}; verification is what tells you which row to distrust)`,
  );
  const status = await client.status();
  console.log(
    `\n  chain height ${status.height}; ${before.valid && !after.valid && named ? 'story complete: true before, false after, the altered attribute named' : 'story INCOMPLETE'}`,
  );
  if (!(before.valid && offline.valid && named)) process.exitCode = 1;
}

await main();
