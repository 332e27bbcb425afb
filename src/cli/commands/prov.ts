/**
 * `meridian prov`: provenance records on the chain (seed 001).
 *
 *   prov anchor <file> -k key          anchor the entries' hashes, then upload the records
 *   prov verify <uri> [--comprehensive] [--json] [--genesis file]
 *   prov export <uri> --proof <file> [--comprehensive]
 *   prov verify --offline <file> [--genesis file]   (no node: only the bundle and a genesis you trust)
 *   prov lineage <uri> [--json]        where it came from, by which activity and agent; what a merge touched
 *   prov show <uri>                    the stored record and its anchoring
 *
 * Verification always happens here, in the CLI (light/provenance-verify.ts), never on the node.
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { FootprintResponseJson, LineageResponseJson } from '../../api/schemas-provenance.ts';
import { ProvenanceClient } from '../../api/sdk/provenance.ts';
import { type Genesis, parseGenesis } from '../../chain/genesis.ts';
import { MeridianError, ValidationError } from '../../errors.ts';
import { parseProvenanceBundle } from '../../light/provenance-bundle.ts';
import { type ProvenanceVerdict, verifyProvenanceBundle } from '../../light/provenance-verify.ts';
import { validateEntry } from '../../modules/provenance/entry.ts';
import type { ProvenanceEntry } from '../../modules/provenance/model.ts';
import { parseProvJson } from '../../modules/provenance/prov-json.ts';
import type { ByGranularity, LineageStep } from '../../modules/provenance/query.ts';
import { addNodeOption, clientFor, printJson } from '../client.ts';
import { loadSigner } from './tx.ts';

/** Largest file of entries `prov anchor` reads (a JSON array of meridian-prov/1 entries). */
export const MAX_ENTRIES_FILE_BYTES = 256 * 1024 * 1024;

function readLimited(file: string, limit: number, what: string): string {
  const size = statSync(file).size;
  if (size > limit) {
    throw new ValidationError(
      'FILE_TOO_LARGE',
      `${file} is ${size} bytes; the limit for ${what} is ${limit}`,
      {
        hint: 'split it into several files',
      },
    );
  }
  return readFileSync(file, 'utf8');
}

/** Entries from a file: a JSON array of entries, `{ "entries": [...] }`, or a PROV-JSON document. */
export function readEntries(file: string): ProvenanceEntry[] {
  const text = readLimited(file, MAX_ENTRIES_FILE_BYTES, 'an entries file');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ValidationError('BAD_ENTRIES_FILE', `${file} is not JSON`, {
      hint: 'give a JSON array of meridian-prov/1 entries, or a PROV-JSON document',
    });
  }
  const list = Array.isArray(value) ? value : (value as { entries?: unknown })?.entries;
  if (Array.isArray(list)) return list.map((e) => validateEntry(e));
  return parseProvJson(text); // PROV-JSON: size-checked against MAX_PROV_JSON_BYTES there
}

function loadGenesis(file: string | undefined): Genesis | undefined {
  return file === undefined ? undefined : parseGenesis(readFileSync(file, 'utf8'));
}

function trustLine(verdict: ProvenanceVerdict, genesisFile: string | undefined, offline: boolean): string {
  const who = `${verdict.trust.validators} validators, genesis ${verdict.trust.genesisHash.slice(0, 18)}…`;
  return verdict.trust.source === 'genesis'
    ? `trusted: the validator set of ${genesisFile} (${who})`
    : `trusted: the validator set inside the ${offline ? 'bundle' : "node's bundle"} (${who}) — NOT independently checked; pass --genesis <file> to trust your own copy`;
}

