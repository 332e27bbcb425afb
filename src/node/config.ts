/**
 * A node's configuration file (`<node dir>/node.json`, written by `meridian
 * init`). Relative paths are resolved against the node directory. Unknown
 * fields are refused so a typo is an error, not a silently ignored setting.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ValidationError } from '../errors.ts';
import { DEFAULT_COMPRESSION } from '../net/compression.ts';
import type { SqlStoreConfig } from '../store/open-sql.ts';

export const MAX_CONFIG_BYTES = 64 * 1024;

export interface NodeConfig {
  /** Human-readable node name (logs, console). */
  readonly name: string;
  /** The node directory every relative path is resolved against. */
  readonly dir: string;
  readonly keyFile: string;
  /** File holding the key file's passphrase; otherwise MERIDIAN_PASSPHRASE must be set. */
  readonly passphraseFile?: string;
  readonly genesisFile: string;
  /** lmdb directory for blocks, state and the consensus WAL. */
  readonly chainDir: string;
  readonly p2p: { readonly host: string; readonly port: number };
  /**
   * Node-to-node payloads of at least this many bytes (blocks, transaction batches, sync replies)
   * are sent compressed with raw DEFLATE when that saves an eighth or more; 0 sends all plain.
   */
  readonly p2pCompressMinBytes: number;
  readonly api: { readonly host: string; readonly port: number };
  /** Built web console to serve at `/` (optional). */
  readonly consoleDir?: string;
  /** API requests per second per client address (burst: twice that); 0 turns the limit off. */
  readonly apiRateLimitPerSecond: number;
  readonly logLevel: string;
  /** JSON log file; stdout when absent. */
  readonly logFile?: string;
  /** Off-chain records (provenance): PGlite under the node directory when absent. */
  readonly sql?: SqlStoreConfig;
}

/** Default API rate limit per client address. */
export const DEFAULT_API_RATE_LIMIT_PER_SECOND = 100;

const FIELDS = [
  'name',
  'keyFile',
  'passphraseFile',
  'genesisFile',
  'chainDir',
  'p2p',
  'p2pCompressMinBytes',
  'api',
  'apiRateLimitPerSecond',
  'consoleDir',
  'logLevel',
  'logFile',
  'sql',
];

function bad(path: string, message: string): never {
  throw new ValidationError('CONFIG_INVALID', `${path}: ${message}`, {
    hint: 'fix node.json, or recreate it with `meridian init`',
  });
}

function endpoint(value: unknown, path: string, field: string): { host: string; port: number } {
  const v = value as { host?: unknown; port?: unknown } | undefined;
  if (typeof v !== 'object' || v === null || typeof v.host !== 'string' || !Number.isInteger(v.port)) {
    bad(path, `${field} must be { "host": string, "port": integer }`);
  }
  if ((v.port as number) < 0 || (v.port as number) > 65_535) bad(path, `${field}.port must be 0-65535`);
  return { host: v.host as string, port: v.port as number };
}

function optionalString(raw: Record<string, unknown>, field: string, path: string): string | undefined {
  const value = raw[field];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length === 0) bad(path, `${field} must be a non-empty string`);
  return value;
}

function compressMinBytes(value: unknown, path: string): number {
  if (value === undefined) return DEFAULT_COMPRESSION.minBytes;
  if (!Number.isSafeInteger(value) || (value as number) < 0)
    bad(path, 'p2pCompressMinBytes must be a non-negative integer (0 turns compression off)');
  return value as number;
}

function rateLimit(value: unknown, path: string): number {
  if (value === undefined) return DEFAULT_API_RATE_LIMIT_PER_SECOND;
  if (!Number.isInteger(value) || (value as number) < 0)
    bad(path, 'apiRateLimitPerSecond must be a non-negative integer');
  return value as number;
}

/** `{ "kind": "pglite", "dataDir": "records-db" }` or `{ "kind": "postgres", "connectionString": "postgres://…", "schema"?: "…" }`. */
function sqlConfig(value: unknown, path: string, dir: string): SqlStoreConfig | undefined {
  if (value === undefined) return undefined;
  const v = value as Record<string, unknown>;
  const text = (field: string) => typeof v[field] === 'string' && (v[field] as string).length > 0;
  if (
    typeof v === 'object' &&
    v !== null &&
    v.kind === 'pglite' &&
    text('dataDir') &&
    Object.keys(v).length === 2
  )
    return { kind: 'pglite', dataDir: resolve(dir, v.dataDir as string) };
  if (
    typeof v === 'object' &&
    v !== null &&
    v.kind === 'postgres' &&
    text('connectionString') &&
    (v.schema === undefined || text('schema')) &&
    Object.keys(v).every((k) => ['kind', 'connectionString', 'schema'].includes(k))
  ) {
    return {
      kind: 'postgres',
      connectionString: v.connectionString as string,
      ...(v.schema === undefined ? {} : { schema: v.schema as string }),
    };
  }
  return bad(
    path,
    'sql must be { "kind": "pglite", "dataDir": "<dir>" } or { "kind": "postgres", "connectionString": "postgres://…", "schema"?: "<name>" }',
  );
}

export function loadNodeConfig(path: string): NodeConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new ValidationError('CONFIG_NOT_FOUND', `cannot read ${path}`, {
      hint: 'create a node directory with `meridian init --dir <dir>`',
    });
  }
  if (text.length > MAX_CONFIG_BYTES) bad(path, `larger than ${MAX_CONFIG_BYTES} bytes`);
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(text) as Record<string, unknown>;
  } catch {
    bad(path, 'not valid JSON');
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) bad(path, 'must be a JSON object');
  for (const key of Object.keys(raw)) if (!FIELDS.includes(key)) bad(path, `unknown field "${key}"`);
  const dir = dirname(resolve(path));
  const at = (p: string | undefined) => (p === undefined ? undefined : resolve(dir, p));
  const required = (field: string) => optionalString(raw, field, path) ?? bad(path, `${field} is required`);
  const passphraseFile = at(optionalString(raw, 'passphraseFile', path));
  const consoleDir = at(optionalString(raw, 'consoleDir', path));
  const logFile = at(optionalString(raw, 'logFile', path));
  const sql = sqlConfig(raw.sql, path, dir);
  return {
    name: required('name'),
    dir,
    keyFile: at(required('keyFile'))!,
    ...(passphraseFile ? { passphraseFile } : {}),
    genesisFile: at(required('genesisFile'))!,
    chainDir: at(required('chainDir'))!,
    p2p: endpoint(raw.p2p, path, 'p2p'),
    p2pCompressMinBytes: compressMinBytes(raw.p2pCompressMinBytes, path),
    api: endpoint(raw.api, path, 'api'),
    ...(consoleDir ? { consoleDir } : {}),
    apiRateLimitPerSecond: rateLimit(raw.apiRateLimitPerSecond, path),
    logLevel: optionalString(raw, 'logLevel', path) ?? 'info',
    ...(logFile ? { logFile } : {}),
    ...(sql ? { sql } : {}),
  };
}
