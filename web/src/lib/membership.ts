/**
 * Who is who: organisations and their members (users, devices, nodes) from
 * the membership module, as a directory every page uses to name keys. When the
 * chain has no membership module the directory is empty and says why.
 */
import { createContext, createElement, type ReactNode, useContext, useMemo } from 'react';
import type { MeridianClient } from '../../../src/api/sdk.ts';
import { isQueryMissing } from './module-query.ts';
import type { Member, Organization } from './module-types.ts';
import { useNode } from './node.tsx';
import { useAsync } from './use-async.ts';

/** Organisations whose member lists the directory reads (the registry allows 1,024). */
export const MAX_DIRECTORY_ORGANIZATIONS = 64;

export interface Directory {
  readonly organizations: readonly Organization[];
  /** Members by organisation id. */
  readonly members: ReadonlyMap<string, readonly Member[]>;
}

export interface OrganizationDirectory {
  readonly available: boolean;
  readonly loading: boolean;
  /** Why there are no organisations, when there are none. */
  readonly reason: string | undefined;
  readonly organizations: readonly Organization[];
  readonly members: ReadonlyMap<string, readonly Member[]>;
  organizationOf(publicKey: string): Organization | undefined;
  memberOf(publicKey: string): Member | undefined;
  /** A person-friendly name for a key: the member's name, else undefined. */
  nameOf(publicKey: string): string | undefined;
  reload(): void;
}

export async function loadDirectory(client: MeridianClient): Promise<Directory> {
  const organizations = await client.query<Organization[]>('membership', 'organizations', {});
  const lists = await Promise.all(
    organizations
      .slice(0, MAX_DIRECTORY_ORGANIZATIONS)
      .map((o) => client.query<Member[]>('membership', 'members', { organization: o.id }).catch(() => [])),
  );
  const members = new Map<string, readonly Member[]>();
  for (const [i, o] of organizations.slice(0, MAX_DIRECTORY_ORGANIZATIONS).entries()) {
    members.set(o.id, lists[i] ?? []);
  }
  return { organizations, members };
}

function useDirectoryState(): OrganizationDirectory {
  const { client, heads } = useNode();
  // Reload when a block commits a membership change would be ideal; a new head is a cheap proxy.
  const head = heads[0]?.height ?? 0;
  const state = useAsync(() => loadDirectory(client), [client, Math.floor(head / 5)]);
  return useMemo(() => {
    const organizations = state.data?.organizations ?? [];
    const members = state.data?.members ?? new Map<string, readonly Member[]>();
    const byKey = new Map<string, Member>();
    for (const list of members.values()) for (const m of list) byKey.set(m.publicKey.toLowerCase(), m);
    const orgById = new Map(organizations.map((o) => [o.id, o]));
    const missing = state.error !== undefined && isQueryMissing(state.error);
    const reason = missing
      ? 'this chain has no membership module'
      : state.error !== undefined
        ? 'the membership query failed'
        : state.data === undefined
          ? 'loading'
          : organizations.length === 0
            ? 'no organisation is registered on this chain (its genesis names none)'
            : undefined;
    return {
      available: state.data !== undefined && organizations.length > 0,
      loading: state.data === undefined && state.error === undefined,
      reason,
      organizations,
      members,
      memberOf: (publicKey: string) => byKey.get(publicKey.toLowerCase()),
      organizationOf: (publicKey: string) => {
        const member = byKey.get(publicKey.toLowerCase());
        return member ? orgById.get(member.organization) : undefined;
      },
      nameOf: (publicKey: string) => byKey.get(publicKey.toLowerCase())?.name,
      reload: state.reload,
    };
  }, [state.data, state.error, state.reload]);
}

const DirectoryContext = createContext<OrganizationDirectory | undefined>(undefined);

/** Loads the directory once for the whole console (inside NodeProvider). */
export function DirectoryProvider({ children }: { children: ReactNode }) {
  const directory = useDirectoryState();
  return createElement(DirectoryContext.Provider, { value: directory }, children);
}

export function useOrganizationDirectory(): OrganizationDirectory {
  const value = useContext(DirectoryContext);
  if (!value) throw new Error('useOrganizationDirectory outside DirectoryProvider');
  return value;
}

/** The best name for a key: a member's registered name, else a validator's configured name. */
export function useNames(): (publicKey: string) => string | undefined {
  const directory = useOrganizationDirectory();
  const { validators } = useNode();
  return useMemo(
    () => (publicKey: string) =>
      directory.nameOf(publicKey) ??
      validators?.find((v) => v.publicKey.toLowerCase() === publicKey.toLowerCase())?.name,
    [directory, validators],
  );
}
