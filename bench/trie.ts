/**
 * `npm run bench:trie` — seed 001's experiment (§5): blocks of 500..3000
 * provenance entries made of whole datasets, stored in
 *   - Meridian's Merkle Patricia Trie (raw URI keys),
 *   - @ethereumjs/mpt (raw keys: `useKeyHashing: false`), the reference MPT,
 *   - merkletreejs (SHA-256), a common binary Merkle tree,
 *   - Meridian's own binary Merkle baseline (keccak, domain-separated),
 * measuring build + root time, node counts, proof sizes, single-proof
 * verification, and "comprehensive verification" of the block's largest dataset
 * (Meridian: one single-key proof for the dataset entry + one subtree proof for
 * everything under `<dataset>/`; the others: one proof per entry).
 *
 * Medians over repeats after warm-up. A progress bar runs on stderr. With
 * `--json` the last stdout line is one JSON object keyed by block size.
 * Options: --quick (fewer repeats), --sizes 500,1000, --report <file.md>.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { createMerkleProof, createMPT, verifyMerkleProof } from '@ethereumjs/mpt';
import { SingleBar } from 'cli-progress';
import { MerkleTree } from 'merkletreejs';
import { utf8 } from '../src/codec/bytes.ts';
import { BinaryMerkleTree, verifyBinaryProof } from '../src/trie/binary-merkle.ts';
import { createProof, verifyProof } from '../src/trie/proof.ts';
import { createSubtreeProof, verifySubtreeProof } from '../src/trie/subtree-proof.ts';
import { MerklePatriciaTrie } from '../src/trie/trie.ts';
import { measureInterleaved } from './lib/measure.ts';
import { makeProvenanceBlock, type ProvenanceEntry } from './lib/provenance-workload.ts';
import { formatNumber, renderTable } from './lib/table.ts';

const args = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const JSON_OUTPUT = args.includes('--json');
const QUICK = args.includes('--quick');
const SIZES = (option('--sizes') ?? '500,1000,1500,2000,2500,3000').split(',').map(Number);
const REPORT = option('--report') ?? 'bench/reports/trie.md';
const SEED = 1;
/** Single-proof verification: the paper averages 100 verifications. */
const PROBES = 100;
const REPEATS = QUICK ? 3 : 15;
const SLOW_REPEATS = QUICK ? 1 : 3; // @ethereumjs/mpt: builds take ~1 s and 1,000 proofs ~0.2 s each

const sha256 = (data: Buffer): Buffer => createHash('sha256').update(data).digest();
const leafData = (e: ProvenanceEntry): Buffer => Buffer.concat([e.key, e.value]);

interface Result {
  entries: number;
  datasets: number;
  largest_dataset_entries: number;
  meridian_build_ms: number;
  ethereumjs_build_ms: number;
  merkletreejs_build_ms: number;
  baseline_build_ms: number;
  meridian_nodes: number;
  binary_nodes: number;
  meridian_proof_bytes: number;
  ethereumjs_proof_bytes: number;
  merkletreejs_proof_bytes: number;
  meridian_verify_us: number;
  ethereumjs_verify_us: number;
  binary_verify_us: number;
  baseline_verify_us: number;
  meridian_comprehensive_ms: number;
  ethereumjs_comprehensive_ms: number;
  binary_comprehensive_ms: number;
  baseline_comprehensive_ms: number;
  meridian_subtree_proof_bytes: number;
}

const STEPS_PER_SIZE = 4;
const bar = new SingleBar(
  {
    format: 'bench:trie [{bar}] {percentage}% | {value}/{total} | {task}',
    stream: process.stderr,
    hideCursor: true,
  },
  undefined,
);

