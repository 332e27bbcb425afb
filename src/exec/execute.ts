/**
 * Deterministic execution of a block on top of its parent's state.
 *
 * Contract: `executeBlock(parent, context, txs, env)` is a pure function of its
 * inputs (the parent trie is forked, never changed). Every validator that runs
 * it on the same parent state with the same transactions gets the same roots,
 * receipts and post-state; that is what lets backups confirm a primary's header
 * before they PREPARE.
 *
 * A block is *invalid* (throws `ValidationError` code `BLOCK_INVALID`, and no
 * honest validator will vote for it) if any transaction does not decode, names
 * another chain, has a bad signature, or does not carry its sender's next nonce
 * (which also rules out duplicates). A valid transaction whose module call
 * fails still consumes its nonce and gets an `error` receipt; its other writes
 * are discarded.
 */

import { decodeTx, type SignedTx, txHash, txHashOfEncoded } from '../chain/transaction.ts';
import { compareBytes, concatBytes, toHex, utf8 } from '../codec/bytes.ts';
import { canonicalJson } from '../codec/canonical-json.ts';
import { decodeRlpItem, encodeRlpItem } from '../codec/rlp.ts';
import { uint } from '../codec/schema.ts';
import { assert, InvariantViolation, MeridianError, ValidationError } from '../errors.ts';
import type { MerklePatriciaTrie } from '../trie/index.ts';
import type { JsonValue } from './json.ts';
import { accountNonceKey, moduleKey } from './keys.ts';
import type { BlockScope, Module, ModuleCall } from './module.ts';
import { StateOverlay, type StateReader } from './overlay.ts';
import {
  type ChainEvent,
  encodeReceipt,
  MAX_EVENT_DATA_BYTES,
  MAX_EVENTS_PER_TX,
  MAX_RESULT_BYTES,
  type Receipt,
} from './receipt.ts';
import { indexedTrie, provenanceTrie, transactionsRoot } from './roots.ts';
import { trieReader } from './trie-reader.ts';

export interface BlockContext {
  readonly chainId: string;
  readonly height: number;
  readonly timestampMs: number;
}

export interface ExecutionEnvironment {
  readonly modules: ReadonlyMap<string, Module>;
  /** Signature check; the node answers from its verified-signature cache when it can. */
  isSignatureValid(tx: SignedTx, hashHex: string): boolean;
  /**
   * An already decoded form of exactly these transaction bytes, if the node has
   * one (its mempool): saves decoding and hashing on the hot path.
   */
  decoded?(
    encoded: Uint8Array,
  ): { readonly tx: SignedTx; readonly hash: Uint8Array; readonly hashHex: string } | undefined;
  /**
   * Admission check of a transaction's sender against the state before the
   * transaction (membership). Throws a `MeridianError` to refuse: the
   * transaction then gets an error receipt (nonce consumed, nothing else written).
   */
  authorize?(state: StateReader, tx: SignedTx): void;
}

export interface ProvenanceAnchor {
  readonly uri: string;
  readonly entryHash: Uint8Array;
}

export interface ExecutedBlock {
  /** The post-state (a fork of the parent; its new nodes are not yet committed). */
  readonly state: MerklePatriciaTrie;
  readonly stateRoot: Uint8Array;
  readonly transactionsRoot: Uint8Array;
  readonly receiptsRoot: Uint8Array;
  readonly provenanceRoot: Uint8Array;
  /** The URI -> entry-hash trie of `anchors`, committing to the state's node store (not yet committed). */
  readonly provenance: MerklePatriciaTrie;
  readonly txs: readonly SignedTx[];
  readonly txHashes: readonly string[];
  readonly receipts: readonly Receipt[];
  /** The receipts' RLP encodings (hashed into the receipts root, stored with the block). */
  readonly encodedReceipts: readonly Uint8Array[];
  readonly anchors: readonly ProvenanceAnchor[];
}

function invalid(message: string): never {
  throw new ValidationError('BLOCK_INVALID', message);
}

export function readNonce(state: StateReader, sender: Uint8Array): number {
  const raw = state.get(accountNonceKey(sender));
  return raw === undefined ? 0 : uint.decode(decodeRlpItem(raw, 16, 'nonce'), 'nonce');
}

function writeNonce(state: StateOverlay, sender: Uint8Array, nonce: number): void {
  state.put(accountNonceKey(sender), encodeRlpItem(uint.encode(nonce)));
}

function jsonBytes(value: JsonValue | undefined, limit: number, what: string): Uint8Array {
  if (value === undefined) return new Uint8Array(0);
  const bytes = utf8(canonicalJson(value));
  if (bytes.length > limit) {
    throw new ValidationError(
      `${what.toUpperCase()}_TOO_LARGE`,
      `${what} is ${bytes.length} bytes; the limit is ${limit}`,
    );
  }
  return bytes;
}

/** How deep `ModuleCall.invoke` may nest (a transaction's own call is depth 0). */
export const MAX_INVOKE_DEPTH = 2;

