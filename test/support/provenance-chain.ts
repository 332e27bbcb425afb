/**
 * An in-process chain for provenance tests: real block execution (ChainState + the provenance
 * module), real tries persisted to a memory KV, real commit certificates signed by 3 of 4 test
 * validators, and a `ProvenanceService` on a given SQL store. No network, no consensus: blocks
 * are built and certified directly, which is what a committed chain looks like to a reader.
 */
import { BlockStore } from '../../src/chain/block-store.ts';
import {
  type Genesis,
  genesisHeader,
  genesisValidatorSet,
  validateGenesis,
} from '../../src/chain/genesis.ts';
import { hashHeader } from '../../src/chain/header.ts';
import { encodeTx, type SignedTx, signTx, verifyTxSignature } from '../../src/chain/transaction.ts';
import type { ValidatorSet } from '../../src/chain/validator-set.ts';
import { toHex, utf8 } from '../../src/codec/bytes.ts';
import { commitVoteBytes, headerHashOf } from '../../src/consensus/pbft/messages.ts';
import { generateSigningKeyPair, type SigningKeyPair, sign } from '../../src/crypto/ed25519.ts';
import { buildGenesisState } from '../../src/exec/genesis-state.ts';
import type { Module } from '../../src/exec/module.ts';
import { provenanceModule } from '../../src/modules/provenance/anchor-module.ts';
import { entryHashHex } from '../../src/modules/provenance/entry.ts';
import type { ProvenanceEntry } from '../../src/modules/provenance/model.ts';
import { ChainState, type CommittedBlock } from '../../src/node/chain-state.ts';
import { createLogger } from '../../src/node/logger.ts';
import { ProvenanceService } from '../../src/node/provenance-service.ts';
import type { KvStore } from '../../src/store/kv.ts';
import { MemoryKvStore } from '../../src/store/memory-kv.ts';
import { prefixedKv } from '../../src/store/prefixed-kv.ts';
import type { SqlStore } from '../../src/store/sql.ts';
import { EMPTY_TRIE_ROOT } from '../../src/trie/index.ts';

export interface TestChain {
  readonly genesis: Genesis;
  readonly validators: ValidatorSet;
  readonly blocks: BlockStore;
  readonly nodes: KvStore;
  readonly sender: SigningKeyPair;
  /** The chain state the blocks are committed through. */
  readonly state: ChainState;
  /** Where the chain state records the height of its last written world state. */
  readonly meta: KvStore;
  /** A chain state opened afresh on the same stores, as a restarted node opens it. */
  reopen(): Promise<ChainState>;
  /** Builds, certifies and commits one block holding these transactions (signed by `sender`, or `signer`). */
  commit(
    txs: readonly { kind: string; payload: unknown }[],
    signer?: SigningKeyPair,
  ): Promise<CommittedBlock>;
  /** Anchors the entries in one block (one transaction per `chunk` entries); returns the block. */
  anchor(entries: readonly ProvenanceEntry[], chunk?: number): Promise<CommittedBlock>;
  /** A provenance service over this chain and the given SQL store (not started). */
  service(openSql: () => Promise<SqlStore>): ProvenanceService;
}

const logger = createLogger({ name: 'provenance-test', level: 'silent' });

