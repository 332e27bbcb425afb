/**
 * Module queries (`POST /v1/query/{module}/{name}`) with the one distinction
 * the pages need: a query this chain does not have (`QUERY_NOT_FOUND`: the
 * module is not deployed on this network, or is older) is an empty state that
 * says so, not an error.
 */
import { useNode } from './node.tsx';
import { type AsyncState, useAsync } from './use-async.ts';

export type ModuleQueryState<T> =
  | { readonly kind: 'loading' }
  | { readonly kind: 'missing'; readonly hint: string | undefined }
  | { readonly kind: 'error'; readonly error: unknown }
  | { readonly kind: 'ok'; readonly data: T };

export function isQueryMissing(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 'QUERY_NOT_FOUND';
}

export function toModuleState<T>(state: AsyncState<T>): ModuleQueryState<T> {
  if (state.error !== undefined) {
    if (isQueryMissing(state.error)) {
      const hint = (state.error as { hint?: unknown }).hint;
      return { kind: 'missing', hint: typeof hint === 'string' ? hint : undefined };
    }
    return { kind: 'error', error: state.error };
  }
  if (state.data === undefined) return { kind: 'loading' };
  return { kind: 'ok', data: state.data };
}

/** Runs a module query against the node; reloads when `key` (or the node) changes. */
export function useModuleQuery<T>(
  module: string,
  name: string,
  params: Record<string, unknown> = {},
  key: unknown = '',
): ModuleQueryState<T> & { reload: () => void } {
  const { client } = useNode();
  const paramsKey = JSON.stringify(params);
  const state = useAsync(() => client.query<T>(module, name, params), [client, module, name, paramsKey, key]);
  return { ...toModuleState(state), reload: state.reload };
}