async function runSize(size: number): Promise<Result> {
  const step = (task: string) => bar.increment(1, { task: `${size} entries: ${task}` });
  const block = makeProvenanceBlock(size, SEED * 1_000_003 + size);
  const pairs = block.entries.map((e) => [e.key, e.value] as [Uint8Array, Uint8Array]);
  const largest = block.datasets.reduce((a, b) => (b.entries.length > a.entries.length ? b : a));
  const probeStride = Math.max(1, Math.floor(block.entries.length / PROBES));
  const probes = block.entries.filter((_, i) => i % probeStride === 0).slice(0, PROBES);

  // --- build + root (interleaved so machine load hits every contender alike)
  bar.update({ task: `${size} entries: building` });
  const leaves = block.entries.map(leafData);
  const buildEthereumjs = async () => {
    const trie = await createMPT({ useKeyHashing: false });
    for (const [k, v] of pairs) await trie.put(k, v);
    trie.root();
    return trie;
  };
  const builds = await measureInterleaved(
    {
      meridian: { run: () => MerklePatriciaTrie.fromEntries(pairs).root() },
      baseline: { run: () => BinaryMerkleTree.fromEntries(pairs).root() },
      merkletreejs: { run: () => new MerkleTree(leaves, sha256, { hashLeaves: true }).getRoot() },
      ethereumjs: { run: buildEthereumjs, repeats: SLOW_REPEATS },
    },
    { repeats: REPEATS },
  );
  step('build + root');

  const trie = MerklePatriciaTrie.fromEntries(pairs);
  const root = trie.root();
  const baseline = BinaryMerkleTree.fromEntries(pairs);
  const baselineRoot = baseline.root();
  const sorted = [...block.entries].sort((a, b) => Buffer.compare(a.key, b.key));
  const sortedLeaves = sorted.map((e) => sha256(leafData(e)));
  const merkle = new MerkleTree(sortedLeaves, sha256);
  const merkleRoot = merkle.getRoot();
  const ethTrie = await buildEthereumjs();
  const ethRoot = ethTrie.root();
  if (Buffer.compare(Buffer.from(ethRoot), Buffer.from(root)) !== 0)
    throw new Error('MPT roots differ from @ethereumjs/mpt');

  // --- single-proof verification over PROBES entries
  const index = new Map(sorted.map((e, i) => [e.uri, i]));
  const meridianProofs = probes.map((e) => createProof(trie, e.key));
  const baselineProofs = probes.map((e) => baseline.createProof(e.key)!);
  const merkleProofs = probes.map((e) =>
    merkle.getProof(sortedLeaves[index.get(e.uri)!]!, index.get(e.uri)!),
  );
  const ethProofs = await Promise.all(probes.map((e) => createMerkleProof(ethTrie, e.key)));
  const check = (ok: boolean, what: string) => {
    if (!ok) throw new Error(`verification failed: ${what}`);
  };
  const single = await measureInterleaved(
    {
      meridian: {
        run: () => {
          for (let i = 0; i < probes.length; i++) {
            check(verifyProof(root, probes[i]!.key, meridianProofs[i]!) !== undefined, 'meridian');
          }
        },
      },
      baseline: {
        run: () => {
          for (let i = 0; i < probes.length; i++) {
            const e = probes[i]!;
            check(verifyBinaryProof(baselineRoot, e.key, e.value, baselineProofs[i]!), 'baseline');
          }
        },
      },
      merkletreejs: {
        run: () => {
          for (let i = 0; i < probes.length; i++) {
            check(merkle.verify(merkleProofs[i]!, sha256(leafData(probes[i]!)), merkleRoot), 'merkletreejs');
          }
        },
      },
      ethereumjs: {
        run: async () => {
          for (let i = 0; i < probes.length; i++) {
            const value = await verifyMerkleProof(probes[i]!.key, ethProofs[i]!, {
              root: ethRoot,
              useKeyHashing: false,
            });
            check(value !== null, 'ethereumjs');
          }
        },
      },
    },
    { repeats: REPEATS },
  );
  step('single-proof verification');

  // --- comprehensive verification of the largest dataset
  const datasetKey = utf8(largest.uri);
  const underPrefix = utf8(`${largest.uri}/`);
  const datasetProof = createProof(trie, datasetKey);
  const subtree = createSubtreeProof(trie, underPrefix);
  // The verifier's records: what it holds for the dataset, sorted by key as a database returns them.
  const records = largest.entries
    .filter((e) => e.granularity !== 'dataset')
    .map((e) => [e.key, e.value] as [Uint8Array, Uint8Array])
    .sort((a, b) => Buffer.compare(a[0], b[0]));
  const claimed = { prefix: underPrefix, nodes: subtree.nodes, entries: records };
  if (subtree.entries.length !== records.length) throw new Error('subtree proof does not cover the dataset');
  const all = largest.entries;
  const allMerkleProofs = all.map((e) =>
    merkle.getProof(sortedLeaves[index.get(e.uri)!]!, index.get(e.uri)!),
  );
  const allBaselineProofs = all.map((e) => baseline.createProof(e.key)!);
  const allEthProofs = await Promise.all(all.map((e) => createMerkleProof(ethTrie, e.key)));
  step('proofs for the largest dataset');
  const comprehensive = await measureInterleaved(
    {
      meridian: {
        run: () => {
          check(verifyProof(root, datasetKey, datasetProof) !== undefined, 'dataset entry');
          check(verifySubtreeProof(root, claimed).entries.length === records.length, 'subtree');
        },
      },
      merkletreejs: {
        run: () => {
          for (let i = 0; i < all.length; i++) {
            check(merkle.verify(allMerkleProofs[i]!, sha256(leafData(all[i]!)), merkleRoot), 'merkletreejs');
          }
        },
      },
      baseline: {
        run: () => {
          for (let i = 0; i < all.length; i++) {
            check(
              verifyBinaryProof(baselineRoot, all[i]!.key, all[i]!.value, allBaselineProofs[i]!),
              'baseline',
            );
          }
        },
      },
      ethereumjs: {
        run: async () => {
          for (let i = 0; i < all.length; i++) {
            const value = await verifyMerkleProof(all[i]!.key, allEthProofs[i]!, {
              root: ethRoot,
              useKeyHashing: false,
            });
            check(value !== null, 'ethereumjs');
          }
        },
        repeats: SLOW_REPEATS,
      },
    },
    { repeats: REPEATS },
  );
  step('comprehensive verification');

  const avgBytes = (proofs: readonly (readonly Uint8Array[])[]) =>
    proofs.reduce((sum, p) => sum + p.reduce((s, n) => s + n.length, 0), 0) / proofs.length;
  return {
    entries: size,
    datasets: block.datasets.length,
    largest_dataset_entries: largest.entries.length,
    meridian_build_ms: builds.meridian.medianMs,
    ethereumjs_build_ms: builds.ethereumjs.medianMs,
    merkletreejs_build_ms: builds.merkletreejs.medianMs,
    baseline_build_ms: builds.baseline.medianMs,
    meridian_nodes: trie.countNodes(),
    binary_nodes: baseline.countNodes(),
    meridian_proof_bytes: avgBytes(meridianProofs),
    ethereumjs_proof_bytes: avgBytes(ethProofs),
    // sibling hashes (32 bytes each) plus one position bit each, rounded up to bytes
    merkletreejs_proof_bytes:
      merkleProofs.reduce((s, p) => s + p.length * 32 + Math.ceil(p.length / 8), 0) / merkleProofs.length,
    meridian_verify_us: (single.meridian.medianMs * 1000) / probes.length,
    ethereumjs_verify_us: (single.ethereumjs.medianMs * 1000) / probes.length,
    binary_verify_us: (single.merkletreejs.medianMs * 1000) / probes.length,
    baseline_verify_us: (single.baseline.medianMs * 1000) / probes.length,
    meridian_comprehensive_ms: comprehensive.meridian.medianMs,
    ethereumjs_comprehensive_ms: comprehensive.ethereumjs.medianMs,
    binary_comprehensive_ms: comprehensive.merkletreejs.medianMs,
    baseline_comprehensive_ms: comprehensive.baseline.medianMs,
    meridian_subtree_proof_bytes:
      subtree.nodes.reduce((s, n) => s + n.length, 0) + datasetProof.reduce((s, n) => s + n.length, 0),
  };
}

