/**
 * Hash routing: `#/block/12`, `#/state?key=kv%2Fhello`. The node serves
 * index.html for every path, but keeping routes in the fragment means a link
 * works the same from any node and from a file server.
 */
import { type AnchorHTMLAttributes, type ReactNode, useEffect, useState } from 'react';

export interface Route {
  /** Path segments, decoded: `#/block/12` → ['block', '12']. */
  readonly segments: readonly string[];
  readonly params: URLSearchParams;
  /** The fragment without '#', e.g. `/block/12`. */
  readonly href: string;
}

export function parseRoute(hash: string): Route {
  const href = hash.replace(/^#/, '') || '/';
  const [path = '/', query = ''] = href.split('?', 2) as [string, string?];
  const segments = path
    .split('/')
    .filter((s) => s !== '')
    .map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    });
  return { segments, params: new URLSearchParams(query), href };
}

export function useRoute(): Route {
  const [hash, setHash] = useState(() => window.location.hash);
  useEffect(() => {
    const onChange = () => setHash(window.location.hash);
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return parseRoute(hash);
}

/** `#/path?query`; segments are URI-encoded. */
export function routeHref(
  path: readonly (string | number)[],
  params?: Record<string, string | undefined>,
): string {
  const encoded = path.map((s) => encodeURIComponent(String(s))).join('/');
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(params ?? {})) if (v !== undefined && v !== '') query.set(k, v);
  const queryText = query.toString();
  return `#/${encoded}${queryText === '' ? '' : `?${queryText}`}`;
}

export function navigate(href: string, options: { replace?: boolean } = {}): void {
  const target = href.startsWith('#') ? href : `#${href}`;
  if (options.replace) {
    window.history.replaceState(null, '', target);
    window.dispatchEvent(new HashChangeEvent('hashchange'));
  } else {
    window.location.hash = target;
  }
}

export function Link({
  to,
  children,
  ...rest
}: { to: string; children: ReactNode } & Omit<AnchorHTMLAttributes<HTMLAnchorElement>, 'href'>) {
  return (
    <a href={to} {...rest}>
      {children}
    </a>
  );
}

/** Links to the console's pages, in one place so every page links the same way. */
export const links = {
  network: () => '#/',
  explorer: () => '#/explorer',
  block: (heightOrHash: number | string) => routeHref(['block', heightOrHash]),
  tx: (hash: string) => routeHref(['tx', hash]),
  account: (publicKey: string) => routeHref(['account', publicKey]),
  state: (key?: string, height?: number) =>
    routeHref(['state'], { key, height: height === undefined ? undefined : String(height) }),
  search: (q: string) => routeHref(['search'], { q }),
  governance: (tab?: string) => routeHref(tab ? ['governance', tab] : ['governance']),
  organization: (id: string) => routeHref(['governance', 'organization', id]),
  proposal: (id: string) => routeHref(['governance', 'proposal', id]),
  contract: (id: string) => routeHref(['governance', 'contract', id]),
  provenance: (uri?: string) => routeHref(['provenance'], { uri }),
  settings: () => '#/settings',
};
