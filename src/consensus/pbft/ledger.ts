/**
 * What this replica has committed: the head (height and header hash) and the
 * header hashes of committed blocks, kept from the low watermark up.
 *
 * Contract: blocks are appended strictly in height order, each extending the
 * head (the replica asserts this before `append`). The head itself is never
 * forgotten.
 */

import type { BlockHeader } from '../../chain/header.ts';
import { toHex } from '../../codec/bytes.ts';
import { ValidationError } from '../../errors.ts';
import { headerHashOf } from './messages.ts';

export class Ledger {
  private headHeight = 0;
  private headHash: Uint8Array;
  private readonly hashes = new Map<number, string>();

  constructor(genesisHash: Uint8Array) {
    this.headHash = genesisHash;
    this.hashes.set(0, toHex(genesisHash));
  }

  get height(): number {
    return this.headHeight;
  }

  get hash(): Uint8Array {
    return this.headHash;
  }

  /** Resumes from the driver's committed headers (oldest first, ending with the head). */
  restore(committedHeaders: readonly BlockHeader[]): void {
    const head = committedHeaders[committedHeaders.length - 1];
    if (!head) {
      throw new ValidationError('CONSENSUS_RESTORE_INCOMPLETE', 'no committed header given', {
        hint: 'pass at least the genesis header',
      });
    }
    this.headHeight = head.height;
    this.headHash = headerHashOf(head);
    for (const header of committedHeaders) this.hashes.set(header.height, toHex(headerHashOf(header)));
  }

  append(height: number, hash: Uint8Array): void {
    this.headHeight = height;
    this.headHash = hash;
    this.hashes.set(height, toHex(hash));
  }

  /** The hex header hash committed at `height`, if still known. */
  hexAt(height: number): string | undefined {
    return this.hashes.get(height);
  }

  /** Forgets the hashes below `height`. */
  forgetBelow(height: number): void {
    for (const h of [...this.hashes.keys()]) if (h < height) this.hashes.delete(h);
  }
}
