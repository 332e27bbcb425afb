/**
 * A state proof's Merkle Patricia path, node by node, for people to read: what
 * each node is (branch, extension, leaf), what it hashes to, which reference
 * above it that hash must equal, and which key nibbles it consumes. This is an
 * explanation of the proof; the verdict itself comes from
 * src/light/verify-state.ts (`verifyStateProof`), which the page shows next to it.
 * The two walk the same rules, so a proof one accepts the other explains.
 */
import { equalBytes, fromHex, toHex } from '../../../src/codec/bytes.ts';
import { decodeRlpItem, encodeRlpItem, type RlpItem } from '../../../src/codec/rlp.ts';
import { keccak256 } from '../../../src/crypto/keccak.ts';
import { hexPrefixDecode } from '../../../src/trie/nibbles.ts';

export interface ProofStep {
  /** Index in the proof list; embedded nodes carry their parent's index. */
  readonly index: number;
  /** True for a node stored inside its parent (shorter than 32 bytes, no hash of its own). */
  readonly embedded: boolean;
  readonly kind: 'branch' | 'extension' | 'leaf' | 'malformed';
  readonly bytes: number;
  /** keccak-256 of the node's encoding (for embedded nodes: not used). */
  readonly hash: string;
  /** What the hash must equal: the state root for node 0, else the parent's reference. */
  readonly expected: string | undefined;
  readonly hashMatches: boolean;
  /** Key nibbles this node consumed (a branch consumes one, an extension or leaf its path). */
  readonly consumed: string;
  /** The node's own path (extension or leaf), as hex nibbles. */
  readonly path?: string;
  /** For a branch: the child slot followed. */
  readonly slot?: number;
  readonly note: string;
}

export interface ProofPath {
  readonly keyNibbles: string;
  readonly steps: readonly ProofStep[];
  readonly outcome: 'present' | 'absent' | 'broken';
  readonly value?: string;
  /** Proof nodes no step used (a valid proof has none). */
  readonly unusedNodes: number;
}

const NIBBLES = '0123456789abcdef';

function keyToNibbles(key: Uint8Array): number[] {
  const out: number[] = [];
  for (const b of key) out.push(b >> 4, b & 15);
  return out;
}

const nibbleText = (nibbles: readonly number[] | Uint8Array) =>
  Array.from(nibbles, (n) => NIBBLES[n]).join('');

/** Most steps described (the verifier's own limits apply to the real check). */
const MAX_STEPS = 4096;

export function describeProofPath(
  stateRootHex: string,
  keyHex: string,
  proofHex: readonly string[],
): ProofPath {
  const key = keyToNibbles(fromHex(keyHex, 'key'));
  const keyNibbles = nibbleText(key);
  const steps: ProofStep[] = [];
  const proof = proofHex.map((node) => fromHex(node, 'proof node'));
  if (proof.length === 0) {
    return { keyNibbles, steps, outcome: 'broken', unusedNodes: 0 };
  }
  let index = 0;
  let encoded = proof[0]!;
  let expected: Uint8Array | undefined = fromHex(stateRootHex, 'state root');
  let embedded = false;
  let depth = 0;
  const finish = (outcome: ProofPath['outcome'], value?: Uint8Array): ProofPath => ({
    keyNibbles,
    steps,
    outcome,
    ...(value === undefined ? {} : { value: toHex(value) }),
    unusedNodes: Math.max(0, proof.length - 1 - index),
  });
  while (steps.length < MAX_STEPS) {
    const hash = keccak256(encoded);
    const hashMatches = embedded || (expected !== undefined && equalBytes(hash, expected));
    const base = {
      index,
      embedded,
      bytes: encoded.length,
      hash: toHex(hash),
      expected: embedded || expected === undefined ? undefined : toHex(expected),
      hashMatches,
    };
    let item: RlpItem;
    try {
      item = decodeRlpItem(encoded, encoded.length, 'proof node');
    } catch {
      steps.push({ ...base, kind: 'malformed', consumed: '', note: 'not a valid RLP node' });
      return finish('broken');
    }
    if (!Array.isArray(item) || (item.length !== 17 && item.length !== 2)) {
      steps.push({
        ...base,
        kind: 'malformed',
        consumed: '',
        note: 'neither a branch (17 items) nor a 2-item node',
      });
      return finish('broken');
    }
    let child: RlpItem;
    if (item.length === 17) {
      if (depth === key.length) {
        const value = item[16];
        const present = value instanceof Uint8Array && value.length > 0;
        steps.push({
          ...base,
          kind: 'branch',
          consumed: '',
          note: present
            ? 'the key ends here: the branch holds its value'
            : 'the key ends here and the branch holds no value',
        });
        return present ? finish('present', value) : finish('absent');
      }
      const slot = key[depth]!;
      child = item[slot]!;
      steps.push({
        ...base,
        kind: 'branch',
        consumed: NIBBLES[slot]!,
        slot,
        note: `branch: follow slot ${NIBBLES[slot]} (key nibble ${depth + 1} of ${key.length})`,
      });
      depth += 1;
    } else {
      const first = item[0];
      if (!(first instanceof Uint8Array)) {
        steps.push({
          ...base,
          kind: 'malformed',
          consumed: '',
          note: 'the path of a 2-item node must be bytes',
        });
        return finish('broken');
      }
      let decoded: { path: Uint8Array; isLeaf: boolean };
      try {
        decoded = hexPrefixDecode(first);
      } catch {
        steps.push({ ...base, kind: 'malformed', consumed: '', note: 'bad hex-prefix path' });
        return finish('broken');
      }
      const path = Array.from(decoded.path);
      const rest = key.slice(depth, depth + path.length);
      const matches = rest.length === path.length && rest.every((n, i) => n === path[i]);
      const kind = decoded.isLeaf ? 'leaf' : 'extension';
      if (decoded.isLeaf) {
        const found = matches && depth + path.length === key.length;
        steps.push({
          ...base,
          kind,
          consumed: found ? nibbleText(path) : '',
          path: nibbleText(path),
          note: found
            ? 'leaf: its path completes the key, and it holds the value'
            : 'leaf for a different key: the key is absent',
        });
        return found && item[1] instanceof Uint8Array ? finish('present', item[1]) : finish('absent');
      }
      if (!matches) {
        steps.push({
          ...base,
          kind,
          consumed: '',
          path: nibbleText(path),
          note: 'extension path differs from the key: the key is absent',
        });
        return finish('absent');
      }
      steps.push({
        ...base,
        kind,
        consumed: nibbleText(path),
        path: nibbleText(path),
        note: `extension: shared path of ${path.length} nibble${path.length === 1 ? '' : 's'}`,
      });
      depth += path.length;
      child = item[1]!;
    }
    if (Array.isArray(child)) {
      encoded = encodeRlpItem(child);
      embedded = true;
      expected = undefined;
      continue;
    }
    if (child.length === 0) return finish('absent');
    if (child.length !== 32) return finish('broken');
    index += 1;
    if (index >= proof.length) {
      index = proof.length - 1;
      return finish('broken');
    }
    encoded = proof[index]!;
    expected = child;
    embedded = false;
  }
  return finish('broken');
}