/** What one transaction's calls share: its events, provenance anchors and gas. */
interface TxOutputs {
  readonly events: ChainEvent[];
  readonly anchors: ProvenanceAnchor[];
  gasUsed: number;
}

/** A module's view of its own namespace of `callState` (keys relative to the namespace). */
class NamespacedState {
  constructor(
    private readonly moduleName: string,
    private readonly callState: StateOverlay,
  ) {}

  get(key: Uint8Array): Uint8Array | undefined {
    return this.callState.get(moduleKey(this.moduleName, key));
  }

  put(key: Uint8Array, value: Uint8Array): void {
    this.callState.put(moduleKey(this.moduleName, key), value);
  }

  del(key: Uint8Array): void {
    this.callState.del(moduleKey(this.moduleName, key));
  }
}

/**
 * One module call of a transaction (its own, or an `invoke` inside it). A class rather than an
 * object of closures: every transaction makes one, and per-call closures were a visible share of
 * execution (allocation, and the name-keeping wrapper the TypeScript loader puts around each).
 */
class TxModuleCall implements ModuleCall {
  readonly chainId: string;
  readonly sender: Uint8Array;
  readonly height: number;
  readonly timestampMs: number;
  readonly state: NamespacedState;
  #senderHex: string | undefined;

  constructor(
    private readonly tx: SignedTx,
    readonly txHash: Uint8Array,
    private readonly context: BlockContext,
    private readonly env: ExecutionEnvironment,
    private readonly moduleName: string,
    private readonly callState: StateOverlay,
    private readonly outputs: TxOutputs,
    readonly blockScope: BlockScope,
    readonly invokedBy: string | undefined,
    private readonly depth: number,
  ) {
    this.chainId = context.chainId;
    this.sender = tx.body.sender;
    this.height = context.height;
    this.timestampMs = context.timestampMs;
    this.state = new NamespacedState(moduleName, callState);
  }

  get senderHex(): string {
    this.#senderHex ??= toHex(this.sender);
    return this.#senderHex;
  }

  scan(prefix: Uint8Array, limit: number, after?: Uint8Array): [Uint8Array, Uint8Array][] {
    const out: [Uint8Array, Uint8Array][] = [];
    if (limit <= 0) return out;
    const namespace = moduleKey(this.moduleName, new Uint8Array(0));
    for (const [key, value] of this.callState.entriesWithPrefix(concatBytes(namespace, prefix))) {
      const relative = key.subarray(namespace.length);
      if (after !== undefined && compareBytes(relative, after) <= 0) continue;
      out.push([relative, value]);
      if (out.length >= limit) break;
    }
    return out;
  }

  read(module: string, key: Uint8Array): Uint8Array | undefined {
    return this.callState.get(moduleKey(module, key));
  }

  emit(name: string, data: JsonValue): void {
    const events = this.outputs.events;
    if (events.length >= MAX_EVENTS_PER_TX) {
      throw new ValidationError(
        'TOO_MANY_EVENTS',
        `a transaction may emit at most ${MAX_EVENTS_PER_TX} events`,
      );
    }
    events.push({ module: this.moduleName, name, data: jsonBytes(data, MAX_EVENT_DATA_BYTES, 'event') });
  }

  chargeGas(gas: number): void {
    assert(Number.isSafeInteger(gas) && gas >= 0, 'gas charges are non-negative integers');
    this.outputs.gasUsed += gas;
  }

  anchorProvenance(uri: string, entryHash: Uint8Array): void {
    this.outputs.anchors.push({ uri, entryHash });
  }

  async invoke(target: string, method: string, payload: Uint8Array): Promise<JsonValue | undefined> {
    if (this.depth + 1 > MAX_INVOKE_DEPTH) {
      throw new ValidationError(
        'INVOKE_TOO_DEEP',
        `internal calls may nest at most ${MAX_INVOKE_DEPTH} deep`,
      );
    }
    const { outputs } = this;
    const innerState = new StateOverlay(this.callState);
    const marks = [outputs.events.length, outputs.anchors.length];
    try {
      const module = moduleNamed(this.env, target);
      const inner = new TxModuleCall(
        this.tx,
        this.txHash,
        this.context,
        this.env,
        target,
        innerState,
        outputs,
        this.blockScope,
        this.moduleName,
        this.depth + 1,
      );
      const result = await module.execute(inner, method, payload);
      innerState.commitTo(this.callState);
      return result;
    } catch (error) {
      outputs.events.length = marks[0]!;
      outputs.anchors.length = marks[1]!;
      throw error;
    }
  }
}

function moduleNamed(env: ExecutionEnvironment, moduleName: string): Module {
  const module = env.modules.get(moduleName);
  if (!module) {
    throw new ValidationError('UNKNOWN_MODULE', `no module "${moduleName}" on this chain`, {
      hint: `known modules: ${[...env.modules.keys()].join(', ')}`,
    });
  }
  return module;
}

