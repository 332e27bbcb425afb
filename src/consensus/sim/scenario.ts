/**
 * Scenario scripts for the PBFT core (etcd raft's `testdata` habit): a small
 * text language, one command per line, each followed by `----` and the output
 * it must print. The scripts drive a `Cluster` with a manual network (nothing
 * moves until `deliver`) and manual timers (nothing fires until `tick`), so a
 * script reads like a walk through a rule of the PBFT paper.
 *
 * Commands (replicas are numbers; lists are comma-separated):
 *   cluster n=4 k=4 window=8 batch=1 [validators=3]
 *                                         fresh cluster (checkpoint interval, watermark window, batch size;
 *                                         only the first `validators` nodes validate, the rest observe)
 *   submit 1 2 3 [to=0,1]                 client transactions (ids) reach those replicas' mempools
 *   deliver [from=] [to=] [type=] [height=] [view=] [once]
 *                                         deliver matching pending messages (repeat until none, unless `once`)
 *   drop [from=] [to=] [type=] [height=] [view=]
 *   pending [filters]                     list pending messages
 *   tick <timer> <replicas>               fire an armed timer (heartbeat, primaryTimeout, progress, viewChange,
 *                                         batch, status, stateTransfer)
 *   crash <r> | restart <r>               crash loses everything but the WAL and the committed chain
 *   isolate <replicas> | heal             messages from/to isolated replicas are lost
 *   byzantine <replicas>                  mark replicas Byzantine (checkers ignore their commits)
 *   set-change at=<h> members=<replicas>  a validator-set change committed at height h (fed to every node)
 *   inject from=<r> to=<replicas> <kind> [view=] [height=] [txs=] [badroots] [badsig] [hash=bogus]
 *                                         a message crafted and signed with r's key (kind: pre-prepare,
 *                                         prepare, commit, view-change)
 *   state [replicas]                      view, phase, primary, committed height, watermarks, prepared heights
 *   schedule <replica> <from> <to>        the primaries that replica computes for views from..to
 *   check <what> ...                      assertion; throws on failure (see `check` below)
 */

import type { BlockHeader } from '../../chain/header.ts';
import { toHex } from '../../codec/bytes.ts';
import { keccak256 } from '../../crypto/keccak.ts';
import {
  type ConsensusMessage,
  headerHashOf,
  type MessageBody,
  prepareVoteBytes,
  signingBytes,
} from '../pbft/messages.ts';
import type { Block, TimerName } from '../pbft/types.ts';
import { ByzantineBehaviour } from './byzantine.ts';
import { Cluster, describeMessage, type Envelope } from './cluster.ts';
import { makeTx, simStateRoot, simTransactionsRoot, txId, ZERO_HASH } from './node.ts';
import { Prng } from './prng.ts';
import { SIM_PARAMETERS } from './simulation.ts';

const TYPE_ALIASES: Record<string, string> = {
  'pre-prepare': 'prePrepare',
  prepare: 'prepare',
  commit: 'commit',
  checkpoint: 'checkpoint',
  'view-change': 'viewChange',
  'new-view': 'newView',
  heartbeat: 'heartbeat',
  status: 'status',
  'fetch-block': 'fetchBlock',
  block: 'block',
  sync: 'sync',
};

interface Filters {
  from?: Set<number>;
  to?: Set<number>;
  types?: Set<string>;
  heights?: Set<number>;
  view?: number;
}

function parseList(text: string): number[] {
  return text.split(',').map((x) => {
    const n = Number(x);
    if (!Number.isSafeInteger(n)) throw new Error(`not a number list: ${text}`);
    return n;
  });
}

function parseArgs(words: readonly string[]): {
  flags: Set<string>;
  kv: Map<string, string>;
  positional: string[];
} {
  const flags = new Set<string>();
  const kv = new Map<string, string>();
  const positional: string[] = [];
  for (const w of words) {
    const eq = w.indexOf('=');
    if (eq > 0) kv.set(w.slice(0, eq), w.slice(eq + 1));
    else if (/^[a-z-]+$/.test(w) && !TYPE_ALIASES[w]) flags.add(w);
    else positional.push(w);
  }
  return { flags, kv, positional };
}

function short(hash: Uint8Array): string {
  return toHex(hash).slice(2, 8);
}

export class ScenarioHarness {
  private cluster: Cluster | undefined;
  private pending: Envelope[] = [];
  private events: string[] = [];
  private isolated = new Set<number>();
  private sent: { from: number; message: ConsensusMessage }[] = [];

