/**
 * A local network of N validators as separate processes on loopback, with
 * embedded storage: what `meridian devnet` and `npm start` run, and what the
 * multi-process tests and the load benchmark start. Each validator is a
 * normal node directory (`meridian init` + `meridian genesis`), so a devnet
 * differs from a real network only in living on one machine.
 *
 * The key files are protected by a random passphrase kept in
 * `<dir>/passphrase` (mode 0600): a devnet is for local development only.
 *
 * Membership: the genesis names a regulator organisation (`regulator`) and
 * one member organisation per validator (`org-<i>`, whose node is validator
 * i); each has an admin key, written to `<dir>/keys/<organisation>-admin.json`
 * (same passphrase), so a newcomer can admit organisations, register members
 * and vote at once. `openMembership` leaves organisations out: every key may
 * then send transactions (what load benchmarks with throwaway senders need).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ConsensusParameters } from '../chain/genesis.ts';
import { toHex } from '../codec/bytes.ts';
import { encryptKeyFile, generateIdentity } from '../crypto/keyfile.ts';
import { randomBytes } from '../crypto/random.ts';
import { MeridianError } from '../errors.ts';
import { portFree } from '../net/free-ports.ts';
import { initNodeDir, writeGenesis } from './setup.ts';

export interface DevnetOptions {
  readonly dir: string;
  readonly validators: number;
  readonly chainId?: string;
  readonly host?: string;
  /** First node-to-node port; validator i uses p2pBasePort + i. */
  readonly p2pBasePort: number;
  /** First API port; validator i uses apiBasePort + i. */
  readonly apiBasePort: number;
  readonly consoleDir?: string;
  readonly parameters?: Partial<ConsensusParameters>;
  /** Start over: delete the directory first. */
  readonly reset?: boolean;
  /** scrypt cost of the key files (tests use a low one). */
  readonly keyFileLogN?: number;
  /** No organisations in the genesis: an open chain where any key may send transactions. */
  readonly openMembership?: boolean;
}

export interface DevnetNode {
  readonly index: number;
  readonly name: string;
  readonly dir: string;
  readonly apiUrl: string;
  readonly p2pPort: number;
  readonly publicKey: string;
  readonly logFile: string;
}

/** An organisation admin's key file on a devnet. */
export interface DevnetAdmin {
  readonly organization: string;
  readonly publicKey: string;
  readonly keyFile: string;
}

export interface DevnetLayout {
  readonly chainId: string;
  readonly nodes: readonly DevnetNode[];
  /** Absent on an open devnet (and on devnets made before membership existed). */
  readonly admins?: readonly DevnetAdmin[];
  readonly passphraseFile?: string;
}

/** Writes an admin key file for each devnet organisation; returns them and the genesis `organizations`. */
async function devnetOrganizations(
  dir: string,
  nodes: readonly DevnetNode[],
  host: string,
  passphrase: string,
  keyFileLogN: number | undefined,
): Promise<{ admins: DevnetAdmin[]; organizations: unknown[] }> {
  const keysDir = join(dir, 'keys');
  mkdirSync(keysDir, { recursive: true });
  const ids = ['regulator', ...nodes.map((n) => `org-${n.index}`)];
  const admins: DevnetAdmin[] = [];
  for (const organization of ids) {
    const file = await encryptKeyFile(generateIdentity(), passphrase, {
      label: `${organization} admin`,
      ...(keyFileLogN === undefined ? {} : { logN: keyFileLogN }),
    });
    const keyFile = join(keysDir, `${organization}-admin.json`);
    writeFileSync(keyFile, JSON.stringify(file, null, 2) + '\n', { mode: 0o600 });
    admins.push({ organization, publicKey: file.publicKey, keyFile });
  }
  const admin = (i: number, roles: string[]) => ({
    publicKey: admins[i]!.publicKey,
    kind: 'user',
    name: `${ids[i]} admin`,
    roles,
  });
  const organizations = [
    {
      id: 'regulator',
      name: 'Devnet Regulator',
      regulator: true,
      members: [admin(0, ['org-admin', 'regulator'])],
    },
    ...nodes.map((node, i) => ({
      id: ids[i + 1],
      name: `Organisation ${node.index}`,
      members: [
        admin(i + 1, ['org-admin']),
        {
          publicKey: node.publicKey,
          kind: 'node',
          name: node.name,
          roles: ['validator'],
          host,
          port: node.p2pPort,
        },
      ],
    })),
  ];
  return { admins, organizations };
}