export async function createTestChain(
  options: {
    modules?: Module[];
    /** Wraps the world-state node store the chain state writes to (genesis is written before). */
    wrapNodes?: (nodes: KvStore) => KvStore;
    /** `ChainState.open`'s `stateWritePhase`. */
    stateWritePhase?: number;
    /** The signature check execution calls (default: `verifyTxSignature`). */
    isSignatureValid?: (tx: SignedTx) => boolean;
  } = {},
): Promise<TestChain> {
  const keys = Array.from({ length: 4 }, () => generateSigningKeyPair());
  const genesis = validateGenesis({
    chainId: 'provenance-test',
    genesisTimeMs: 1_700_000_000_000,
    validators: keys.map((k, i) => ({
      name: `v${i}`,
      publicKey: toHex(k.publicKey),
      host: '127.0.0.1',
      port: 30_000 + i,
    })),
  });
  const validators = genesisValidatorSet(genesis);
  const kv = new MemoryKvStore();
  const blocks = new BlockStore(prefixedKv(kv, utf8('b/')));
  const nodes = prefixedKv(kv, utf8('n/'));
  const modules = new Map<string, Module>([
    [provenanceModule.name, provenanceModule],
    ...(options.modules ?? []).map((m): [string, Module] => [m.name, m]),
  ]);
  const genesisState = buildGenesisState(genesis, modules, nodes);
  const stateRoot = genesisState.isEmpty() ? EMPTY_TRIE_ROOT : await genesisState.commit();
  await blocks.append(genesisHeader(genesis, stateRoot, EMPTY_TRIE_ROOT), [], undefined, [], []);
  const meta = prefixedKv(kv, utf8('s/'));
  await ChainState.markWritten(meta, 0);
  let clock = genesis.genesisTimeMs;
  const env = { modules, isSignatureValid: options.isSignatureValid ?? verifyTxSignature };
  const stateNodes = options.wrapNodes?.(nodes) ?? nodes;
  const phase = { stateWritePhase: options.stateWritePhase ?? 0 };
  const chain = await ChainState.open(blocks, { nodes: stateNodes, meta }, env, () => ++clock, phase);
  const sender = generateSigningKeyPair();
  const nonces = new Map<string, number>();

  const commit = async (txs: readonly { kind: string; payload: unknown }[], signer = sender) => {
    const encoded = txs.map(({ kind, payload }) => {
      const id = toHex(signer.publicKey);
      const nonce = nonces.get(id) ?? 0;
      nonces.set(id, nonce + 1);
      const body = {
        chainId: genesis.chainId,
        sender: signer.publicKey,
        nonce,
        kind,
        payload: utf8(JSON.stringify(payload)),
      };
      return encodeTx(signTx(body, signer.secretKey));
    });
    const height = chain.head.height + 1;
    const { block } = await chain.build(
      toHex(hashHeader(chain.head)),
      {
        chainId: genesis.chainId,
        height,
        proposer: keys[0]!.publicKey,
        view: 0,
        validatorSetHash: validators.hash,
      },
      encoded,
    );
    const headerHash = headerHashOf(block.header);
    const vote = commitVoteBytes(genesis.chainId, 0, height, headerHash);
    const certificate = {
      view: 0,
      height,
      headerHash,
      votes: [0, 1, 2].map((i) => ({ validator: i, signature: sign(keys[i]!.secretKey, vote) })),
    };
    const committed = await chain.commit(block, certificate);
    for (const receipt of committed.executed.receipts) {
      if (receipt.status !== 'ok')
        throw new Error(`transaction failed: ${receipt.errorCode} ${receipt.errorMessage}`);
    }
    return committed;
  };

  return {
    genesis,
    validators,
    blocks,
    nodes,
    sender,
    state: chain,
    meta,
    // What a clean stop leaves (the writes started are done); the blocks above the last
    // written state are replayed.
    reopen: async () => {
      await chain.statesWritten();
      return ChainState.open(blocks, { nodes: stateNodes, meta }, env, () => ++clock, phase);
    },
    commit,
    anchor(entries, chunk = 4096) {
      // URI order: an entity always lands before (or with) the entries below it.
      const sorted = [...entries].sort((a, b) => (a.uri < b.uri ? -1 : a.uri > b.uri ? 1 : 0));
      const txs: { kind: string; payload: unknown }[] = [];
      for (let i = 0; i < sorted.length; i += chunk) {
        txs.push({
          kind: 'provenance.anchor',
          payload: {
            entries: sorted
              .slice(i, i + chunk)
              .map((e) => ({ uri: e.uri, hash: entryHashHex(e), version: e.version })),
          },
        });
      }
      return commit(txs);
    },
    service(openSql) {
      return new ProvenanceService({
        genesis,
        blocks,
        nodes,
        validators: () => validators,
        stateAt: (height) => chain.stateAt(height),
        committedHeight: () => chain.head.height,
        logger,
        openSql,
      });
    },
  };
}
