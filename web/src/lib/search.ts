/**
 * What a search box entry is: a block height, a 32-byte hash (a block, a
 * transaction or an account key: only the node can tell which), a dataset URI,
 * or a world-state key. The search page resolves the ambiguous ones by asking.
 */

export type SearchQuery =
  | { readonly kind: 'empty' }
  | { readonly kind: 'height'; readonly height: number }
  | { readonly kind: 'hash'; readonly hash: string }
  | { readonly kind: 'uri'; readonly uri: string }
  | { readonly kind: 'key'; readonly key: string };

/** Longest search entry considered (a state key is at most 1 KiB; URIs are similar). */
export const MAX_SEARCH_CHARS = 2048;

export function classifySearch(input: string): SearchQuery {
  const text = input.trim().slice(0, MAX_SEARCH_CHARS);
  if (text === '') return { kind: 'empty' };
  if (/^#?\d{1,15}$/.test(text)) return { kind: 'height', height: Number(text.replace('#', '')) };
  if (/^0x[0-9a-fA-F]{64}$/.test(text)) return { kind: 'hash', hash: text.toLowerCase() };
  if (/^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/\S+$/.test(text) || /^urn:\S+$/i.test(text))
    return { kind: 'uri', uri: text };
  return { kind: 'key', key: text };
}
