/**
 * The driver contract of the PBFT core: everything that crosses the boundary
 * between `Replica.step` and whoever drives it (the node in production, the
 * simulator in tests). The core is a pure state machine: it never reads a
 * clock, draws randomness, touches a socket or disk, or awaits. The driver
 * feeds it `Input`s one at a time and performs the returned `Output`s in order.
 *
 * ## Rules the driver must follow (breaking one breaks safety or liveness)
 *
 * 1. **Persist before acting.** A `persist` output must be durable (fsync'd WAL)
 *    before the driver performs ANY later output of the same `step` result. The
 *    core always emits the record that makes a vote durable before the message
 *    that carries the vote. Outputs of one step may be performed in a batch as
 *    long as the persists land first.
 * 2. **Commit is durable.** On `commit` the driver applies the block to its
 *    committed state and stores block + certificate durably before it restarts
 *    the core with `restoreReplica` (the restore arguments name its committed
 *    head). Commits arrive strictly in height order, each extending the last.
 * 3. **Answer what is asked.** Every `validate` gets exactly one `validated`
 *    (same header hash). Every `propose` gets exactly one `proposal` (same
 *    height; `block: null` when nothing can be proposed). Answers may be late:
 *    the core ignores stale ones.
 * 4. **Speculative states.** `validate` and `propose` name a parent block by
 *    hash. The core only names a parent that is the committed head or a block
 *    the driver has validated ok or proposed since the last restore; the driver
 *    keeps those post-states until a block at their height is committed.
 * 5. **Timers.** `setTimer {name, ms}` (re)arms the named timer (one per name);
 *    `cancelTimer` disarms it. When it fires, feed `{type: 'timer', name}`. A
 *    fired timer is not re-armed unless the core asks again.
 * 6. **Requests live in the node.** `requestsPending` reports the transactions
 *    the node could put in a new batch: in its mempool, valid, and in neither
 *    the committed chain nor any block it has validated or proposed since its
 *    last commit. Send it whenever those numbers change.
 * 7. **Start.** After constructing or restoring a replica, the first input is
 *    `{type: 'start'}`.
 *
 * Messages between replicas are `ConsensusMessage`s; the transport carries
 * `encodeMessage(m)` bytes and the receiver hands either the bytes (the core
 * decodes them under `MAX_CONSENSUS_MESSAGE_BYTES`) or a message it decoded
 * itself with `decodeMessage`. Every message is signed; the transport's own
 * peer authentication is not relied upon.
 */

import type { ConsensusParameters } from '../../chain/genesis.ts';
import type { ValidatorSet } from '../../chain/validator-set.ts';
import type { Infer } from '../../codec/schema.ts';
import type {
  BlockCodec,
  CheckpointProofCodec,
  CommitCertificateCodec,
  PreparedCertificateCodec,
  VoteCodec,
} from './messages.ts';

/** A proposed or committed block: the header and the batch of encoded transactions. */
export type Block = Infer<typeof BlockCodec>;

/** One validator's signature in a certificate or proof. `validator` indexes the validator set. */
export type Vote = Infer<typeof VoteCodec>;

/**
 * 2f+1 COMMIT signatures over (chainId, view, height, headerHash): proof that a
 * block is final. `view` is the view in which the block was committed (it can
 * be later than `header.view`, the view in which it was first proposed).
 */
export type CommitCertificate = Infer<typeof CommitCertificateCodec>;

/** 2f+1 prepare votes (the primary's PRE-PREPARE plus 2f PREPAREs) for one block in one view. */
export type PreparedCertificate = Infer<typeof PreparedCertificateCodec>;

/** 2f+1 CHECKPOINT signatures over (height, headerHash, stateRoot). Height 0 (genesis) needs no votes. */
export type CheckpointProof = Infer<typeof CheckpointProofCodec>;

export type TimerName =
  /** Primary: time to send a heartbeat if nothing else went out. */
  | 'heartbeat'
  /** Backup: the primary has been silent too long. */
  | 'primaryTimeout'
  /** Work is outstanding and nothing committed for `requestTimeoutMs`. */
  | 'progress'
  /** 2f+1 VIEW-CHANGEs seen but no NEW-VIEW yet (exponential back-off). */
  | 'viewChange'
  /** The oldest pending request reached `maxBatchAgeMs`. */
  | 'batch'
  /** Anti-entropy: broadcast STATUS, retransmit on stall, detect lag. */
  | 'status'
  /** A state transfer did not complete in time; ask again. */
  | 'stateTransfer';

export const TIMER_NAMES: readonly TimerName[] = [
  'heartbeat',
  'primaryTimeout',
  'progress',
  'viewChange',
  'batch',
  'status',
  'stateTransfer',
];

/** Test-only switches that deliberately break the protocol, to prove the simulator's checkers can fail. */
export interface UnsafeTestingFlags {
  /** Commit with 2f COMMITs instead of 2f+1. */
  readonly commitWithTwoF?: boolean;
  /** The new primary ignores prepared certificates and starts fresh from the checkpoint. */
  readonly skipReproposal?: boolean;
}

