/** How `meridian state get` shows a stored value to people (`--json` prints the raw bytes the proof covers). */
import { fromHexFixed, fromUtf8, toHex, utf8 } from '../codec/bytes.ts';
import { decodeAnchorState, PROVENANCE_MODULE } from '../modules/provenance/anchor-state.ts';

const PROVENANCE_PREFIX = toHex(utf8(`${PROVENANCE_MODULE}/`));

/**
 * `valueHex` (0x-hex) stored under `keyHex` (0x-hex), readable: a provenance anchor record decoded
 * from its RLP, else the value as UTF-8 text, else the hex itself.
 */
export function readableStateValue(keyHex: string, valueHex: string): string {
  const value = fromHexFixed(valueHex, (valueHex.length - 2) / 2, 'value');
  if (keyHex.toLowerCase().startsWith(PROVENANCE_PREFIX)) {
    try {
      return JSON.stringify(decodeAnchorState(value));
    } catch {
      // not an anchor record: shown as any other value
    }
  }
  try {
    return fromUtf8(value);
  } catch {
    return valueHex;
  }
}