  private get c(): Cluster {
    if (!this.cluster) throw new Error('no cluster: start the script with `cluster`');
    return this.cluster;
  }

  /** Runs one command line; returns its output (without trailing newline). */
  run(line: string): string {
    const words = line.trim().split(/\s+/);
    const command = words[0]!;
    const args = words.slice(1);
    this.events = [];
    switch (command) {
      case 'cluster':
        return this.cmdCluster(args);
      case 'submit':
        return this.cmdSubmit(args);
      case 'deliver':
        return this.cmdDeliver(args, false);
      case 'drop':
        return this.cmdDeliver(args, true);
      case 'pending':
        return this.cmdPending(args);
      case 'tick':
        return this.cmdTick(args);
      case 'crash':
        this.c.crash(Number(args[0]));
        return this.flush(`r${args[0]} crashed`);
      case 'restart':
        this.c.restart(Number(args[0]));
        return this.flush(`r${args[0]} restarted`);
      case 'isolate':
        for (const r of parseList(args[0]!)) this.isolated.add(r);
        return `isolated ${[...this.isolated].sort().join(',')}`;
      case 'heal':
        this.isolated.clear();
        return 'healed';
      case 'byzantine':
        for (const r of parseList(args[0]!)) {
          this.c.byzantine.set(
            r,
            new ByzantineBehaviour(
              r,
              new Set(),
              new Prng(r),
              this.c.configs[r]!.chainId,
              this.c.validators,
              this.c.crypto.signer(r),
              this.c.configs[r]!.parameters.watermarkWindow,
            ),
          );
        }
        return `byzantine ${[...this.c.byzantine.keys()].sort().join(',')} (the checkers ignore what they commit and accept accusations against them)`;
      case 'inject':
        return this.cmdInject(args);
      case 'state':
        return this.cmdState(args);
      case 'schedule':
        return this.cmdSchedule(args);
      case 'check':
        return this.cmdCheck(args);
      case 'set-change': {
        const { kv } = parseArgs(args);
        const members = parseList(kv.get('members')!);
        const boundary = this.c.changeValidators(Number(kv.get('at')), members);
        return this.flush(
          `validators ${members.map((m) => `r${m}`).join(',')} from height ${boundary + 1} (boundary checkpoint ${boundary})`,
        );
      }
      default:
        throw new Error(`unknown command ${command}`);
    }
  }

  private flush(head?: string): string {
    const lines = head === undefined ? [] : [head];
    lines.push(...this.events);
    this.events = [];
    return lines.join('\n') || 'ok';
  }

  private cmdCluster(args: string[]): string {
    const { kv } = parseArgs(args);
    const n = Number(kv.get('n') ?? 4);
    const k = Number(kv.get('k') ?? 4);
    const parameters = {
      ...SIM_PARAMETERS,
      checkpointInterval: k,
      watermarkWindow: Number(kv.get('window') ?? 2 * k),
      maxBatchCount: Number(kv.get('batch') ?? 1),
    };
    this.pending = [];
    this.sent = [];
    this.isolated.clear();
    this.cluster = new Cluster(
      {
        nodes: n,
        seed: Number(kv.get('seed') ?? 7),
        parameters,
        wire: true,
        validatorCount: Number(kv.get('validators') ?? n),
      },
      {
        send: (envelope) => {
          if (envelope.kind === 'consensus')
            this.sent.push({ from: envelope.from, message: envelope.message });
          if (this.isolated.has(envelope.from) || this.isolated.has(envelope.to)) return;
          this.pending.push(envelope);
        },
        timerSet: () => {},
        trace: (line) => this.onTrace(line),
      },
    );
    this.c.startAll();
    const primary = this.c.nodes[0]!.replica!.status.primary;
    const observers = n - this.c.validators.size;
    return `cluster of ${n}${observers > 0 ? ` (${observers} not validators)` : ''}: f=${this.c.validators.f} quorum=${this.c.validators.quorum} K=${k} window=${parameters.watermarkWindow} batch=${parameters.maxBatchCount}; view 0 primary r${primary}`;
  }