export function printVerdict(
  verdict: ProvenanceVerdict,
  genesisFile: string | undefined,
  offline: boolean,
): void {
  const what = verdict.kind === 'comprehensive' ? 'comprehensive verification' : 'single-entry verification';
  console.log(
    `${verdict.valid ? 'VALID' : 'INVALID'}  ${verdict.uri} — ${what}, as of block ${verdict.height}`,
  );
  if (verdict.failure) {
    console.log(`  the proof does not hold: ${verdict.failure.code}: ${verdict.failure.message}`);
  } else {
    const scope = verdict.kind === 'comprehensive' ? 'the entity and every entry below it' : 'this entry';
    console.log(
      `  ${verdict.entries} ${verdict.entries === 1 ? 'entry' : 'entries'} (${scope}) proven in block${verdict.blocks.length === 1 ? '' : 's'} ${verdict.blocks.join(', ')}; latest version ${verdict.version}, anchored in block ${verdict.anchoredAt}${verdict.kind === 'single' && verdict.latest === false ? ' (the record checked is an older version)' : ''}${verdict.kind === 'single' && verdict.height === verdict.anchoredAt ? ' (latest as of that block; --latest checks the head)' : ''}`,
    );
    if (verdict.linked > 0)
      console.log(`  ${verdict.linked} records it pins by hash (activity, agents, sources) checked too`);
    for (const [label, list] of [
      ['altered', verdict.altered],
      ['missing', verdict.missing],
      ['extra (never anchored here)', verdict.extra],
    ] as const) {
      if (list.length === 0) continue;
      console.log(`  ${label} (${list.length}):`);
      for (const uri of list.slice(0, 50)) console.log(`    ${uri}`);
      if (list.length > 50) console.log(`    … and ${list.length - 50} more (--json lists all)`);
    }
  }
  console.log(`  ${trustLine(verdict, genesisFile, offline)}`);
}

function verdictJson(verdict: ProvenanceVerdict): Record<string, unknown> {
  const { valid, entries, altered, missing, extra, ...rest } = verdict;
  return { valid, entries, altered, missing, extra, ...rest };
}

function printStep(step: LineageStep): void {
  const described =
    step.describedBy !== null && step.describedBy !== step.uri ? `, described by ${step.describedBy}` : '';
  console.log(
    `${'  '.repeat(step.depth)}${step.depth === 0 ? '' : '← '}${step.uri} (${step.granularity ?? 'no record'}${described})`,
  );
  const pad = `${'  '.repeat(step.depth)}    `;
  for (const g of step.generatedBy) {
    const declared = g.declaredBy !== step.uri ? ` [declared by ${g.declaredBy}]` : '';
    console.log(`${pad}generated by ${g.activity}${g.time ? ` at ${g.time}` : ''}${declared}`);
  }
  for (const d of step.derivedFrom) {
    const how = [d.operation, d.sourceRole === null ? null : `from ${d.sourceRole}`]
      .filter((x) => x !== null)
      .join(' ');
    console.log(`${pad}derived from ${d.source}${how ? ` (${how})` : ''}`);
  }
  if (step.agents.length > 0)
    console.log(`${pad}agents: ${step.agents.map((a) => `${a.agent} (${a.via})`).join(', ')}`);
}

function counts(by: ByGranularity): string {
  return `${by.dataset.length} datasets, ${by.feature.length} features, ${by.attribute.length} attributes${by.other.length ? `, ${by.other.length} other` : ''}`;
}

export function printLineage(lineage: LineageResponseJson): void {
  console.log(`lineage of ${lineage.uri}${lineage.truncated ? ' (truncated)' : ''}:`);
  for (const step of lineage.steps as LineageStep[]) printStep(step);
}

export function printFootprint(footprint: FootprintResponseJson): void {
  const used = footprint.used as ByGranularity;
  const generated = footprint.generated as ByGranularity;
  const invalidated = footprint.invalidated as ByGranularity;
  const operations = footprint.operations as Record<string, Record<string, number>>;
  console.log(`what ${footprint.activity} touched:`);
  if (footprint.agents.length > 0) console.log(`  run by:      ${footprint.agents.join(', ')}`);
  console.log(`  used:        ${counts(used)}${used.dataset.length ? ` — ${used.dataset.join(', ')}` : ''}`);
  console.log(
    `  generated:   ${counts(generated)}${generated.dataset.length ? ` — ${generated.dataset.join(', ')}` : ''}`,
  );
  if (invalidated.dataset.length + invalidated.feature.length + invalidated.attribute.length > 0)
    console.log(`  invalidated: ${counts(invalidated)}`);
  for (const level of ['dataset', 'feature', 'attribute']) {
    const ops = Object.entries(operations[level] ?? {});
    if (ops.length > 0)
      console.log(`  ${`${level}s:`.padEnd(12)} ${ops.map(([op, n]) => `${op} ${n}`).join(' · ')}`);
  }
}