/** Runs one transaction's module call on `txState`; returns its receipt fields. */
async function runCall(
  tx: SignedTx,
  hash: Uint8Array,
  context: BlockContext,
  env: ExecutionEnvironment,
  txState: StateOverlay,
  anchors: ProvenanceAnchor[],
  blockScope: BlockScope,
): Promise<Omit<Receipt, 'txHash'>> {
  const outputs: TxOutputs = { events: [], anchors: [], gasUsed: 0 };
  try {
    env.authorize?.(txState, tx);
    const [moduleName, method] = tx.body.kind.split('.') as [string, string];
    const module = moduleNamed(env, moduleName);
    const call = new TxModuleCall(
      tx,
      hash,
      context,
      env,
      moduleName,
      txState,
      outputs,
      blockScope,
      undefined,
      0,
    );
    const result = jsonBytes(await module.execute(call, method, tx.body.payload), MAX_RESULT_BYTES, 'result');
    anchors.push(...outputs.anchors);
    return {
      status: 'ok',
      errorCode: '',
      errorMessage: '',
      result,
      events: outputs.events,
      gasUsed: outputs.gasUsed,
    };
  } catch (error) {
    if (error instanceof InvariantViolation) throw error;
    const code = error instanceof MeridianError ? error.code : 'MODULE_FAILED';
    const message = error instanceof Error ? error.message : String(error);
    return {
      status: 'error',
      errorCode: code,
      errorMessage: message.slice(0, 1000),
      result: new Uint8Array(0),
      events: [],
      gasUsed: outputs.gasUsed,
    };
  }
}

/** Per-block resources, disposed when the block's execution ends. */
class Scope implements BlockScope {
  readonly #entries = new Map<string, { value: unknown; dispose: ((value: unknown) => void) | undefined }>();

  async get<T>(key: string, create: () => Promise<T> | T, dispose?: (value: T) => void): Promise<T> {
    const existing = this.#entries.get(key);
    if (existing) return existing.value as T;
    const value = await create();
    this.#entries.set(key, { value, dispose: dispose as ((value: unknown) => void) | undefined });
    return value;
  }

  dispose(): void {
    for (const { value, dispose } of this.#entries.values()) dispose?.(value);
    this.#entries.clear();
  }
}

export async function executeBlock(
  parent: MerklePatriciaTrie,
  context: BlockContext,
  encodedTxs: readonly Uint8Array[],
  env: ExecutionEnvironment,
): Promise<ExecutedBlock> {
  const scope = new Scope();
  try {
    return await executeInScope(parent, context, encodedTxs, env, scope);
  } finally {
    scope.dispose();
  }
}

async function executeInScope(
  parent: MerklePatriciaTrie,
  context: BlockContext,
  encodedTxs: readonly Uint8Array[],
  env: ExecutionEnvironment,
  scope: Scope,
): Promise<ExecutedBlock> {
  const state = parent.fork();
  // Reads and scans go to the fork, which stays equal to the parent until the block's writes land below.
  const blockState = new StateOverlay(trieReader(state));
  const txs: SignedTx[] = [];
  const txHashes: string[] = [];
  const receipts: Receipt[] = [];
  const anchors: ProvenanceAnchor[] = [];

  for (let index = 0; index < encodedTxs.length; index++) {
    const encoded = encodedTxs[index]!;
    const known = env.decoded?.(encoded);
    let tx: SignedTx;
    try {
      tx = known?.tx ?? decodeTx(encoded);
    } catch (error) {
      invalid(`transaction ${index} does not decode: ${(error as Error).message}`);
    }
    const hash = known?.hash ?? txHashOfEncoded(encoded) ?? txHash(tx.body);
    const hashHex = known?.hashHex ?? toHex(hash);
    if (tx.body.chainId !== context.chainId)
      invalid(`transaction ${hashHex} is for chain "${tx.body.chainId}"`);
    if (!env.isSignatureValid(tx, hashHex)) invalid(`transaction ${hashHex} has a bad signature`);
    const expected = readNonce(blockState, tx.body.sender);
    if (tx.body.nonce !== expected)
      invalid(`transaction ${hashHex} has nonce ${tx.body.nonce}, expected ${expected}`);
    writeNonce(blockState, tx.body.sender, expected + 1);

    const txState = new StateOverlay(blockState);
    const outcome = await runCall(tx, hash, context, env, txState, anchors, scope);
    if (outcome.status === 'ok') txState.commitTo(blockState);
    txs.push(tx);
    txHashes.push(hashHex);
    receipts.push({ txHash: hash, ...outcome });
  }

  for (const { key, value } of blockState.writeSet().values()) {
    if (value === undefined) state.del(key);
    else state.put(key, value);
  }
  const encodedReceipts = receipts.map(encodeReceipt);
  const provenance = provenanceTrie(anchors, state);
  return {
    state,
    stateRoot: state.root(),
    transactionsRoot: transactionsRoot(encodedTxs),
    receiptsRoot: indexedTrie(encodedReceipts).root(),
    encodedReceipts,
    provenanceRoot: provenance.root(),
    provenance,
    txs,
    txHashes,
    receipts,
    anchors,
  };
}