  private onTrace(line: string): void {
    const text = line.replace(/^\s*\d+ms /, '');
    let m = /^replica (\d+) commits height (\d+) \((\d+) txs, view (\d+)\)$/.exec(text);
    if (m) {
      const node = this.c.nodes[Number(m[1])]!;
      const block = node.chain[Number(m[2])]!.block;
      const ids = block.txs.map(txId);
      this.events.push(
        `r${m[1]} committed n=${m[2]} #${short(headerHashOf(block.header))} txs=[${ids.join(',')}] cert-view=${m[4]}`,
      );
      return;
    }
    m = /^replica (\d+) installs view (\d+) \(primary (\d+)\)$/.exec(text);
    if (m) {
      this.events.push(`r${m[1]} installed view ${m[2]} (primary r${m[3]})`);
      return;
    }
    if (/crashes|restarts/.test(text)) return;
    this.events.push(text);
  }

  private cmdSubmit(args: string[]): string {
    const { kv, positional } = parseArgs(args);
    const to = kv.has('to') ? parseList(kv.get('to')!) : this.c.nodes.map((_, i) => i);
    for (const idText of positional) {
      const id = Number(idText);
      this.c.registerTx(id);
      for (const r of to) this.c.deliver({ kind: 'tx', from: -1, to: r, tx: makeTx(id, 8) });
    }
    return this.flush(`submitted ${positional.join(',')} to ${to.join(',')}`);
  }

  private parseFilters(args: string[]): { filters: Filters; flags: Set<string> } {
    const { kv, flags } = parseArgs(args);
    const filters: Filters = {};
    if (kv.has('from')) filters.from = new Set(parseList(kv.get('from')!));
    if (kv.has('to')) filters.to = new Set(parseList(kv.get('to')!));
    if (kv.has('type')) {
      filters.types = new Set(
        kv
          .get('type')!
          .split(',')
          .map((t) => {
            const alias = TYPE_ALIASES[t];
            if (!alias) throw new Error(`unknown message type ${t}`);
            return alias;
          }),
      );
    }
    if (kv.has('height')) filters.heights = new Set(parseList(kv.get('height')!));
    if (kv.has('view')) filters.view = Number(kv.get('view'));
    return { filters, flags };
  }

  private matches(e: Envelope, f: Filters): boolean {
    if (e.kind === 'tx') return false;
    if (f.from && !f.from.has(e.from)) return false;
    if (f.to && !f.to.has(e.to)) return false;
    const type = e.kind === 'consensus' ? e.message.body.type : 'sync';
    if (f.types && !f.types.has(type)) return false;
    if (!f.types && (type === 'status' || type === 'heartbeat')) return false; // chatter only when asked for
    if (e.kind === 'consensus') {
      const b = e.message.body as { height?: number; view?: number; newView?: number; block?: Block };
      const height = b.height ?? b.block?.header.height;
      const view = b.view ?? b.newView;
      if (f.heights !== undefined && (height === undefined || !f.heights.has(height))) return false;
      if (f.view !== undefined && view !== f.view) return false;
    } else if (f.heights !== undefined || f.view !== undefined) {
      return false;
    }
    return true;
  }

  private describe(e: Envelope): string {
    if (e.kind === 'consensus') return `${e.from}->${e.to} ${describeMessage(e.message)}`;
    if (e.kind === 'syncRequest') return `${e.from}->${e.to} SYNC-REQUEST ${e.fromHeight}..${e.toHeight}`;
    if (e.kind === 'syncResponse') return `${e.from}->${e.to} SYNC-RESPONSE ${e.blocks.length} blocks`;
    return `client->${e.to} TX`;
  }

  private cmdDeliver(args: string[], drop: boolean): string {
    const { filters, flags } = this.parseFilters(args);
    const once = flags.has('once');
    let delivered = 0;
    for (let round = 0; round < 10_000; round++) {
      const batch = this.pending.filter((e) => this.matches(e, filters));
      if (batch.length === 0) break;
      this.pending = this.pending.filter((e) => !batch.includes(e));
      for (const e of batch) {
        delivered++;
        if (!drop) this.c.deliver(e);
      }
      if (once || drop) break;
    }
    return this.flush(`${drop ? 'dropped' : 'delivered'} ${delivered}`);
  }

  private cmdPending(args: string[]): string {
    const { filters } = this.parseFilters(args);
    const lines = this.pending.filter((e) => this.matches(e, filters)).map((e) => this.describe(e));
    return lines.length === 0 ? 'none' : lines.join('\n');
  }

  private cmdTick(args: string[]): string {
    const name = args[0] as TimerName;
    const out: string[] = [];
    for (const r of parseList(args[1]!)) {
      const fired = this.c.fireTimer(r, name);
      out.push(`r${r} ${name}${fired ? '' : ' (not armed)'}`);
    }
    return this.flush(out.join('\n'));
  }