export interface ReplicaConfig {
  readonly chainId: string;
  /** The genesis header (height 0); its hash is the parent of block 1 and the height-0 checkpoint. */
  readonly genesis: import('../../chain/header.ts').BlockHeader;
  /** The validator set in force at the driver's committed head. */
  readonly validators: ValidatorSet;
  /**
   * After a validator-set change: the set before it and the boundary height it
   * signed through (checkpoint proofs and certificates at or below the
   * boundary are verified with it). Omit when the set never changed.
   */
  readonly previousValidators?: { readonly set: ValidatorSet; readonly throughHeight: number };
  /** This replica's Ed25519 public key. A key outside the set makes a passive observer. */
  readonly publicKey: Uint8Array;
  /** Signs with this replica's secret key (the key never enters the core). */
  readonly sign: (message: Uint8Array) => Uint8Array;
  /** Signature check; injected so that tests can count or replace it. Must be pure. */
  readonly verify: (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array) => boolean;
  /** The header's `transactionsRoot` of a batch (the executor's definition). Must be pure. */
  readonly transactionsRoot: (txs: readonly Uint8Array[]) => Uint8Array;
  readonly parameters: ConsensusParameters;
  /** Period of STATUS anti-entropy messages. Default: `heartbeatTimeoutMs`. */
  readonly statusIntervalMs?: number;
  /**
   * Extra wait on a backup's first primary timeout after `start`: validators started together
   * come up and connect over a few seconds, and a primary that is merely late is not silent.
   * Later timeouts are plain `heartbeatTimeoutMs`. Default 0.
   */
  readonly startupGraceMs?: number;
  /** Cap on the view-change back-off exponent (timeout = viewChangeTimeoutMs * 2^k). Default 4. */
  readonly maxViewChangeBackoff?: number;
  readonly unsafeTesting?: UnsafeTestingFlags;
}

// ---------------------------------------------------------------------------
// Inputs
// ---------------------------------------------------------------------------

export type Input =
  | { readonly type: 'start' }
  /** A message from a peer: raw bytes (decoded under the size limit) or an already decoded message. */
  | { readonly type: 'message'; readonly bytes: Uint8Array }
  | { readonly type: 'message'; readonly message: import('./messages.ts').ConsensusMessage }
  | { readonly type: 'timer'; readonly name: TimerName }
  | { readonly type: 'requestsPending'; readonly count: number; readonly bytes: number }
  /** Answer to `propose`: the block built on the named parent, or null if there was nothing to put in it. */
  | { readonly type: 'proposal'; readonly height: number; readonly block: Block | null }
  /** Answer to `validate`: did re-execution on the parent's speculative state reproduce the header's roots? */
  | {
      readonly type: 'validated';
      readonly headerHash: Uint8Array;
      readonly ok: boolean;
      readonly reason?: string;
    }
  /** Answer to `requestStateTransfer`: consecutive committed blocks with their certificates, lowest first. */
  | {
      readonly type: 'stateTransferred';
      readonly blocks: readonly { readonly block: Block; readonly certificate: CommitCertificate }[];
    }
  /**
   * A committed block at `committedAtHeight` changed the validator set. The
   * change takes effect after the first checkpoint at or above
   * `committedAtHeight + watermarkWindow` (so no block in flight is affected).
   */
  | {
      readonly type: 'validatorSetChanged';
      readonly committedAtHeight: number;
      readonly validators: ValidatorSet;
    };

// ---------------------------------------------------------------------------
// Outputs
// ---------------------------------------------------------------------------

export type Misbehaviour =
  | 'equivocation'
  | 'invalidBlock'
  | 'badProposalShape'
  | 'conflictingVote'
  | 'invalidViewChange'
  | 'invalidNewView';

export type Output =
  /** Send to one validator (by public key). Best effort: the core retransmits what matters. */
  | {
      readonly type: 'send';
      readonly to: Uint8Array;
      readonly message: import('./messages.ts').ConsensusMessage;
    }
  /** Send to every other validator. */
  | { readonly type: 'broadcast'; readonly message: import('./messages.ts').ConsensusMessage }
  /** Make the record durable before performing any later output of this step. */
  | { readonly type: 'persist'; readonly record: import('./wal.ts').WalRecord }
  /**
   * Build a block at `height` on top of `parentHash` (view `view`, proposer =
   * this replica) from at most `maxCount` transactions / `maxBytes` bytes,
   * excluding transactions in the parent's ancestry, execute it, answer `proposal`.
   */
  | {
      readonly type: 'propose';
      readonly height: number;
      readonly view: number;
      readonly parentHash: Uint8Array;
      readonly maxCount: number;
      readonly maxBytes: number;
    }
  /** Re-execute `block` on its parent's speculative state and answer `validated`. */
  | { readonly type: 'validate'; readonly block: Block }
  /** Final: apply and store. Strictly in height order. */
  | { readonly type: 'commit'; readonly block: Block; readonly certificate: CommitCertificate }
  | { readonly type: 'setTimer'; readonly name: TimerName; readonly ms: number }
  | { readonly type: 'cancelTimer'; readonly name: TimerName }
  /**
   * Fetch committed blocks `fromHeight..toHeight` (with certificates) from
   * `peers` (public keys, most likely to have them first) and answer
   * `stateTransferred`; partial answers are fine.
   */
  | {
      readonly type: 'requestStateTransfer';
      readonly fromHeight: number;
      readonly toHeight: number;
      readonly peers: readonly Uint8Array[];
    }
  /** A new view was installed (for metrics and logs). */
  | { readonly type: 'viewChanged'; readonly view: number; readonly primary: Uint8Array }
  /** A peer did something provably or locally observably wrong (for metrics and logs). */
  | { readonly type: 'misbehaviour'; readonly validator: Uint8Array; readonly kind: Misbehaviour };
