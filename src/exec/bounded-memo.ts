/**
 * `memo.get(key)`, computing and remembering the value on a miss (`undefined` and `null` values
 * are remembered too). A memo at `limit` entries starts over before it takes a new one, so a
 * flood of distinct keys costs recomputation, never unbounded memory.
 */
export function remember<V>(memo: Map<string, V>, key: string, limit: number, compute: () => V): V {
  const known = memo.get(key);
  if (known !== undefined || memo.has(key)) return known as V;
  if (memo.size >= limit) memo.clear();
  const value = compute();
  memo.set(key, value);
  return value;
}
