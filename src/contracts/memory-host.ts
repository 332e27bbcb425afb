/**
 * An in-memory `ContractHost` for tests, examples and simulations: a code
 * registry and per-contract state maps, with `apply` to commit a successful
 * receipt's writes and `stateDigest` to compare replicas.
 */
import { toHex } from '../codec/bytes.ts';
import { canonicalJson, hashRecord } from '../codec/canonical-json.ts';
import { ValidationError } from '../errors.ts';
import { compareKeys, isContractName } from './boundary.ts';
import { contractCodeHash } from './code-hash.ts';
import type {
  CallReceipt,
  ContractHost,
  DeployedContract,
  JsonValue,
  StateEntry,
  StateWrite,
} from './types.ts';

export class MemoryContractHost implements ContractHost {
  private readonly contracts = new Map<string, DeployedContract>();
  /** contract -> key -> canonical JSON text (stored as text, like a real store would). */
  private readonly state = new Map<string, Map<string, string>>();

  /** Registers `code` under `name` (what governance would do after the organisations signed it). */
  deploy(name: string, code: string): DeployedContract {
    if (!isContractName(name)) throw new ValidationError('BAD_CONTRACT_NAME', `bad contract name ${name}`);
    const deployed = { code, codeHash: contractCodeHash(code) };
    this.contracts.set(name, deployed);
    return deployed;
  }

  resolveContract(name: string): DeployedContract | undefined {
    return this.contracts.get(name);
  }

  readState(contract: string, key: string): JsonValue | undefined {
    const text = this.state.get(contract)?.get(key);
    return text === undefined ? undefined : (JSON.parse(text) as JsonValue);
  }

  scanState(contract: string, prefix: string, after: string | undefined, limit: number): StateEntry[] {
    const keys = [...(this.state.get(contract)?.keys() ?? [])]
      .filter((key) => key.startsWith(prefix) && (after === undefined || compareKeys(key, after) > 0))
      .sort(compareKeys)
      .slice(0, limit);
    return keys.map((key) => ({ key, value: this.readState(contract, key)! }));
  }

  /** Sets committed state directly (genesis, test fixtures). */
  set(contract: string, key: string, value: JsonValue | null): void {
    let keys = this.state.get(contract);
    if (!keys) {
      keys = new Map();
      this.state.set(contract, keys);
    }
    if (value === null) keys.delete(key);
    else keys.set(key, canonicalJson(value));
  }

  /** Commits a receipt's writes if the call succeeded (what the executor does after a call). */
  apply(receipt: CallReceipt | readonly StateWrite[]): void {
    const writes = 'status' in receipt ? (receipt.status === 'ok' ? receipt.writes : []) : receipt;
    for (const write of writes) this.set(write.contract, write.key, write.value);
  }

  /** Every contract's state, sorted: `{ contract: { key: value } }`. */
  snapshot(): Record<string, Record<string, JsonValue>> {
    const out: Record<string, Record<string, JsonValue>> = {};
    for (const contract of [...this.state.keys()].sort(compareKeys)) {
      const keys = this.state.get(contract)!;
      if (keys.size === 0) continue;
      const entries: Record<string, JsonValue> = {};
      for (const key of [...keys.keys()].sort(compareKeys))
        entries[key] = JSON.parse(keys.get(key)!) as JsonValue;
      out[contract] = entries;
    }
    return out;
  }

  /** SHA-256 of the canonical JSON of `snapshot()`, `0x`-hex: equal state, equal digest. */
  stateDigest(): string {
    return toHex(hashRecord(this.snapshot()));
  }
}

/** SHA-256 of a receipt's canonical JSON, `0x`-hex (to compare replicas' receipts). */
export function receiptDigest(receipt: CallReceipt): string {
  return toHex(hashRecord(receipt));
}