  private sign(from: number, body: MessageBody): ConsensusMessage {
    return {
      body,
      signer: from,
      signature: this.c.crypto.signer(from)(signingBytes(this.c.configs[from]!.chainId, body)),
    };
  }

  private cmdInject(args: string[]): string {
    const { kv, flags, positional } = parseArgs(args);
    const from = Number(kv.get('from'));
    const to = parseList(kv.get('to')!);
    const kind = positional[0] ?? [...flags].find((f) => TYPE_ALIASES[f]);
    const node = this.c.nodes[from]!;
    const view = Number(kv.get('view') ?? node.replica?.status.view ?? 0);
    const height = Number(kv.get('height') ?? node.committedHeight + 1);
    let message: ConsensusMessage;
    const chainId = this.c.configs[from]!.chainId;
    if (kind === 'pre-prepare') {
      const ids = kv.has('txs') ? parseList(kv.get('txs')!) : [];
      for (const id of ids) this.c.registerTx(id);
      const txs = ids.map((id) => makeTx(id, 8));
      const parent: BlockHeader = node.chain[height - 1]?.block.header ?? node.head;
      const transactionsRoot = simTransactionsRoot(txs);
      const header: BlockHeader = {
        chainId,
        height,
        parentHash: headerHashOf(parent),
        timestampMs: parent.timestampMs + 1 + Number(kv.get('time') ?? 0),
        proposer: this.c.validators.publicKeys[from]!,
        view,
        transactionsRoot,
        stateRoot: flags.has('badroots')
          ? keccak256(Uint8Array.of(1))
          : simStateRoot(parent.stateRoot, transactionsRoot),
        receiptsRoot: ZERO_HASH,
        provenanceRoot: ZERO_HASH,
        validatorSetHash: this.c.validators.hash,
      };
      const signature = this.c.crypto.signer(from)(
        prepareVoteBytes(chainId, view, height, headerHashOf(header)),
      );
      message = {
        body: { type: 'prePrepare', view, height, block: { header, txs } },
        signer: from,
        signature,
      };
    } else if (kind === 'prepare' || kind === 'commit') {
      const headerHash = keccak256(Uint8Array.of(height, view, 0xee));
      message = this.sign(from, { type: kind, view, height, headerHash });
    } else if (kind === 'view-change') {
      message = this.sign(from, {
        type: 'viewChange',
        newView: view,
        checkpoint: {
          height: 0,
          headerHash: headerHashOf(this.c.genesis),
          stateRoot: this.c.genesis.stateRoot,
          votes: [],
        },
        prepared: [],
      });
    } else {
      throw new Error(`inject: unknown kind ${kind}`);
    }
    if (flags.has('badsig')) {
      const signature = message.signature.slice();
      signature[0]! ^= 0xff;
      message = { ...message, signature };
    }
    for (const r of to) this.c.deliver({ kind: 'consensus', from, to: r, message });
    return this.flush(
      `injected ${describeMessage(message)}${flags.has('badsig') ? ' (bad signature)' : ''} into ${to.join(',')}`,
    );
  }

  /** `schedule <replica> <fromView> <toView>`: the primaries that replica computes for those views. */
  private cmdSchedule(args: string[]): string {
    const r = this.c.nodes[Number(args[0])]!.replica!;
    const out: string[] = [];
    for (let v = Number(args[1]); v <= Number(args[2]); v++) out.push(`r${r.primaryIndex(v)}`);
    return `views ${args[1]}..${args[2]}: ${out.join(' ')}`;
  }

  private cmdState(args: string[]): string {
    const which = args[0] ? parseList(args[0]) : this.c.nodes.map((_, i) => i);
    return which
      .map((i) => {
        const r = this.c.nodes[i]!.replica;
        if (!r) return `r${i} down`;
        const s = r.status;
        return `r${i} view=${s.view}${s.phase === 'viewChange' ? ' changing' : ''} primary=r${s.primary} committed=${s.committedHeight} h=${s.lowWatermark} H=${s.highWatermark} stable=${s.stableCheckpoint} prepared=[${s.preparedHeights.join(',')}]`;
      })
      .join('\n');
  }