const BIN = resolve(import.meta.dirname, '../../bin/meridian.js');
/**
 * V8 flags for validator processes, which share the machine's cores:
 * - 64 MiB semi-spaces instead of V8's 16 MiB, so most of the per-transaction garbage dies before
 *   a scavenge. Measured on the 2-core devnet at 1,500 tx/s: scavenges took ~28 instead of ~56 ms
 *   per second per validator, CPU per transaction fell ~3%, and each validator's young generation
 *   grows by at most ~100 MiB.
 * - Garbage collection on the main thread only: with four validators and a client on 2 cores, GC
 *   helper threads only compete with the other validators for the same cores. Measured at
 *   1,000 tx/s over 8 alternating pairs of devnets: CPU per transaction ~3% lower, p50 and p99
 *   commit latency each lower in 6 pairs (e.g. p50 281 → 143 ms, p99 3,391 → 1,191 ms). The price:
 *   each pause is longer (p99 pause ~72 instead of ~52 ms, the longest 127 ms), far below the
 *   1 s heartbeat timeout. A validator alone on its machine should keep V8's parallel GC.
 */
const VALIDATOR_V8_FLAGS: readonly string[] = ['--max-semi-space-size=64', '--single-threaded-gc'];
/**
 * Extra Node flags for every validator process, space-separated, from the environment (e.g.
 * `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile a devnet under load, which NODE_OPTIONS refuses).
 */
const EXTRA_NODE_FLAGS_ENV = 'MERIDIAN_VALIDATOR_NODE_FLAGS';

/** Creates the devnet's node directories and genesis, or reuses an existing matching one. */
export async function prepareDevnet(options: DevnetOptions): Promise<DevnetLayout> {
  const dir = resolve(options.dir);
  const host = options.host ?? '127.0.0.1';
  const chainId = options.chainId ?? 'meridian-devnet';
  const layoutFile = join(dir, 'devnet.json');
  if (options.reset) rmSync(dir, { recursive: true, force: true });
  if (existsSync(layoutFile)) {
    const layout = JSON.parse(readFileSync(layoutFile, 'utf8')) as DevnetLayout;
    if (layout.nodes.length === options.validators) return layout;
    throw new MeridianError(
      'DEVNET_MISMATCH',
      `${dir} holds a devnet of ${layout.nodes.length} validators, not ${options.validators}`,
      {
        hint: 'pass --reset to start a new devnet (its chain is deleted), or --dir for another directory',
      },
    );
  }
  mkdirSync(dir, { recursive: true });
  const passphraseFile = join(dir, 'passphrase');
  writeFileSync(passphraseFile, toHex(randomBytes(24)), { mode: 0o600 });
  const passphrase = readFileSync(passphraseFile, 'utf8');
  const nodes: DevnetNode[] = [];
  for (let i = 0; i < options.validators; i++) {
    const nodeDir = join(dir, `validator-${i}`);
    const { publicKey } = await initNodeDir({
      dir: nodeDir,
      name: `validator-${i}`,
      host,
      p2pPort: options.p2pBasePort + i,
      apiPort: options.apiBasePort + i,
      passphrase,
      passphraseFile,
      // A devnet is local and load-tested from one address: no per-client API rate limit.
      apiRateLimitPerSecond: 0,
      ...(options.consoleDir ? { consoleDir: options.consoleDir } : {}),
      ...(options.keyFileLogN === undefined ? {} : { keyFileLogN: options.keyFileLogN }),
    });
    nodes.push({
      index: i,
      name: `validator-${i}`,
      dir: nodeDir,
      apiUrl: `http://${host}:${options.apiBasePort + i}`,
      p2pPort: options.p2pBasePort + i,
      publicKey,
      logFile: join(nodeDir, 'node.log'),
    });
  }
  const membership = options.openMembership
    ? undefined
    : await devnetOrganizations(dir, nodes, host, passphrase, options.keyFileLogN);
  writeGenesis({
    chainId,
    nodeDirs: nodes.map((n) => n.dir),
    genesisTimeMs: Date.now(),
    ...(options.parameters ? { parameters: options.parameters } : {}),
    ...(membership ? { organizations: membership.organizations } : {}),
  });
  const layout: DevnetLayout = {
    chainId,
    nodes,
    ...(membership ? { admins: membership.admins } : {}),
    passphraseFile,
  };
  writeFileSync(layoutFile, JSON.stringify(layout, null, 2) + '\n');
  return layout;
}

