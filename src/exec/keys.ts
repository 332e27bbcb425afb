/**
 * World-state key layout. Every key starts with its owner's namespace so that
 * modules cannot collide and a state proof says whose data it is:
 *
 * - `acct/<32-byte sender key>`     -> RLP uint: the sender's next nonce
 * - `<module>/<module-defined key>` -> module data (see each module)
 *
 * Module names are lowercase ASCII words, so `acct/` and `<module>/` prefixes
 * never overlap.
 */
import { concatBytes, utf8 } from '../codec/bytes.ts';

const ACCOUNT_PREFIX = utf8('acct/');

export function accountNonceKey(sender: Uint8Array): Uint8Array {
  return concatBytes(ACCOUNT_PREFIX, sender);
}

const modulePrefixes = new Map<string, Uint8Array>();

export function moduleKey(module: string, key: Uint8Array): Uint8Array {
  let prefix = modulePrefixes.get(module);
  if (prefix === undefined) {
    prefix = utf8(`${module}/`);
    modulePrefixes.set(module, prefix);
  }
  return concatBytes(prefix, key);
}