  /**
   * check committed <replicas> <height>     each has committed exactly up to height
   * check view <replicas> <view>            each has installed that view (normal phase)
   * check changing <replicas> <view>        each is in a view change to that view
   * check prepared <replicas> <height>      each is prepared at that height in its view
   * check not-prepared <replicas> <height>
   * check agreement                         all committed chains are prefixes of one another
   * check watermark <replicas> <h>          low watermark
   * check sent <replica> <type> [height]    the replica sent such a message since the last `cluster`
   * check not-sent <replica> <type> [height]
   * check pending <count> [filters]          that many pending messages match
   */
  private cmdCheck(args: string[]): string {
    const what = args[0];
    const fail = (message: string): never => {
      throw new Error(`check failed: ${args.join(' ')}: ${message}`);
    };
    const replicas = () => parseList(args[1]!);
    const num = () => Number(args[2]);
    switch (what) {
      case 'committed':
        for (const i of replicas()) {
          const h = this.c.nodes[i]!.committedHeight;
          if (h !== num()) fail(`r${i} committed ${h}`);
        }
        break;
      case 'view':
      case 'changing':
        for (const i of replicas()) {
          const s = this.c.nodes[i]!.replica?.status;
          if (!s || s.view !== num() || (s.phase === 'viewChange') !== (what === 'changing')) {
            fail(`r${i} is ${s ? `${s.phase} ${s.view}` : 'down'}`);
          }
        }
        break;
      case 'prepared':
      case 'not-prepared':
        for (const i of replicas()) {
          const prepared = this.c.nodes[i]!.replica?.status.preparedHeights.includes(num()) ?? false;
          if (prepared !== (what === 'prepared')) fail(`r${i} prepared=${prepared}`);
        }
        break;
      case 'watermark':
        for (const i of replicas()) {
          const h = this.c.nodes[i]!.replica?.status.lowWatermark;
          if (h !== num()) fail(`r${i} h=${h}`);
        }
        break;
      case 'agreement': {
        const longest = this.c.nodes.reduce((a, b) => (a.chain.length >= b.chain.length ? a : b));
        for (const node of this.c.nodes) {
          node.chain.forEach((entry, h) => {
            if (
              toHex(headerHashOf(entry.block.header)) !== toHex(headerHashOf(longest.chain[h]!.block.header))
            ) {
              fail(`r${node.index} disagrees at height ${h}`);
            }
          });
        }
        if (this.c.checkers.violations.length > 0)
          fail(this.c.checkers.violations.map((v) => v.message).join('; '));
        break;
      }
      case 'sent':
      case 'not-sent': {
        const r = Number(args[1]);
        const type = TYPE_ALIASES[args[2]!];
        const height = args[3] === undefined ? undefined : Number(args[3]);
        const found = this.sent.some(({ from, message }) => {
          const b = message.body as { type: string; height?: number; block?: Block };
          return (
            from === r &&
            b.type === type &&
            (height === undefined || (b.height ?? b.block?.header.height) === height)
          );
        });
        if (found !== (what === 'sent')) fail(found ? 'it was sent' : 'it was not sent');
        break;
      }
      case 'pending': {
        const { filters } = this.parseFilters(args.slice(2));
        const count = this.pending.filter((e) => this.matches(e, filters)).length;
        if (count !== Number(args[1])) fail(`${count} pending`);
        break;
      }
      default:
        throw new Error(`unknown check ${what}`);
    }
    return 'ok';
  }
}

export interface ScenarioBlock {
  readonly line: number;
  readonly command: string;
  readonly expected: string;
}

/** Splits a script into `command / ---- / expected output` blocks (blank line ends a block; `#` comments). */
export function parseScenario(text: string): ScenarioBlock[] {
  const lines = text.split('\n');
  const blocks: ScenarioBlock[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    if (line.trim() === '' || line.trim().startsWith('#')) {
      i++;
      continue;
    }
    const start = i + 1;
    const command = line.trim();
    i++;
    if (lines[i]?.trim() !== '----') throw new Error(`line ${start}: expected ---- after "${command}"`);
    i++;
    const out: string[] = [];
    while (i < lines.length && lines[i]!.trim() !== '') {
      out.push(lines[i]!);
      i++;
    }
    blocks.push({ line: start, command, expected: out.join('\n') });
  }
  return blocks;
}

/** Rewrites a script with actual outputs (for `REWRITE=1`): comments and commands kept, outputs replaced. */
export function rewriteScenario(text: string, outputs: Map<number, string>): string {
  const lines = text.split('\n');
  const out: string[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    out.push(line);
    const lineNo = i + 1;
    i++;
    if (outputs.has(lineNo) && lines[i]?.trim() === '----') {
      out.push('----');
      i++;
      while (i < lines.length && lines[i]!.trim() !== '') i++;
      out.push(...outputs.get(lineNo)!.split('\n'));
    }
  }
  return out.join('\n');
}
