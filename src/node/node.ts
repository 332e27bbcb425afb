/**
 * The composition root of a validator node: opens its stores, restores
 * consensus from the WAL, connects to the other validators over TLS, and serves
 * the API. `startNode` returns once the node listens; `stop` shuts it down in
 * the reverse order (API, consensus, transport, stores).
 */
import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { createApiServer } from '../api/server.ts';
import { BlockStore } from '../chain/block-store.ts';
import { type Genesis, genesisHeader, parseGenesis } from '../chain/genesis.ts';
import { type BlockHeader, hashHeader } from '../chain/header.ts';
import { Mempool } from '../chain/mempool.ts';
import { txHashOfEncoded, verifyTxSignature } from '../chain/transaction.ts';
import { equalBytes, toHex, utf8 } from '../codec/bytes.ts';
import { type ConsensusMessage, decodeMessage } from '../consensus/pbft/messages.ts';
import { createReplica, restoreReplica } from '../consensus/pbft/replica.ts';
import type { ReplicaConfig } from '../consensus/pbft/types.ts';
import { sign, verify } from '../crypto/ed25519.ts';
import { decryptKeyFile, type Identity, parseKeyFile } from '../crypto/keyfile.ts';
import { MeridianError } from '../errors.ts';
import type { ExecutionEnvironment } from '../exec/execute.ts';
import { buildGenesisState } from '../exec/genesis-state.ts';
import type { Module } from '../exec/module.ts';
import { transactionsRoot } from '../exec/roots.ts';
import {
  blockGasReservation,
  contractModule,
  MAX_BLOCK_CONTRACT_GAS,
} from '../modules/contract/contract-module.ts';
import { governanceModule, validatorSetChangesIn } from '../modules/governance/governance-module.ts';
import { kvModule } from '../modules/kv/kv-module.ts';
import { memoisedAuthorizeTx } from '../modules/membership/authorize.ts';
import { membershipModule } from '../modules/membership/membership-module.ts';
import { provenanceModule } from '../modules/provenance/anchor-module.ts';
import { TlsTransport } from '../net/tls-transport.ts';
import { openLmdbKv } from '../store/lmdb-kv.ts';
import { prefixedKv } from '../store/prefixed-kv.ts';
import { EMPTY_TRIE_ROOT } from '../trie/index.ts';
import { BlockSync } from './block-sync.ts';
import { ChainState, type CommittedBlock, STATE_WRITE_INTERVAL } from './chain-state.ts';
import type { NodeConfig } from './config.ts';
import { ConsensusDriver } from './consensus-driver.ts';
import { NodeEvents } from './events.ts';
import { LogLimiter } from './log-limiter.ts';
import { createLogger, type Logger } from './logger.ts';
import { NodeMetrics } from './metrics.ts';
import { NetworkAdmission } from './network-admission.ts';
import { NodeApiImpl } from './node-api-impl.ts';
import { defaultSqlConfig, provenanceServiceFor } from './provenance-service.ts';
import { serveStateOffer, serveTrieNodes } from './state-serve.ts';
import { StateSync } from './state-sync.ts';
import { TxAdmission } from './tx-admission.ts';
import { TxGossip } from './tx-gossip.ts';
import { ValidatorSchedule } from './validator-schedule.ts';
import { WalStore } from './wal-store.ts';
import { decodeNodeMessage, type NodeMessage } from './wire.ts';

/** A backup's first primary timeout after start is this many heartbeat timeouts longer. */
const STARTUP_GRACE_TIMEOUTS = 2;

export interface RunningNode {
  readonly name: string;
  readonly publicKey: Uint8Array;
  readonly apiUrl: string;
  readonly p2pPort: number;
  stop(): Promise<void>;
}

/** The system modules every node runs, by name. */
export function systemModules(): Map<string, Module> {
  return new Map([
    [kvModule.name, kvModule],
    [provenanceModule.name, provenanceModule],
    [membershipModule.name, membershipModule],
    [governanceModule.name, governanceModule],
    [contractModule.name, contractModule],
  ]);
}

