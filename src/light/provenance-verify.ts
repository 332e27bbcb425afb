/**
 * Verifies a provenance proof bundle (api/schemas-provenance.ts `ProvenanceBundle`) with no node,
 * trusting only a validator set: the one of a genesis document the caller gives, or else the
 * bundle's own (and then the verdict says so). Browser-safe: the web console runs it.
 *
 * Every step, in order (the first that fails ends it with `failure`; no entry is judged then):
 * 1. the bundle's genesis hashes to its stated hash (and to the trusted one, when given);
 * 2. every header hashes to its stated hash, belongs to the chain, and its commit certificate
 *    carries a quorum of valid signatures of the validator set (`verifyCommitCertificate`);
 * 3. the world-state proof of `provenance/<uri>` leads from the state root of the block at
 *    `state.height` to the URI's anchor state (latest version, its height, and `blocks`: every
 *    height at which the URI or anything below it was anchored);
 * 4. single: the key proof leads from that block's `provenanceRoot` to the URI's entry hash
 *    (seed 001's single verification: record → hash → MPT path → header → certificate);
 *    comprehensive: the key proof of the URI at its latest height, and ONE subtree proof under
 *    `uri + "/"` for EVERY height in `blocks`: the verifier rebuilds each subtree from the proven
 *    entries (trie/subtree-proof.ts), so none can be dropped, added or altered; the latest value
 *    of each URI is the one in the highest block;
 * 5. each record's canonical JSON text is hashed (SHA-256) and compared with the proven hash of
 *    the URI it is stored under: `altered` (different hash), `missing` (proven, no record),
 *    `extra` (a record the chain never anchored there). Records the target entry pins by hash
 *    (`linked`: its activity, agent, sources) are checked against those pins.
 *
 * `valid` is true only when every step passed and nothing is altered, missing or extra.
 */
import type { ProvenanceBundleJson } from '../api/schemas-provenance.ts';
import { type Genesis, genesisHash, genesisValidatorSet, validateGenesis } from '../chain/genesis.ts';
import { type BlockHeader, hashHeader } from '../chain/header.ts';
import type { ValidatorSet } from '../chain/validator-set.ts';
import { equalBytes, fromHex, fromHexFixed, toHex, utf8 } from '../codec/bytes.ts';
import { verifyCommitCertificate } from '../consensus/pbft/certificate.ts';
import { sha256 } from '../crypto/sha256.ts';
import { MeridianError, VerificationError } from '../errors.ts';
import { anchorWorldStateKey, decodeAnchorState } from '../modules/provenance/anchor-state.ts';
import { subtreePrefix } from '../modules/provenance/uri.ts';
import { type Entry, verifyProof, verifySubtreeProof } from '../trie/index.ts';
import { certificateFromJson, headerFromJson } from './from-json.ts';
import { checkProvenanceBundle } from './provenance-bundle.ts';

export interface ProvenanceVerdict {
  readonly valid: boolean;
  readonly kind: 'single' | 'comprehensive';
  readonly uri: string;
  /** Entries the chain proves for the request (1 for single; the URI and everything below it for comprehensive). */
  readonly entries: number;
  readonly altered: string[];
  readonly missing: string[];
  readonly extra: string[];
  /** Pinned records checked against the target entry's pins (comprehensive). */
  readonly linked: number;
  /** The block whose state the verdict is as of. */
  readonly height: number;
  /** Latest anchored version of the URI, and the height that anchored it. */
  readonly version: number | null;
  readonly anchoredAt: number | null;
  /** Single: whether the block proven is the latest anchoring of the URI. */
  readonly latest: boolean | null;
  /** Heights whose provenance tries were proven. */
  readonly blocks: number[];
  readonly trust: {
    /** `genesis`: the caller's genesis; `bundle`: the bundle's own validator set, NOT independently trusted. */
    readonly source: 'genesis' | 'bundle';
    readonly genesisHash: string;
    readonly validators: number;
  };
  /** The step that failed (a proof, a certificate, the bundle itself); entries are not judged then. */
  readonly failure?: { readonly code: string; readonly message: string };
}

export interface VerifyBundleOptions {
  /** The genesis document the caller trusts; without it the bundle's is used (and the verdict says so). */
  readonly trustedGenesis?: Genesis;
}

function fail(code: string, message: string): never {
  throw new VerificationError(code, message, {
    hint: 'the bundle does not prove these records; fetch a fresh one from a node you trust less, or report this node',
  });
}

interface Proven {
  readonly height: number;
  readonly value: Uint8Array;
}