export function registerProvCommands(program: Command): void {
  const prov = program
    .command('prov')
    .description('provenance: anchor records, verify them (online or offline), lineage');

  addNodeOption(
    prov
      .command('anchor')
      .description(
        'anchor the hashes of the entries in a file, wait for the blocks, then upload the full records',
      )
      .argument(
        '<file>',
        'a JSON array of meridian-prov/1 entries, {"entries": [...]}, or a PROV-JSON document',
      )
      .requiredOption('-k, --key <file>', 'your key file (from `meridian key gen`)')
      .option('--passphrase-file <file>', 'read the key passphrase from this file')
      .option('--json', 'print JSON'),
  ).action(
    async (
      file: string,
      options: { key: string; passphraseFile?: string; json?: boolean; node?: string },
    ) => {
      const entries = readEntries(file);
      const client = clientFor(options);
      try {
        const provenance = new ProvenanceClient(client);
        const result = await provenance.publish(entries, await loadSigner(options));
        const rejected = result.records.filter((r) => r.status === 'rejected');
        if (options.json) {
          printJson({ ...result, txs: result.txs.map((t) => t.hash) });
        } else {
          console.log(
            `anchored ${result.anchored} entries (${result.unchanged} unchanged) in block${result.heights.length === 1 ? '' : 's'} ${result.heights.join(', ')}`,
          );
          const by = (s: string) => result.records.filter((r) => r.status === s).length;
          console.log(
            `records: ${by('stored')} stored, ${by('known')} already known, ${by('repaired')} repaired, ${rejected.length} rejected`,
          );
          for (const r of rejected.slice(0, 20))
            console.log(`  rejected ${r.uri}: ${r.error?.code} ${r.error?.message}`);
        }
        if (rejected.length > 0) process.exitCode = 1;
      } finally {
        client.close();
      }
    },
  );

  addNodeOption(
    prov
      .command('verify')
      .description(
        'verify a record (or with --comprehensive an entity and everything below it) against the chain, here',
      )
      .argument('[uri]', 'the entity URI (not with --offline)')
      .option(
        '--comprehensive',
        'the entity and every feature and attribute entry below it, with one subtree proof per anchoring block',
      )
      .option('--version <n>', 'single verification of this version (default: the latest)')
      .option(
        '--latest',
        'single: also prove no later version exists at the head (one more certified header)',
      )
      .option('--offline <file>', 'verify a bundle written by `prov export`, with no node')
      .option(
        '--genesis <file>',
        'trust the validator set of this genesis file (default: the bundle’s own, which the output says)',
      )
      .option('--json', 'print { valid, entries, altered, missing, extra, ... }'),
  ).action(
    async (
      uri: string | undefined,
      options: {
        comprehensive?: boolean;
        version?: string;
        latest?: boolean;
        offline?: string;
        genesis?: string;
        json?: boolean;
        node?: string;
      },
    ) => {
      const trustedGenesis = loadGenesis(options.genesis);
      let verdict: ProvenanceVerdict;
      if (options.offline !== undefined) {
        if (uri !== undefined && uri !== '') {
          throw new ValidationError('BAD_ARGUMENTS', 'give either a URI or --offline <file>, not both', {
            hint: 'the bundle names its URI',
          });
        }
        const bundle = parseProvenanceBundle(readFileSync(options.offline, 'utf8'));
        verdict = verifyProvenanceBundle(bundle, trustedGenesis === undefined ? {} : { trustedGenesis });
      } else {
        if (uri === undefined)
          throw new ValidationError('BAD_ARGUMENTS', 'which URI?', {
            hint: 'meridian prov verify <uri>, or --offline <file>',
          });
        const client = clientFor(options);
        try {
          verdict = await new ProvenanceClient(client).verify(uri, {
            comprehensive: options.comprehensive === true,
            latest: options.latest === true,
            ...(options.version === undefined ? {} : { version: Number(options.version) }),
            ...(trustedGenesis === undefined ? {} : { trustedGenesis }),
          });
        } finally {
          client.close();
        }
      }
      if (options.json) printJson(verdictJson(verdict));
      else printVerdict(verdict, options.genesis, options.offline !== undefined);
      if (!verdict.valid) process.exitCode = 1;
    },
  );

  addNodeOption(
    prov
      .command('export')
      .description(
        'write a self-contained proof bundle (records, proofs, certified headers, genesis) for offline checks',
      )
      .argument('<uri>', 'the entity URI')
      .requiredOption('--proof <file>', 'where to write the bundle (JSON)')
      .option('--comprehensive', 'the entity and everything below it')
      .option('--version <n>', 'a single proof of this version')
      .option('--latest', 'single: also prove no later version exists at the head'),
  ).action(
    async (
      uri: string,
      options: { proof: string; comprehensive?: boolean; version?: string; latest?: boolean; node?: string },
    ) => {
      const client = clientFor(options);
      try {
        const bundle = await new ProvenanceClient(client).proof(uri, {
          comprehensive: options.comprehensive === true,
          latest: options.latest === true,
          ...(options.version === undefined ? {} : { version: Number(options.version) }),
        });
        writeFileSync(options.proof, `${JSON.stringify(bundle)}\n`);
        console.log(
          `wrote ${options.proof}: ${bundle.kind} bundle of ${uri}, ${bundle.records.length} records, ${bundle.headers.length} certified headers (blocks ${bundle.headers.map((h) => h.header.height).join(', ')})`,
        );
        console.log(
          `check it with: meridian prov verify --offline ${options.proof} --genesis <genesis.json you trust>`,
        );
      } finally {
        client.close();
      }
    },
  );

  addNodeOption(
    prov
      .command('lineage')
      .description(
        'what an entity was derived from, by which activity and by whom; for a dataset or an activity, also everything it touched',
      )
      .argument('<uri>', 'a dataset, feature, attribute or activity URI')
      .option('--depth <n>', 'derivation hops to follow (default: all, up to 64)')
      .option('--json', 'print JSON'),
  ).action(async (uri: string, options: { depth?: string; json?: boolean; node?: string }) => {
    const client = clientFor(options);
    try {
      const provenance = new ProvenanceClient(client);
      const lineage = await provenance.lineage(
        uri,
        options.depth === undefined ? {} : { maxDepth: Number(options.depth) },
      );
      const first = (lineage.steps as LineageStep[])[0];
      const showFootprint =
        first === undefined || first.granularity === 'dataset' || first.granularity === null;
      let footprint: FootprintResponseJson | undefined;
      if (showFootprint) {
        try {
          footprint = await provenance.footprint(uri);
        } catch (error) {
          if (!(error instanceof MeridianError)) throw error;
        }
      }
      if (options.json) {
        printJson({ lineage, ...(footprint ? { footprint } : {}) });
        return;
      }
      printLineage(lineage);
      if (footprint) printFootprint(footprint);
      console.log('(from the stored records; check them with `meridian prov verify`)');
    } finally {
      client.close();
    }
  });

  addNodeOption(
    prov
      .command('show')
      .description('print the stored record of a URI and its anchoring (not a proof)')
      .argument('<uri>', 'the URI')
      .option('--version <n>', 'this version (default: the highest stored)'),
  ).action(async (uri: string, options: { version?: string; node?: string }) => {
    const client = clientFor(options);
    try {
      const provenance = new ProvenanceClient(client);
      printJson({
        ...(await provenance.record(
          uri,
          options.version === undefined ? undefined : Number(options.version),
        )),
        history: (await provenance.anchors(uri)).versions,
      });
    } finally {
      client.close();
    }
  });
}