const f = formatNumber;
const ratio = (peer: number, ours: number) => `${f(peer / ours, 1)}x`;

function tables(results: Result[]): string {
  const build = renderTable(
    [
      'entries',
      'datasets',
      'Meridian MPT ms',
      '@ethereumjs/mpt ms',
      'speed-up',
      'merkletreejs ms',
      'binary baseline ms',
      'MPT nodes',
      'binary nodes',
      'MPT/binary nodes',
    ],
    results.map((r) => [
      String(r.entries),
      String(r.datasets),
      f(r.meridian_build_ms),
      f(r.ethereumjs_build_ms),
      ratio(r.ethereumjs_build_ms, r.meridian_build_ms),
      f(r.merkletreejs_build_ms),
      f(r.baseline_build_ms),
      String(r.meridian_nodes),
      String(r.binary_nodes),
      `${f((100 * r.meridian_nodes) / r.binary_nodes, 1)}%`,
    ]),
  );
  const single = renderTable(
    [
      'entries',
      'Meridian µs',
      '@ethereumjs/mpt µs',
      'merkletreejs µs',
      'binary baseline µs',
      'Meridian / merkletreejs',
      'MPT proof B',
      'merkletreejs proof B',
    ],
    results.map((r) => [
      String(r.entries),
      f(r.meridian_verify_us),
      f(r.ethereumjs_verify_us),
      f(r.binary_verify_us),
      f(r.baseline_verify_us),
      `${f(r.meridian_verify_us / r.binary_verify_us, 2)}x`,
      f(r.meridian_proof_bytes, 0),
      f(r.merkletreejs_proof_bytes, 0),
    ]),
  );
  const comprehensive = renderTable(
    [
      'entries',
      'largest dataset',
      'Meridian subtree ms',
      'merkletreejs ms',
      'vs merkletreejs',
      '@ethereumjs/mpt ms',
      'vs @ethereumjs/mpt',
      'binary baseline ms',
      'subtree proof B',
    ],
    results.map((r) => [
      String(r.entries),
      String(r.largest_dataset_entries),
      f(r.meridian_comprehensive_ms),
      f(r.binary_comprehensive_ms),
      ratio(r.binary_comprehensive_ms, r.meridian_comprehensive_ms),
      f(r.ethereumjs_comprehensive_ms),
      ratio(r.ethereumjs_comprehensive_ms, r.meridian_comprehensive_ms),
      f(r.baseline_comprehensive_ms),
      String(r.meridian_subtree_proof_bytes),
    ]),
  );
  return [
    '### Build + root (median ms) and node counts',
    build,
    '',
    '### Single-proof verification (median µs per proof, 100 entries)',
    single,
    '',
    '### Comprehensive verification of the largest dataset (median ms)',
    comprehensive,
  ].join('\n');
}

async function main(): Promise<void> {
  bar.start(SIZES.length * STEPS_PER_SIZE, 0, { task: 'starting' });
  const results: Result[] = [];
  for (const size of SIZES) results.push(await runSize(size));
  bar.stop();
  const text = tables(results);
  console.log(text);
  const header = `# bench:trie\n\nNode ${process.version}, ${new Date().toISOString()}, repeats ${REPEATS} (slow peers ${SLOW_REPEATS}), seed ${SEED}.\n\n`;
  mkdirSync(dirname(REPORT), { recursive: true });
  writeFileSync(REPORT, `${header}${text}\n\n\`\`\`json\n${JSON.stringify(results, null, 2)}\n\`\`\`\n`);
  if (JSON_OUTPUT) {
    console.log(JSON.stringify(Object.fromEntries(results.map((r) => [String(r.entries), r]))));
  }
}

await main();