/** A trusted genesis's hash and validator set, computed once per genesis object. */
const trustedChains = new WeakMap<Genesis, { hash: string; validators: ValidatorSet }>();
function trustedChain(genesis: Genesis): { hash: string; validators: ValidatorSet } {
  let known = trustedChains.get(genesis);
  if (known === undefined) {
    known = { hash: toHex(genesisHash(genesis)), validators: genesisValidatorSet(genesis) };
    trustedChains.set(genesis, known);
  }
  return known;
}

export function verifyProvenanceBundle(input: unknown, options: VerifyBundleOptions = {}): ProvenanceVerdict {
  const base = {
    kind:
      (input as { kind?: unknown } | null)?.kind === 'comprehensive'
        ? ('comprehensive' as const)
        : ('single' as const),
    uri: String((input as { uri?: unknown } | null)?.uri ?? ''),
  };
  let trust: ProvenanceVerdict['trust'] = {
    source: options.trustedGenesis ? 'genesis' : 'bundle',
    genesisHash: '',
    validators: 0,
  };
  let height = 0;
  try {
    const bundle = checkProvenanceBundle(input);
    // 1. Trust: the caller's genesis (its hash must be the bundle's), or else the bundle's own.
    let genesis: Genesis;
    let validators: ValidatorSet;
    let chainGenesisHash: string;
    if (options.trustedGenesis !== undefined) {
      ({ hash: chainGenesisHash, validators } = trustedChain(options.trustedGenesis));
      if (chainGenesisHash !== bundle.chain.genesisHash.toLowerCase())
        fail(
          'GENESIS_NOT_TRUSTED',
          `the bundle comes from chain ${bundle.chain.genesisHash}, not from the trusted genesis ${chainGenesisHash}`,
        );
      genesis = options.trustedGenesis;
    } else {
      genesis = validateGenesis(bundle.chain.genesis);
      chainGenesisHash = toHex(genesisHash(genesis));
      if (chainGenesisHash !== bundle.chain.genesisHash.toLowerCase())
        fail('GENESIS_MISMATCH', 'the bundle’s genesis document does not hash to its stated genesis hash');
      validators = genesisValidatorSet(genesis);
    }
    trust = { ...trust, genesisHash: chainGenesisHash, validators: validators.size };
    if (bundle.chain.chainId !== genesis.chainId)
      fail(
        'CHAIN_MISMATCH',
        `the bundle names chain ${bundle.chain.chainId}, the genesis ${genesis.chainId}`,
      );

    // 2. Headers and their certificates.
    const headers = new Map<number, BlockHeader>();
    for (const { header: json, certificate } of bundle.headers) {
      const header = headerFromJson(json);
      if (toHex(hashHeader(header)) !== json.hash.toLowerCase())
        fail('HEADER_HASH_MISMATCH', `header ${header.height} does not hash to its stated hash`);
      if (header.chainId !== genesis.chainId)
        fail('CHAIN_MISMATCH', `header ${header.height} belongs to chain ${header.chainId}`);
      if (headers.has(header.height)) fail('BUNDLE_INVALID', `header ${header.height} appears twice`);
      verifyCommitCertificate(header, certificateFromJson(certificate, validators), validators);
      headers.set(header.height, header);
    }
    const headerAt = (h: number, what: string): BlockHeader =>
      headers.get(h) ??
      fail('HEADER_MISSING', `the bundle lacks the certified header of block ${h} (${what})`);

    // 3. The URI's anchor state.
    height = bundle.state.height;
    const stateValue = verifyProof(
      headerAt(height, 'world state').stateRoot,
      anchorWorldStateKey(bundle.uri),
      bundle.state.nodes.map((n) => fromHex(n, 'state proof node')),
    );
    if (stateValue === undefined)
      fail('NOT_ANCHORED', `${bundle.uri} was never anchored (as of block ${height})`);
    if (bundle.state.value === null || !equalBytes(fromHex(bundle.state.value, 'state value'), stateValue))
      fail('VALUE_MISMATCH', 'the state value served differs from the proven one');
    const anchor = decodeAnchorState(stateValue);
    if (anchor.kind !== 'anchored')
      fail('NOT_ANCHORED', `${bundle.uri} was never anchored itself; only entries below it were`);

    // 4. The URI's entry hash in a block's provenance trie.
    const keyHeight = bundle.keyProof.height;
    if (!anchor.blocks.includes(keyHeight))
      fail('PROOF_INVALID', `${bundle.uri} was not anchored in block ${keyHeight}`);
    if (bundle.kind === 'comprehensive' && keyHeight !== anchor.height)
      fail('PROOF_INVALID', 'a comprehensive bundle proves the latest version');
    const keyValue = verifyProof(
      headerAt(keyHeight, 'key proof').provenanceRoot,
      utf8(bundle.uri),
      bundle.keyProof.nodes.map((n) => fromHex(n, 'key proof node')),
    );
    if (keyValue === undefined) fail('PROOF_INVALID', `block ${keyHeight} did not anchor ${bundle.uri}`);
    if (keyHeight === anchor.height && toHex(keyValue) !== anchor.hash)
      fail('PROOF_INVALID', 'the block and the world state disagree on the latest hash');
    const proven = new Map<string, Proven>([[bundle.uri, { height: keyHeight, value: keyValue }]]);
    const records = hashRecords(bundle);
    let rebuilt = false;

    if (bundle.kind === 'comprehensive') {
      const prefix = utf8(subtreePrefix(bundle.uri));
      const heights = bundle.subtrees.map((s) => s.height);
      if (heights.length !== anchor.blocks.length || heights.some((h, i) => h !== anchor.blocks[i]))
        fail(
          'PROOF_INCOMPLETE',
          `the subtree must be proven in exactly the blocks [${anchor.blocks.join(', ')}]`,
        );
      const only = bundle.subtrees.length === 1 ? bundle.subtrees[0]! : undefined;
      if (
        only !== undefined &&
        recordsRebuild(headerAt(only.height, 'subtree proof').provenanceRoot, prefix, only.nodes, records)
      ) {
        // The records below the URI rebuild the one subtree exactly, so they ARE the proven entries.
        rebuilt = true;
        const below = subtreePrefix(bundle.uri);
        for (const [uri, record] of records)
          if (uri.startsWith(below)) proven.set(uri, { height: only.height, value: record.hash });
      } else
        for (const subtree of bundle.subtrees) {
          const verified = verifySubtreeProof(headerAt(subtree.height, 'subtree proof').provenanceRoot, {
            prefix,
            nodes: subtree.nodes.map((n) => fromHex(n, 'subtree proof node')),
            entries: subtree.entries.map(
              ([k, v]): Entry => [fromHex(k, 'subtree key'), fromHex(v, 'subtree value')],
            ),
          });
          // Heights ascend, so a later block's value replaces an earlier version.
          for (const [key, value] of verified.entries)
            proven.set(textOf(key), { height: subtree.height, value });
        }
    } else if (bundle.subtrees.length > 0) {
      fail('BUNDLE_INVALID', 'a single bundle carries no subtree proofs');
    }

    // 5. The records against the proven hashes.
    const judged = rebuilt ? judgeTarget(bundle, records, keyValue) : judgeRecords(records, proven);
    const linked =
      bundle.kind === 'comprehensive' && !judged.altered.includes(bundle.uri)
        ? checkLinked(bundle, judged)
        : { checked: 0, altered: [] };
    const altered = [...judged.altered, ...linked.altered];
    return {
      valid: altered.length === 0 && judged.missing.length === 0 && judged.extra.length === 0,
      ...base,
      entries: proven.size,
      altered,
      missing: judged.missing,
      extra: judged.extra,
      linked: linked.checked,
      height,
      version: anchor.version,
      anchoredAt: anchor.height,
      latest: keyHeight === anchor.height,
      blocks: [...new Set([keyHeight, ...bundle.subtrees.map((s) => s.height)])].sort((a, b) => a - b),
      trust,
    };
  } catch (error) {
    if (!(error instanceof MeridianError)) throw error;
    return {
      valid: false,
      ...base,
      entries: 0,
      altered: [],
      missing: [],
      extra: [],
      linked: 0,
      height,
      version: null,
      anchoredAt: null,
      latest: null,
      blocks: [],
      trust,
      failure: { code: error.code, message: error.message },
    };
  }
}

