/**
 * Creating node directories and genesis files (`meridian init`, `meridian
 * genesis`, `meridian devnet`). A node directory holds:
 *
 * - `key.json`     the node's encrypted identity (made here; the secret never leaves the machine)
 * - `node.json`    its configuration (see config.ts)
 * - `genesis.json` the network's genesis, installed by `meridian genesis`
 * - `chain/`       lmdb: blocks, state and the consensus WAL (created on first start)
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  type ConsensusParameters,
  DEFAULT_CONSENSUS_PARAMETERS,
  type Genesis,
  validateGenesis,
} from '../chain/genesis.ts';
import { encryptKeyFile, generateIdentity, parseKeyFile } from '../crypto/keyfile.ts';
import { MeridianError } from '../errors.ts';
import { loadNodeConfig } from './config.ts';

export interface InitOptions {
  readonly dir: string;
  readonly name: string;
  readonly host: string;
  readonly p2pPort: number;
  readonly apiPort: number;
  readonly passphrase: string;
  /** Recorded in node.json so the node can start unattended. */
  readonly passphraseFile?: string;
  readonly consoleDir?: string;
  readonly logFile?: string;
  /** API rate limit per client address; 0 = off (a local devnet, load tests). */
  readonly apiRateLimitPerSecond?: number;
  /** scrypt cost of the key file (tests use a low one). */
  readonly keyFileLogN?: number;
}

/** Creates a node directory with a fresh key and a node.json. Refuses to overwrite an existing one. */
export async function initNodeDir(options: InitOptions): Promise<{ publicKey: string }> {
  const dir = resolve(options.dir);
  if (existsSync(join(dir, 'node.json'))) {
    throw new MeridianError('NODE_DIR_EXISTS', `${dir} already holds a node`, {
      hint: 'choose another --dir, or delete the directory to start over (its keys and chain are lost)',
    });
  }
  mkdirSync(dir, { recursive: true });
  const keyFile = await encryptKeyFile(generateIdentity(), options.passphrase, {
    label: options.name,
    ...(options.keyFileLogN === undefined ? {} : { logN: options.keyFileLogN }),
  });
  writeFileSync(join(dir, 'key.json'), JSON.stringify(keyFile, null, 2) + '\n', { mode: 0o600 });
  const config = {
    name: options.name,
    keyFile: 'key.json',
    ...(options.passphraseFile ? { passphraseFile: resolve(options.passphraseFile) } : {}),
    genesisFile: 'genesis.json',
    chainDir: 'chain',
    p2p: { host: options.host, port: options.p2pPort },
    api: { host: options.host, port: options.apiPort },
    ...(options.consoleDir ? { consoleDir: resolve(options.consoleDir) } : {}),
    ...(options.apiRateLimitPerSecond === undefined
      ? {}
      : { apiRateLimitPerSecond: options.apiRateLimitPerSecond }),
    logLevel: 'info',
    ...(options.logFile ? { logFile: options.logFile } : {}),
  };
  writeFileSync(join(dir, 'node.json'), JSON.stringify(config, null, 2) + '\n');
  return { publicKey: keyFile.publicKey };
}

/**
 * Builds a genesis naming the nodes in `nodeDirs` as the validators (their
 * public keys and p2p addresses), and writes it to each node directory.
 */
export function writeGenesis(options: {
  chainId: string;
  nodeDirs: readonly string[];
  genesisTimeMs: number;
  parameters?: Partial<ConsensusParameters>;
  /** The genesis `organizations` section (see modules/membership/genesis.ts); absent = an open chain. */
  organizations?: readonly unknown[];
  /** The genesis `governance` section (see modules/governance/settings.ts). */
  governance?: unknown;
  out?: string;
}): Genesis {
  const validators = options.nodeDirs.map((dir) => {
    const config = loadNodeConfig(join(dir, 'node.json'));
    const key = parseKeyFile(readFileSync(config.keyFile, 'utf8'));
    return { name: config.name, publicKey: key.publicKey, host: config.p2p.host, port: config.p2p.port };
  });
  const genesis = validateGenesis({
    chainId: options.chainId,
    genesisTimeMs: options.genesisTimeMs,
    validators,
    parameters: { ...DEFAULT_CONSENSUS_PARAMETERS, ...options.parameters },
    ...(options.organizations === undefined ? {} : { organizations: options.organizations }),
    ...(options.governance === undefined ? {} : { governance: options.governance }),
  });
  const text = JSON.stringify(genesis, null, 2) + '\n';
  for (const dir of options.nodeDirs) writeFileSync(join(dir, 'genesis.json'), text);
  if (options.out) writeFileSync(options.out, text);
  return genesis;
}