async function loadIdentity(config: NodeConfig): Promise<Identity> {
  const passphrase = config.passphraseFile
    ? readFileSync(config.passphraseFile, 'utf8').replace(/\r?\n$/, '')
    : process.env.MERIDIAN_PASSPHRASE;
  if (passphrase === undefined) {
    throw new MeridianError('PASSPHRASE_REQUIRED', 'no passphrase for the node key', {
      hint: 'set passphraseFile in node.json or MERIDIAN_PASSPHRASE in the environment',
    });
  }
  return decryptKeyFile(parseKeyFile(readFileSync(config.keyFile, 'utf8')), passphrase);
}

export async function startNode(config: NodeConfig, options: { logger?: Logger } = {}): Promise<RunningNode> {
  const logger =
    options.logger ??
    createLogger({
      name: config.name,
      level: config.logLevel,
      ...(config.logFile ? { destination: config.logFile } : {}),
    });
  const genesis: Genesis = parseGenesis(readFileSync(config.genesisFile, 'utf8'));
  const identity = await loadIdentity(config);
  const metrics = new NodeMetrics();
  metrics.collectProcessMetrics();
  const warnings = new LogLimiter(logger);
  const modules = systemModules();

  const kv = await openLmdbKv(config.chainDir);
  const blocks = new BlockStore(prefixedKv(kv, utf8('b/')));
  const nodes = prefixedKv(kv, utf8('n/'));
  const wal = WalStore.open(prefixedKv(kv, utf8('w/')));
  const schedule = ValidatorSchedule.open(prefixedKv(kv, utf8('v/')), genesis.validators);

  const stateStores = { nodes, meta: prefixedKv(kv, utf8('s/')) };
  if (blocks.height === undefined) {
    const genesisState = buildGenesisState(genesis, modules, nodes);
    const stateRoot = genesisState.isEmpty() ? EMPTY_TRIE_ROOT : await genesisState.commit();
    await blocks.append(genesisHeader(genesis, stateRoot, EMPTY_TRIE_ROOT), [], undefined, [], []);
    await ChainState.markWritten(stateStores.meta, 0);
  }

  // The transport comes up before the chain state opens: a node far behind installs a peer's state
  // (state sync) instead of executing every block, and answers its peers' requests meanwhile.
  const storedHead = blocks.height!;
  const transport = await TlsTransport.create({
    chainId: genesis.chainId,
    keyPair: identity.signing,
    listenHost: config.p2p.host,
    listenPort: config.p2p.port,
    allowedKeys: schedule.setFor(storedHead + 1).publicKeys,
    compression: config.p2pCompressMinBytes === 0 ? false : { minBytes: config.p2pCompressMinBytes },
    logger,
  });
  const listen = await transport.start();
  const network = new NetworkAdmission(transport, schedule, identity.signing.publicKey, logger);
  network.refresh(storedHead, ChainState.writtenState(blocks, stateStores).state);
  const sync = new BlockSync(transport, blocks, logger);
  const stateSync = new StateSync({ transport, blocks, stores: stateStores, wal, schedule, genesis, logger });
  let driver: ConsensusDriver | undefined;
  let admission: TxAdmission | undefined;
  const malformed = (from: Uint8Array, error: unknown, what: string) =>
    warnings.warn(
      'malformed-frame',
      { peer: toHex(from), err: (error as Error).message },
      `malformed ${what} from peer`,
    );
  transport.onMessage((from, payload) => {
    let message: NodeMessage;
    try {
      message = decodeNodeMessage(payload);
    } catch (error) {
      malformed(from, error, 'frame');
      return;
    }
    switch (message.type) {
      case 'consensus': {
        if (!driver) return; // still opening the chain state
        let decoded: ConsensusMessage;
        try {
          decoded = decodeMessage(message.message);
        } catch (error) {
          malformed(from, error, 'consensus message');
          return;
        }
        // Every top-level consensus message is sent by its own signer: anything else is a relay we do not use.
        if (!network.signerIsPeer(decoded.signer, from, chain.head.height)) {
          warnings.warn(
            'foreign-signer',
            { peer: toHex(from), signer: decoded.signer },
            'consensus message not signed by the peer that sent it; ignored',
          );
          return;
        }
        driver.input({ type: 'message', message: decoded });
        return;
      }
      case 'txs':
        // Refusals are counted and logged by admission; anything else is a bug worth a log line.
        for (const encoded of message.txs) {
          admission?.admitFairly(encoded, true).catch((error: unknown) => {
            if (!(error instanceof MeridianError))
              logger.error({ err: error }, 'admitting a gossiped transaction failed');
          });
        }
        return;
      case 'syncRequest':
        sync.handleRequest(from, message);
        return;
      case 'syncReply':
        // Block replay runs only once the state sync is over: a reply is the one or the other's.
        if (!stateSync.handleReply(from, message)) sync.handleReply(from, message);
        return;
      case 'stateOfferRequest':
        serveStateOffer(transport, stateStores, from, message);
        return;
      case 'trieNodesRequest':
        serveTrieNodes(transport, stateStores, from, message);
        return;
      case 'stateOffer':
      case 'trieNodes':
        stateSync.handleReply(from, message);
        return;
    }
  });
  await stateSync.run();

  let mempool: Mempool | undefined;
  // Every transaction is admitted against the membership registry (open on chains without
  // organisations), at the door and again when executed; one memo serves both.
  const authorize = memoisedAuthorizeTx();
  const env: ExecutionEnvironment = {
    modules,
    authorize,
    isSignatureValid(tx, hashHex) {
      if (mempool?.hasVerified(hashHex, tx.signature)) return true;
      const ok = verifyTxSignature(tx);
      if (ok) mempool?.markVerified(hashHex, tx.signature);
      return ok;
    },
    decoded(encoded) {
      const hash = txHashOfEncoded(encoded);
      const pooled = hash && mempool?.get(toHex(hash));
      return pooled && equalBytes(pooled.encoded, encoded) ? pooled : undefined;
    },
  };
  // Validators sharing a machine (the devnet) write their world states at different heights.
  const genesisIndex = genesis.validators.findIndex((v) => v.publicKey === toHex(identity.signing.publicKey));
  const chain = await ChainState.open(blocks, stateStores, env, () => Date.now(), {
    stateWritePhase:
      genesisIndex < 0 ? 0 : Math.floor((genesisIndex * STATE_WRITE_INTERVAL) / genesis.validators.length),
  });
  const head = chain.head;
  const provenance = provenanceServiceFor(config.sql ?? defaultSqlConfig(config.dir), {
    genesis,
    blocks,
    nodes,
    validators: (height) => schedule.setFor(height),
    stateAt: (height) => chain.stateAt(height),
    committedHeight: () => chain.head.height,
    logger,
  });
  mempool = new Mempool({
    chainId: genesis.chainId,
    committedNonce: (sender) => chain.headView.nonce(sender),
  });

  network.refresh(head.height, chain.headState);
  const consensusView = schedule.consensusView(head.height);

  const replicaConfig: ReplicaConfig = {
    chainId: genesis.chainId,
    genesis: blocks.headerAt(0)!,
    validators: consensusView.validators,
    ...(consensusView.previous ? { previousValidators: consensusView.previous } : {}),
    publicKey: identity.signing.publicKey,
    sign: (message) => sign(identity.signing.secretKey, message),
    verify(publicKey, message, signature) {
      const ok = verify(publicKey, message, signature);
      if (!ok)
        warnings.warn(
          'bad-consensus-signature',
          { validator: toHex(publicKey) },
          'consensus message signature does not verify; ignored',
        );
      return ok;
    },
    transactionsRoot,
    parameters: genesis.parameters,
    // Validators started together (the devnet on 2 busy cores) come up seconds apart; a view-0
    // primary that is still loading is late, not silent.
    startupGraceMs: STARTUP_GRACE_TIMEOUTS * genesis.parameters.heartbeatTimeoutMs,
  };
  const recentHeaders: BlockHeader[] = [];
  for (let h = Math.max(0, head.height - 2 * genesis.parameters.checkpointInterval); h <= head.height; h++) {
    recentHeaders.push(blocks.headerAt(h)!);
  }
  const replica =
    wal.records.length === 0 && head.height === 0
      ? createReplica(replicaConfig)
      : restoreReplica(replicaConfig, wal.records, recentHeaders);

  const events = new NodeEvents(logger);
  const gossip = new TxGossip(transport);
  const txAdmission = new TxAdmission(
    mempool,
    gossip,
    metrics,
    warnings,
    () => driver?.reportPending(),
    (tx) => authorize(chain.headView, tx),
  );
  admission = txAdmission;

  driver = new ConsensusDriver({
    replica,
    wal,
    chain,
    mempool,
    transport,
    validatorsAt: (height) => schedule.setFor(height),
    publicKey: identity.signing.publicKey,
    sync,
    logger,
    metrics,
    async onCommitted(committed: CommittedBlock) {
      const height = committed.block.header.height;
      for (const validators of validatorSetChangesIn(committed.executed.receipts)) {
        const set = await schedule.schedule(height, validators, genesis.parameters);
        logger.info({ committedAt: height, validators: set.size }, 'validator set change scheduled');
        consensus.input(
          { type: 'validatorSetChanged', committedAtHeight: height, validators: set },
          { first: true },
        );
      }
      network.afterBlock(height, chain.headState, committed.executed.receipts);
      const now = Date.now();
      metrics.height.set(committed.block.header.height);
      metrics.recordCommit(committed.block.txs.length, now);
      metrics.mempoolSize.set(mempool.size);
      metrics.mempoolBytes.set(mempool.bytes);
      txAdmission.observeCommitted(committed.executed.txHashes, now);
      events.publishCommitted(committed);
      provenance.onCommitted(committed.block.header.height, committed.executed.anchors);
    },
    // Contract calls reserve their gas limit out of a block budget: cut batches so that every call fits.
    blockBudget: {
      limit: MAX_BLOCK_CONTRACT_GAS,
      cost: (pooled) => blockGasReservation(pooled.tx.body.kind, pooled.tx.body.payload),
    },
    onViewChanged(view, primary) {
      events.publish({ type: 'viewChange', view, primary: toHex(primary), atMs: Date.now() });
    },
  });
  const consensus = driver;

  const updatePeers = () => metrics.peersConnected.set(transport.peers().filter((p) => p.connected).length);
  transport.onPeerUp(updatePeers);
  transport.onPeerDown(updatePeers);

  metrics.height.set(head.height);
  consensus.start();
  if (consensusView.pending) {
    // A change committed before the restart that has not taken effect yet: the core must hear of it again.
    consensus.input({
      type: 'validatorSetChanged',
      committedAtHeight: consensusView.pending.committedAt,
      validators: consensusView.pending.validators,
    });
  }

  const api = new NodeApiImpl({
    name: config.name,
    publicKey: identity.signing.publicKey,
    genesis,
    blocks,
    chain,
    mempool,
    transport,
    replica,
    metrics,
    schedule,
    admission: txAdmission,
    events,
    modules,
  });
  const server = createApiServer(api, {
    host: config.api.host,
    port: config.api.port,
    logger,
    rateLimit:
      config.apiRateLimitPerSecond === 0
        ? false
        : { perSecond: config.apiRateLimitPerSecond, burst: 2 * config.apiRateLimitPerSecond },
    ...(config.consoleDir ? { staticDir: config.consoleDir } : {}),
    provenance,
  });
  const { url } = await server.start();
  logger.info(
    { api: url, p2p: listen.port, height: head.height, head: toHex(hashHeader(head)) },
    'node started',
  );

  return {
    name: config.name,
    publicKey: identity.signing.publicKey,
    apiUrl: url,
    p2pPort: listen.port,
    async stop() {
      await server.close();
      consensus.stop();
      sync.stop();
      gossip.stop();
      await consensus.whenIdle();
      await chain
        .statesWritten()
        .catch((error) =>
          logger.error({ err: error }, 'a world-state write failed; a restart replays the blocks'),
        );
      await transport.close();
      await provenance.close();
      await kv.close();
      logger.info('node stopped');
    },
  };
}