const decoder = new TextDecoder();
function textOf(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

interface Judged {
  readonly altered: string[];
  readonly missing: string[];
  readonly extra: string[];
  /** The record text of each URI whose record matched its proven hash. */
  readonly authentic: Map<string, string>;
}

const encoder = new TextEncoder();
/** Scratch space for hashing record texts without one allocation per record (a record is at most 64 KiB). */
const scratch = new Uint8Array(3 * 64 * 1024);

/** SHA-256 of a record text's UTF-8 bytes (= `sha256(utf8(text))`, without allocating per call). */
export function hashText(text: string): Uint8Array {
  if (text.length * 3 > scratch.length) return sha256(utf8(text));
  const { written } = encoder.encodeInto(text, scratch);
  return sha256(scratch.subarray(0, written));
}

/** The UTF-8 bytes of many texts, as views into one buffer (= `texts.map(utf8)`). */
function utf8Many(texts: readonly string[]): Uint8Array[] {
  let size = 0;
  for (const t of texts) size += 3 * t.length;
  const buffer = new Uint8Array(size);
  let offset = 0;
  return texts.map((t) => {
    const { written } = encoder.encodeInto(t, buffer.subarray(offset));
    const view = buffer.subarray(offset, offset + written);
    offset += written;
    return view;
  });
}

interface HashedRecord {
  readonly text: string;
  readonly hash: Uint8Array;
}

/** Each record's SHA-256, by the URI it is stored under (two records for one URI: the bundle is malformed). */
function hashRecords(bundle: ProvenanceBundleJson): Map<string, HashedRecord> {
  const out = new Map<string, HashedRecord>();
  for (const { uri, record } of bundle.records) {
    if (out.has(uri)) fail('BUNDLE_INVALID', `two records for ${uri}`);
    out.set(uri, { text: record, hash: hashText(record) });
  }
  return out;
}

/**
 * True when the records below `prefix` rebuild the subtree the path proves (the common case: the
 * dataset was anchored in one block and nothing was touched). Then no per-entry comparison is
 * needed; otherwise the caller proves the node's entry list and compares, to name the culprits.
 */
function recordsRebuild(
  root: Uint8Array,
  prefix: Uint8Array,
  nodes: readonly string[],
  records: ReadonlyMap<string, HashedRecord>,
): boolean {
  const text = textOf(prefix);
  // URIs are ASCII, so string order is the trie's byte order.
  const uris = [...records.keys()].filter((u) => u.startsWith(text)).sort();
  const keys = utf8Many(uris);
  const under = uris.map((uri, i): Entry => [keys[i]!, records.get(uri)!.hash]);
  try {
    verifySubtreeProof(root, {
      prefix,
      nodes: nodes.map((n) => fromHex(n, 'subtree proof node')),
      entries: under,
    });
    return true;
  } catch (error) {
    if (error instanceof MeridianError) return false;
    throw error;
  }
}

/** The judgement when the records below the URI were proven by rebuilding: only the URI's own record and foreign ones remain to judge. */
function judgeTarget(
  bundle: ProvenanceBundleJson,
  records: ReadonlyMap<string, HashedRecord>,
  proven: Uint8Array,
): Judged {
  const below = subtreePrefix(bundle.uri);
  const own = records.get(bundle.uri);
  const authentic = new Map<string, string>();
  const extra: string[] = [];
  for (const [uri, { text }] of records) {
    if (uri.startsWith(below)) authentic.set(uri, text);
    else if (uri !== bundle.uri) extra.push(uri);
  }
  const ok = own !== undefined && equalBytes(own.hash, proven);
  if (ok) authentic.set(bundle.uri, own.text);
  return {
    altered: own !== undefined && !ok ? [bundle.uri] : [],
    missing: own === undefined ? [bundle.uri] : [],
    extra: extra.sort(),
    authentic,
  };
}

/**
 * The records against the proven entries, by URI: a proven URI without a record is missing, one
 * whose record hashes differently is altered, and a record of a URI not proven (never anchored
 * at or below the bundle's URI) is extra.
 */
function judgeRecords(
  records: ReadonlyMap<string, HashedRecord>,
  proven: ReadonlyMap<string, Proven>,
): Judged {
  const altered: string[] = [];
  const missing: string[] = [];
  const extra: string[] = [];
  const authentic = new Map<string, string>();
  for (const [uri, { value }] of proven) {
    const record = records.get(uri);
    if (record === undefined) missing.push(uri);
    else if (equalBytes(record.hash, value)) authentic.set(uri, record.text);
    else altered.push(uri);
  }
  for (const uri of records.keys()) if (!proven.has(uri)) extra.push(uri);
  return { altered: altered.sort(), missing: missing.sort(), extra: extra.sort(), authentic };
}

/** Checks the `linked` records against the pins (`objectEntry`) of the authentic target entry. */
function checkLinked(bundle: ProvenanceBundleJson, judged: Judged): { checked: number; altered: string[] } {
  const target = judged.authentic.get(bundle.uri);
  if (target === undefined || bundle.linked.length === 0) return { checked: 0, altered: [] };
  let relations: { object?: unknown; objectEntry?: unknown }[];
  try {
    relations =
      (JSON.parse(target) as { relations?: { object?: unknown; objectEntry?: unknown }[] }).relations ?? [];
  } catch {
    return { checked: 0, altered: [] };
  }
  const pins = new Map<string, string>();
  for (const r of relations)
    if (typeof r.object === 'string' && typeof r.objectEntry === 'string') pins.set(r.object, r.objectEntry);
  const altered: string[] = [];
  for (const { uri, record } of bundle.linked) {
    const pin = pins.get(uri);
    if (pin === undefined) fail('BUNDLE_INVALID', `linked record ${uri} is not pinned by ${bundle.uri}`);
    if (!equalBytes(hashText(record), fromHexFixed(pin, 32, 'pin'))) altered.push(uri);
  }
  return { checked: bundle.linked.length, altered };
}