export class DevnetProcesses {
  readonly #children = new Map<number, ChildProcess>();
  #stopping = false;

  constructor(
    readonly layout: DevnetLayout,
    private readonly onExit: (
      node: DevnetNode,
      code: number | null,
      signal: string | null,
    ) => void = () => {},
  ) {}

  /** Checks every port is free, then starts one process per validator. */
  async start(): Promise<void> {
    for (const node of this.layout.nodes) {
      const apiPort = Number(new URL(node.apiUrl).port);
      for (const port of [apiPort, node.p2pPort]) {
        if (!(await portFree(new URL(node.apiUrl).hostname, port))) {
          throw new MeridianError('PORT_IN_USE', `port ${port} (${node.name}) is already in use`, {
            hint: 'stop whatever uses it (another devnet?), or choose other ports with --api-port / --p2p-port',
          });
        }
      }
    }
    for (const node of this.layout.nodes) this.startNode(node.index);
  }

  /** Starts (or restarts) one validator's process. */
  startNode(index: number): ChildProcess {
    const node = this.layout.nodes[index]!;
    // The validator writes its log file itself (not through a pipe to this process), so it can
    // still log, and stop cleanly, once this process is gone; the IPC channel only tells it that.
    const log = openSync(node.logFile, 'a');
    const child = spawn(
      process.execPath,
      [...VALIDATOR_V8_FLAGS, ...extraNodeFlags(), BIN, 'node', 'start', '--dir', node.dir],
      {
        stdio: ['ignore', log, log, 'ipc'],
        env: { ...process.env },
      },
    );
    closeSync(log);
    child.once('exit', (code, signal) => {
      if (this.#children.get(index) === child) this.#children.delete(index);
      if (!this.#stopping) this.onExit(node, code, signal);
    });
    this.#children.set(index, child);
    return child;
  }

  /** Kills one validator with the given signal (SIGKILL simulates a crash) and waits for it to exit. */
  async kill(index: number, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.#children.get(index);
    if (!child) return;
    const exited = new Promise((resolveExit) => child.once('exit', resolveExit));
    child.kill(signal);
    await exited;
  }

  /** The process id of a running validator, or undefined. */
  pidOf(index: number): number | undefined {
    return this.#children.get(index)?.pid;
  }

  isRunning(index: number): boolean {
    return this.#children.has(index);
  }

  /** Stops every validator (SIGTERM, then SIGKILL after `graceMs`). */
  async stop(graceMs = 10_000): Promise<void> {
    this.#stopping = true;
    await Promise.all(
      [...this.#children.entries()].map(async ([index, child]) => {
        const exited = new Promise((resolveExit) => child.once('exit', resolveExit));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
        this.#children.delete(index);
      }),
    );
  }
}

/** Polls a node's /v1/status until it answers 200 OK; throws `NODE_NOT_STARTING` once `timeoutMs` has passed. */
export async function waitForApi(apiUrl: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const response = await fetch(`${apiUrl}/v1/status`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      throw new MeridianError('NODE_NOT_STARTING', `${apiUrl} did not answer within ${timeoutMs} ms`, {
        hint: 'look at the node log for the reason',
      });
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * Prepares a devnet, starts its processes and waits until every API answers:
 * what tests, benchmarks and examples use to get a running network.
 */
export async function launchDevnet(options: DevnetOptions): Promise<DevnetProcesses> {
  const layout = await prepareDevnet(options);
  const processes = new DevnetProcesses(layout);
  await processes.start();
  try {
    await Promise.all(layout.nodes.map((n) => waitForApi(n.apiUrl, 90_000)));
  } catch (error) {
    await processes.stop();
    throw error;
  }
  return processes;
}

function extraNodeFlags(): string[] {
  return (process.env[EXTRA_NODE_FLAGS_ENV] ?? '').split(/\s+/).filter((flag) => flag.length > 0);
}
