/** The code hash of a deployed contract: SHA-256 of the JavaScript artefact's UTF-8 bytes, `0x`-hex. */
import { toHex, utf8 } from '../codec/bytes.ts';
import { sha256 } from '../crypto/sha256.ts';

export function contractCodeHash(code: string | Uint8Array): string {
  return toHex(sha256(typeof code === 'string' ? utf8(code) : code));
}
